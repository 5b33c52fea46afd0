import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { openOrm } from '@mehrdesk/core/db';
import { stopAll } from '../stack/processes';
import { gitState } from './lib/git';
import { runBench, writeBenchReport } from './lib/output';
import { cmdline, loadAverage, machineInfo } from './lib/procfs';
import { benchLogDir, requireEnv, ROOT, stackPids } from './lib/services';
import { prepareWorktree } from './ticket-path/worktree';
import { memoryRound, type MemoryRound } from './workflow-scale/memory';
import { renderWorkflowScaleReport, type WorkflowScaleResult } from './workflow-scale/report';
import { waitForQuietMachine, type Code, type StackPids } from './workflow-scale/services';
import { slaRound, type SlaRound } from './workflow-scale/sla';
import { benchCommand } from './lib/args';
import { gitLine } from './lib/git';

// `npm run bench:workflow-scale` (= ./mehrdesk bench workflow-scale [flags]): many open ticket
// workflows, the previous code and this code side by side in one run on one stack (rounds one
// after the other, each with the API and the worker of its code root on a task queue of its own).
//   memory: N open ticket workflows (rows in bulk, workflows started with carried state); worker,
//           API, Temporal and PostgreSQL memory every tenth of N; the latency of a change to a
//           ticket whose workflow is evicted from the worker's cache and to one that is cached.
//   sla:    10,000 live SLA timers due evenly over a window while tickets are created through the
//           API at 50/s; breach lateness, missing and duplicated breaches, creation latency, CPU.
// Writes docs/benchmarks-workflow-memory.md.
//
//   --old <commit>       the previous code (a worktree in the temp folder with its own npm ci); default 260d322
//   --open N             open workflows of the new code; default 100000 (quick 2500)
//   --old-open N         open workflows of the old code; default as --open
//   --parts memory,sla   which parts; default both
//   --timers N           SLA timers; default 10000 (quick 500)
//   --window-seconds N   the window their deadlines spread over; default 180 (quick 60)
//   --lead-seconds N     from the last workflow start to the window; default 180 (quick 45)
//   --rate N             tickets/s created through the API meanwhile; default 50
//   --probes N           changes per kind (cached, evicted); default 200 (quick 100)
//   --no-wait            skip waiting for a quiet machine (full mode waits up to 25 min for load < 1.0)
//   --quick              small sizes; report to the temp folder;   --out FILE

