import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { openOrm } from '@mehrdesk/core/db';
import { webhookRetrySettings } from '@mehrdesk/usecases/webhooks/retry';
import { stopAll, type ManagedProcess } from '../stack/processes';
import { createFixtures, PASSWORD } from '../testing/fixtures';
import { CpuMonitor, type CpuGroup } from './lib/cpu';
import { gitState } from './lib/git';
import { runBench, writeBenchReport } from './lib/output';
import { request } from './lib/load';
import { loadAverage, machineInfo } from './lib/procfs';
import { apiLogin, benchLogDir, requireEnv, ROOT, stackPids, startService, summarizeLog, waitApiReady, waitWorkerPolling } from './lib/services';
import { subscriptionStates } from './webhooks/deliveries';
import { drainPart, pacedPart, throughputPart, type PartContext } from './webhooks/parts';
import { WebhookReceiver, type ReceiverMode } from './webhooks/receiver';
import { renderWebhooksReport, type WebhooksBenchResult } from './webhooks/report';
import { ticketSender } from './webhooks/tickets';

// `npm run bench:webhooks` (= ./mehrdesk bench webhooks [flags]): webhook delivery throughput
// and backlog drain against a fresh embedded stack the launcher started. The API and the worker
// run as separate processes, as in production; this process creates tickets through the API
// (the production path to deliveries: ticket event → enqueueWebhooks → webhook-<id> workflow →
// attemptWebhookDelivery) and is the receiver. Writes docs/benchmarks-webhooks.md.
//
//   --count N           deliveries in part A (sustained throughput); default 2000
//   --subscriptions S   active subscriptions to ticket.created (deliveries per ticket); default 10
//   --concurrency C     ticket requests in flight in parts A and B; default 4
//   --paced-seconds T   part L (latency below capacity) length; 0 skips it; default 20
//   --backlog N         deliveries pending while the receiver is down (part B); default 2000
//                       (10,000 takes well over 15 min on a 2-core machine: --parts B --backlog 10000 --retry-initial-ms 60000)
//   --outage 503|refuse how the receiver is down in part B; default 503
//   --retry-initial-ms  WEBHOOK_RETRY_INITIAL_MS for the run (first retry delay, doubling); default 5000
//   --timeout-seconds   per wait; default 900
//   --parts A,L,B       default all;   --quick: small sizes, report to the temp folder;   --out FILE
//   --render JSON       re-render the report from a run's raw numbers (temp folder) without measuring

