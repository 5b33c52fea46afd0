import type http from 'node:http';
import type { CpuMonitor, CpuUsage } from '../lib/cpu';
import { closedLoop, distribution, request, type Distribution, type HttpResult } from '../lib/load';
import { redisDelta, redisStats } from './redis-stats';

// One measured batch: a fixed number of requests of one kind against one code's API at a fixed
// concurrency (closed loop, keep-alive), with the CPU of every process (from /proc) and Redis's
// own CPU and command counts (INFO) read right before and right after.

export type Kind = 'me' | 'tickets' | 'login';
export type CodeLabel = 'old' | 'new';

export const KIND_TITLE: Record<Kind, string> = {
  me: 'GET /api/v1/auth/me',
  tickets: 'GET /api/v1/tickets?limit=20',
  login: 'POST /api/v1/auth/login',
};

/** One code's API process as the batches use it. */
export interface ApiUnderTest {
  code: CodeLabel;
  base: URL;
  /** Bearer tokens of the signed-in users (requests take them in turn). */
  tokens: string[];
  /** E-mail addresses signing in (login requests take them in turn). */
  emails: string[];
  password: string;
}

export interface Background {
  /** Idle CPU per process group, % of one core. */
  pct: Record<string, number>;
  /** Redis's own CPU while idle, seconds per second. */
  redisCpuPerSecond: number;
}

export interface Batch {
  round: number;
  code: CodeLabel;
  kind: Kind;
  concurrency: number;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  seconds: number;
  perSecond: number;
  latency: Distribution;
  cpu: CpuUsage;
  /** CPU µs per request and process group, each group's idle CPU over as long taken off. */
  usPerRequest: Record<string, number>;
  /** Redis's own CPU (INFO, getrusage) per request, idle taken off. */
  redisUsPerRequest: number;
  /** Redis commands per request (INFO commandstats; the benchmark's own INFO left out). */
  redisCommandsPerRequest: Record<string, number>;
  /** Processes outside this run (other engineers), % of one core over the batch. */
  otherPct: number;
}

/** Median of the finite values (mean of the middle two for an even count); NaN for none. */
export function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** New − old of each pair of batches of a kind (round 2k−1 old, 2k new). */
export function pairDiffs(batches: Batch[], kind: Kind, value: (b: Batch) => number): number[] {
  const out: number[] = [];
  for (const o of batches.filter((b) => b.kind === kind && b.code === 'old')) {
    const n = batches.find((b) => b.kind === kind && b.code === 'new' && b.round === o.round + 1);
    if (n) out.push(value(n) - value(o));
  }
  return out;
}

export function sender(api: ApiUnderTest, kind: Kind): (agent: http.Agent, i: number) => Promise<HttpResult> {
  const token = (i: number) => api.tokens[i % api.tokens.length]!;
  switch (kind) {
    case 'me':
      return (agent, i) => request(agent, api.base, 'GET', '/api/v1/auth/me', { token: token(i) });
    case 'tickets':
      return (agent, i) => request(agent, api.base, 'GET', '/api/v1/tickets?limit=20', { token: token(i) });
    case 'login':
      return (agent, i) => request(agent, api.base, 'POST', '/api/v1/auth/login', { body: { email: api.emails[i % api.emails.length]!, password: api.password } });
  }
}

/** Unrecorded requests (JIT, pools, caches); throws when most of them fail. */
export async function warmUp(api: ApiUnderTest, kind: Kind, requests: number, concurrency: number): Promise<void> {
  const r = await closedLoop({ concurrency, total: requests, send: sender(api, kind) });
  if (r.ok < requests * 0.9) throw new Error(`warm-up of ${KIND_TITLE[kind]} on the ${api.code} API: only ${r.ok} of ${requests} answered 2xx (${JSON.stringify(r.errors)})`);
}

export async function measureBackground(monitor: CpuMonitor, redisUrl: URL, seconds: number): Promise<Background> {
  const r0 = await redisStats(redisUrl);
  const c0 = monitor.snapshot();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c1 = monitor.snapshot();
  const r1 = await redisStats(redisUrl);
  const u = monitor.usage(c0, c1);
  return { pct: u.pct, redisCpuPerSecond: redisDelta(r0, r1).cpuSeconds / u.seconds };
}

/**
 * The lower idle figure of two readings per group: a reading right after load can still hold a
 * process's tail of work (a major GC after the sign-ins' scrypt buffers), which is not idle CPU.
 */
export function quieter(a: Background, b: Background): Background {
  const pct: Record<string, number> = {};
  for (const g of new Set([...Object.keys(a.pct), ...Object.keys(b.pct)])) pct[g] = Math.min(a.pct[g] ?? Infinity, b.pct[g] ?? Infinity);
  return { pct, redisCpuPerSecond: Math.min(a.redisCpuPerSecond, b.redisCpuPerSecond) };
}

export async function runBatch(opts: {
  round: number;
  api: ApiUnderTest;
  kind: Kind;
  requests: number;
  concurrency: number;
  monitor: CpuMonitor;
  redisUrl: URL;
  background: Background;
}): Promise<{ batch: Batch; latencies: number[] }> {
  const { api, kind, monitor } = opts;
  const send = sender(api, kind);
  const r0 = await redisStats(opts.redisUrl);
  const c0 = monitor.snapshot();
  const load = await closedLoop({ concurrency: opts.concurrency, total: opts.requests, send });
  const c1 = monitor.snapshot();
  const r1 = await redisStats(opts.redisUrl);
  const cpu = monitor.usage(c0, c1);
  const n = load.latencies.length;
  const usPerRequest: Record<string, number> = {};
  for (const [g, s] of Object.entries(cpu.cpuSeconds)) {
    const idle = ((opts.background.pct[g] ?? 0) / 100) * cpu.seconds;
    usPerRequest[g] = n ? (1e6 * Math.max(0, s - (Number.isFinite(idle) ? idle : 0))) / n : NaN;
  }
  const redis = redisDelta(r0, r1);
  const redisCommandsPerRequest: Record<string, number> = {};
  for (const [name, v] of Object.entries(redis.commands)) {
    if (name === 'info') continue;
    redisCommandsPerRequest[name] = n ? v.calls / n : NaN;
  }
  const batch: Batch = {
    round: opts.round,
    code: api.code,
    kind,
    concurrency: opts.concurrency,
    requests: n,
    ok: load.ok,
    errors: load.errors,
    seconds: load.elapsedMs / 1000,
    perSecond: load.ok / (load.elapsedMs / 1000),
    latency: distribution(load.latencies),
    cpu,
    usPerRequest,
    redisUsPerRequest: n ? (1e6 * Math.max(0, redis.cpuSeconds - opts.background.redisCpuPerSecond * cpu.seconds)) / n : NaN,
    redisCommandsPerRequest,
    otherPct: cpu.otherPct,
  };
  return { batch, latencies: load.latencies };
}
