import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { openOrm } from '@mehrdesk/core/db';
import { webhookRetrySettings } from '@mehrdesk/usecases/webhooks/retry';
import { stopAll } from '../stack/processes';
import type { CpuGroup } from './lib/cpu';
import { gitState } from './lib/git';
import { runBench, writeBenchReport } from './lib/output';
import { findPids, loadAverage, machineInfo } from './lib/procfs';
import { benchLogDir, requireEnv, ROOT, stackPids } from './lib/services';
import { newCode, oldCode, type Code } from './webhooks/codes';
import { WebhookReceiver, type ReceiverMode } from './webhooks/receiver';
import { renderWebhooksReport } from './webhooks/report';
import { parseResult, type WebhooksBenchResult } from './webhooks/result';
import { runRound, type RoundResult } from './webhooks/round';
import { intOption, benchCommand } from './lib/args';

// `npm run bench:webhooks` (= ./mehrdesk bench webhooks [flags]): webhook delivery throughput,
// latency and backlog drain against a fresh embedded stack the launcher started, the previous
// code and this code side by side in one run. Each round starts the API and the worker of one
// code root as production runs them (separate processes, a task queue of the round's own); this
// process creates tickets through the API (the production path to deliveries: ticket event →
// enqueueWebhooks → webhook-<id> workflow → attemptWebhookDelivery) and is the receiver.
// Rounds: old (parts A, L), then new (parts A, L, B). Writes docs/benchmarks-webhooks.md.
//
//   --old <commit>      the previous code (a worktree in the temp folder with its own npm ci); default 260d322
//   --no-old            the new code only
//   --count N           deliveries in part A (sustained throughput); default 2000
//   --subscriptions S   active subscriptions to ticket.created (deliveries per ticket); default 10
//   --concurrency C     ticket requests in flight in parts A and B; default 4
//   --paced-seconds T   part L (latency below capacity) length; 0 skips it; default 20
//   --paced-rate R      part L tickets/s in every round; default half of the first round's flowing rate in part A
//   --backlog N         deliveries pending while the receiver is down (part B, new code only); default 2000
//                       (10,000 takes well over 15 min on a 2-core machine: --no-old --parts B --backlog 10000 --retry-initial-ms 60000)
//   --outage 503|refuse how the receiver is down in part B; default 503
//   --retry-initial-ms  WEBHOOK_RETRY_INITIAL_MS for the run (first retry delay, doubling); default 5000
//   --timeout-seconds   per wait; default 900
//   --parts A,L,B       default all;   --quick: small sizes, report to the temp folder;   --out FILE
//   --render JSON       re-render the report from a run's raw numbers (temp folder) without measuring

