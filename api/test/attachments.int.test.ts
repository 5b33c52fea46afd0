import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@mehrdesk/core/services/passwords';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Attachments from inbound mail: stored as what their bytes are (not what the sender claims),
// listed with their message, and downloadable only by those who may see that message, in a way
// a browser never executes.

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const HTML = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';

let h: Harness;
let tokens: { admin: string; staff: string; requester: string; stranger: string };
let ticketId: number;
let files: Record<string, { id: number; contentType: string; url: string; size: number }>;

beforeAll(async () => {
  h = await startHarness({ inbound: true });
  const requester = `att-${h.fx.suffix}@customer.example`;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.inbound!.smtpPort, secure: false, ignoreTLS: true });
  const sent = await transport.sendMail({
    from: requester,
    to: 'support@mehrdesk.local',
    subject: 'Screenshots attached',
    text: 'See the files',
    attachments: [
      { filename: 'screen.png', content: PNG, contentType: 'image/png' },
      { filename: 'not-really.png', content: HTML, contentType: 'image/png' },
      { filename: 'unlabelled.bin', content: PNG, contentType: 'application/octet-stream' },
      { filename: 'گزارش "نهایی".csv', content: 'a,b\n1,2\n', contentType: 'text/csv' },
    ],
  });
  ticketId = await eventually(async () => {
    const [r] = await h.orm.em.fork().execute<{ ticket_id: number | null }[]>('select ticket_id from inbound_emails where message_id = ?', [sent.messageId]);
    return r?.ticket_id ?? null;
  }, 'the ticket from the mail');
  // The unknown sender became a customer without a password; give one so they can log in.
  await h.orm.em.fork().execute('update users set password_hash = ? where email = ?', [await hashPassword(PASSWORD), requester]);
  tokens = {
    admin: await h.login(h.fx.users.admin.email),
    staff: await h.login(h.fx.users.supervisor.email),
    requester: await h.login(requester),
    stranger: await h.login(h.fx.users.customer2.email),
  };
  const messages = (await h.call(tokens.admin, 'GET', `/api/v1/tickets/${ticketId}/messages`)).body.items;
  files = Object.fromEntries(messages[0].attachments.map((a: { filename: string }) => [a.filename, a]));
});
afterAll(() => h?.close());

async function download(token: string | null, url: string) {
  const r = await fetch(`${h.baseUrl}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

describe('attachments', () => {
  it('are listed with their message, typed by their bytes', () => {
    expect(Object.keys(files).sort()).toEqual(['not-really.png', 'screen.png', 'unlabelled.bin', 'گزارش "نهایی".csv'].sort());
    expect(files['screen.png']).toMatchObject({ contentType: 'image/png', size: PNG.length });
    expect(files['not-really.png']!.contentType).toBe('application/octet-stream');
    expect(files['unlabelled.bin']!.contentType).toBe('image/png');
    expect(files['گزارش "نهایی".csv']!.contentType).toBe('text/csv');
  });

  it('serve a verified image inline and everything else as a sandboxed download', async () => {
    const png = await download(tokens.staff, files['screen.png']!.url);
    expect(png.status).toBe(200);
    expect(png.bytes.equals(PNG)).toBe(true);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('content-disposition')).toMatch(/^inline; filename="screen.png"/);
    expect(png.headers.get('x-content-type-options')).toBe('nosniff');
    expect(png.headers.get('content-security-policy')).toContain('sandbox');

    const fake = await download(tokens.staff, files['not-really.png']!.url);
    expect(fake.headers.get('content-type')).toBe('application/octet-stream');
    expect(fake.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(fake.bytes.toString()).toBe(HTML);

    const csv = await download(tokens.staff, files['گزارش "نهایی".csv']!.url);
    // An ASCII fallback with quotes and non-ASCII replaced, and the real name in filename*.
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="_____ _______.csv"; filename*=UTF-8''${encodeURIComponent('گزارش "نهایی".csv')}`);
  });

  it('are for those who may see the message: others get 404, anonymous 401', async () => {
    expect((await download(tokens.requester, files['screen.png']!.url)).status).toBe(200);
    expect((await download(tokens.stranger, files['screen.png']!.url)).status).toBe(404);
    expect((await download(null, files['screen.png']!.url)).status).toBe(401);
    expect((await download(tokens.staff, '/api/v1/attachments/2147483647')).status).toBe(404);
    expect((await download(tokens.staff, '/api/v1/attachments/1e3')).status).toBe(400);
    // An attachment on an internal note is staff-only.
    const note = await h.call(tokens.staff, 'POST', `/api/v1/tickets/${ticketId}/messages`, { body: 'internal', internal: true });
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    const [row] = await h.orm.em.fork().execute<{ id: number }[]>(
      `insert into attachments (ticket_id, message_id, filename, content_type, size, sha256, storage_path, created_at)
       select ticket_id, ?, 'secret.png', content_type, size, sha256, storage_path, now() from attachments where id = ? returning id`,
      [note.body.id, files['screen.png']!.id],
    );
    expect((await download(tokens.staff, `/api/v1/attachments/${row!.id}`)).status).toBe(200);
    expect((await download(tokens.requester, `/api/v1/attachments/${row!.id}`)).status).toBe(404);
    const seen = (await h.call(tokens.requester, 'GET', `/api/v1/tickets/${ticketId}/messages`)).body.items;
    expect(seen.flatMap((m: { attachments: { filename: string }[] }) => m.attachments.map((a) => a.filename))).not.toContain('secret.png');
  });
});