const log = (m: string) => console.log(m);
const BENCH = 'workflow-scale';

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      old: { type: 'string' },
      open: { type: 'string' },
      'old-open': { type: 'string' },
      parts: { type: 'string' },
      timers: { type: 'string' },
      'window-seconds': { type: 'string' },
      'lead-seconds': { type: 'string' },
      rate: { type: 'string' },
      probes: { type: 'string' },
      'start-concurrency': { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      out: { type: 'string' },
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
  const parts = new Set((values.parts ?? 'memory,sla').split(',').map((s) => s.trim().toLowerCase()));
  for (const p of parts) if (p !== 'memory' && p !== 'sla') throw new Error(`--parts: unknown part ${p} (memory, sla)`);
  const open = Math.round(positive(values.open, 'open', 100_000, 2500));
  return {
    quick,
    old: values.old ?? '260d322',
    open,
    oldOpen: Math.round(positive(values['old-open'], 'old-open', open, open)),
    parts: [...parts] as Array<'memory' | 'sla'>,
    timers: Math.round(positive(values.timers, 'timers', 10_000, 500)),
    windowSeconds: positive(values['window-seconds'], 'window-seconds', 180, 60),
    leadSeconds: positive(values['lead-seconds'], 'lead-seconds', 180, 45),
    rate: positive(values.rate, 'rate', 50, 50),
    probes: Math.round(positive(values.probes, 'probes', 200, 100)),
    startConcurrency: Math.round(positive(values['start-concurrency'], 'start-concurrency', 32, 32)),
    wait: !quick && !values['no-wait'],
    out: path.resolve(ROOT, values.out ?? (quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-workflow-memory-quick.md') : 'docs/benchmarks-workflow-memory.md')),
  };
}
export type WorkflowScaleOptions = ReturnType<typeof options>;

/** The workflow cache a code root's worker runs with: its configured default, or the number it hard-codes. */
function cacheSizeOf(root: string, env: NodeJS.ProcessEnv): { size: number; source: string } {
  const src = fs.readFileSync(path.join(root, 'worker/src/create-worker.ts'), 'utf8');
  const literal = /maxCachedWorkflows:\s*([\d_]+)/.exec(src)?.[1];
  if (literal) return { size: Number(literal.replace(/_/g, '')), source: `maxCachedWorkflows: ${literal} (worker/src/create-worker.ts)` };
  if (/WORKER_MAX_CACHED_WORKFLOWS/.test(src)) {
    const size = loadConfig(env).WORKER_MAX_CACHED_WORKFLOWS;
    return { size, source: `WORKER_MAX_CACHED_WORKFLOWS=${size} (${env.WORKER_MAX_CACHED_WORKFLOWS ? 'set' : 'default'})` };
  }
  throw new Error(`cannot tell the workflow cache size of ${root}`);
}

async function main(): Promise<number> {
  const opts = options();
  const startedAt = new Date();
  const t0 = performance.now();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/workflow-scale') || f === 'docs/benchmarks-workflow-memory.md');
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadAverage()}`);
  const waited = opts.wait ? await waitForQuietMachine(1.0, 30_000, 25 * 60_000, log) : null;
  if (waited) log(`machine ${waited.quiet ? 'quiet' : 'still busy'} after ${waited.waitedS.toFixed(0)} s (load average ${waited.loadavg})`);
  const loadavgStart = loadAverage();

  const oldTree = await prepareWorktree(ROOT, opts.old, 'old', log);
  const env = { ...process.env, NODE_ENV: 'production' };
  const oldCache = cacheSizeOf(oldTree.root, env);
  const newCache = cacheSizeOf(ROOT, env);
  const oldCode: Code = { label: 'old', root: oldTree.root, commit: oldTree.short, subject: gitLine(ROOT, ['log', '-1', '--format=%s', oldTree.commit]), cacheSize: oldCache.size };
  const newCode: Code = { label: 'new', root: ROOT, commit: git.commit, subject: `${gitLine(ROOT, ['log', '-1', '--format=%s', 'HEAD'])} (working tree)`, cacheSize: newCache.size };

  const base = new URL(requireEnv('PUBLIC_URL', BENCH));
  const config = loadConfig(env);
  const logDir = benchLogDir();
  const orm = await openOrm(config.DATABASE_URL, { poolMax: 4 });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  try {
    const s = stackPids();
    const stack: StackPids = { Temporal: s.temporal, PostgreSQL: s.postgres, 'SMTP catcher': s.launcher };
    const common = { base, orm, temporal, stackEnv: process.env, logDir, stack, ticketPrefix: config.TICKET_NUMBER_PREFIX, startConcurrency: opts.startConcurrency, log };
    const memory: MemoryRound[] = [];
    const sla: SlaRound[] = [];
    // A round that fails is reported as such; the other rounds still run and are reported.
    const failures: string[] = [];
    const save = async () => {
      const pgVersion = await orm.em
        .fork()
        .execute<{ server_version: string }[]>('show server_version')
        .then((r) => r[0]?.server_version ?? '?')
        .catch(() => '?');
      const other = [...memory.map((m) => m.cpuStarting.otherPct), ...sla.map((r) => r.cpuFiring.otherPct)];
      const result: WorkflowScaleResult = {
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
        waited,
        options: opts,
        codes: {
          old: { ...oldCode, cacheSource: oldCache.source, preparedSeconds: oldTree.preparedSeconds, reused: oldTree.reused },
          new: { ...newCode, cacheSource: newCache.source, preparedSeconds: 0, reused: true },
        },
        temporalCmd: stack.Temporal ? cmdline(stack.Temporal) : [],
        memory,
        sla,
        failures,
      };
      const raw = writeBenchReport(BENCH, opts.out, renderWorkflowScaleReport(result), result, startedAt);
      log(`report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${raw}; load average now ${result.run.loadavgEnd}`);
    };
    const guarded = async (name: string, round: () => Promise<unknown>) => {
      try {
        await round();
      } catch (err) {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`${name} failed: ${message}`);
        failures.push(`${name}: ${message.split('\n').slice(0, 3).join(' ')}`);
      }
      // The report so far after every round, so a run stopped early still leaves its figures.
      await save();
    };
    if (opts.parts.includes('memory'))
      for (const [code, n] of [
        [oldCode, opts.oldOpen],
        [newCode, opts.open],
      ] as const)
        await guarded(`memory ${code.label}`, async () => memory.push(await memoryRound({ ...common, probes: opts.probes }, code, n)));
    if (opts.parts.includes('sla'))
      for (const code of [oldCode, newCode]) {
        const measured = memory.find((m) => m.code.label === code.label)?.startsPerSecond;
        await guarded(`sla ${code.label}`, async () =>
          sla.push(
            await slaRound(
              {
                ...common,
                timers: opts.timers,
                targetSeconds: 600,
                windowSeconds: opts.windowSeconds,
                leadSeconds: opts.leadSeconds,
                createRate: opts.rate,
                createLeadSeconds: 20,
                graceSeconds: opts.quick ? 120 : 300,
              },
              code,
              measured && Number.isFinite(measured) ? measured : 100,
            ),
          ),
        );
      }

    await save();
    return 0;
  } finally {
    await stopAll(15_000);
    await connection.close().catch(() => {});
    await orm.close().catch(() => {});
  }
}

runBench(main);
