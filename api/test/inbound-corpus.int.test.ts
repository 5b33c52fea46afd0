import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeFile } from '@mehrdesk/core/attachments/storage';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// The hard cases of real-world mail (worker/test/fixtures/mail) sent through the real SMTP
// listener, queue and ticket workflows: every mail ends as a ticket or as an ignored mail with a
// reason, never as a failed job or a customer without an address; the admins' review list shows
// what was ignored or failed and can queue it again.

let h: Harness;
let admin: string;
let transport: ReturnType<typeof nodemailer.createTransport>;

beforeAll(async () => {
  h = await startHarness({ inbound: true });
  admin = await h.login(h.fx.users.admin.email);
  transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.inbound!.smtpPort, secure: false, ignoreTLS: true });
});
afterAll(() => h?.close());

interface InboundRow {
  id: number;
  status: string;
  reason: string | null;
  ticket_id: number | null;
  subject: string;
}
const db = () => h.orm.em.fork();

/** Sends a fixture unchanged except for a Message-ID unique to this run; returns that id. */
async function send(name: string, envelopeFrom = 'mta-bounces@relay.example'): Promise<string> {
  const messageId = `<${name}.${h.fx.suffix}.${Math.random().toString(36).slice(2)}@corpus.test>`;
  const original = await readFile(new URL(`../../worker/test/fixtures/mail/${name}.eml`, import.meta.url));
  // latin1 maps every byte to one character and back, so the 8-bit bytes survive the edit.
  const raw = Buffer.from(original.toString('latin1').replace(/^Message-ID:.*$/im, `Message-ID: ${messageId}`), 'latin1');
  await transport.sendMail({ envelope: { from: envelopeFrom, to: ['support@mehrdesk.local'] }, raw });
  return messageId;
}
const processed = (messageId: string) =>
  eventually(async () => {
    const [r] = await db().execute<InboundRow[]>('select id, status, reason, ticket_id, subject from inbound_emails where message_id = ?', [messageId]);
    return r && r.status !== 'received' ? r : null;
  }, `processing of ${messageId}`);
const ticketOf = async (messageId: string) => {
  const row = await processed(messageId);
  expect(row).toMatchObject({ status: 'ticket_created' });
  const ticket = (await h.call(admin, 'GET', `/api/v1/tickets/${row.ticket_id}`)).body as { id: number; subject: string; requester: { email: string; name: string } };
  const [first] = await db().execute<{ body_text: string }[]>('select body_text from messages where ticket_id = ? order by id limit 1', [row.ticket_id]);
  const attachments = await db().execute<{ filename: string; content_type: string }[]>('select filename, content_type from attachments where ticket_id = ? order by id', [row.ticket_id]);
  return { row, ticket, text: first!.body_text, attachments: attachments.map((a) => [a.filename, a.content_type]) };
};

const UNKNOWN_SENDER = 'unknown sender: no usable From, Sender, Reply-To or envelope address';

describe('inbound e-mail: the hard-case corpus', () => {
  it('a whitespace-only body becomes a ticket marked "(no text)"', async () => {
    const t = await ticketOf(await send('whitespace-only-body'));
    expect(t.ticket).toMatchObject({ subject: 'Scan from office printer', requester: { email: 'petra.lang@kunde.example', name: 'Petra Lang' } });
    expect(t.text).toBe('(no text)');
  });

  it('a body that is only a remote image becomes a ticket that keeps its attachment', async () => {
    const t = await ticketOf(await send('remote-image-only-html'));
    expect(t.ticket.requester.email).toBe('m.ortiz@shop.example');
    expect(t.text).toBe('(no text)');
    expect(t.attachments).toEqual([['invoice-2026-118.pdf', 'application/pdf']]);
  });

  it.each([
    ['reply-to-without-from', 'kaveh.rostami@mail.example', 'Kaveh Rostami'],
    ['two-from-first-broken', 'lena.vogt@firma.example', 'Lena Vogt'],
    ['from-null-address-first', 'dana.whitfield@partner.example', 'Dana Whitfield'],
    ['encoded-word-name-with-comma', 'andreas.buerling@werk.example', 'Bürling, Andreas'],
  ])('%s: the requester is the first usable sender address', async (name, email, display) => {
    const t = await ticketOf(await send(name));
    expect(t.ticket.requester).toMatchObject({ email, name: display });
  });

  it('a mail with no usable sender is ignored with a reason, or falls back to the envelope sender', async () => {
    expect(await processed(await send('no-usable-sender', ''))).toMatchObject({ status: 'ignored', reason: UNKNOWN_SENDER, ticket_id: null });
    const t = await ticketOf(await send('no-usable-sender', 'Reports@Legacy-App.Example'));
    expect(t.ticket).toMatchObject({ subject: 'Disk usage report', requester: { email: 'reports@legacy-app.example' } });
    const [{ n }] = await db().execute<[{ n: number }]>(`select count(*)::int as n from users where email = ''`);
    expect(n).toBe(0);
  });

  it.each([
    ['gb2312-undeclared', '打印机不能用', '王小明', 'wang.xiaoming@corp.example.cn', '我们办公室的打印机从昨天开始就不能用了'],
    ['shift-jis-undeclared', 'プリンターが壊れました', '山田太郎', 't.yamada@kaisha.example.jp', '二階のプリンターが昨日から動きません'],
    ['latin1-undeclared', 'Drucker im Büro defekt', 'Jürgen Müller', 'juergen.mueller@buero.example.de', 'Grüße aus Köln'],
  ])('%s: undeclared 8-bit subject, name and body arrive readable', async (name, subject, display, email, body) => {
    const t = await ticketOf(await send(name));
    expect(t.ticket).toMatchObject({ subject, requester: { email, name: display } });
    expect(t.text).toContain(body);
    expect(t.row.subject).toBe(subject);
  });

  it('NULs in subject and body never make the listener refuse the mail: they are removed', async () => {
    const t = await ticketOf(await send('nul-in-subject-and-body'));
    expect(t.ticket.subject).toBe('Export failed');
    expect(t.text).toContain('name=ACME GmbH');
  });

  it('parts without names are stored under names from Content-ID, Content-Type and the attached subject', async () => {
    const t = await ticketOf(await send('nameless-parts'));
    expect(t.attachments).toEqual([
      ['image001.png', 'image/png'],
      ['attachment-2.pdf', 'application/pdf'],
      ['Your order 4711 has shipped.eml', 'message/rfc822'],
    ]);
  });
});

