import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sweepUploadTemp, uploadTempDir } from '@mehrdesk/core/attachments/storage';
import { sweepPendingUploads } from '@mehrdesk/core/attachments/uploads';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Uploads (issue 10, T3): a file is streamed to storage and becomes a pending attachment of its
// uploader; a ticket, reply or note then lists it in `attachmentIds`. Every refusal (too large,
// too many, disguised, not allowed, malformed, interrupted) names the field and stores nothing:
// no row, no file, no temporary file. Nobody but the uploader can use or see a pending upload,
// and once attached it is seen by whoever may see its message. Unused uploads are swept.

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');

let h: Harness;
let storageDir: string;
let tokens: { admin: string; agent: string; customerA: string; customerB: string };

interface Part {
  name: string;
  filename?: string;
  type?: string;
  body: Buffer;
}

/** A multipart/form-data body written byte by byte (so file names can carry anything). */
function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----mehrdesk${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`, 'utf8'), p.body, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

interface Answer {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
}

/**
 * POST raw bytes with node:http. `chunked` leaves Content-Length out (the server only learns the
 * size as it reads); the answer may come before everything is written (a limit), so write
 * errors after it are expected.
 */
function post(token: string | null, urlPath: string, body: Buffer, headers: Record<string, string>, opts: { chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.baseUrl}${urlPath}`, {
      method: 'POST',
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.chunked ? {} : { 'content-length': String(body.length) }) },
    });
    req.on('response', (res) => {
      const got: Buffer[] = [];
      res.on('data', (c: Buffer) => got.push(c));
      res.on('end', () => {
        const text = Buffer.concat(got).toString();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
      });
    });
    req.on('error', (err) => reject(err));
    const step = 64 * 1024;
    for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
    req.end();
  });
}

function upload(token: string | null, file: Buffer, filename: string, type = 'application/octet-stream', opts: { chunked?: boolean } = {}) {
  const m = multipart([{ name: 'file', filename, type, body: file }]);
  return post(token, '/api/v1/uploads', m.body, { 'content-type': m.contentType }, opts);
}

