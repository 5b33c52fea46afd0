// Exercises the catcher end to end: real SMTP in (nodemailer), HTTP API and page out.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMailCatcher, type CaughtMail, type MailCatcher } from './mail-catcher';
import { clearMail, listMail, waitForMail } from './mail-catcher-client';

async function send(catcher: MailCatcher, mail: SendMailOptions, auth?: { user: string; pass: string }): Promise<void> {
  // No ignoreTLS: proves a default nodemailer SMTP URL works against the catcher.
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: catcher.smtpPort, secure: false, auth });
  try {
    await transport.sendMail(mail);
  } finally {
    transport.close();
  }
}

const PERSIAN_SUBJECT = 'پاسخ تیکت #۱۰۴۲: مشکل ورود به حساب';

describe('mail catcher', () => {
  let catcher: MailCatcher;

  beforeAll(async () => {
    catcher = await startMailCatcher({ smtpPort: 0, httpPort: 0 });
  });
  afterAll(async () => {
    await catcher?.close();
  });
  beforeEach(async () => {
    await clearMail(catcher.url);
  });

  it('listens on picked ports', () => {
    expect(catcher.smtpPort).toBeGreaterThan(0);
    expect(catcher.httpPort).toBeGreaterThan(0);
    expect(catcher.url).toBe(`http://127.0.0.1:${catcher.httpPort}`);
  });

  it('captures every field of a text+html reply', async () => {
    const before = Date.now();
    await send(catcher, {
      from: '"پشتیبانی مهردسک" <support@mehrdesk.test>',
      to: ['Customer <customer@example.com>', 'second@example.com'],
      cc: 'watcher@example.com',
      bcc: 'hidden@example.com',
      envelope: { from: 'bounces@mehrdesk.test', to: ['customer@example.com', 'second@example.com', 'watcher@example.com', 'hidden@example.com'] },
      subject: PERSIAN_SUBJECT,
      messageId: '<reply-2@mehrdesk.test>',
      inReplyTo: '<original-1@example.com>',
      references: ['<thread-0@example.com>', '<original-1@example.com>'],
      headers: { 'X-Mehrdesk-Ticket': '1042' },
      text: 'سلام،\nمشکل شما برطرف شد.',
      html: '<p dir="rtl">سلام، <b>مشکل شما برطرف شد.</b></p>',
    });

    // The server acknowledges DATA only after storing, so no polling is needed here.
    const [mail] = await listMail(catcher.url);
    expect(mail).toBeDefined();
    const m = mail!;
    expect(m.id).toMatch(/^[0-9a-z-]+$/);
    expect(Date.parse(m.receivedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(m.envelopeFrom).toBe('bounces@mehrdesk.test');
    expect(m.envelopeTo).toEqual(['customer@example.com', 'second@example.com', 'watcher@example.com', 'hidden@example.com']);
    expect(m.from).toBe('support@mehrdesk.test');
    expect(m.to).toEqual(['customer@example.com', 'second@example.com']);
    expect(m.cc).toEqual(['watcher@example.com']);
    expect(m.subject).toBe(PERSIAN_SUBJECT);
    expect(m.messageId).toBe('<reply-2@mehrdesk.test>');
    expect(m.inReplyTo).toBe('<original-1@example.com>');
    expect(m.references).toEqual(['<thread-0@example.com>', '<original-1@example.com>']);
    expect(m.headers['x-mehrdesk-ticket']).toBe('1042');
    // Encoded words are decoded in `headers`, so display names are readable.
    expect(m.headers['from']).toBe('پشتیبانی مهردسک <support@mehrdesk.test>');
    expect(m.headers['subject']).toBe(PERSIAN_SUBJECT);
    expect(m.headers['bcc']).toBeUndefined();
    expect(m.text?.trim()).toBe('سلام،\nمشکل شما برطرف شد.');
    expect(m.html?.trim()).toBe('<p dir="rtl">سلام، <b>مشکل شما برطرف شد.</b></p>');

    const one = await fetch(`${catcher.url}/api/messages/${encodeURIComponent(m.id)}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(m);

    const raw = await fetch(`${catcher.url}/api/messages/${encodeURIComponent(m.id)}/raw`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    const rawBytes = Buffer.from(await raw.arrayBuffer());
    expect(rawBytes.length).toBe(m.size);
    const rawText = rawBytes.toString('utf8');
    expect(rawText).toMatch(/^Message-ID: <reply-2@mehrdesk\.test>\r$/m);
    expect(rawText).toMatch(/^In-Reply-To: <original-1@example\.com>\r$/m);
    expect(rawText).toContain('X-Mehrdesk-Ticket: 1042');
    expect(rawText).toMatch(/^Subject: =\?UTF-8\?/m);
  });

  it('returns 404 for unknown messages and routes, 400 for a bad limit', async () => {
    expect((await fetch(`${catcher.url}/api/messages/nope`)).status).toBe(404);
    expect((await fetch(`${catcher.url}/api/messages/nope/raw`)).status).toBe(404);
    expect((await fetch(`${catcher.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${catcher.url}/api/messages?limit=abc`)).status).toBe(400);
    expect((await fetch(`${catcher.url}/api/messages`, { method: 'POST' })).status).toBe(405);
  });

  it('filters case-insensitively, limits and lists newest first', async () => {
    await send(catcher, { from: 'a@mehrdesk.test', to: 'Alice@Example.com', subject: 'Ticket #1 opened', text: '1' });
    await send(catcher, { from: 'a@mehrdesk.test', to: 'bob@example.com', subject: 'Ticket #2 opened', text: '2' });
    await send(catcher, { from: 'a@mehrdesk.test', to: 'bob@example.com', bcc: 'carol@example.com', subject: PERSIAN_SUBJECT, text: '3' });

    expect((await listMail(catcher.url)).map((m) => m.text?.trim())).toEqual(['3', '2', '1']);
    expect((await listMail(catcher.url, { to: 'alice@EXAMPLE' })).map((m) => m.text?.trim())).toEqual(['1']);
    expect((await listMail(catcher.url, { to: 'BOB@' })).map((m) => m.text?.trim())).toEqual(['3', '2']);
    // Bcc recipients are only in the envelope; the `to` filter still finds them.
    expect((await listMail(catcher.url, { to: 'carol' })).map((m) => m.text?.trim())).toEqual(['3']);
    expect((await listMail(catcher.url, { subject: 'TICKET #' })).map((m) => m.text?.trim())).toEqual(['2', '1']);
    expect((await listMail(catcher.url, { subject: 'مشکل ورود' })).map((m) => m.text?.trim())).toEqual(['3']);
    expect((await listMail(catcher.url, { limit: 2 })).map((m) => m.text?.trim())).toEqual(['3', '2']);
    expect((await listMail(catcher.url, { to: 'bob', subject: 'ticket', limit: 5 })).map((m) => m.text?.trim())).toEqual(['2']);
  });

  it('accepts optional AUTH', async () => {
    await send(catcher, { from: 'a@mehrdesk.test', to: 'x@example.com', subject: 'with auth', text: 'x' }, { user: 'u', pass: 'p' });
    expect((await listMail(catcher.url)).map((m) => m.subject)).toEqual(['with auth']);
  });

  it('deletes one message and all messages', async () => {
    await send(catcher, { from: 'a@mehrdesk.test', to: 'x@example.com', subject: 'one', text: '1' });
    await send(catcher, { from: 'a@mehrdesk.test', to: 'x@example.com', subject: 'two', text: '2' });
    const [two] = await listMail(catcher.url);
    const del = await fetch(`${catcher.url}/api/messages/${encodeURIComponent(two!.id)}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await listMail(catcher.url)).map((m) => m.subject)).toEqual(['one']);

    const clear = await fetch(`${catcher.url}/api/messages`, { method: 'DELETE' });
    expect(clear.status).toBe(204);
    expect(await listMail(catcher.url)).toEqual([]);
  });

  it('waitForMail returns matches in arrival order and explains timeouts', async () => {
    const waiting = waitForMail(catcher.url, (m) => m.subject.startsWith('wait'), { count: 2, timeoutMs: 5000 });
    await send(catcher, { from: 'a@mehrdesk.test', to: 'x@example.com', subject: 'wait 1', text: '1' });
    await send(catcher, { from: 'a@mehrdesk.test', to: 'x@example.com', subject: 'unrelated', text: '-' });
    await send(catcher, { from: 'a@mehrdesk.test', to: 'x@example.com', subject: 'wait 2', text: '2' });
    expect((await waiting).map((m) => m.subject)).toEqual(['wait 1', 'wait 2']);

    const err = await waitForMail(catcher.url, (m) => m.subject === 'never', { timeoutMs: 300 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('timed out after 300 ms');
    expect((err as Error).message).toContain('"unrelated"');
    expect((err as Error).message).toContain('"wait 2"');
  });

  it('escapes everything on the HTML page', async () => {
    const evil = '<script>alert("x")</script> & \'quotes\'';
    await send(catcher, {
      from: 'a@mehrdesk.test',
      to: 'x@example.com',
      subject: evil,
      headers: { 'X-Evil': '"><img src=x onerror=alert(1)>' },
      text: '</pre><script>alert(2)</script>',
      html: '<p>hi</p><script>alert(3)</script><iframe src="https://evil.test"></iframe>',
    });
    const [m] = await listMail(catcher.url);

    const list = await fetch(`${catcher.url}/`);
    expect(list.headers.get('content-type')).toMatch(/^text\/html/);
    expect(list.headers.get('content-security-policy')).toContain("default-src 'none'");
    const listHtml = await list.text();
    expect(listHtml).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;quotes&#39;');
    expect(listHtml).not.toMatch(/<script/i);

    const page = await (await fetch(`${catcher.url}/?id=${encodeURIComponent(m!.id)}`)).text();
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<img/i);
    expect(page).not.toContain('</pre><');
    // The HTML body only ever appears inside the sandboxed iframe's srcdoc attribute.
    expect(page).toContain('<iframe sandbox="" ');
    expect(page).toContain('srcdoc="&#60;p&#62;hi&#60;/p&#62;&#60;script&#62;alert(3)&#60;/script&#62;');
    expect(page.match(/<iframe/g)).toHaveLength(1);

    const filtered = await (await fetch(`${catcher.url}/?subject=${encodeURIComponent('"><b>')}`)).text();
    expect(filtered).toContain('value="&#34;&#62;&#60;b&#62;"');
  });
});

describe('mail catcher with a directory', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mail-catcher-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps mail across restarts and drops the oldest beyond maxMessages', async () => {
    const first = await startMailCatcher({ smtpPort: 0, httpPort: 0, dir, maxMessages: 2 });
    let before: CaughtMail[];
    let rawBefore: string;
    try {
      for (const n of [1, 2, 3]) {
        await send(first, { from: 'a@mehrdesk.test', to: 'x@example.com', subject: `${PERSIAN_SUBJECT} ${n}`, text: String(n), messageId: `<m${n}@mehrdesk.test>` });
      }
      before = await listMail(first.url);
      expect(before.map((m) => m.messageId)).toEqual(['<m3@mehrdesk.test>', '<m2@mehrdesk.test>']);
      rawBefore = await (await fetch(`${first.url}/api/messages/${encodeURIComponent(before[0]!.id)}/raw`)).text();
    } finally {
      await first.close();
    }
    expect((await readdir(dir)).sort()).toEqual(before.flatMap((m) => [`${m.id}.eml`, `${m.id}.json`]).sort());

    const second = await startMailCatcher({ smtpPort: 0, httpPort: 0, dir, maxMessages: 2 });
    try {
      expect(await listMail(second.url)).toEqual(before);
      const rawAfter = await (await fetch(`${second.url}/api/messages/${encodeURIComponent(before[0]!.id)}/raw`)).text();
      expect(rawAfter).toBe(rawBefore);

      // New mail after a restart still sorts as newest.
      await send(second, { from: 'a@mehrdesk.test', to: 'x@example.com', subject: 'after restart', text: '4' });
      expect((await listMail(second.url)).map((m) => m.subject)).toEqual(['after restart', `${PERSIAN_SUBJECT} 3`]);

      await clearMail(second.url);
      expect(await listMail(second.url)).toEqual([]);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
