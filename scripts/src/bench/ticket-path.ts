import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { openOrm } from '@mehrdesk/core/db';
import { stopAll } from '../stack/processes';
import type { CpuGroup } from './lib/cpu';
import { gitState } from './lib/git';
import { runBench, writeBenchReport } from './lib/output';
import { cmdline, findPids, loadAverage, machineInfo } from './lib/procfs';
import { benchLogDir, requireEnv, ROOT, stackPids } from './lib/services';
import { WebhookReceiver } from './webhooks/receiver';
import { renderTicketPathReport, type TicketPathResult } from './ticket-path/report';
import { runRound, type Code, type RoundResult } from './ticket-path/round';
import { prepareWorktree } from './ticket-path/worktree';
import { benchCommand } from './lib/args';
import { gitLine } from './lib/git';

// `npm run bench:ticket-path` (= ./mehrdesk bench ticket-path [flags]): ticket creation with
// e-mails, one automation rule and one webhook subscription active, the previous code and this
// code side by side in one run on one stack. Rounds alternate old, new, old, new (quick: old,
// new); each starts the API and the worker of its code root as production runs them and offers
// tickets open-loop at each rate. Writes docs/benchmarks-ticket-path.md.
//
//   --old <commit>        the previous code (a worktree in the temp folder with its own npm ci); default 260d322
//   --new <commit>        measure this commit (a worktree too) instead of the working tree
//   --rates 25,50,75,100  offered tickets/s, one step each;   --step-seconds N  default 20 (quick 8)
//   --drain-seconds N     longest wait after a step for its workflows; default 60
//   --max-in-flight N     open-loop cap on requests waiting for an answer; default 400
//   --quick               old, new once; report to the temp folder;   --out FILE
//   --render JSON         re-render the report from a run's raw numbers (temp folder) without measuring