async function uploaded(token: string, file: Buffer, filename: string, type?: string): Promise<{ id: number; filename: string; contentType: string; size: number; url: string }> {
  const r = await upload(token, file, filename, type);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const storedFile = (b: Buffer) => path.join(storageDir, 'attachments', sha(b).slice(0, 2), sha(b));
const tempFiles = () => (fs.existsSync(uploadTempDir(storageDir)) ? fs.readdirSync(uploadTempDir(storageDir)) : []);

async function rowsOf(userId: number) {
  return h.orm.em
    .fork()
    .execute<{ id: number; ticket_id: number | null; message_id: number | null; filename: string; sha256: string }[]>(
      'select id, ticket_id, message_id, filename, sha256 from attachments where uploaded_by = ? order by id',
      [userId],
    );
}

/** Nothing of a refused upload remains: no new row of the user, no file of those bytes, no temporary file. */
async function expectNothingStored(userId: number, rowsBefore: number, bytes: Buffer) {
  expect(await rowsOf(userId)).toHaveLength(rowsBefore);
  expect(fs.existsSync(storedFile(bytes))).toBe(false);
  await eventually(async () => tempFiles().length === 0, 'temporary upload files to be removed', 5000, 50);
}

async function download(token: string | null, url: string) {
  const r = await fetch(`${h.baseUrl}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

const setting = (body?: unknown, token = tokens.admin) => h.call(token, body === undefined ? 'GET' : 'PUT', '/api/v1/settings/uploads', body);
const limitsOf = (over: Partial<{ maxFileBytes: number; maxFilesPerMessage: number; allowedTypes: string[] }>) => ({
  maxFileBytes: 25 * 1024 * 1024,
  maxFilesPerMessage: 10,
  allowedTypes: [],
  ...over,
});

beforeAll(async () => {
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-uploads-'));
  h = await startHarness({ env: { STORAGE_DIR: storageDir, RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' } });
  tokens = {
    admin: await h.login(h.fx.users.admin.email),
    agent: await h.login(h.fx.users.agent1.email),
    customerA: await h.login(h.fx.users.customer.email),
    customerB: await h.login(h.fx.users.customer2.email),
  };
});
// Put back what the environment decides, for the files that follow.
afterEach(() => h.orm.em.fork().execute(`delete from settings where key = 'uploads'`));
afterAll(async () => {
  await h?.close();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

describe('POST /uploads', () => {
  it('streams a file to its content address and answers a pending attachment of the uploader', async () => {
    const bytes = Buffer.concat([PNG, randomBytes(16)]); // still a PNG by its signature, unique bytes
    const r = await upload(tokens.customerA, bytes, 'screen.png', 'image/png');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toEqual({ id: expect.any(Number), filename: 'screen.png', contentType: 'image/png', size: bytes.length, url: `/api/v1/attachments/${r.body.id}` });
    expect(r.headers.location).toBe(r.body.url);
    expect(fs.readFileSync(storedFile(bytes)).equals(bytes)).toBe(true);
    const [row] = await h.orm.em.fork().execute('select ticket_id, message_id, uploaded_by, sha256, storage_path from attachments where id = ?', [r.body.id]);
    expect(row).toEqual({ ticket_id: null, message_id: null, uploaded_by: h.fx.users.customer.id, sha256: sha(bytes), storage_path: path.join('attachments', sha(bytes).slice(0, 2), sha(bytes)) });
    expect(tempFiles()).toEqual([]);

    // The uploader may fetch it while pending, with the safe headers; nobody else learns it exists.
    const own = await download(tokens.customerA, r.body.url);
    expect(own.status).toBe(200);
    expect(own.bytes.equals(bytes)).toBe(true);
    expect(own.headers.get('content-security-policy')).toMatch(/^sandbox;/);
    expect(own.headers.get('x-content-type-options')).toBe('nosniff');
    for (const other of [tokens.customerB, tokens.admin, tokens.agent]) expect((await download(other, r.body.url)).status).toBe(404);
    expect((await h.call(tokens.customerB, 'POST', `/api/v1/attachments/${r.body.id}/link`)).status).toBe(404);
    expect((await download(null, r.body.url)).status).toBe(401);
  });

  it('types a file by its bytes: a PNG sent as octet-stream is an image, text keeps its claim', async () => {
    const png = await uploaded(tokens.customerA, Buffer.concat([PNG, randomBytes(8)]), 'unlabelled.bin');
    expect(png.contentType).toBe('image/png');
    const csv = await uploaded(tokens.customerA, Buffer.from(`a,b\n1,${Math.random()}\n`), 'گزارش نهایی.csv', 'text/csv');
    expect(csv).toMatchObject({ contentType: 'text/csv', filename: 'گزارش نهایی.csv' });
    const svg = await uploaded(tokens.customerA, Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(${Math.random()})</script></svg>`), 'logo.svg', 'image/svg+xml');
    expect(svg.contentType).toBe('application/octet-stream'); // never rendered: downloaded
  });

  it('refuses a file over the size limit while streaming it (413 naming body.file), storing nothing', async () => {
    expect((await setting(limitsOf({ maxFileBytes: 4096 }))).status).toBe(200);
    expect((await h.call(tokens.customerA, 'GET', '/api/v1/uploads/limits')).body).toMatchObject({ maxFileBytes: 4096 });
    const before = (await rowsOf(h.fx.users.customer.id)).length;
    const big = Buffer.concat([PDF, randomBytes(128 * 1024)]);
    // Without Content-Length: only the stream tells the size.
    const streamed = await upload(tokens.customerA, big, 'big.pdf', 'application/pdf', { chunked: true });
    expect(streamed.status).toBe(413);
    expect(streamed.body.error).toMatchObject({ code: 'file_too_large', fields: [{ path: 'body.file', message: 'At most 4096 bytes' }] });
    await expectNothingStored(h.fx.users.customer.id, before, big);
    // With a Content-Length over the limit: refused before reading.
    const declared = await upload(tokens.customerA, big, 'big.pdf', 'application/pdf');
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('file_too_large');
    await expectNothingStored(h.fx.users.customer.id, before, big);
    // Exactly the limit is fine; one byte more is not.
    const over = Buffer.concat([PDF, randomBytes(4097 - PDF.length)]);
    expect((await upload(tokens.customerA, over, 'over.pdf', 'application/pdf', { chunked: true })).status).toBe(413);
    await expectNothingStored(h.fx.users.customer.id, before, over);
    expect((await upload(tokens.customerA, over.subarray(0, 4096), 'fits.pdf', 'application/pdf')).status).toBe(201);
  });

  it('refuses disguised files (415 file_type_mismatch) and types admins did not allow (415 file_type_not_allowed)', async () => {
    const before = (await rowsOf(h.fx.users.customer.id)).length;
    const page = Buffer.concat([HTML, Buffer.from(`<!-- ${Math.random()} -->`)]);
    const asImage = await upload(tokens.customerA, page, 'photo.png', 'image/png');
    expect(asImage.status).toBe(415);
    expect(asImage.body.error).toMatchObject({ code: 'file_type_mismatch', fields: [{ path: 'body.file' }] });
    // The name alone lies: a PNG named .pdf, sent as a generic type.
    const png = Buffer.concat([PNG, randomBytes(8)]);
    const byName = await upload(tokens.customerA, png, 'invoice.pdf', 'application/octet-stream');
    expect(byName.status).toBe(415);
    expect(byName.body.error.message).toContain('application/pdf');
    await expectNothingStored(h.fx.users.customer.id, before, page);
    await expectNothingStored(h.fx.users.customer.id, before, png);

    expect((await setting(limitsOf({ allowedTypes: ['image/*', 'application/pdf'] }))).status).toBe(200);
    const csv = Buffer.from(`x,y\n${Math.random()},2\n`);
    const refused = await upload(tokens.customerA, csv, 'data.csv', 'text/csv');
    expect(refused.status).toBe(415);
    expect(refused.body.error).toMatchObject({ code: 'file_type_not_allowed', fields: [{ path: 'body.file' }] });
    await expectNothingStored(h.fx.users.customer.id, before, csv);
    expect((await upload(tokens.customerA, png, 'ok.png', 'image/png')).status).toBe(201);
  });

  it('refuses malformed requests with 4xx naming the field, never 5xx', async () => {
    const before = (await rowsOf(h.fx.users.customer.id)).length;
    const json = await h.call(tokens.customerA, 'POST', '/api/v1/uploads', { file: 'x' });
    expect(json.status).toBe(415);
    expect(json.body.error.fields[0].path).toBe('body.file');
    const noBoundary = await post(tokens.customerA, '/api/v1/uploads', Buffer.from('x'), { 'content-type': 'multipart/form-data' });
    expect(noBoundary.status).toBe(400);
    expect(noBoundary.body.error.fields[0].path).toBe('headers.content-type');
    const noFile = multipart([]);
    expect((await post(tokens.customerA, '/api/v1/uploads', noFile.body, { 'content-type': noFile.contentType })).body.error.fields).toEqual([{ path: 'body.file', message: 'Required' }]);
    const field = multipart([
      { name: 'note', body: Buffer.from('hi') },
      { name: 'file', filename: 'a.txt', body: Buffer.from('a') },
    ]);
    const withField = await post(tokens.customerA, '/api/v1/uploads', field.body, { 'content-type': field.contentType });
    expect(withField.status).toBe(400);
    expect(withField.body.error.fields[0].path).toBe('body.note');
    const wrongName = multipart([{ name: 'upload', filename: 'a.txt', body: Buffer.from('a') }]);
    expect((await post(tokens.customerA, '/api/v1/uploads', wrongName.body, { 'content-type': wrongName.contentType })).body.error.fields[0].path).toBe('body.upload');
    const two = multipart([
      { name: 'file', filename: 'a.txt', body: Buffer.from('a') },
      { name: 'file', filename: 'b.txt', body: Buffer.from('b') },
    ]);
    const twice = await post(tokens.customerA, '/api/v1/uploads', two.body, { 'content-type': two.contentType });
    expect(twice.status).toBe(400);
    expect(twice.body.error.fields[0]).toEqual({ path: 'body.file', message: 'Send one file per request' });
    const empty = await upload(tokens.customerA, Buffer.alloc(0), 'empty.txt', 'text/plain');
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: 'empty_file', fields: [{ path: 'body.file' }] });
    const truncated = Buffer.from('--abc\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello');
    const cut = await post(tokens.customerA, '/api/v1/uploads', truncated, { 'content-type': 'multipart/form-data; boundary=abc' });
    expect(cut.status).toBe(400);
    expect(await rowsOf(h.fx.users.customer.id)).toHaveLength(before);
    expect(tempFiles()).toEqual([]);
  });

  it('cleans up after a client that goes away mid-body: no row, no file, no temporary file', async () => {
    const before = (await rowsOf(h.fx.users.customer.id)).length;
    const bytes = Buffer.concat([PDF, randomBytes(512 * 1024)]);
    const m = multipart([{ name: 'file', filename: 'half.pdf', type: 'application/pdf', body: bytes }]);
    await new Promise<void>((resolve) => {
      const req = http.request(`${h.baseUrl}/api/v1/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.customerA}`, 'content-type': m.contentType, 'content-length': String(m.body.length) },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(m.body.subarray(0, 200 * 1024), () => {
        // Let the server start writing the temporary file, then vanish.
        setTimeout(() => req.destroy(), 300);
      });
    });
    await expectNothingStored(h.fx.users.customer.id, before, bytes);
  });

  it('property: any file name (NUL, controls, bidi overrides, quotes, overlong) is stored normalised or refused, never 5xx', async () => {
    const nasty = fc.constantFrom('\u0000', '\u202e', '\u2066', '\u200f', '\ufeff', '/', '\\', '..', ' ', '\t', '"', ';', '=', 'ی', 'e\u0301', '😀', '%00', '\r\n');
    const name = fc.array(fc.oneof(nasty, fc.string({ maxLength: 4 })), { maxLength: 120 }).map((a) => a.join(''));
    await fc.assert(
      fc.asyncProperty(name, fc.constantFrom('text/plain', 'application/octet-stream', '', 'x/y; z'), async (filename, type) => {
        const r = await upload(tokens.customerB, Buffer.from(`hello ${randomBytes(6).toString('hex')}`), filename, type || undefined);
        expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
        if (r.status === 201) {
          expect(r.body.filename.length).toBeGreaterThan(0);
          expect([...r.body.filename].length).toBeLessThanOrEqual(200);
          expect(r.body.filename).not.toMatch(/[\p{Cc}\p{Cf}\\/]/u);
        } else expect(r.body.error.fields?.[0]?.path ?? '').toMatch(/^(body|headers)/);
      }),
      { numRuns: 60 },
    );
    expect(tempFiles()).toEqual([]);
  });
});

