import type { MikroORM, PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Logger } from '@mehrdesk/core/logger';
import { LIVE_EVENTS_CHANNEL, type LiveEvent } from '@mehrdesk/core/live-events';
import { CONFIG_CHANNEL, type ConfigCache } from '@mehrdesk/core/services/config-cache';

// One dedicated PostgreSQL connection per API process LISTENs on the live-events channel. It is
// a `pg` client built from the ORM's own driver and connection options (not taken from the
// ORM's pool, which it would hold forever). A dropped connection is re-opened with backoff;
// events published while it was down are lost, so subscribers are told to resync. The same
// connection hears configuration changes (config-cache.ts): the cache is on only while it listens.

/** The parts of a `pg` Client used here (the driver ships without type declarations). */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  on(event: 'end', fn: () => void): void;
  removeAllListeners(): void;
}

export interface LiveSubscriber {
  event(e: LiveEvent): void;
  /** The connection was re-established: events may have been missed. */
  resync(): void;
}

export interface LiveListener {
  /** Resolves once LISTEN is active (the first call opens the connection). */
  ready(timeoutMs: number): Promise<void>;
  subscribe(s: LiveSubscriber): () => void;
  close(): Promise<void>;
}

/** Connection names carry the pid, so ops (and tests) can find this process's listener. */
export const listenerApplicationName = (pid = process.pid) => `mehrdesk-live:${pid}`;

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 30_000;

export function createLiveListener(orm: MikroORM, log: Logger, configCache?: ConfigCache): LiveListener {
  const subscribers = new Set<LiveSubscriber>();
  let client: PgClient | null = null;
  let listening = false;
  let everListened = false;
  let started = false;
  let closed = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let waiters: (() => void)[] = [];

  function retryLater(err: unknown) {
    if (closed) return;
    failures++;
    // Exponential backoff with jitter, so replicas do not reconnect in lockstep after an outage.
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
    // Logged once per outage at warn level, then quietly until it is back.
    log[failures === 1 ? 'warn' : 'debug']({ err, retryInMs: Math.round(delay) }, 'live events: LISTEN connection lost; reconnecting');
    retryTimer = setTimeout(() => void open(), delay);
  }

  async function open(): Promise<void> {
    retryTimer = null;
    if (closed) return;
    let c: PgClient;
    try {
      const connection = orm.em.getConnection() as unknown as PostgreSqlConnection;
      const pool = (await connection.getNativeClient()) as unknown as { Client: new (options: unknown) => PgClient };
      if (closed) return;
      c = new pool.Client(connection.mapOptions({ application_name: listenerApplicationName(), keepAlive: true } as never));
    } catch (err) {
      retryLater(err);
      return;
    }
    client = c;
    let dropped = false;
    const drop = (err?: Error) => {
      if (dropped) return;
      dropped = true;
      listening = false;
      configCache?.listening(false);
      c.removeAllListeners();
      c.on('error', () => {}); // late socket errors of a client we gave up on
      void c.end().catch(() => {});
      if (client === c) client = null;
      retryLater(err);
    };
    c.on('error', drop);
    c.on('end', () => drop());
    c.on('notification', (msg) => {
      if (msg.channel === CONFIG_CHANNEL) return configCache?.invalidate();
      if (msg.channel !== LIVE_EVENTS_CHANNEL || !msg.payload) return;
      let event: LiveEvent;
      try {
        event = JSON.parse(msg.payload) as LiveEvent;
      } catch (err) {
        log.warn({ err }, 'live events: unreadable payload ignored');
        return;
      }
      for (const s of subscribers) s.event(event);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${LIVE_EVENTS_CHANNEL}`);
      if (configCache) await c.query(`LISTEN ${CONFIG_CHANNEL}`);
    } catch (err) {
      drop(err as Error);
      return;
    }
    if (dropped || closed) return;
    listening = true;
    configCache?.listening(true);
    failures = 0;
    if (everListened) {
      log.info('live events: LISTEN connection restored');
      for (const s of subscribers) s.resync();
    }
    everListened = true;
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  }

  return {
    ready(timeoutMs) {
      if (closed) return Promise.reject(new Error('live events are shut down'));
      if (!started) {
        started = true;
        void open();
      }
      if (listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== done);
          reject(new Error('the live-events connection to PostgreSQL is not available'));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push(done);
      });
    },
    subscribe(s) {
      subscribers.add(s);
      return () => subscribers.delete(s);
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      subscribers.clear();
      const c = client;
      client = null;
      listening = false;
      configCache?.listening(false);
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
    },
  };
}
