import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Inbound e-mail through a real SMTP conversation into the channel's listener, then the BullMQ
// queue (real Redis) and the ticket workflows: new tickets, threaded replies, suppression of
// automated mail, a CC'd third party, token and Outlook threading, forwards.

let h: Harness;
let admin: string;
let send: (mail: Parameters<ReturnType<typeof nodemailer.createTransport>['sendMail']>[0]) => Promise<string>;
const addr = (who: string) => `${who}-${h.fx.suffix}@customer.example`;

beforeAll(async () => {
  h = await startHarness({ inbound: true });
  admin = await h.login(h.fx.users.admin.email);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.inbound!.smtpPort, secure: false, ignoreTLS: true });
  send = async (mail) => (await transport.sendMail({ to: 'support@mehrdesk.local', ...mail })).messageId;
});
afterAll(() => h?.close());

interface InboundRow {
  status: string;
  reason: string | null;
  ticket_id: number | null;
}
const processed = (messageId: string) =>
  eventually(async () => {
    const [r] = await h.orm.em.fork().execute<InboundRow[]>('select status, reason, ticket_id from inbound_emails where message_id = ?', [messageId]);
    return r && r.status !== 'received' ? r : null;
  }, `processing of ${messageId}`);
const ticket = async (id: number) => (await h.call(admin, 'GET', `/api/v1/tickets/${id}`)).body;
const messages = async (id: number) =>
  (await h.call(admin, 'GET', `/api/v1/tickets/${id}/messages`)).body.items as { kind: string; bodyText: string; channel: string; author: { name: string } | null }[];

describe('inbound e-mail', () => {
  let first: { ticketId: number; number: string; receivedMessageId: string };

  it('opens a ticket for a new mail from an unknown sender, with its attachment', async () => {
    const id = await send({
      from: `"Nasrin Example" <${addr('nasrin')}>`,
      cc: addr('colleague'),
      subject: 'VPN کار نمی‌کند',
      text: 'Since this morning the VPN refuses my password.',
      attachments: [{ filename: 'error.txt', content: 'E_AUTH 401' }],
    });
    const row = await processed(id);
    expect(row).toMatchObject({ status: 'ticket_created' });
    const t = await ticket(row.ticket_id!);
    expect(t).toMatchObject({ subject: 'VPN کار نمی‌کند', source: 'email', requester: { email: addr('nasrin'), name: 'Nasrin Example' } });
    const [att] = await h.orm.em.fork().execute<{ filename: string; size: number }[]>('select filename, size from attachments where ticket_id = ?', [t.id]);
    expect(att).toEqual({ filename: 'error.txt', size: 10 });
    const [received] = await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.to.some((x) => x.includes(addr('nasrin'))));
    first = { ticketId: t.id, number: t.number, receivedMessageId: received!.messageId! };
  });

  it('threads a reply to our notification onto the same ticket', async () => {
    const id = await send({ from: addr('nasrin'), subject: `Re: ${first.number}`, text: 'It works again, thanks', inReplyTo: first.receivedMessageId, references: [first.receivedMessageId] });
    expect(await processed(id)).toMatchObject({ status: 'replied', ticket_id: first.ticketId });
    const m = await messages(first.ticketId);
    expect(m.at(-1)).toMatchObject({ channel: 'email', bodyText: expect.stringContaining('It works again') });
  });

  it('ignores auto-replies and bounces without creating anything', async () => {
    const before = Number((await h.orm.em.fork().execute<[{ n: string }]>('select count(*) as n from tickets'))[0].n);
    const auto = await send({ from: addr('nasrin'), subject: 'Out of office', text: 'I am away', inReplyTo: first.receivedMessageId, headers: { 'Auto-Submitted': 'auto-replied' } });
    expect(await processed(auto)).toMatchObject({ status: 'ignored', reason: expect.stringContaining('auto-submitted') });
    const bounce = await send({ from: `MAILER-DAEMON@customer.example`, subject: 'Undelivered Mail Returned to Sender', text: 'delivery failed' });
    expect((await processed(bounce)).status).toBe('ignored');
    expect(Number((await h.orm.em.fork().execute<[{ n: string }]>('select count(*) as n from tickets'))[0].n)).toBe(before);
    expect((await messages(first.ticketId)).some((m) => m.bodyText.includes('I am away'))).toBe(false);
  });

  // The first mail copied the colleague, which made them a participant; strangers are held
  // for review instead (inbound-strangers.int.test.ts).
  it("threads a reply from a third party CC'd on the first mail as a participant's reply instead of opening a ticket", async () => {
    const id = await send({ from: addr('colleague'), subject: `RE: ${first.number}`, text: 'I have the same problem', inReplyTo: first.receivedMessageId });
    expect(await processed(id)).toMatchObject({ status: 'replied', ticket_id: first.ticketId });
    const parts = await h.orm.em.fork().execute<{ email: string }[]>('select email from ticket_participants where ticket_id = ?', [first.ticketId]);
    expect(parts).toEqual([{ email: addr('colleague') }]);
    expect((await messages(first.ticketId)).at(-1)).toMatchObject({ kind: 'public', bodyText: expect.stringContaining('same problem') });
    expect((await ticket(first.ticketId)).requester.email).toBe(addr('nasrin'));
  });

  it('threads by the ticket token in a rewritten subject, and by Outlook References alone', async () => {
    const token = await send({ from: addr('nasrin'), subject: `AW: [EXTERNAL] [${first.number}] still slow`, text: 'token only' });
    expect(await processed(token)).toMatchObject({ status: 'replied', ticket_id: first.ticketId });
    const outlook = await send({ from: addr('nasrin'), subject: 'AW: something else', text: 'outlook reply', references: [first.receivedMessageId], headers: { 'Thread-Index': 'AQHZq0bmC3xN6Q==' } });
    expect(await processed(outlook)).toMatchObject({ status: 'replied', ticket_id: first.ticketId });
  });

  it('opens a new ticket for a forwarded message without the token', async () => {
    const id = await send({ from: addr('nasrin'), subject: 'Fwd: invoice question', text: '---------- Forwarded message ---------\nFrom: someone\n\nplease look', inReplyTo: first.receivedMessageId });
    const row = await processed(id);
    expect(row.status).toBe('ticket_created');
    expect(row.ticket_id).not.toBe(first.ticketId);
  });

  it('shows the queue to admins in bull-board', async () => {
    const ok = await h.call(admin, 'GET', '/admin/queues');
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toContain('<html');
    const api = await h.call(admin, 'GET', '/admin/queues/api/queues');
    expect(api.status).toBe(200);
    expect(JSON.stringify(api.body)).toContain('inbound-email');
    expect((await h.call(await h.login(h.fx.users.agent1.email), 'GET', '/admin/queues')).status).toBe(403);
    expect((await h.call(null, 'GET', '/admin/queues')).status).toBe(401);
    const viaLink = await fetch(`${h.baseUrl}/admin/queues?token=${admin}`, { redirect: 'manual' });
    expect(viaLink.status).toBe(303);
    expect(viaLink.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
  });
});
