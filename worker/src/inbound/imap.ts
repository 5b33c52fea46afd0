import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import { AuthenticationFailure, ImapFlow, type ImapFlowError } from 'imapflow';
import { parseImapUrl, type Config, type ImapAfter, type ImapServer } from '@mehrdesk/core/config';
import { acceptInbound, MAX_MESSAGE_BYTES } from './accept';
import { parseInbound } from './parse';
import type { InboundDeps } from './processor';

// The IMAP inbound source: unseen messages of one mailbox go through acceptInbound (the same
// storage, queue, threading and loop suppression as SMTP) and only after it has committed are
// they marked \Seen, moved or deleted. A crash in between leaves the message unseen, so it is
// fetched again, and its source key (account, folder, UIDVALIDITY, UID) makes that second
// accept return the first row: re-fetched, never lost, never processed twice. New mail is seen
// at once through IDLE where the server has it; a scan every poll interval catches the rest.
// Connection problems are logged when the state changes, not on every retry.

export interface ImapSourceOptions {
  server: ImapServer;
  /** `/`-separated folder path (the server's own delimiter is used on the wire). */
  mailbox: string;
  pollMs: number;
  after: ImapAfter;
}

/** The source's options from the validated config; null when INBOUND_IMAP_URL is unset. */
export function imapSourceOptions(config: Config): ImapSourceOptions | null {
  if (!config.INBOUND_IMAP_URL) return null;
  return {
    server: parseImapUrl(config.INBOUND_IMAP_URL),
    mailbox: config.INBOUND_IMAP_MAILBOX,
    pollMs: config.INBOUND_IMAP_POLL_SECONDS * 1000,
    after: config.INBOUND_IMAP_AFTER,
  };
}

export type ImapState = 'connecting' | 'connected' | 'reconnecting' | 'auth_failed' | 'stopped';

export interface ImapSourceStatus {
  state: ImapState;
  /** Last connection or login problem (never contains the password); null while connected. */
  error: string | null;
  /** Storing failed at the last attempt (database or Redis down); retried at the next scan. */
  storeError: string | null;
  /** Failed connection attempts since the last successful one. */
  failures: number;
  /** Completed scans of the mailbox, and when the last one finished. */
  scans: number;
  lastScanAt: Date | null;
  /** Messages this source stored, and re-fetched ones that had been stored before. */
  accepted: number;
  duplicates: number;
}

export interface ImapSource {
  status(): ImapSourceStatus;
  close(): Promise<void>;
}

const BATCH = 100;
const AUTO_IDLE_DELAY_MS = 3_000;
const MAX_IDLE_MS = 5 * 60_000;
const MAX_RECONNECT_DELAY_MS = 60_000;
/** A refused login is retried less eagerly: servers lock out accounts that keep failing. */
const MAX_AUTH_RETRY_DELAY_MS = 5 * 60_000;
const CLOSE_GRACE_MS = 5_000;
const CLOSE_TIMEOUT_MS = 15_000;

/** `/`-separated path as levels; imapflow joins them with the server's delimiter. */
const levels = (path: string): string[] => path.split('/');

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

function isAuthFailure(err: unknown): boolean {
  const e = err as ImapFlowError | undefined;
  return err instanceof AuthenticationFailure || e?.authenticationFailed === true || e?.serverResponseCode === 'AUTHENTICATIONFAILED';
}

/** A latch: fire() wakes the current wait, or the next one if nobody is waiting. */
function wakeup() {
  let pending = false;
  let wake: (() => void) | null = null;
  return {
    fire() {
      pending = true;
      wake?.();
    },
    clear() {
      pending = false;
    },
    wait(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = null;
          pending = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
      });
    },
  };
}

