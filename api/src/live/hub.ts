import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '@mehrdesk/core/logger';
import type { LiveEvent } from '@mehrdesk/core/live-events';
import type { AuthUser } from '../auth/authenticate';
import type { LiveListener } from './listener';
import { eventFor } from './visibility';
import { pgArray } from '@mehrdesk/core/db';

// Fan-out of live events to this process's SSE streams. Each event is filtered per stream by
// what its user may see (visibility.ts); a heartbeat comment keeps proxies and clients from
// timing idle streams out, and every 4th beat (a minute by default) the streams' tokens and
// group memberships are re-read in one query, so a logout or a group change reaches open streams.

/** Client reconnect delay (the SSE `retry:` field). */
export const RETRY_MS = 3_000;
const REFRESH_EVERY_HEARTBEATS = 4;
/** A stream whose client does not read this much is dropped; it reconnects and resyncs. */
const MAX_BUFFERED_BYTES = 1_000_000;

interface Stream {
  user: AuthUser;
  /** Null for credentials other than a bearer token: those are not re-checked. */
  tokenHash: string | null;
  res: Response;
}

export interface LiveHub {
  /** Wait for the LISTEN connection (so nothing committed after the stream opened is missed). */
  ready(timeoutMs: number): Promise<void>;
  /** Start streaming to `res`; returns the function that detaches it. */
  attach(res: Response, user: AuthUser, tokenHash: string | null, opts: { resume: boolean }): () => void;
  /** Streams currently open in this process. */
  size(): number;
  /** Streams `userId` has open in this process (the route caps them per user). */
  openBy(userId: number): number;
  close(): Promise<void>;
}

const frame = (id: string, event: string, data: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export function createLiveHub(listener: LiveListener, orm: MikroORM, log: Logger, heartbeatMs: number): LiveHub {
  const streams = new Set<Stream>();
  // Event ids: this process's boot id and a sequence; the same event has the same id on every stream.
  const boot = randomBytes(4).toString('hex');
  let seq = 0;
  const nextId = () => `${boot}-${++seq}`;
  let beats = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  function write(s: Stream, chunk: string) {
    if (s.res.writableEnded || s.res.destroyed) return;
    if (s.res.writableLength > MAX_BUFFERED_BYTES) {
      log.warn({ userId: s.user.id }, 'live events: client is not reading; stream dropped');
      detach(s);
      s.res.destroy(); // not end(): that would queue behind what it does not read
      return;
    }
    s.res.write(chunk);
  }

  function detach(s: Stream) {
    streams.delete(s);
    if (streams.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  const unsubscribe = listener.subscribe({
    event(e: LiveEvent) {
      if (streams.size === 0) return;
      const id = nextId();
      for (const s of streams) {
        const visible = eventFor(s.user, e);
        if (visible) write(s, frame(id, visible.type, visible));
      }
    },
    resync() {
      const id = nextId();
      for (const s of streams) write(s, frame(id, 'resync', { reason: 'reconnected' }));
    },
  });

  async function refreshUsers() {
    const hashes = [...new Set([...streams].flatMap((s) => (s.tokenHash ? [s.tokenHash] : [])))];
    if (hashes.length === 0) return;
    const rows = await orm.em.fork().execute<{ token_hash: string; role: AuthUser['role']; organization_id: number | null; group_ids: number[] | null }[]>(
      `select t.token_hash, u.role, u.organization_id,
              array(select gm.group_id from group_members gm where gm.user_id = u.id order by gm.group_id) as group_ids
         from auth_tokens t join users u on u.id = t.user_id
        where t.token_hash = any(?::text[]) and t.expires_at > now() and u.active`,
      [pgArray(hashes)],
    );
    const byHash = new Map(rows.map((r) => [r.token_hash, r]));
    for (const s of streams) {
      if (!s.tokenHash) continue;
      const r = byHash.get(s.tokenHash);
      if (!r) {
        // Logged out, expired or deactivated: the stream ends like any other request would be refused.
        write(s, frame(nextId(), 'end', { reason: 'unauthorized' }));
        detach(s);
        s.res.end();
        continue;
      }
      s.user = { ...s.user, role: r.role, organizationId: r.organization_id, groupIds: r.group_ids ?? [] };
    }
  }

  function heartbeat() {
    for (const s of streams) write(s, `: heartbeat ${new Date().toISOString()}\n\n`);
    if (++beats % REFRESH_EVERY_HEARTBEATS === 0) refreshUsers().catch((err: unknown) => log.warn({ err }, 'live events: could not re-check stream tokens'));
  }

  return {
    ready: (timeoutMs) => listener.ready(timeoutMs),
    attach(res, user, tokenHash, opts) {
      const s: Stream = { user, tokenHash, res };
      streams.add(s);
      if (!timer) timer = setInterval(heartbeat, heartbeatMs);
      res.write(`retry: ${RETRY_MS}\n\n`);
      write(s, frame(nextId(), 'ready', { userId: user.id, heartbeatSeconds: heartbeatMs / 1000 }));
      // A client coming back (Last-Event-ID) may have missed events: tell it to refetch.
      if (opts.resume) write(s, frame(nextId(), 'resync', { reason: 'resumed' }));
      return () => detach(s);
    },
    size: () => streams.size,
    openBy(userId) {
      let n = 0;
      for (const s of streams) if (s.user.id === userId) n++;
      return n;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
      unsubscribe();
      for (const s of streams) {
        write(s, frame(nextId(), 'end', { reason: 'shutdown' }));
        s.res.end();
      }
      streams.clear();
      await listener.close();
    },
  };
}
