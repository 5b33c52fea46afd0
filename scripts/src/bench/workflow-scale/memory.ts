import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mehrdesk/core/db';
import { LEGACY_TICKET_WORKFLOW_TYPE, TICKET_WORKFLOW_TYPE } from '@mehrdesk/workflows/contracts';
import { createFixtures, PASSWORD } from '../../testing/fixtures';
import type { CpuMonitor, CpuUsage } from '../lib/cpu';
import { distribution, request, type Distribution } from '../lib/load';
import { apiLogin, assertRunning, type LogSummary } from '../lib/services';
import { insertTickets, policyAndListeners, startWorkflows, type SeededTicket, type StartContext } from './seed';
import { memoryPoint, startRound, waitQuiet, type Code, type MemoryPoint, type StackPids } from './services';

// Part "memory": N open ticket workflows on one worker. Rows in bulk, workflows started with
// carried state in steps (every tenth of N, and finer while the worker's cache fills), memory
// read after each step once the task queue is empty; then the latency of a change to tickets
// whose workflow is certainly evicted (the oldest) and to tickets certainly cached (the newest).

export interface MemoryRoundContext {
  base: URL;
  orm: MikroORM;
  temporal: Client;
  stackEnv: NodeJS.ProcessEnv;
  logDir: string;
  stack: StackPids;
  ticketPrefix: string;
  startConcurrency: number;
  probes: number;
  log: (m: string) => void;
}

export interface ChangeProbe {
  kind: 'cached' | 'evicted';
  /** Whether the code's cache size makes the kind certain (N − probes ≥ cache size for "evicted"). */
  certain: boolean;
  latency: Distribution;
  errors: Record<string, number>;
  cpu: CpuUsage;
}

export interface MemoryRound {
  code: Code;
  taskQueue: string;
  n: number;
  /** First-response target of the round's tickets (absent in runs before it was recorded: 1 h). */
  firstResponseHours?: number;
  insertSeconds: number;
  startSeconds: number;
  startsPerSecond: number;
  startLatency: Distribution;
  startErrors: Record<string, number>;
  /** Steps whose task queue did not empty within the wait (memory read anyway). */
  notQuiet: number;
  points: MemoryPoint[];
  /** Least-squares worker RSS growth per started workflow while the cache fills (0 … cache size), KiB. */
  slopeFillKb: number;
  /** The same beyond the cache size (evicted workflows), KiB; NaN when N does not exceed it. */
  slopeBeyondKb: number;
  cpuStarting: CpuUsage;
  cpuIdle: CpuUsage;
  probes: ChangeProbe[];
  logs: LogSummary[];
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const p = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (p.length < 2) return NaN;
  const mx = p.reduce((s, [x]) => s + x, 0) / p.length;
  const my = p.reduce((s, [, y]) => s + y, 0) / p.length;
  const sxx = p.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx > 0 ? p.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx : NaN;
}

/** Where memory is read: every tenth of n, plus quarters of the cache while it fills. */
export function measurePoints(n: number, cacheSize: number): number[] {
  const points = new Set<number>();
  for (let i = 1; i <= 10; i++) points.add(Math.round((i * n) / 10));
  for (let i = 1; i <= 4; i++) {
    const p = Math.round((i * cacheSize) / 4);
    if (p < n) points.add(p);
  }
  return [...points].filter((p) => p > 0).sort((a, b) => a - b);
}