export function startImapSource(deps: InboundDeps, queue: Queue, opts: ImapSourceOptions): ImapSource {
  const { server } = opts;
  const log = deps.log.child({ imap: { host: server.host, port: server.port, user: server.user, mailbox: opts.mailbox } });
  const account = createHash('sha256')
    .update(JSON.stringify([server.host.toLowerCase(), server.port, server.user, opts.mailbox]))
    .digest('hex')
    .slice(0, 16);
  const status: ImapSourceStatus = { state: 'connecting', error: null, storeError: null, failures: 0, scans: 0, lastScanAt: null, accepted: 0, duplicates: 0 };
  const wake = wakeup();
  let stopping = false;
  let current: ImapFlow | null = null;
  let socketError: unknown = null;

  /** Error text for logs and status: the server's words, never the password. */
  const describe = (err: unknown): string => {
    const e = err as ImapFlowError | undefined;
    let text = isAuthFailure(err) ? `login refused${e?.responseText ? `: ${e.responseText}` : ''}` : (e?.responseText ?? e?.message ?? String(err));
    if (e?.code && !text.includes(e.code)) text = `${e.code}: ${text}`;
    return server.password.length >= 3 ? text.split(server.password).join('***') : text;
  };

  const setState = (state: ImapState, error: string | null): void => {
    const previous = status.state;
    status.state = state;
    status.error = error;
    if (state === previous) return; // the same problem again: counted in `failures`, not logged
    if (state === 'connected') log.info({ afterFailures: status.failures }, 'IMAP source connected');
    else if (state === 'auth_failed') log.error({ error }, 'IMAP login refused: check INBOUND_IMAP_URL (retrying with backoff)');
    else if (state === 'reconnecting') log.warn({ error }, 'IMAP connection problem: reconnecting with backoff');
    else if (state === 'stopped') log.info('IMAP source stopped');
  };

  const setStoreError = (error: string | null, err?: unknown): void => {
    if ((error === null) === (status.storeError === null)) {
      status.storeError = error;
      return;
    }
    status.storeError = error;
    if (error) log.error({ err }, 'could not store IMAP mail; it stays unseen in the mailbox and is retried at the next scan');
    else log.info('storing IMAP mail works again');
  };

  async function open(): Promise<ImapFlow> {
    socketError = null;
    const client = new ImapFlow({
      host: server.host,
      port: server.port,
      secure: server.secure,
      // Plain imap:// may only stay unencrypted on loopback; elsewhere STARTTLS is required, so
      // the password never crosses a network in clear text.
      ...(server.secure || isLoopback(server.host) ? {} : { doSTARTTLS: true }),
      auth: { user: server.user, pass: server.password },
      logger: false,
      clientInfo: { name: 'Mehrdesk' },
      autoIdleDelay: AUTO_IDLE_DELAY_MS,
      maxIdleTime: MAX_IDLE_MS,
      connectionTimeout: 30_000,
    });
    current = client;
    // Without an 'error' listener an emitted error would crash the worker.
    client.on('error', (err) => {
      if (current !== client) return;
      socketError = err;
      wake.fire();
    });
    client.on('close', () => {
      if (current === client) wake.fire();
    });
    client.on('exists', (e) => {
      if (current === client && e.count > e.prevCount) wake.fire();
    });
    await client.connect();
    if (opts.after.action === 'move') await ensureFolder(client, opts.after.folder);
    await client.mailboxOpen(levels(opts.mailbox));
    return client;
  }

  async function ensureFolder(client: ImapFlow, folder: string): Promise<void> {
    try {
      await client.mailboxCreate(levels(folder));
    } catch (err) {
      // Some servers refuse CREATE of an existing folder without saying ALREADYEXISTS.
      const exists = await client.status(levels(folder), { messages: true }).catch(() => false);
      if (!exists) throw err;
    }
  }

  /** Marks, moves or deletes a stored message as configured. */
  async function settle(client: ImapFlow, uid: number): Promise<void> {
    const range = String(uid);
    if (opts.after.action === 'delete') {
      await client.messageDelete(range, { uid: true });
      return;
    }
    await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
    if (opts.after.action === 'move') await client.messageMove(range, levels(opts.after.folder), { uid: true });
  }

  /** One pass over the unseen messages; false when storing failed (retry at the next scan). */
  async function scan(client: ImapFlow): Promise<boolean> {
    const mailbox = client.mailbox;
    if (!mailbox) throw new Error('the mailbox is not open');
    const found = await client.search({ seen: false, deleted: false }, { uid: true });
    const uids = (Array.isArray(found) ? found : []).filter((u) => Number.isSafeInteger(u) && u > 0).sort((a, b) => a - b);
    if (uids.length > BATCH) wake.fire(); // the rest right after this batch
    const batch = uids.slice(0, BATCH);
    const sizes = new Map<number, number>();
    if (batch.length > 0) {
      for (const m of await client.fetchAll(batch.join(','), { uid: true, size: true }, { uid: true })) sizes.set(m.uid, m.size ?? 0);
    }
    for (const uid of batch) {
      if (stopping || !client.usable) return true;
      const size = sizes.get(uid);
      if (size === undefined) continue; // expunged meanwhile
      if (size > MAX_MESSAGE_BYTES) {
        // Not fetched into memory; flagged and left in place for a person, and not seen again.
        await client.messageFlagsAdd(String(uid), ['\\Seen', '\\Flagged'], { uid: true });
        log.warn({ uid, size }, 'IMAP message over 25 MB left in the mailbox, flagged, for a person to handle');
        continue;
      }
      const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      if (!message || !message.source) continue;
      const raw = message.source;
      const sourceKey = `imap:${account}:${mailbox.uidValidity}:${uid}`;
      let accepted;
      try {
        const mail = await parseInbound(raw).catch(() => null); // the processor records unparseable mail
        accepted = await acceptInbound(deps, queue, raw, { from: mail?.from.address ?? '', to: mail?.deliveredTo ?? [] }, mail?.subject ?? '', { sourceKey });
      } catch (err) {
        setStoreError(describe(err), err);
        return false;
      }
      setStoreError(null);
      if (accepted.duplicate) {
        status.duplicates++;
        log.info({ uid, inboundId: accepted.id }, 'IMAP message had been stored before (re-fetched); not stored again');
      } else {
        status.accepted++;
        log.debug({ uid, inboundId: accepted.id }, 'IMAP message stored');
      }
      await settle(client, uid);
    }
    return true;
  }

  function retryDelay(): number {
    const cap = status.state === 'auth_failed' ? MAX_AUTH_RETRY_DELAY_MS : MAX_RECONNECT_DELAY_MS;
    return Math.min(1000 * 2 ** Math.min(status.failures - 1, 20), Math.max(1000, Math.min(opts.pollMs, cap)));
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let client: ImapFlow | null = null;
      try {
        client = await open();
        setState('connected', null); // logs how many attempts had failed
        status.failures = 0;
        while (!stopping && client.usable) {
          if (await scan(client)) {
            status.scans++;
            status.lastScanAt = new Date();
          }
          await wake.wait(opts.pollMs);
        }
        if (!stopping) throw socketError ?? new Error('the server closed the connection');
      } catch (err) {
        if (stopping) break;
        status.failures++;
        setState(isAuthFailure(err) ? 'auth_failed' : 'reconnecting', describe(err));
      } finally {
        const dead = client ?? current; // open() may have failed half-way
        current = null;
        dead?.close();
      }
      if (stopping) break;
      wake.clear(); // events of the dead connection must not cut the backoff short
      await wake.wait(retryDelay());
    }
    setState('stopped', null);
  }

  const running = run().catch((err: unknown) => log.error({ err }, 'IMAP source stopped unexpectedly'));
  log.info({ after: opts.after, pollSeconds: opts.pollMs / 1000 }, 'IMAP source starting');

  return {
    status: () => ({ ...status }),
    async close() {
      stopping = true;
      wake.fire();
      // A connect or command in flight is cut off after a grace period, and shutdown does not wait
      // for ever on a store that hangs (Redis down): an unmarked message is fetched again next time.
      const grace = setTimeout(() => current?.close(), CLOSE_GRACE_MS);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CLOSE_TIMEOUT_MS)));
      if (await Promise.race([running.then(() => false), timedOut])) log.warn('IMAP source did not stop in time; a message it was storing will be fetched again');
      clearTimeout(grace);
      clearTimeout(timer);
    },
  };
}