describe('attachmentIds on tickets, replies and notes', () => {
  it('attaches the uploads to a new ticket and to replies; the requester downloads public ones, never a note’s', async () => {
    const shot = await uploaded(tokens.customerA, Buffer.concat([PNG, randomBytes(8)]), 'error.png', 'image/png');
    const created = await h.call(tokens.customerA, 'POST', '/api/v1/tickets', { subject: 'Crash with screenshot', body: '<p>See attached</p>', categoryId: h.fx.categoryId, attachmentIds: [shot.id] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const ticketId = created.body.id as number;
    const first = (await h.call(tokens.customerA, 'GET', `/api/v1/tickets/${ticketId}/messages`)).body.items[0];
    expect(first.attachments).toEqual([{ id: shot.id, filename: 'error.png', contentType: 'image/png', size: shot.size, url: shot.url }]);
    expect((await download(tokens.agent, shot.url)).status).toBe(200); // staff of the group see it now

    const fix = await uploaded(tokens.agent, Buffer.concat([PDF, randomBytes(8)]), 'fix.pdf', 'application/pdf');
    const reply = await h.call(tokens.agent, 'POST', `/api/v1/tickets/${ticketId}/messages`, { body: 'Try this', attachmentIds: [fix.id] }, { 'idempotency-key': `fix-${h.fx.suffix}` });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.body.attachments).toEqual([{ id: fix.id, filename: 'fix.pdf', contentType: 'application/pdf', size: fix.size, url: fix.url }]);
    // A retry of the same request answers the same message (its upload is no longer pending).
    const retried = await h.call(tokens.agent, 'POST', `/api/v1/tickets/${ticketId}/messages`, { body: 'Try this', attachmentIds: [fix.id] }, { 'idempotency-key': `fix-${h.fx.suffix}` });
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.body.id).toBe(reply.body.id);

    const secret = await uploaded(tokens.agent, Buffer.from(`internal ${Math.random()}`), 'notes.txt', 'text/plain');
    const note = await h.call(tokens.agent, 'POST', `/api/v1/tickets/${ticketId}/messages`, { body: 'internal', internal: true, attachmentIds: [secret.id] });
    expect(note.status, JSON.stringify(note.body)).toBe(201);

    const seen = (await h.call(tokens.customerA, 'GET', `/api/v1/tickets/${ticketId}/messages`)).body.items;
    const names = seen.flatMap((m: { attachments: { filename: string }[] }) => m.attachments.map((a) => a.filename));
    expect(names).toEqual(['error.png', 'fix.pdf']);
    expect((await download(tokens.customerA, fix.url)).bytes.subarray(0, 8).toString()).toBe('%PDF-1.7');
    expect((await download(tokens.customerA, secret.url)).status).toBe(404);
    expect((await h.call(tokens.customerA, 'POST', `/api/v1/attachments/${secret.id}/link`)).status).toBe(404);
    expect((await download(tokens.agent, secret.url)).status).toBe(200);
    // Another customer sees none of it.
    for (const f of [shot, fix, secret]) expect((await download(tokens.customerB, f.url)).status).toBe(404);
  });

  it('an agent creates a ticket for a new e-mail with an upload of their own', async () => {
    const form = await uploaded(tokens.agent, Buffer.concat([PDF, randomBytes(8)]), 'form.pdf', 'application/pdf');
    const email = `walk-in-${h.fx.suffix}@customer.example`;
    const r = await h.call(tokens.agent, 'POST', '/api/v1/tickets', {
      subject: 'Phoned in',
      body: '<p>Form attached</p>',
      requesterEmail: email,
      requesterName: 'Walk In',
      groupId: h.fx.groups.support,
      attachmentIds: [form.id],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.requester).toMatchObject({ email, name: 'Walk In' });
    const [m] = (await h.call(tokens.agent, 'GET', `/api/v1/tickets/${r.body.id}/messages`)).body.items;
    expect(m.attachments.map((a: { id: number }) => a.id)).toEqual([form.id]);
  });

  it("refuses someone else's, used, repeated, unknown or too many uploads with 422 naming attachmentIds.i, and links nothing", async () => {
    const mine = await uploaded(tokens.customerB, Buffer.from(`b ${Math.random()}`), 'b.txt', 'text/plain');
    const theirs = await uploaded(tokens.customerA, Buffer.from(`a ${Math.random()}`), 'a.txt', 'text/plain');
    const tickets = async () => Number((await h.orm.em.fork().execute<{ n: number }[]>('select count(*)::int as n from tickets where requester_id = ?', [h.fx.users.customer2.id]))[0]!.n);
    const before = await tickets();
    const create = (ids: number[]) => h.call(tokens.customerB, 'POST', '/api/v1/tickets', { subject: 'x', body: 'y', categoryId: h.fx.categoryId, attachmentIds: ids });

    const stolen = await create([mine.id, theirs.id]);
    expect(stolen.status).toBe(422);
    expect(stolen.body.error.fields).toEqual([{ path: 'body.attachmentIds.1', message: `No pending upload ${theirs.id} of yours (upload the file first; an upload can be used once)` }]);
    const unknown = await create([2147483647]);
    expect(unknown.body.error.fields[0]).toMatchObject({ path: 'body.attachmentIds.0', message: stolen.body.error.fields[0].message.replace(String(theirs.id), '2147483647') });
    expect((await create([mine.id, mine.id])).body.error.fields).toEqual([{ path: 'body.attachmentIds.1', message: `Upload ${mine.id} is listed twice` }]);
    expect((await create([0])).status).toBe(400);

    expect((await setting(limitsOf({ maxFilesPerMessage: 2 }))).status).toBe(200);
    const more = [
      await uploaded(tokens.customerB, Buffer.from(`c ${Math.random()}`), 'c.txt', 'text/plain'),
      await uploaded(tokens.customerB, Buffer.from(`d ${Math.random()}`), 'd.txt', 'text/plain'),
    ];
    const tooMany = await create([mine.id, ...more.map((m) => m.id)]);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.fields).toEqual([{ path: 'body.attachmentIds.2', message: 'At most 2 files per message' }]);
    expect(await tickets()).toBe(before);
    // Nothing was linked by the refused requests: every upload is still pending.
    for (const u of [mine, theirs, ...more]) expect((await h.orm.em.fork().execute('select ticket_id from attachments where id = ?', [u.id]))[0]).toEqual({ ticket_id: null });

    // Used once, an upload cannot be listed again (not even by its owner).
    const ok = await create([mine.id]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const reuse = await h.call(tokens.customerB, 'POST', `/api/v1/tickets/${ok.body.id}/messages`, { body: 'again', attachmentIds: [mine.id] });
    expect(reuse.status).toBe(422);
    expect(reuse.body.error.fields[0].path).toBe('body.attachmentIds.0');
    // Customer A cannot attach B's upload to a reply of A's own ticket either.
    const own = await h.call(tokens.customerA, 'POST', '/api/v1/tickets', { subject: 'mine', body: 'mine', categoryId: h.fx.categoryId });
    const cross = await h.call(tokens.customerA, 'POST', `/api/v1/tickets/${own.body.id}/messages`, { body: 'take it', attachmentIds: [more[0]!.id] });
    expect(cross.status).toBe(422);
    expect((await download(tokens.customerA, more[0]!.url)).status).toBe(404);
  });
});

describe('settings and limits', () => {
  it('GET /uploads/limits for everyone signed in; admins choose the limits, validated', async () => {
    expect((await h.call(tokens.customerA, 'GET', '/api/v1/uploads/limits')).body).toEqual({ maxFileBytes: 25 * 1024 * 1024, maxFilesPerMessage: 10, allowedTypes: [], pendingHours: 24 });
    expect((await setting()).body).toEqual({ maxFileBytes: 25 * 1024 * 1024, maxFilesPerMessage: 10, allowedTypes: [], source: 'default' });
    expect((await setting(limitsOf({ maxFileBytes: 2048, allowedTypes: ['IMAGE/*', 'application/pdf'] }))).body).toEqual({
      maxFileBytes: 2048,
      maxFilesPerMessage: 10,
      allowedTypes: ['image/*', 'application/pdf'],
      source: 'admin',
    });
    const bad = await setting({ maxFileBytes: 2 ** 31, maxFilesPerMessage: 0, allowedTypes: ['nonsense', 'image/*', 'image/*'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: { path: string }) => f.path).sort()).toEqual(['body.allowedTypes', 'body.allowedTypes.0', 'body.maxFileBytes', 'body.maxFilesPerMessage']);
    expect((await setting(limitsOf({}), tokens.agent)).status).toBe(403);
  });
});

describe('sweeping unused uploads', () => {
  it('deletes stale pending rows and their files unless another row shares the bytes; keeps attached and fresh ones', async () => {
    const em = h.orm.em.fork();
    const shared = Buffer.from(`shared ${Math.random()}`);
    const lonely = Buffer.from(`lonely ${Math.random()}`);
    const stale = await uploaded(tokens.customerA, lonely, 'lonely.txt', 'text/plain');
    const staleShared = await uploaded(tokens.customerA, shared, 'copy.txt', 'text/plain');
    const attached = await uploaded(tokens.customerA, shared, 'kept.txt', 'text/plain');
    const fresh = await uploaded(tokens.customerA, Buffer.from(`fresh ${Math.random()}`), 'fresh.txt', 'text/plain');
    const t = await h.call(tokens.customerA, 'POST', '/api/v1/tickets', { subject: 'keep', body: 'keep', categoryId: h.fx.categoryId, attachmentIds: [attached.id] });
    expect(t.status).toBe(201);
    await em.execute(`update attachments set created_at = now() - interval '2 days' where id = any(?::int[])`, [`{${stale.id},${staleShared.id},${attached.id}}`]);

    const swept = await sweepPendingUploads(em, storageDir, new Date(Date.now() - 24 * 3600_000));
    expect(swept.rows).toBeGreaterThanOrEqual(2);
    const left = (await em.execute<{ id: number }[]>('select id from attachments where id = any(?::int[])', [`{${stale.id},${staleShared.id},${attached.id},${fresh.id}}`])).map((r) => r.id).sort();
    expect(left).toEqual([attached.id, fresh.id].sort());
    expect(fs.existsSync(storedFile(lonely))).toBe(false);
    expect(fs.existsSync(storedFile(shared))).toBe(true);
    expect((await download(tokens.customerA, attached.url)).bytes.equals(shared)).toBe(true);
  });

  it('removes temporary files of uploads that died with their process, and only those', async () => {
    const dir = uploadTempDir(storageDir);
    fs.mkdirSync(dir, { recursive: true });
    const dead = path.join(dir, 'dead.part');
    const live = path.join(dir, 'live.part');
    fs.writeFileSync(dead, 'x');
    fs.writeFileSync(live, 'y');
    const old = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(dead, old, old);
    expect(await sweepUploadTemp(storageDir, 3600_000)).toBe(1);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    fs.rmSync(live);
  });
});