const log = (m: string) => console.log(m);

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      count: { type: 'string' },
      subscriptions: { type: 'string' },
      concurrency: { type: 'string' },
      'paced-seconds': { type: 'string' },
      backlog: { type: 'string' },
      outage: { type: 'string' },
      'retry-initial-ms': { type: 'string' },
      'timeout-seconds': { type: 'string' },
      parts: { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick;
  const int = (raw: string | undefined, name: string, full: number, fast: number, min = 1) => {
    if (raw === undefined) return quick ? fast : full;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return n;
  };
  const outage = (values.outage ?? '503') as Exclude<ReceiverMode, 'up'>;
  if (outage !== '503' && outage !== 'refuse') throw new Error('--outage must be 503 or refuse');
  const parts = new Set(
    (values.parts ?? 'A,L,B')
      .toUpperCase()
      .split(',')
      .map((s) => s.trim()),
  );
  for (const p of parts) if (!['A', 'L', 'B'].includes(p)) throw new Error(`--parts: unknown part ${p} (A, L, B)`);
  return {
    quick,
    count: int(values.count, 'count', 2000, 300),
    subscriptions: int(values.subscriptions, 'subscriptions', 10, 5),
    concurrency: int(values.concurrency, 'concurrency', 4, 4),
    pacedSeconds: int(values['paced-seconds'], 'paced-seconds', 20, 10, 0),
    backlog: int(values.backlog, 'backlog', 2000, 500),
    outage,
    retryInitialMs: int(values['retry-initial-ms'], 'retry-initial-ms', 5000, 5000, 10),
    timeoutSeconds: int(values['timeout-seconds'], 'timeout-seconds', 900, 300),
    parts,
    /** Re-render the report from a run's raw JSON (written to the temp folder) without measuring again. */
    render: values.render ? path.resolve(values.render) : null,
    out: path.resolve(ROOT, values.out ?? (quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-webhooks-quick.md') : 'docs/benchmarks-webhooks.md')),
  };
}
export type WebhooksBenchOptions = ReturnType<typeof options>;

async function subscribe(base: URL, token: string, receiver: WebhookReceiver, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: false });
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const hookPath = `/hook/${i}`;
    const r = await request(agent, base, 'POST', '/api/v1/webhooks', { token, body: { name: `bench receiver ${i}`, url: receiver.url(hookPath), events: ['ticket.created'] } });
    if (r.status !== 201) throw new Error(`subscribing failed: ${r.status} ${r.body}`);
    const sub = JSON.parse(r.body) as { id: number; secret: string };
    receiver.addSecret(hookPath, sub.secret);
    ids.push(sub.id);
  }
  agent.destroy();
  return ids;
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.render) {
    const saved = JSON.parse(fs.readFileSync(opts.render, 'utf8')) as WebhooksBenchResult;
    const run = { ...saved.run, startedAt: new Date(saved.run.startedAt), finishedAt: new Date(saved.run.finishedAt) };
    fs.writeFileSync(opts.out, renderWebhooksReport({ ...saved, run }));
    log(`report re-rendered from ${opts.render} to ${path.relative(ROOT, opts.out) || opts.out}`);
    return 0;
  }
  const startedAt = new Date();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/webhooks') || f === 'docs/benchmarks-webhooks.md');
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadavgStart}`);

  const base = new URL(requireEnv('PUBLIC_URL', 'webhooks'));
  const logDir = benchLogDir();
  const taskQueue = `bench-${randomBytes(4).toString('hex')}`;
  // Production's environment plus: a private task queue, loopback receivers allowed (the SSRF
  // guard refuses them otherwise) and the bench's first retry delay. Attempts (20) and the
  // auto-disable threshold (20 deliveries failed for good in a row) stay at their defaults.
  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_INITIAL_MS: String(opts.retryInitialMs),
  };
  const config = loadConfig(serviceEnv);
  const retry = webhookRetrySettings(config);

  const orm = await openOrm(config.DATABASE_URL, { poolMax: 4 });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const receiver = new WebhookReceiver();
  const services: ManagedProcess[] = [];
  let monitor: CpuMonitor | undefined;
  try {
    await receiver.listen();
    const fx = await createFixtures(orm.em.fork());
    const worker = startService('worker', serviceEnv, logDir);
    const api = startService('api', serviceEnv, logDir);
    services.push(worker, api);
    await waitApiReady(base, services, 120_000);
    await waitWorkerPolling(temporal, taskQueue, worker);
    log(`API and worker ready (task queue ${taskQueue}, logs in ${path.relative(ROOT, logDir)})`);

    const stack = stackPids();
    const pids: Record<string, number | null> = {
      API: api.pid ?? null,
      worker: worker.pid ?? null,
      Temporal: stack.temporal,
      PostgreSQL: stack.postgres,
      'bench (tickets + receiver)': process.pid,
      'SMTP catcher': stack.launcher,
    };
    const groups: CpuGroup[] = Object.entries(pids)
      .filter((e): e is [string, number] => e[1] !== null)
      // The launcher is everyone's ancestor and the bench has no children: count only themselves.
      .map(([name, pid]) => ({ name, pid, tree: name !== 'SMTP catcher' && !name.startsWith('bench') }));
    monitor = new CpuMonitor(groups);
    monitor.start(1000);

    const admin = await apiLogin(base, fx.users.admin.email, PASSWORD);
    const customer = await apiLogin(base, fx.users.customer.email, PASSWORD);
    const subscriptionIds = await subscribe(base, admin, receiver, opts.subscriptions);
    const ctx: PartContext = { orm, temporal, taskQueue, receiver, monitor, services, subscriptions: opts.subscriptions, log };
    const timeoutMs = opts.timeoutSeconds * 1000;
    const t0 = performance.now();
    const whole = monitor.snapshot();

    // Warm-up (JIT, pools, task queue): 20 tickets, not recorded.
    await throughputPart(ctx, ticketSender(base, customer, fx.categoryId, 'warm-up'), 20, 2, 120_000);
    log('warm-up done');

    const throughput = opts.parts.has('A')
      ? await throughputPart(ctx, ticketSender(base, customer, fx.categoryId, 'A'), Math.ceil(opts.count / opts.subscriptions), opts.concurrency, timeoutMs)
      : null;
    if (throughput)
      log(
        `A: ${throughput.outcome.delivered}/${throughput.outcome.expected} in ${throughput.seconds.toFixed(1)} s = ${throughput.deliveriesPerSecond.toFixed(1)}/s (steady ${throughput.steadyDeliveriesPerSecond.toFixed(1)}/s); event→receiver p50 ${throughput.eventLatencyMs.p50.toFixed(0)} p99 ${throughput.eventLatencyMs.p99.toFixed(0)} ms; duplicates ${throughput.outcome.duplicates}, failed ${throughput.outcome.failed}`,
      );

    // Part L at half the sustained rate (or 2 tickets/s without part A).
    const pacedRate = throughput ? Math.max(0.5, Math.round((throughput.steadyDeliveriesPerSecond / opts.subscriptions / 2) * 2) / 2) : 2;
    const paced = opts.parts.has('L') && opts.pacedSeconds > 0 ? await pacedPart(ctx, ticketSender(base, customer, fx.categoryId, 'L'), pacedRate, opts.pacedSeconds, timeoutMs) : null;
    if (paced)
      log(
        `L: ${paced.ticketsPerSecond} tickets/s (${paced.offeredDeliveriesPerSecond} deliveries/s): event→receiver p50 ${paced.eventLatencyMs.p50.toFixed(0)} p95 ${paced.eventLatencyMs.p95.toFixed(0)} p99 ${paced.eventLatencyMs.p99.toFixed(0)} ms`,
      );

    const drain = opts.parts.has('B')
      ? await drainPart(ctx, ticketSender(base, customer, fx.categoryId, 'B'), {
          tickets: Math.ceil(opts.backlog / opts.subscriptions),
          concurrency: opts.concurrency,
          outage: opts.outage,
          retry,
          timeoutMs,
        })
      : null;
    if (drain)
      log(
        `B: ${drain.outcome.delivered}/${drain.outcome.expected} drained in ${drain.drainSeconds.toFixed(1)} s (${drain.deliveriesPerSecond.toFixed(1)}/s; backoff floor ${drain.backoffFloorSeconds.toFixed(1)} s); duplicates ${drain.outcome.duplicates}, failed ${drain.outcome.failed}`,
      );

    monitor.stop();
    const pgVersion = await orm.em
      .fork()
      .execute<{ server_version: string }[]>('show server_version')
      .then((r) => r[0]?.server_version ?? '?')
      .catch(() => '?');
    const args = process.argv.slice(2).join(' ');
    const result: WebhooksBenchResult = {
      run: {
        startedAt,
        finishedAt: new Date(),
        benchSeconds: (performance.now() - t0) / 1000,
        command: process.env.npm_lifecycle_event === 'bench:webhooks' ? `npm run bench:webhooks${args ? ` -- ${args}` : ''}` : `./mehrdesk bench webhooks${args ? ` ${args}` : ''}`,
        machine: machineInfo(),
        git,
        loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
        loadavgStart,
        loadavgEnd: loadAverage(),
        otherCpuPct: monitor.usage(whole, monitor.snapshot()).otherPct,
        versions: `PostgreSQL ${pgVersion}; Temporal dev server (SQLite) from scripts/src/stack/temporal.ts`,
      },
      options: { ...opts, parts: [...opts.parts] },
      retry,
      disableAfter: config.WEBHOOK_DISABLE_AFTER,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      taskQueue,
      groups: groups.map((g) => g.name),
      receiver: { ...receiver.counts },
      subscriptions: await subscriptionStates(orm, subscriptionIds),
      throughput,
      paced,
      drain,
      logs: [summarizeLog(path.join(logDir, 'api.log')), summarizeLog(path.join(logDir, 'worker.log'))],
    };
    const raw = writeBenchReport('webhooks', opts.out, renderWebhooksReport(result), result, startedAt);
    log(`report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${raw}; load average at the end ${result.run.loadavgEnd}`);
    return 0;
  } finally {
    monitor?.stop();
    await stopAll(15_000);
    await receiver.stop().catch(() => {});
    await connection.close().catch(() => {});
    await orm.close().catch(() => {});
  }
}

runBench(main);
