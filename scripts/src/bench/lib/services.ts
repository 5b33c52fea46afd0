import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { spawnManaged, type ManagedProcess } from '../../stack/processes';
import { cmdline, findPids } from './procfs';
import { request } from './load';

// The system under test as a benchmark runs it: the API and the worker as separate processes,
// started exactly as in production (node --import tsx <workspace>/src/main.ts), on top of the
// stack the launcher (`./mehrdesk bench <name>`) started. Also finds the launcher's services
// (Temporal, PostgreSQL, Redis) so their CPU can be measured.

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function requireEnv(name: string, bench: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through \`npm run bench:${bench}\` (./mehrdesk bench ${bench})`);
  return v;
}

/** The launcher keeps each run's services in .data/bench/<launcher pid>; logs go to its logs/ folder. */
export function benchLogDir(): string {
  const launcherDir = path.join(ROOT, '.data', 'bench', String(process.ppid));
  const dir = path.join(fs.existsSync(launcherDir) ? launcherDir : fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-bench-')), 'logs');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * `root`: the code to run, this tree by default or e.g. a worktree of an older commit (old-vs-new
 * benchmarks). BENCH_API_NODE_OPTIONS / BENCH_WORKER_NODE_OPTIONS reach only that service (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the worker under a benchmark's load).
 */
export function startService(name: 'api' | 'worker', env: NodeJS.ProcessEnv, logDir: string, root: string = ROOT): ManagedProcess {
  const nodeOptions = process.env[`BENCH_${name.toUpperCase()}_NODE_OPTIONS`];
  return spawnManaged(name, process.execPath, ['--import', 'tsx', path.join(root, `${name}/src/main.ts`)], {
    env: nodeOptions ? { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, nodeOptions].filter(Boolean).join(' ') } : env,
    cwd: root,
    logFile: path.join(logDir, `${name}.log`),
  });
}

export function assertRunning(services: ManagedProcess[]): void {
  for (const s of services) if (!s.running) throw new Error(`${s.name} died during the benchmark:\n${s.recentOutput()}`);
}

/** Until GET /readyz answers 200 (PostgreSQL and Temporal reachable). */
export async function waitApiReady(base: URL, services: ManagedProcess[], timeoutMs: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      assertRunning(services);
      const r = await request(agent, base, 'GET', '/readyz', { timeoutMs: 5000 });
      if (r.status === 200) return;
      await sleep(250);
    }
  } finally {
    agent.destroy();
  }
  throw new Error(`${base.origin}/readyz did not answer 200 within ${timeoutMs / 1000} s`);
}

/** Until the worker polls its task queue (it bundles the workflow code first), up to 2 min. */
export async function waitWorkerPolling(temporal: Client, taskQueue: string, worker: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    assertRunning([worker]);
    try {
      const r = await temporal.workflowService.describeTaskQueue({
        namespace: temporal.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      });
      if ((r.pollers ?? []).length > 0) return;
    } catch {
      /* not yet */
    }
    await sleep(500);
  }
  throw new Error(`the worker did not poll ${taskQueue} within 2 min`);
}

/** Oldest process whose command line has every needle: the server itself, not its children. */
function oldest(needles: string[]): number | null {
  const found = findPids(needles);
  return found.length ? Math.min(...found) : null;
}

/** The launcher's services of this run, found by the ports in the environment it passed on. */
export function stackPids(): { temporal: number | null; postgres: number | null; redis: number | null; launcher: number | null } {
  const portOf = (url: string | undefined) => (url ? new URL(url.includes('://') ? url : `tcp://${url}`).port : '');
  const temporalPort = portOf(process.env.TEMPORAL_ADDRESS);
  const pgPort = portOf(process.env.DATABASE_URL);
  const redisPort = portOf(process.env.REDIS_URL);
  return {
    temporal: temporalPort ? oldest(['start-dev', `--port ${temporalPort}`]) : null,
    postgres: pgPort ? oldest(['postgres', `-p ${pgPort}`]) : null,
    redis: redisPort ? oldest(['redis-server', `--port ${redisPort}`]) : null,
    // The launcher runs the SMTP catcher (the notification e-mails the workflows send).
    launcher: cmdline(process.ppid).some((a) => a.endsWith('cli.ts')) ? process.ppid : null,
  };
}

export interface LogSummary {
  file: string;
  errors: number;
  warnings: number;
  samples: string[];
}

/** Errors and warnings in a service log (pino JSON lines and Temporal core's Rust lines), a few samples by message shape. */
export function summarizeLog(file: string): LogSummary {
  const summary: LogSummary = { file: path.relative(ROOT, file), errors: 0, warnings: 0, samples: [] };
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return summary;
  }
  const seen = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '').trim();
    if (!line) continue;
    let level: number;
    let msg: string;
    try {
      const j = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      level = j.level ?? 0;
      msg = `${j.msg ?? ''}${j.err?.message ? `: ${j.err.message}` : ''}`;
    } catch {
      const token = /\b(ERROR|WARN|INFO|DEBUG|TRACE)\b/.exec(line)?.[1];
      level = token === 'ERROR' ? 50 : token === 'WARN' ? 40 : /error/i.test(line) ? 50 : 30;
      msg = line.replace(/^\S+\s+(ERROR|WARN|INFO|DEBUG|TRACE)\s+\S+:\s*/, '');
    }
    if (level >= 50) summary.errors++;
    else if (level >= 40) summary.warnings++;
    else continue;
    const shape = msg
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/gi, '<id>')
      .replace(/\d+(\.\d+)?/g, 'N')
      .slice(0, 100);
    if (!seen.has(shape) && summary.samples.length < 4) {
      seen.add(shape);
      summary.samples.push(`${level >= 50 ? 'error' : 'warn'}: ${msg.slice(0, 240)}`);
    }
  }
  return summary;
}

/** A bearer token for a fixture user (password PASSWORD of scripts/src/testing/fixtures.ts). */
export async function apiLogin(base: URL, email: string, password: string): Promise<string> {
  const agent = new http.Agent({ keepAlive: false });
  const r = await request(agent, base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  agent.destroy();
  if (r.status !== 200) throw new Error(`login ${email} failed: ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { token: string }).token;
}