const log = (m: string) => console.log(m);
const BENCH = 'webhooks';

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      old: { type: 'string' },
      'no-old': { type: 'boolean', default: false },
      count: { type: 'string' },
      subscriptions: { type: 'string' },
      concurrency: { type: 'string' },
      'paced-seconds': { type: 'string' },
      'paced-rate': { type: 'string' },
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
  const int = intOption(quick);
  const outage = (values.outage ?? '503') as Exclude<ReceiverMode, 'up'>;
  if (outage !== '503' && outage !== 'refuse') throw new Error('--outage must be 503 or refuse');
  if (values['no-old'] && values.old) throw new Error('--old and --no-old exclude each other');
  const pacedRate = values['paced-rate'] === undefined ? null : Number(values['paced-rate']);
  if (pacedRate !== null && !(pacedRate > 0)) throw new Error(`--paced-rate must be a positive number of tickets/s, got ${values['paced-rate']}`);
  const parts = new Set(
    (values.parts ?? 'A,L,B')
      .toUpperCase()
      .split(',')
      .map((s) => s.trim()),
  );
  for (const p of parts) if (!['A', 'L', 'B'].includes(p)) throw new Error(`--parts: unknown part ${p} (A, L, B)`);
  return {
    quick,
    old: values['no-old'] ? null : (values.old ?? '260d322'),
    count: int(values.count, 'count', 2000, 300),
    subscriptions: int(values.subscriptions, 'subscriptions', 10, 5),
    concurrency: int(values.concurrency, 'concurrency', 4, 4),
    pacedSeconds: int(values['paced-seconds'], 'paced-seconds', 20, 10, 0),
    pacedRate,
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

/** Temporal, PostgreSQL, Redis, the SMTP catcher (in the launcher) and this process, measured in every round. */
function stackGroups(): CpuGroup[] {
  const stack = stackPids();
  // Redis rewrites its process title to "redis-server <host>:<port>", which stackPids' search misses.
  const redisPort = process.env.REDIS_URL ? new URL(process.env.REDIS_URL).port : '';
  stack.redis ??= redisPort ? (findPids(['redis-server', `:${redisPort}`])[0] ?? null) : null;
  // The launcher is everyone's ancestor and this process is the API's and worker's parent: count
  // only themselves. PostgreSQL and Temporal with their children (backends).
  return [
    { name: 'Temporal', pid: stack.temporal, tree: true },
    { name: 'PostgreSQL', pid: stack.postgres, tree: true },
    { name: 'Redis', pid: stack.redis, tree: true },
    { name: 'bench (tickets + receiver)', pid: process.pid, tree: false },
    { name: 'SMTP catcher', pid: stack.launcher, tree: false },
  ].filter((g): g is CpuGroup => g.pid !== null);
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.render) {
    fs.writeFileSync(opts.out, renderWebhooksReport(parseResult(fs.readFileSync(opts.render, 'utf8'))));
    log(`report re-rendered from ${opts.render} to ${path.relative(ROOT, opts.out) || opts.out}`);
    return 0;
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/webhooks') || f === 'docs/benchmarks-webhooks.md');
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadavgStart}`);
  const codes = { old: opts.old ? await oldCode(ROOT, opts.old, log) : null, new: newCode(ROOT, git.commit) };

  const base = new URL(requireEnv('PUBLIC_URL', BENCH));
  // Production's environment plus: loopback receivers allowed (the SSRF guard refuses them
  // otherwise) and the bench's first retry delay; each round adds a task queue of its own.
  // Attempts (20) and the auto-disable threshold (20 deliveries failed for good in a row) stay
  // at their defaults. The old code reads the same variables (core/src/config.ts at 260d322).
  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
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
  try {
    await receiver.listen();
    const ctx = {
      base,
      orm,
      temporal,
      env: serviceEnv,
      logDir: benchLogDir(),
      receiver,
      stackGroups: stackGroups(),
      subscriptions: opts.subscriptions,
      count: opts.count,
      concurrency: opts.concurrency,
      pacedSeconds: opts.pacedSeconds,
      backlog: opts.backlog,
      outage: opts.outage,
      retry,
      timeoutMs: opts.timeoutSeconds * 1000,
      baselineSeconds: 5,
      log,
    };
    const order: Code[] = codes.old ? [codes.old, codes.new] : [codes.new];
    const rounds: RoundResult[] = [];
    // Part L offers every round the same rate: the first round's, below both codes' capacity
    // as long as the new code is not slower.
    let pacedRate = opts.parts.has('L') ? opts.pacedRate : 0;
    for (const [i, code] of order.entries()) {
      const round = await runRound(ctx, i + 1, code, { throughput: opts.parts.has('A'), pacedRate, drain: code.label === 'new' && opts.parts.has('B') });
      rounds.push(round);
      pacedRate ??= round.pacedRate;
    }

    const pgVersion = await orm.em
      .fork()
      .execute<{ server_version: string }[]>('show server_version')
      .then((r) => r[0]?.server_version ?? '?')
      .catch(() => '?');
    const other = rounds.flatMap((r) => [r.throughput?.cpu.otherPct, r.paced?.cpu.otherPct, r.drain?.cpuDrain.otherPct]).filter((x): x is number => Number.isFinite(x));
    const result: WebhooksBenchResult = {
      run: {
        startedAt,
        finishedAt: new Date(),
        benchSeconds: (performance.now() - t0) / 1000,
        command: benchCommand(BENCH),
        machine: machineInfo(),
        git,
        loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
        loadavgStart,
        loadavgEnd: loadAverage(),
        otherCpuPct: other.length ? other.reduce((a, b) => a + b, 0) / other.length : NaN,
        versions: `PostgreSQL ${pgVersion}; Temporal dev server (SQLite) from scripts/src/stack/temporal.ts`,
      },
      options: { ...opts, parts: [...opts.parts] },
      codes,
      retry,
      disableAfter: config.WEBHOOK_DISABLE_AFTER,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      receiver: { ...receiver.counts },
      rounds,
    };
    const raw = writeBenchReport(BENCH, opts.out, renderWebhooksReport(result), result, startedAt);
    log(`report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${raw}; load average at the end ${result.run.loadavgEnd}`);
    return 0;
  } finally {
    await stopAll(15_000);
    await receiver.stop().catch(() => {});
    await connection.close().catch(() => {});
    await orm.close().catch(() => {});
  }
}

runBench(main);
