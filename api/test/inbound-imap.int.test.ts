import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@mehrdesk/core/config';
import { waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { startDovecot, type DovecotHandle } from '@mehrdesk/scripts/stack/dovecot';
import { freePort } from '@mehrdesk/scripts/stack/ports';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { startInboundChannel, type InboundChannel } from '@mehrdesk/worker/inbound/channel';
import { imapSourceOptions, type ImapSourceStatus } from '@mehrdesk/worker/inbound/imap';

// Inbound e-mail from a real IMAP server (a private Dovecot): messages are delivered into the
// mailbox with IMAP APPEND and the worker's IMAP source turns them into tickets and replies
// through the same queue and processor as SMTP. Each "worker" here is an inbound channel started
// from config the way worker/src/main.ts starts it; stopping one and starting another is a
// worker restart.

const USER = 'support';
const PASSWORD = 'Imap-S3cret-9';
const WRONG_PASSWORD = 'Wrong-Pass-77';
/** A server without IDLE (and without MOVE): new mail is only found by polling. */
const NO_IDLE = 'imap_capability = IMAP4rev1 LITERAL+ UIDPLUS';
const PROCESSED = 'Mehrdesk/Processed';
/** A real 1×1 PNG, so content sniffing and the declared type agree. */
const PICTURE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let h: Harness;
let admin: string;
let dovecot: DovecotHandle;
let dataDir: string;
let imapPort: number;
const running = new Set<InboundChannel>();
const logLines: { worker: string; level: number; msg: string; [k: string]: unknown }[] = [];
const addr = (who: string) => `${who}-${h.fx.suffix}@customer.example`;

const startImapServer = (extraConfig?: string) =>
  startDovecot({ dataDir, port: imapPort, users: [{ name: USER, password: PASSWORD }], log: () => {}, logFile: path.join(dataDir, 'master.log'), extraConfig });

/** Config as the worker would load it from its environment (on this file's task queue). */
const configWith = (env: Record<string, string>) => loadConfig({ ...process.env, TEMPORAL_TASK_QUEUE: h.config.TEMPORAL_TASK_QUEUE, INBOUND_IMAP_URL: dovecot.url(USER), ...env });

/** Starts an inbound channel with the IMAP source and a log we can read; waits for its first scan unless told not to. */
async function startWorker(name: string, env: Record<string, string>, waitForScan = true): Promise<InboundChannel> {
  const config = configWith(env);
  const log = pino({ level: 'debug', base: { worker: name } }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const channel = await startInboundChannel({ config, orm: h.orm, temporal: h.temporal, log }, { imap: imapSourceOptions(config) });
  running.add(channel);
  if (waitForScan) await eventually(async () => status(channel).scans > 0 && status(channel), `first scan of ${name}`, 30_000);
  return channel;
}

async function stopWorker(channel: InboundChannel): Promise<void> {
  running.delete(channel);
  await channel.close();
}

const status = (channel: InboundChannel): ImapSourceStatus => channel.imap!.status();
const logsOf = (worker: string, msg: RegExp) => logLines.filter((l) => l.worker === worker && msg.test(l.msg));

/** A session of our own on the test mailbox (a fresh one each time: the server restarts). */
async function mailbox<T>(fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, auth: { user: USER, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

/** Composes a message and APPENDs it to INBOX; returns its Message-ID. */
async function deliver(mail: Parameters<typeof composer.sendMail>[0]): Promise<string> {
  const info = await composer.sendMail({ to: 'support@mehrdesk.local', ...mail });
  await mailbox((c) => c.append('INBOX', info.message as Buffer));
  return info.messageId;
}

/** Folders (`/`-separated) holding a message, with its flags. */
async function whereIs(messageId: string): Promise<{ folder: string; flags: string[] }[]> {
  return mailbox(async (c) => {
    const found: { folder: string; flags: string[] }[] = [];
    for (const folder of ['INBOX', PROCESSED]) {
      if (!(await c.status(folder.split('/'), { messages: true }).catch(() => false))) continue;
      const lock = await c.getMailboxLock(folder.split('/'));
      try {
        const uids = (await c.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
        for (const uid of uids) {
          const m = await c.fetchOne(String(uid), { flags: true }, { uid: true });
          found.push({ folder, flags: m ? [...(m.flags ?? [])] : [] });
        }
      } finally {
        lock.release();
      }
    }
    return found;
  });
}

interface InboundRow {
  id: number;
  status: string;
  reason: string | null;
  ticket_id: number | null;
  source_key: string | null;
}
/** Every inbound row of a message, once all are processed. */
const processed = (messageId: string) =>
  eventually(
    async () => {
      const rows = await h.orm.em.fork().execute<InboundRow[]>('select id, status, reason, ticket_id, source_key from inbound_emails where message_id = ? order by id', [messageId]);
      return rows.length > 0 && rows.every((r) => r.status !== 'received') ? rows : null;
    },
    `processing of ${messageId}`,
    30_000,
  );
const count = async (sql: string, params: unknown[] = []) => Number((await h.orm.em.fork().execute<[{ n: string }]>(sql, params))[0].n);
const messages = async (id: number) => (await h.call(admin, 'GET', `/api/v1/tickets/${id}/messages`)).body.items as { bodyText: string; channel: string }[];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-imap-test-'));
  imapPort = await freePort();
  dovecot = await startImapServer();
  h = await startHarness();
  admin = await h.login(h.fx.users.admin.email);
});

afterAll(async () => {
  for (const channel of running) await channel.close();
  await h?.close();
  await dovecot?.stop();
  // Whatever the outcome, no worker may ever have logged the mailbox password.
  const everything = JSON.stringify(logLines);
  fs.rmSync(dataDir, { recursive: true, force: true });
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(WRONG_PASSWORD);
});

describe('inbound e-mail over IMAP', () => {
  let worker: InboundChannel;
  let first: { ticketId: number; number: string; receivedMessageId: string };

  it('turns a new message into a ticket with its attachment, noticed through IDLE, and moves it to Mehrdesk/Processed', async () => {
    // Polling every 10 minutes: only IDLE can explain a pick-up within the 30 s we wait.
    worker = await startWorker('idle', { INBOUND_IMAP_POLL_SECONDS: '600' });
    expect(status(worker)).toMatchObject({ state: 'connected', error: null, accepted: 0 });
    const id = await deliver({
      from: `"Nasrin Example" <${addr('nasrin')}>`,
      subject: 'چاپگر طبقه ۳ خاموش است',
      text: 'It shows E-42 since this morning.',
      attachments: [{ filename: 'panel.png', content: PICTURE, contentType: 'image/png' }],
    });
    const [row, ...more] = await processed(id);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ status: 'ticket_created', source_key: expect.stringMatching(/^imap:[0-9a-f]{16}:\d+:\d+$/) });
    const t = (await h.call(admin, 'GET', `/api/v1/tickets/${row!.ticket_id}`)).body;
    expect(t).toMatchObject({ subject: 'چاپگر طبقه ۳ خاموش است', source: 'email', requester: { email: addr('nasrin'), name: 'Nasrin Example' } });
    const [att] = await h.orm.em
      .fork()
      .execute<{ filename: string; content_type: string; size: number; storage_path: string }[]>('select filename, content_type, size, storage_path from attachments where ticket_id = ?', [t.id]);
    expect(att).toMatchObject({ filename: 'panel.png', content_type: 'image/png', size: PICTURE.length });
    expect(fs.readFileSync(path.join(h.config.STORAGE_DIR, att!.storage_path)).equals(PICTURE)).toBe(true);
    // Marked \Seen and moved, only after it was stored.
    expect(
      await eventually(async () => {
        const where = await whereIs(id);
        return where.length === 1 && where[0]!.folder === PROCESSED ? where : null;
      }, 'the move to Mehrdesk/Processed'),
    ).toEqual([{ folder: PROCESSED, flags: expect.arrayContaining(['\\Seen']) }]);
    expect(status(worker)).toMatchObject({ accepted: 1, duplicates: 0 });

    const [received] = await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.to.some((x) => x.includes(addr('nasrin'))));
    first = { ticketId: t.id, number: t.number, receivedMessageId: received!.messageId! };
  });

  it('threads a reply to our notification, and one with the ticket token in the subject, onto that ticket', async () => {
    const reply = await deliver({ from: addr('nasrin'), subject: `Re: ${first.number}`, text: 'Restarted it, works now', inReplyTo: first.receivedMessageId, references: [first.receivedMessageId] });
    expect(await processed(reply)).toEqual([expect.objectContaining({ status: 'replied', ticket_id: first.ticketId })]);
    const token = await deliver({ from: addr('nasrin'), subject: `AW: [${first.number}] one more thing`, text: 'And the toner is low' });
    expect(await processed(token)).toEqual([expect.objectContaining({ status: 'replied', ticket_id: first.ticketId, reason: 'subject-token' })]);
    const bodies = (await messages(first.ticketId)).map((m) => [m.channel, m.bodyText]);
    expect(bodies).toEqual(
      expect.arrayContaining([
        ['email', expect.stringContaining('Restarted it')],
        ['email', expect.stringContaining('toner is low')],
      ]),
    );
  });

  it('creates nothing for an auto-reply, and still takes it out of the inbox', async () => {
    const tickets = await count('select count(*) as n from tickets');
    const before = (await messages(first.ticketId)).length;
    const auto = await deliver({
      from: addr('nasrin'),
      subject: 'Automatic reply: away',
      text: 'I am away until Monday',
      inReplyTo: first.receivedMessageId,
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    expect(await processed(auto)).toEqual([expect.objectContaining({ status: 'ignored', ticket_id: null, reason: 'auto-submitted:auto-replied' })]);
    expect(await count('select count(*) as n from tickets')).toBe(tickets);
    expect((await messages(first.ticketId)).length).toBe(before);
    await eventually(async () => (await whereIs(auto)).every((w) => w.folder === PROCESSED) || null, 'the auto-reply to be moved');
  });

  it('never processes a message twice across worker restarts, even when a crash left it unmarked', async () => {
    await stopWorker(worker);
    // Restart with `seen`: what was moved before is not in the inbox any more, so nothing comes back.
    worker = await startWorker('seen-1', { INBOUND_IMAP_AFTER: 'seen', INBOUND_IMAP_POLL_SECONDS: '2' });
    expect(status(worker)).toMatchObject({ accepted: 0, duplicates: 0 });
    const id = await deliver({ from: addr('omid'), subject: 'Cannot log in to the portal', text: 'It says my account is locked.' });
    const [row] = await processed(id);
    expect(row!.status).toBe('ticket_created');
    await eventually(async () => (await whereIs(id)).some((w) => w.folder === 'INBOX' && w.flags.includes('\\Seen')) || null, 'the message to be marked seen');
    await stopWorker(worker);

    // What a crash between storing and marking leaves behind: stored, yet unseen in the mailbox.
    await mailbox(async (c) => {
      await c.mailboxOpen('INBOX');
      const uids = (await c.search({ header: { 'message-id': id } }, { uid: true })) || [];
      expect(uids).toHaveLength(1);
      await c.messageFlagsRemove(uids, ['\\Seen'], { uid: true });
    });
    const tickets = await count('select count(*) as n from tickets');
    const inbound = await count('select count(*) as n from inbound_emails');

    worker = await startWorker('seen-2', { INBOUND_IMAP_AFTER: 'seen', INBOUND_IMAP_POLL_SECONDS: '2' });
    // Fetched again, recognised by its source key, marked this time; nothing new stored or opened.
    expect(status(worker)).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await processed(id)).toEqual([expect.objectContaining({ id: row!.id, status: 'ticket_created', ticket_id: row!.ticket_id })]);
    expect(await count('select count(*) as n from tickets')).toBe(tickets);
    expect(await count('select count(*) as n from inbound_emails')).toBe(inbound);
    expect(await whereIs(id)).toEqual([{ folder: 'INBOX', flags: expect.arrayContaining(['\\Seen']) }]);
    expect(logsOf('seen-2', /had been stored before/)).toHaveLength(1);
  });

  it('leaves a message it could not store unseen in the mailbox, and a healthy worker takes it later', async () => {
    await stopWorker(worker);
    // Storage that cannot work: a folder below a device file.
    const broken = await startWorker('broken-storage', { INBOUND_IMAP_AFTER: 'seen', INBOUND_IMAP_POLL_SECONDS: '1', STORAGE_DIR: '/dev/null/files' });
    const id = await deliver({ from: addr('leila'), subject: 'Keyboard missing keys', text: 'The Q key came off.' });
    const failing = await eventually(async () => status(broken).storeError !== null && status(broken), 'the store failure', 30_000);
    expect(failing).toMatchObject({ state: 'connected', accepted: 0, storeError: expect.stringMatching(/ENOTDIR/) });
    await new Promise((r) => setTimeout(r, 3_000)); // a few more polls fail the same way
    expect(logsOf('broken-storage', /could not store IMAP mail/)).toHaveLength(1);
    expect(await count('select count(*) as n from inbound_emails where message_id = ?', [id])).toBe(0);
    expect(await whereIs(id)).toEqual([{ folder: 'INBOX', flags: expect.not.arrayContaining(['\\Seen']) }]);
    await stopWorker(broken);

    worker = await startWorker('seen-3', { INBOUND_IMAP_AFTER: 'seen', INBOUND_IMAP_POLL_SECONDS: '2' });
    expect(await processed(id)).toEqual([expect.objectContaining({ status: 'ticket_created' })]);
    expect(status(worker)).toMatchObject({ accepted: 1, duplicates: 0 });
    await eventually(async () => (await whereIs(id)).some((w) => w.folder === 'INBOX' && w.flags.includes('\\Seen')) || null, 'the message to be marked seen');
  });

  it('reconnects after the IMAP server was down, logging the outage once, and polls a server without IDLE', async () => {
    const tag = 'seen-3';
    await dovecot.stop();
    const down = await eventually(
      async () => {
        const s = status(worker);
        return s.state === 'reconnecting' && s.failures >= 3 ? s : null;
      },
      'several failed reconnection attempts',
      60_000,
    );
    expect(down.error).toMatch(/\w/); // the reason is reported, not just a state

    dovecot = await startImapServer(NO_IDLE);
    await eventually(async () => status(worker).state === 'connected' || null, 'the reconnection', 60_000);
    // One warning for the outage and one line for the recovery, however many attempts failed.
    expect(logsOf(tag, /IMAP connection problem/)).toHaveLength(1);
    expect(logsOf(tag, /IMAP source connected/).at(-1)).toMatchObject({ afterFailures: expect.any(Number) });
    expect((logsOf(tag, /IMAP source connected/).at(-1)!.afterFailures as number) >= 3).toBe(true);

    expect(await mailbox(async (c) => c.capabilities.has('IDLE'))).toBe(false);
    const id = await deliver({ from: addr('sara'), subject: 'VPN drops every hour', text: 'Every full hour the tunnel resets.' });
    expect(await processed(id)).toEqual([expect.objectContaining({ status: 'ticket_created' })]);
    await eventually(async () => (await whereIs(id)).some((w) => w.flags.includes('\\Seen')) || null, 'the message to be marked seen');
  });

  it('reports a wrong password (status and one log line) and keeps the worker running', async () => {
    const bad = await startWorker('bad-password', { INBOUND_IMAP_URL: dovecot.url(USER).replace(encodeURIComponent(PASSWORD), WRONG_PASSWORD) }, false);
    const refused = await eventually(
      async () => {
        const s = status(bad);
        return s.state === 'auth_failed' && s.failures >= 2 ? s : null;
      },
      'repeated refused logins',
      60_000,
    );
    expect(refused).toMatchObject({ error: expect.stringMatching(/login refused/i), scans: 0, accepted: 0 });
    expect(logsOf('bad-password', /IMAP login refused/)).toEqual([expect.objectContaining({ level: 50 })]);

    // The other source of the same process goes on turning mail into tickets meanwhile.
    const id = await deliver({ from: addr('reza'), subject: 'Monitor flickers', text: 'Since the last update.' });
    expect(await processed(id)).toEqual([expect.objectContaining({ status: 'ticket_created' })]);

    await stopWorker(bad);
    expect(status(bad).state).toBe('stopped');
  });
});