describe('inbound e-mail: failures and the review list', () => {
  it('a job that fails on its last attempt leaves the mail "failed" with the reason; reprocessing it opens the ticket', async () => {
    const messageId = `<lost-file.${h.fx.suffix}@corpus.test>`;
    const raw = Buffer.from(`From: Ida Lind <ida.lind@kund.example>\r\nTo: support@mehrdesk.local\r\nSubject: Stored late\r\nMessage-ID: ${messageId}\r\n\r\nHello\r\n`);
    const sha = createHash('sha256').update(raw).digest('hex');
    // The row points at a raw file that is not there (yet): processing cannot succeed.
    const [{ id }] = await db().execute<[{ id: number }]>(
      `insert into inbound_emails (message_id, from_address, envelope_to, subject, raw_path, size, status, created_at)
       values (?, 'ida.lind@kund.example', '{support@mehrdesk.local}', 'Stored late', ?, ?, 'received', now()) returning id`,
      [messageId, `mail/${sha.slice(0, 2)}/${sha}`, raw.length],
    );
    await h.inbound!.queue.add('process', { inboundId: id }, { jobId: `inbound-${id}`, attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    const failed = await processed(messageId);
    expect(failed).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^processing failed after 2 attempts: .*ENOENT/) });

    const list = await h.call(admin, 'GET', '/api/v1/inbound-emails?status=failed');
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(
      expect.objectContaining({
        id,
        status: 'failed',
        reason: failed.reason,
        from: 'ida.lind@kund.example',
        subject: 'Stored late',
        messageId,
        ticketId: null,
        createdAt: expect.any(String),
        processedAt: expect.any(String),
      }),
    );

    await storeFile(h.config.STORAGE_DIR, 'mail', raw);
    const again = await h.call(admin, 'POST', `/api/v1/inbound-emails/${id}/reprocess`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id, status: 'received', reason: null });
    const t = await ticketOf(messageId);
    expect(t.ticket).toMatchObject({ subject: 'Stored late', requester: { email: 'ida.lind@kund.example' } });
    expect((await h.call(admin, 'POST', `/api/v1/inbound-emails/${id}/reprocess`)).status).toBe(409);
  });

  it('lists ignored mail with its reason for admins only; reprocessing an ignored mail runs it again', async () => {
    const messageId = await send('no-usable-sender', '');
    const row = await processed(messageId);
    const list = await h.call(admin, 'GET', '/api/v1/inbound-emails?status=ignored&limit=200');
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(expect.objectContaining({ id: row.id, status: 'ignored', reason: UNKNOWN_SENDER, from: '', subject: 'Disk usage report', messageId }));
    expect(list.body.items.every((i: { status: string }) => i.status === 'ignored')).toBe(true);

    const [{ before }] = await db().execute<[{ before: Date }]>('select processed_at as before from inbound_emails where id = ?', [row.id]);
    expect((await h.call(admin, 'POST', `/api/v1/inbound-emails/${row.id}/reprocess`)).status).toBe(202);
    await eventually(async () => {
      const [r] = await db().execute<{ status: string; processed_at: Date | null }[]>('select status, processed_at from inbound_emails where id = ?', [row.id]);
      return r?.status === 'ignored' && r.processed_at !== null && r.processed_at > before;
    }, 'reprocessing of the ignored mail');

    const agent = await h.login(h.fx.users.agent1.email);
    expect((await h.call(agent, 'GET', '/api/v1/inbound-emails?status=ignored')).status).toBe(403);
    expect((await h.call(agent, 'POST', `/api/v1/inbound-emails/${row.id}/reprocess`)).status).toBe(403);
    const bad = await h.call(admin, 'GET', '/api/v1/inbound-emails?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].path).toBe('query.status');
    expect((await h.call(admin, 'POST', '/api/v1/inbound-emails/2147483647/reprocess')).status).toBe(404);
  });
});
