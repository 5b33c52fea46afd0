import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@mehrdesk/core/services/passwords';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';
import { signAttachmentLink } from '@mehrdesk/api/attachments/links';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Attachments from inbound mail: stored as what their bytes are (not what the sender claims),
// listed with their message, and downloadable only by those who may see that message, in a way
// a browser never executes — also when the console opens them in a tab, through a signed link.

const LINK_SECRET = 'attachments-test-link-secret-0123456789';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const HTML = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';

let h: Harness;
let tokens: { admin: string; staff: string; requester: string; stranger: string };
let ticketId: number;
let files: Record<string, { id: number; contentType: string; url: string; size: number }>;
let internalFileId: number;

beforeAll(async () => {
  h = await startHarness({ inbound: true, env: { ATTACHMENT_LINK_SECRET: LINK_SECRET } });
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
  internalFileId = await attachToInternalNote();
});

/** A copy of screen.png on a new internal note: staff-only. */
async function attachToInternalNote(): Promise<number> {
  const note = await h.call(tokens.staff, 'POST', `/api/v1/tickets/${ticketId}/messages`, { body: 'internal', internal: true });
  expect(note.status, JSON.stringify(note.body)).toBe(201);
  const [row] = await h.orm.em.fork().execute<{ id: number }[]>(
    `insert into attachments (ticket_id, message_id, filename, content_type, size, sha256, storage_path, created_at)
     select ticket_id, ?, 'secret.png', content_type, size, sha256, storage_path, now() from attachments where id = ? returning id`,
    [note.body.id, files['screen.png']!.id],
  );
  return row!.id;
}
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
    expect((await download(tokens.staff, `/api/v1/attachments/${internalFileId}`)).status).toBe(200);
    expect((await download(tokens.requester, `/api/v1/attachments/${internalFileId}`)).status).toBe(404);
    const seen = (await h.call(tokens.requester, 'GET', `/api/v1/tickets/${ticketId}/messages`)).body.items;
    expect(seen.flatMap((m: { attachments: { filename: string }[] }) => m.attachments.map((a) => a.filename))).not.toContain('secret.png');
  });
});

describe('signed attachment links (opening a file in a browser tab)', () => {
  const nowSec = () => Math.floor(Date.now() / 1000);
  async function link(token: string | null, id: number) {
    return h.call(token, 'POST', `/api/v1/attachments/${id}/link`);
  }
  /** The link's URL with a different token. */
  const withToken = (id: number, token: string) => `/api/v1/attachments/${id}/download?token=${encodeURIComponent(token)}`;
  async function get(url: string) {
    const r = await fetch(`${h.baseUrl}${url}`);
    const bytes = Buffer.from(await r.arrayBuffer());
    return { status: r.status, headers: r.headers, bytes, json: () => JSON.parse(bytes.toString()) };
  }

  it('give a one-minute URL that serves the file without a bearer token, with the sandbox headers', async () => {
    const png = files['screen.png']!;
    const before = Date.now();
    const res = await link(tokens.requester, png.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.url).toMatch(new RegExp(`^/api/v1/attachments/${png.id}/download\\?token=[\\w.-]+$`));
    const expires = Date.parse(res.body.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 58_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 61_000);

    const file = await get(res.body.url);
    expect(file.status).toBe(200);
    expect(file.bytes.equals(PNG)).toBe(true);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-disposition')).toMatch(/^inline; filename="screen.png"/);
    expect(file.headers.get('content-security-policy')).toMatch(/^sandbox;/);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('referrer-policy')).toBe('no-referrer');
    expect(file.headers.get('cache-control')).toBe('private, no-store');
  });

  it('serve an HTML file disguised as an image as a sandboxed download', async () => {
    const fake = files['not-really.png']!;
    const file = await get((await link(tokens.staff, fake.id)).body.url);
    expect(file.status).toBe(200);
    expect(file.bytes.toString()).toBe(HTML);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(file.headers.get('content-security-policy')).toMatch(/^sandbox;/);
  });

  it('are only given to those who may see the file', async () => {
    expect((await link(tokens.stranger, files['screen.png']!.id)).status).toBe(404);
    expect((await link(tokens.requester, internalFileId)).status).toBe(404);
    expect((await link(null, files['screen.png']!.id)).status).toBe(401);
    expect((await link(tokens.staff, 2147483647)).status).toBe(404);
    expect((await link(tokens.staff, internalFileId)).status).toBe(200);
  });

  it('refuse an expired link with 403 link_expired', async () => {
    const id = files['screen.png']!.id;
    const expired = signAttachmentLink(LINK_SECRET, id, h.fx.users.supervisor.id, nowSec() - 1);
    const res = await get(withToken(id, expired));
    expect(res.status).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'link_expired', message: expect.stringContaining('expired') });
  });

  it('refuse a tampered link, or one made for another file, user or secret, with 403 link_invalid', async () => {
    const png = files['screen.png']!;
    const url: string = (await link(tokens.staff, png.id)).body.url;
    const token = new URL(url, h.baseUrl).searchParams.get('token')!;
    const [userId, expires, sig] = token.split('.') as [string, string, string];
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    const refused = [
      withToken(png.id, `${userId}.${expires}.${flipped}`),
      withToken(png.id, `${h.fx.users.customer2.id}.${expires}.${sig}`), // someone else's id on this signature
      withToken(png.id, `${userId}.${Number(expires) + 3600}.${sig}`), // a longer life
      withToken(files['unlabelled.bin']!.id, token), // another attachment
      withToken(png.id, signAttachmentLink('mehrdesk-development-attachment-link-secret', png.id, Number(userId), nowSec() + 60)), // the dev default
      withToken(png.id, 'garbage'),
    ];
    for (const u of refused) {
      const res = await get(u);
      expect(res.status, u).toBe(403);
      expect(res.json().error.code, u).toBe('link_invalid');
    }
    expect((await get(url)).status).toBe(200); // the genuine one still works
  });

  it('check access again when the file is fetched', async () => {
    // Correctly signed, but for a user who may not see the file (e.g. lost access since): 404.
    const forStranger = signAttachmentLink(LINK_SECRET, files['screen.png']!.id, h.fx.users.customer2.id, nowSec() + 60);
    expect((await get(withToken(files['screen.png']!.id, forStranger))).status).toBe(404);
    const requesterId = Number((await link(tokens.requester, files['screen.png']!.id)).body.url.match(/token=(\d+)\./)[1]);
    const forRequester = signAttachmentLink(LINK_SECRET, internalFileId, requesterId, nowSec() + 60);
    expect((await get(withToken(internalFileId, forRequester))).status).toBe(404);
  });

  it('answer 400 naming the field for a missing or oversized token, never 500', async () => {
    const id = files['screen.png']!.id;
    for (const url of [`/api/v1/attachments/${id}/download`, withToken(id, 'x'.repeat(201)), `/api/v1/attachments/${id}/download?token=a&token=b`]) {
      const res = await get(url);
      expect(res.status, url).toBe(400);
      expect(res.json().error.fields[0].path, url).toBe('query.token');
    }
    expect((await get('/api/v1/attachments/1e3/download?token=x')).status).toBe(400);
  });
});
