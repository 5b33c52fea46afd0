import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '@mehrdesk/core/config';
import { createLogger } from '@mehrdesk/core/logger';
import { openOrm, type MikroORM } from '@mehrdesk/core/db';
import { buildApp } from '@mehrdesk/api';
import { apiDbTimeouts } from '@mehrdesk/api/db-timeouts';
import { createTicketWorker } from '@mehrdesk/worker/create-worker';
import { createMailer } from '@mehrdesk/worker/email/mailer';
import { createFixtures, PASSWORD, type FixtureOptions, type Fixtures } from './fixtures';
import { startInboundChannel, type InboundChannel } from '@mehrdesk/worker/inbound/channel';
import { startSearchIndexing, type SearchIndexing } from '@mehrdesk/worker/search/indexing';
import { createSearchBackend } from '@mehrdesk/search/select-backend';
import { pendingChanges, type SearchBackend } from '@mehrdesk/search';

// Integration-test harness over the real stack `./mehrdesk test` started (PostgreSQL, Temporal
// dev server, SMTP catcher): the API listens on a random port and a worker polls a task queue
// private to this test file, so files never process each other's workflows.

let runtimeInstalled = false;

export interface Harness {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  baseUrl: string;
  mailUrl: string;
  fx: Fixtures;
  worker: Worker | null;
  search: SearchBackend;
  /** The search indexer (outbox listener + drain queue), when started with `search: true`. */
  indexing: SearchIndexing | null;
  /** Resolves once every change written so far is in the search index (needs `search: true`). */
  searchCaughtUp(): Promise<void>;
  /** The inbound mail channel (SMTP listener + queue), when started with `inbound: true`. */
  inbound: InboundChannel | null;
  login(email: string, password?: string): Promise<string>;
  call(token: string | null, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run integration tests through ./mehrdesk test`);
  return v;
}

export async function startHarness(opts: { fixtures?: FixtureOptions; worker?: boolean; env?: Record<string, string>; inbound?: boolean; search?: boolean } = {}): Promise<Harness> {
  requireEnv('DATABASE_URL');
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  // Test files share two cores and create tickets in bursts: the age bound of admission control
  // (seconds a workflow task may wait) is off unless a test sets it; admission.int.test.ts tests the gate.
  // Every file's anonymous requests come from 127.0.0.1 and count in one Redis: their per-client
  // budget is off unless a test sets it (sign-in-security.int.test.ts tests it).
  const config = loadConfig({ ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, ADMISSION_MAX_BACKLOG_SECONDS: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000', ...opts.env });
  const log = createLogger('test', process.env.LOG_LEVEL ?? 'warn');
  // The API's database timeouts, as api/src/main.ts sets them (the in-process worker shares them).
  const orm = await openOrm(config.DATABASE_URL, { poolMax: 10, timeouts: apiDbTimeouts(config) });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const mailer = createMailer(config.SMTP_URL);
  const fx = await createFixtures(orm.em.fork(), opts.fixtures);
  const search = createSearchBackend(config, orm);
  const app = buildApp({ config, orm, temporal, log, search });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let worker: Worker | null = null;
  let running: Promise<void> | null = null;
  const inbound = opts.inbound ? await startInboundChannel({ config, orm, temporal, log }, { smtpPort: 0 }) : null;
  const indexing = opts.search ? await startSearchIndexing({ config, orm, log, backend: search }) : null;
  const h: Harness = {
    config,
    orm,
    temporal,
    baseUrl,
    mailUrl: requireEnv('MAIL_CATCHER_URL'),
    fx,
    inbound,
    search,
    indexing,
    async searchCaughtUp() {
      if (!indexing) throw new Error('searchCaughtUp() needs startHarness({ search: true })');
      await eventually(async () => (await pendingChanges(orm.em.fork())) === 0, 'the search outbox to drain', 30_000, 50);
    },
    get worker() {
      return worker;
    },
    async login(email, password = PASSWORD) {
      const r = await h.call(null, 'POST', '/api/v1/auth/login', { email, password });
      if (r.status !== 200) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async call(token, method, path, body, headers = {}) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async startWorker() {
      const w = await createTicketWorker({ config, orm, mailer, log, connection: undefined, taskQueue, temporal });
      worker = w.worker;
      running = w.worker.run().finally(() => w.connection.close());
    },
    async stopWorker() {
      if (!worker) return;
      worker.shutdown();
      await running;
      worker = null;
    },
    async close() {
      await inbound?.close();
      await indexing?.close();
      await search.close();
      await (app.locals.close as () => Promise<void>)();
      await h.stopWorker();
      await new Promise((r) => server.close(r));
      server.closeAllConnections?.();
      await connection.close();
      mailer.close();
      await orm.close();
    },
  };
  if (opts.worker !== false) await h.startWorker();
  return h;
}

/** Poll until `fn` returns a truthy value (or time out with the last value in the message). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as T;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}
