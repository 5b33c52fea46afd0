import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { spawnManaged, stopAll } from '../stack/processes';
import { CpuMonitor } from './lib/cpu';
import { gitState } from './lib/git';
import { distribution } from './lib/load';
import { runBench, writeBenchReport } from './lib/output';
import { loadAverage, machineInfo } from './lib/procfs';
import { benchLogDir, ROOT, stackPids, waitWorkerPolling } from './lib/services';
import { renderFloorReport, type FloorResult, type FloorShape } from './temporal-floor/report';

// `npm run bench:temporal-floor` (= ./mehrdesk bench temporal-floor [--count N] [--quick]): what
// Temporal itself costs per workflow on this machine's dev server, for the shapes one ticket is
// made of (a start, workflow tasks, an activity, a local activity, a timer), with activities that
// do nothing. It is the floor under the ticket path's "Temporal" CPU: no change in our code can
// take a ticket below the Temporal work its workflows are made of. Writes
// docs/benchmarks-temporal-floor.md.

const log = (m: string) => console.log(m);
const SHAPES = ['floorEmpty', 'floorLocalActivity', 'floorActivity', 'floorActivityAndTimer'] as const;

function options() {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, count: { type: 'string' }, concurrency: { type: 'string' }, out: { type: 'string' } }, strict: true });
  const count = Number(values.count ?? (values.quick ? 300 : 2000));
  const concurrency = Number(values.concurrency ?? 32);
  if (!Number.isInteger(count) || count < 10) throw new Error(`--count must be an integer ≥ 10, got ${values.count}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a positive integer, got ${values.concurrency}`);
  return {
    quick: values.quick,
    count,
    concurrency,
    out: path.resolve(ROOT, values.out ?? (values.quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-temporal-floor-quick.md') : 'docs/benchmarks-temporal-floor.md')),
  };
}

/** `count` workflows of one shape, `concurrency` at a time, each started and awaited through the client. */
async function runShape(temporal: Client, taskQueue: string, shape: string, count: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const prefix = `floor-${shape}-${randomBytes(3).toString('hex')}`;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await temporal.workflow.execute(shape, { taskQueue, workflowId: `${prefix}-${i}`, args: [] });
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

async function main(): Promise<number> {
  const opts = options();
  const startedAt = new Date();
  const t0 = performance.now();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/temporal-floor') || f === 'docs/benchmarks-temporal-floor.md');
  const config = loadConfig(process.env);
  const taskQueue = `bench-floor-${randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const worker = spawnManaged('floor-worker', process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/src/bench/temporal-floor/worker.ts')], {
    env: { ...process.env, FLOOR_TASK_QUEUE: taskQueue },
    cwd: ROOT,
    logFile: path.join(benchLogDir(), 'floor-worker.log'),
  });
  try {
    await waitWorkerPolling(temporal, taskQueue, worker);
    const stack = stackPids();
    if (!stack.temporal) throw new Error('the Temporal dev server of this stack was not found');
    const monitor = new CpuMonitor([
      { name: 'Temporal', pid: stack.temporal, tree: true },
      { name: 'worker', pid: worker.pid!, tree: true },
      { name: 'client (this process)', pid: process.pid, tree: false },
    ]);
    const loadavgStart = loadAverage();
    const shapes: FloorShape[] = [];
    for (const shape of SHAPES) {
      await runShape(temporal, taskQueue, shape, Math.min(200, opts.count), opts.concurrency); // warm-up: JIT, caches, task queue
      const a = monitor.snapshot();
      const latencies = await runShape(temporal, taskQueue, shape, opts.count, opts.concurrency);
      const usage = monitor.usage(a, monitor.snapshot());
      const perWorkflowMs = Object.fromEntries(Object.entries(usage.cpuSeconds).map(([k, v]) => [k, (v * 1000) / opts.count]));
      shapes.push({
        shape,
        count: opts.count,
        seconds: usage.seconds,
        perSecond: opts.count / usage.seconds,
        latency: distribution(latencies),
        perWorkflowMs,
        pct: usage.pct,
        otherPct: usage.otherPct,
      });
      log(
        `${shape}: ${(opts.count / usage.seconds).toFixed(0)}/s; CPU per workflow ${Object.entries(perWorkflowMs)
          .map(([k, v]) => `${k} ${v.toFixed(2)} ms`)
          .join(', ')}; other ${usage.otherPct.toFixed(0)} %`,
      );
    }
    const args = process.argv.slice(2).join(' ');
    const result: FloorResult = {
      run: {
        startedAt,
        finishedAt: new Date(),
        benchSeconds: (performance.now() - t0) / 1000,
        command: process.env.npm_lifecycle_event === 'bench:temporal-floor' ? `npm run bench:temporal-floor${args ? ` -- ${args}` : ''}` : `./mehrdesk bench temporal-floor${args ? ` ${args}` : ''}`,
        machine: machineInfo(),
        git,
        loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
        loadavgStart,
        loadavgEnd: loadAverage(),
        otherCpuPct: shapes.reduce((a, s) => a + s.otherPct, 0) / shapes.length,
        versions: 'Temporal dev server (SQLite) from scripts/src/stack/temporal.ts',
      },
      options: opts,
      shapes,
    };
    const raw = writeBenchReport('temporal-floor', opts.out, renderFloorReport(result), result, startedAt);
    log(`report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${raw}`);
    return 0;
  } finally {
    await stopAll(15_000);
    await connection.close().catch(() => {});
  }
}

runBench(main);
