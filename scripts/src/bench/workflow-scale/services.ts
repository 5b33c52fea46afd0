import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { ManagedProcess } from '../../stack/processes';
import { CpuMonitor, type CpuGroup } from '../lib/cpu';
import { descendantsIn, memStatus, processTable, pssKb } from '../lib/procfs';
import { startService, summarizeLog, waitApiReady, waitWorkerPolling, type LogSummary } from '../lib/services';
import { backlog } from '../lib/temporal-backlog';

// One round's system under test: the API and the worker of one code root (old or new), started
// as production runs them on a task queue of their own, with CPU and memory read from /proc for
// them and for the launcher's services.

export interface Code {
  label: 'old' | 'new';
  root: string;
  commit: string;
  subject: string;
  /** The worker's workflow cache size this code runs with. */
  cacheSize: number;
}

export interface RoundServices {
  taskQueue: string;
  api: ManagedProcess;
  worker: ManagedProcess;
  monitor: CpuMonitor;
  groups: string[];
  pids: Record<string, number | null>;
  logDir: string;
  stop(): Promise<LogSummary[]>;
}

export interface StackPids {
  Temporal: number | null;
  PostgreSQL: number | null;
  'SMTP catcher': number | null;
}

export async function startRound(opts: { base: URL; temporal: Client; stackEnv: NodeJS.ProcessEnv; logDir: string; stack: StackPids; name: string; code: Code }): Promise<RoundServices> {
  const taskQueue = `bench-ws-${opts.name}-${randomBytes(3).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...opts.stackEnv, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  const logDir = path.join(opts.logDir, opts.name);
  fs.mkdirSync(logDir, { recursive: true });
  const worker = startService('worker', env, logDir, opts.code.root);
  const api = startService('api', env, logDir, opts.code.root);
  const services = [worker, api];
  try {
    await waitApiReady(opts.base, services, 120_000);
    await waitWorkerPolling(opts.temporal, taskQueue, worker);
  } catch (err) {
    await Promise.all(services.map((s) => s.stop(15_000)));
    throw err;
  }
  const pids: Record<string, number | null> = { API: api.pid ?? null, worker: worker.pid ?? null, ...opts.stack, 'load generator': process.pid };
  const groups: CpuGroup[] = Object.entries(pids)
    .filter((e): e is [string, number] => e[1] !== null)
    // The SMTP catcher runs in the launcher, everyone's ancestor, and this process is the API's
    // and worker's parent: count only themselves.
    .map(([name, pid]) => ({ name, pid, tree: name !== 'SMTP catcher' && name !== 'load generator' }));
  const monitor = new CpuMonitor(groups);
  monitor.start(1000);
  return {
    taskQueue,
    api,
    worker,
    monitor,
    groups: groups.map((g) => g.name),
    pids,
    logDir,
    async stop() {
      monitor.stop();
      await Promise.all(services.map((s) => s.stop(15_000)));
      return [summarizeLog(path.join(logDir, 'api.log')), summarizeLog(path.join(logDir, 'worker.log'))];
    },
  };
}

export interface MemoryPoint {
  label: string;
  /** Workflows started in this round so far. */
  open: number;
  at: string;
  workerRssKb: number;
  workerPssKb: number;
  workerHwmKb: number;
  apiRssKb: number;
  temporalRssKb: number;
  /** The postmaster and its backends, PSS (shared buffers counted once). */
  postgresPssKb: number;
}

export function memoryPoint(pids: Record<string, number | null>, label: string, open: number): MemoryPoint {
  const rss = (name: string) => {
    const pid = pids[name];
    return pid ? (memStatus(pid)?.rssKb ?? NaN) : NaN;
  };
  const worker = pids.worker ? memStatus(pids.worker) : undefined;
  let postgresPssKb = NaN;
  if (pids.PostgreSQL) {
    const tree = [pids.PostgreSQL, ...descendantsIn(processTable(), pids.PostgreSQL)];
    postgresPssKb = tree.reduce((s, p) => s + pssKb(p), 0);
  }
  return {
    label,
    open,
    at: new Date().toISOString(),
    workerRssKb: worker?.rssKb ?? NaN,
    workerPssKb: pids.worker ? pssKb(pids.worker) : NaN,
    workerHwmKb: worker?.hwmKb ?? NaN,
    apiRssKb: rss('API'),
    temporalRssKb: rss('Temporal'),
    postgresPssKb,
  };
}

/** Until the task queue has no workflow task waiting (twice in a row), or `timeoutMs`; true when it got there. */
export async function waitQuiet(temporal: Client, taskQueue: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    const b = await backlog(temporal, taskQueue);
    quiet = b && b.workflowTasks === 0 && b.activityTasks === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return true;
    await sleep(1000);
  }
  return false;
}

/**
 * The benchmark shares the machine: wait until the 1-minute load average stayed below
 * `threshold` for `holdMs`, polling every 5 s, or give up after `maxMs`.
 */
export async function waitForQuietMachine(threshold: number, holdMs: number, maxMs: number, log: (m: string) => void): Promise<{ waitedS: number; quiet: boolean; loadavg: string }> {
  const t0 = Date.now();
  let since: number | null = null;
  let lastLog = 0;
  const read = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  for (;;) {
    const l = read();
    const one = Number(l.split(' ')[0]);
    const now = Date.now();
    if (one < threshold) {
      since ??= now;
      if (now - since >= holdMs) return { waitedS: (now - t0) / 1000, quiet: true, loadavg: l };
    } else since = null;
    if (now - t0 >= maxMs) return { waitedS: (now - t0) / 1000, quiet: false, loadavg: l };
    if (now - lastLog > 60_000) {
      log(`waiting for the machine to calm down: load average ${l} (want the 1-minute figure below ${threshold} for ${holdMs / 1000} s; giving up after ${maxMs / 60_000} min)`);
      lastLog = now;
    }
    await sleep(5000);
  }
}