const log = (m: string) => console.log(m);
const BENCH = 'ticket-path';

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      old: { type: 'string' },
      new: { type: 'string' },
      rates: { type: 'string' },
      'step-seconds': { type: 'string' },
      'drain-seconds': { type: 'string' },
      'max-in-flight': { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick;
  const positive = (raw: string | undefined, name: string, full: number, fast: number) => {
    if (raw === undefined) return quick ? fast : full;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return n;
  };
  const rates = (values.rates ?? '25,50,75,100').split(',').map((s) => Number(s.trim()));
  if (rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error('--rates must be a list of positive numbers, e.g. 25,50,75,100');
  return {
    quick,
    old: values.old ?? '260d322',
    new: values.new ?? null,
    rates,
    stepSeconds: positive(values['step-seconds'], 'step-seconds', 20, 8),
    drainSeconds: positive(values['drain-seconds'], 'drain-seconds', 60, 60),
    maxInFlight: Math.round(positive(values['max-in-flight'], 'max-in-flight', 400, 400)),
    /** Re-render the report from a run's raw numbers (written to the temp folder) without measuring again. */
    render: values.render ? path.resolve(values.render) : null,
    out: path.resolve(ROOT, values.out ?? (quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-ticket-path-quick.md') : 'docs/benchmarks-ticket-path.md')),
  };
}
export type TicketPathOptions = ReturnType<typeof options>;

/** The worker options a code root runs with (worker/src/create-worker.ts), for the report. */
function workerOptions(root: string): string[] {
  try {
    const src = fs.readFileSync(path.join(root, 'worker/src/create-worker.ts'), 'utf8');
    return [...src.matchAll(/^\s*(maxCachedWorkflows|maxConcurrent\w+|\w*[Cc]ache\w*):\s*([^,\n]+),?/gm)].map((m) => `${m[1]}: ${m[2]!.trim()}`);
  } catch {
    return [];
  }
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.render) {
    const saved = JSON.parse(fs.readFileSync(opts.render, 'utf8')) as TicketPathResult;
    const run = { ...saved.run, startedAt: new Date(saved.run.startedAt), finishedAt: new Date(saved.run.finishedAt) };
    fs.writeFileSync(opts.out, renderTicketPathReport({ ...saved, run }));
    log(`report re-rendered from ${opts.render} to ${path.relative(ROOT, opts.out) || opts.out}`);
    return 0;
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/ticket-path') || f === 'docs/benchmarks-ticket-path.md');
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadavgStart}`);

  const oldTree = await prepareWorktree(ROOT, opts.old, 'old', log);
  const newTree = opts.new ? await prepareWorktree(ROOT, opts.new, 'new', log) : null;
  const oldCode: Code = { label: 'old', root: oldTree.root, commit: oldTree.short, subject: gitLine(ROOT, ['log', '-1', '--format=%s', oldTree.commit]) };
  const newCode: Code = newTree
    ? { label: 'new', root: newTree.root, commit: newTree.short, subject: gitLine(ROOT, ['log', '-1', '--format=%s', newTree.commit]) }
    : { label: 'new', root: ROOT, commit: git.commit, subject: `${gitLine(ROOT, ['log', '-1', '--format=%s', 'HEAD'])} (working tree)` };
  const order: Code[] = opts.quick ? [oldCode, newCode] : [oldCode, newCode, oldCode, newCode];

  const base = new URL(requireEnv('PUBLIC_URL', BENCH));
  const config = loadConfig({ ...process.env, NODE_ENV: 'production' });
  const logDir = benchLogDir();
  const orm = await openOrm(config.DATABASE_URL, { poolMax: 4 });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const receiver = new WebhookReceiver();
  try {
    await receiver.listen();
    const stack = stackPids();
    // Redis rewrites its process title to "redis-server <host>:<port>", which stackPids' search misses.
    const redisPort = process.env.REDIS_URL ? new URL(process.env.REDIS_URL).port : '';
    stack.redis ??= redisPort ? (findPids(['redis-server', `:${redisPort}`])[0] ?? null) : null;
    // The launcher is everyone's ancestor and this process is the API's and worker's parent:
    // count only themselves. PostgreSQL and Temporal with their children (backends).
    const stackGroups: CpuGroup[] = [
      { name: 'Temporal', pid: stack.temporal, tree: true },
      { name: 'PostgreSQL', pid: stack.postgres, tree: true },
      { name: 'Redis', pid: stack.redis, tree: true },
      { name: 'SMTP catcher', pid: stack.launcher, tree: false },
      { name: 'load generator', pid: process.pid, tree: false },
    ].filter((g): g is CpuGroup => g.pid !== null);
    const rounds: RoundResult[] = [];
    for (const [i, code] of order.entries()) {
      rounds.push(
        await runRound(
          {
            base,
            orm,
            temporal,
            stackEnv: process.env,
            logDir,
            receiver,
            stackGroups,
            rates: opts.rates,
            stepSeconds: opts.stepSeconds,
            warmupSeconds: 5,
            warmupRate: 10,
            baselineSeconds: 5,
            drainTimeoutSeconds: opts.drainSeconds,
            maxInFlight: opts.maxInFlight,
            log,
          },
          i + 1,
          code,
        ),
      );
    }

    const pgVersion = await orm.em
      .fork()
      .execute<{ server_version: string }[]>('show server_version')
      .then((r) => r[0]?.server_version ?? '?')
      .catch(() => '?');
    const otherPct = rounds.flatMap((r) => r.steps.map((s) => s.cpuWindow.otherPct));
    const result: TicketPathResult = {
      run: {
        startedAt,
        finishedAt: new Date(),
        benchSeconds: (performance.now() - t0) / 1000,
        command: benchCommand(BENCH),
        machine: machineInfo(),
        // A pinned new commit is what was measured, whatever the working tree held meanwhile.
        git: newTree ? { commit: `${newTree.short} (new, a worktree) and ${oldTree.short} (old, a worktree)`, dirty: [] } : git,
        loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
        loadavgStart,
        loadavgEnd: loadAverage(),
        otherCpuPct: otherPct.length ? otherPct.reduce((a, b) => a + b, 0) / otherPct.length : NaN,
        versions: `PostgreSQL ${pgVersion}; Temporal dev server (SQLite) from scripts/src/stack/temporal.ts`,
      },
      options: opts,
      codes: {
        old: { ...oldCode, preparedSeconds: oldTree.preparedSeconds, reused: oldTree.reused, workerOptions: workerOptions(oldCode.root) },
        new: { ...newCode, preparedSeconds: newTree?.preparedSeconds ?? 0, reused: newTree?.reused ?? true, workerOptions: workerOptions(newCode.root) },
      },
      temporalCmd: stack.temporal ? cmdline(stack.temporal) : [],
      dbPoolMax: config.DB_POOL_MAX,
      receiver: { ...receiver.counts },
      rounds,
    };
    const raw = writeBenchReport(BENCH, opts.out, renderTicketPathReport(result), result, startedAt);
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