export async function memoryRound(ctx: MemoryRoundContext, code: Code, n: number): Promise<MemoryRound> {
  const { orm, temporal, log } = ctx;
  const svc = await startRound({ base: ctx.base, temporal, stackEnv: ctx.stackEnv, logDir: ctx.logDir, stack: ctx.stack, name: `memory-${code.label}`, code });
  let out: MemoryRound | undefined;
  try {
    log(`memory ${code.label} (${code.commit}): API and worker ready from ${code.root}, task queue ${svc.taskQueue}, workflow cache ${code.cacheSize}`);
    // 4 h / 8 h targets (warning at 80 %): no SLA timer of these tickets fires while the whole
    // benchmark runs (about an hour), so later rounds do not share Temporal with their firings.
    const fx = await createFixtures(orm.em.fork(), { targets: Object.fromEntries((['low', 'normal', 'high', 'urgent'] as const).map((p) => [p, { firstResponseSeconds: 4 * 3600 }])) });
    const { policy, listeners } = await policyAndListeners(orm, fx.policyId);
    const admin = await apiLogin(ctx.base, fx.users.admin.email, PASSWORD);

    const i0 = performance.now();
    const now = Date.now();
    // Created over the last 10 minutes, oldest first: every workflow's first task only sets its timer.
    const spreadMs = 10 * 60_000;
    const tickets = await insertTickets(
      orm,
      ctx.ticketPrefix,
      fx,
      policy,
      Array.from({ length: n }, (_, i) => Math.round(now - spreadMs + (i * spreadMs) / n)),
      `memory ${code.label}`,
    );
    const insertSeconds = (performance.now() - i0) / 1000;
    log(`memory ${code.label}: ${tickets.length} ticket rows inserted in ${insertSeconds.toFixed(1)} s`);

    const startCtx: StartContext = {
      temporal,
      taskQueue: svc.taskQueue,
      workflowType: code.label === 'new' ? TICKET_WORKFLOW_TYPE : LEGACY_TICKET_WORKFLOW_TYPE,
      policy,
      listeners: code.label === 'new' ? listeners : null,
      fx,
    };
    await sleep(3000);
    const points: MemoryPoint[] = [memoryPoint(svc.pids, 'before', 0)];
    const latencies: number[] = [];
    const startErrors: Record<string, number> = {};
    let startMs = 0;
    let notQuiet = 0;
    let done = 0;
    const c0 = svc.monitor.snapshot();
    for (const p of measurePoints(n, code.cacheSize)) {
      const s0 = performance.now();
      const r = await startWorkflows(startCtx, tickets.slice(done, p), ctx.startConcurrency);
      startMs += performance.now() - s0;
      latencies.push(...r.latencies);
      for (const [k, v] of Object.entries(r.errors)) startErrors[k] = (startErrors[k] ?? 0) + v;
      done = p;
      if (!(await waitQuiet(temporal, svc.taskQueue, 120_000))) notQuiet++;
      const m = memoryPoint(svc.pids, `${p.toLocaleString('en-US')} started`, p);
      points.push(m);
      log(
        `memory ${code.label}: ${p}/${n} started (${(latencies.length / (startMs / 1000)).toFixed(0)}/s so far): worker RSS ${Math.round(m.workerRssKb / 1024)} MiB (PSS ${Math.round(m.workerPssKb / 1024)}), ` +
          `API ${Math.round(m.apiRssKb / 1024)}, Temporal ${Math.round(m.temporalRssKb / 1024)}, PostgreSQL PSS ${Math.round(m.postgresPssKb / 1024)} MiB`,
      );
      assertRunning([svc.api, svc.worker]);
    }
    const c1 = svc.monitor.snapshot();
    await sleep(15_000);
    const c2 = svc.monitor.snapshot();
    points.push(memoryPoint(svc.pids, 'end (15 s idle)', n));

    const probes = await changeProbes(ctx, svc.monitor, admin, code, tickets);
    points.push(memoryPoint(svc.pids, `after ${ctx.probes * 2} changes`, n));
    assertRunning([svc.api, svc.worker]);

    const fill = points.filter((p) => p.open <= code.cacheSize && p.label !== 'end (15 s idle)' && !p.label.startsWith('after'));
    const beyond = points.filter((p) => p.open >= code.cacheSize && p.label.endsWith('started'));
    out = {
      code,
      taskQueue: svc.taskQueue,
      n,
      firstResponseHours: 4,
      insertSeconds,
      startSeconds: startMs / 1000,
      startsPerSecond: latencies.length / (startMs / 1000),
      startLatency: distribution(latencies),
      startErrors,
      notQuiet,
      points,
      slopeFillKb: slope(fill.map((p) => [p.open, p.workerRssKb])),
      slopeBeyondKb: beyond.length >= 2 ? slope(beyond.map((p) => [p.open, p.workerRssKb])) : NaN,
      cpuStarting: svc.monitor.usage(c0, c1),
      cpuIdle: svc.monitor.usage(c1, c2),
      probes,
      logs: [],
    };
    return out;
  } finally {
    const logs = await svc.stop();
    if (out) out.logs = logs;
  }
}

/**
 * One change at a time through the API, as the fixture admin: first to the newest tickets (their
 * workflows are the most recently used, so cached), then to the oldest (evicted once more than
 * the cache size started after them, so the worker replays their history first).
 */
async function changeProbes(ctx: MemoryRoundContext, monitor: CpuMonitor, admin: string, code: Code, tickets: SeededTicket[]): Promise<ChangeProbe[]> {
  const n = tickets.length;
  const k = Math.min(ctx.probes, Math.floor(n / 2));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = async (ids: number[]) => {
    const lat: number[] = [];
    const errors: Record<string, number> = {};
    for (const id of ids) {
      const r = await request(agent, ctx.base, 'POST', `/api/v1/tickets/${id}/priority`, { token: admin, body: { priority: 'high' } });
      if (r.status === 200) lat.push(r.ms);
      else {
        const kind = r.error ?? `HTTP ${r.status}`;
        errors[kind] = (errors[kind] ?? 0) + 1;
      }
    }
    return { lat, errors };
  };
  try {
    // Warm-up (JIT, pools) on cached tickets that are not measured.
    await send(
      tickets
        .slice(Math.max(0, n - k - 20), n - k)
        .map((t) => t.id)
        .reverse(),
    );
    const out: ChangeProbe[] = [];
    for (const [kind, ids] of [
      ['cached', tickets.slice(n - k).map((t) => t.id)],
      ['evicted', tickets.slice(0, k).map((t) => t.id)],
    ] as const) {
      const c0 = monitor.snapshot();
      const r = await send(ids);
      const c1 = monitor.snapshot();
      const certain = kind === 'cached' ? k + 20 <= code.cacheSize : n - k >= code.cacheSize;
      const d = distribution(r.lat);
      out.push({ kind, certain, latency: d, errors: r.errors, cpu: monitor.usage(c0, c1) });
      ctx.log(
        `memory ${code.label}: change to ${k} ${kind} tickets${certain ? '' : ' (NOT certain: cache size vs N)'}: p50 ${d.p50.toFixed(0)} p95 ${d.p95.toFixed(0)} p99 ${d.p99.toFixed(0)} max ${d.max.toFixed(0)} ms, errors ${JSON.stringify(r.errors)}`,
      );
    }
    return out;
  } finally {
    agent.destroy();
  }
}
