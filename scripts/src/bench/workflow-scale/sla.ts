import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mehrdesk/core/db';
import { LEGACY_TICKET_WORKFLOW_TYPE, TICKET_WORKFLOW_TYPE } from '@mehrdesk/workflows/contracts';
import { createFixtures, PASSWORD, type Fixtures } from '../../testing/fixtures';
import type { CpuUsage } from '../lib/cpu';
import { distribution, request, type Distribution } from '../lib/load';
import { apiLogin, assertRunning, type LogSummary } from '../lib/services';
import { BacklogSampler, type BacklogSummary } from '../lib/temporal-backlog';
import { openLoop, type OpenLoopResult } from '../ticket-path/open-loop';
import { startLags } from '../ticket-path/pipeline';
import { insertTickets, policyAndListeners, startWorkflows, type StartContext } from './seed';
import { startRound, waitQuiet, type Code, type StackPids } from './services';

// Part "sla": `timers` open tickets whose first-response deadlines fall evenly over a window that
// starts `leadSeconds` after all their workflows run, while new tickets arrive through the API at
// an open-loop rate. Breach lateness is read from sla_events: the row's created_at (when the
// database recorded it) and its actual_at (the workflow's clock in the task that handled the
// timer), each minus target_at (the due instant).

export interface SlaRoundContext {
  base: URL;
  orm: MikroORM;
  temporal: Client;
  stackEnv: NodeJS.ProcessEnv;
  logDir: string;
  stack: StackPids;
  ticketPrefix: string;
  startConcurrency: number;
  timers: number;
  /** First-response target of the timer tickets' policy, s (warning at 80 % of it). */
  targetSeconds: number;
  windowSeconds: number;
  leadSeconds: number;
  createRate: number;
  /** Creation starts this long before the window, so the window sees a steady state. */
  createLeadSeconds: number;
  /** Longest wait for breaches after the window ends, s. */
  graceSeconds: number;
  log: (m: string) => void;
}

export interface SlaRound {
  code: Code;
  taskQueue: string;
  timers: number;
  startSeconds: number;
  startsPerSecond: number;
  startErrors: Record<string, number>;
  /** Seconds between the last workflow start (and its first task) and the first due instant. */
  gapBeforeWindowS: number;
  dueBeforeStarted: number;
  window: { start: string; end: string; seconds: number };
  create: Omit<OpenLoopResult, 'latencies' | 'ids'> & { latency: Distribution; created: number; startLagMs: Distribution };
  breachRecordedMs: Distribution;
  breachWorkflowMs: Distribution;
  warningRecordedMs: Distribution;
  bySlice: Array<{ slice: number; p50: number; p99: number; max: number }>;
  missingBreach: number;
  duplicateBreach: number;
  missingWarning: number;
  duplicateWarning: number;
  peakBreachesPerSecond: number;
  waitedAfterWindowS: number;
  timedOut: boolean;
  backlog: BacklogSummary;
  cpuWindow: CpuUsage;
  cpuFiring: CpuUsage;
  logs: LogSummary[];
}

export async function slaRound(ctx: SlaRoundContext, code: Code, startRateEstimate: number): Promise<SlaRound> {
  const { orm, temporal, log } = ctx;
  const svc = await startRound({ base: ctx.base, temporal, stackEnv: ctx.stackEnv, logDir: ctx.logDir, stack: ctx.stack, name: `sla-${code.label}`, code });
  let out: SlaRound | undefined;
  try {
    log(`sla ${code.label} (${code.commit}): API and worker ready, task queue ${svc.taskQueue}`);
    const target = { firstResponseSeconds: ctx.targetSeconds };
    const fxTimers = await createFixtures(orm.em.fork(), { targets: { low: target, normal: target, high: target, urgent: target }, warningFraction: 0.8 });
    const fxLoad = await createFixtures(orm.em.fork());
    const customer = await apiLogin(ctx.base, fxLoad.users.customer.email, PASSWORD);
    const { policy, listeners } = await policyAndListeners(orm, fxTimers.policyId);

    // Place the window so that it opens `leadSeconds` after the starts are expected to finish.
    const expectedStartS = (ctx.timers / startRateEstimate) * 1.25 + 10;
    const windowStart = Date.now() + (expectedStartS + ctx.leadSeconds) * 1000;
    const windowMs = ctx.windowSeconds * 1000;
    const dueAt = Array.from({ length: ctx.timers }, (_, i) => Math.round(windowStart + ((i + 0.5) * windowMs) / ctx.timers));
    const tickets = await insertTickets(
      orm,
      ctx.ticketPrefix,
      fxTimers,
      policy,
      dueAt.map((d) => d - ctx.targetSeconds * 1000),
      `sla ${code.label}`,
    );
    const firstDue = tickets[0]?.clocks.find((c) => c.name === 'first_response')?.dueAt;
    if (firstDue !== dueAt[0]) throw new Error(`the policy's first-response deadline is ${firstDue}, expected ${dueAt[0]}: the fixture calendar must be always open`);
    const startCtx: StartContext = {
      temporal,
      taskQueue: svc.taskQueue,
      workflowType: code.label === 'new' ? TICKET_WORKFLOW_TYPE : LEGACY_TICKET_WORKFLOW_TYPE,
      policy,
      listeners: code.label === 'new' ? listeners : null,
      fx: fxTimers,
    };
    log(`sla ${code.label}: starting ${tickets.length} workflows (expected ~${expectedStartS.toFixed(0)} s); the window opens in ${((windowStart - Date.now()) / 1000).toFixed(0)} s`);
    const s0 = performance.now();
    const started = await startWorkflows(startCtx, tickets, ctx.startConcurrency);
    const startSeconds = (performance.now() - s0) / 1000;
    await waitQuiet(temporal, svc.taskQueue, Math.max(10_000, windowStart - Date.now() - 5000));
    const allStartedAt = Date.now();
    const gapBeforeWindowS = (windowStart - allStartedAt) / 1000;
    const dueBeforeStarted = dueAt.filter((d) => d < allStartedAt).length;
    log(`sla ${code.label}: started in ${startSeconds.toFixed(1)} s (${(started.latencies.length / startSeconds).toFixed(0)}/s), first task done; ${gapBeforeWindowS.toFixed(0)} s before the window`);

    const createStart = windowStart - ctx.createLeadSeconds * 1000;
    if (createStart > Date.now()) await sleep(createStart - Date.now());
    const sampler = new BacklogSampler(temporal, svc.taskQueue).start();
    const c0 = svc.monitor.snapshot();
    const load = await openLoop({
      ratePerSecond: ctx.createRate,
      durationMs: windowStart + windowMs - createStart,
      maxInFlight: 400,
      send: ticketSender(ctx.base, customer, fxLoad, code.label),
    });
    const c1 = svc.monitor.snapshot();
    assertRunning([svc.api, svc.worker]);
    log(`sla ${code.label}: window over; ${load.ok} tickets created (429: ${load.tooMany}, other errors ${JSON.stringify(load.errors)}); waiting for breaches`);

    const ids = tickets.map((t) => t.id);
    const idArray = `{${ids.join(',')}}`;
    const windowEnd = windowStart + windowMs;
    let timedOut = false;
    for (;;) {
      const [row] = await orm.em
        .fork()
        .execute<{ n: string }[]>(`select count(distinct ticket_id) as n from sla_events where ticket_id = any(?::int[]) and type = 'breach' and clock = 'first_response'`, [idArray]);
      if (Number(row?.n ?? 0) >= ids.length) break;
      if (Date.now() > windowEnd + ctx.graceSeconds * 1000) {
        timedOut = true;
        break;
      }
      await sleep(2000);
    }
    const waitedAfterWindowS = Math.max(0, (Date.now() - windowEnd) / 1000);
    await sleep(3000); // late duplicates, if any, get a chance to show up
    const c2 = svc.monitor.snapshot();
    const backlog = await sampler.stop();

    const events = await orm.em.fork().execute<{ ticket_id: number; type: string; recorded: string; workflow: string; target: string; actual: string }[]>(
      `select ticket_id, type, extract(epoch from (created_at - target_at)) * 1000 as recorded, extract(epoch from (actual_at - target_at)) * 1000 as workflow,
              extract(epoch from target_at) * 1000 as target, extract(epoch from actual_at) * 1000 as actual
         from sla_events where ticket_id = any(?::int[]) and clock = 'first_response' and type in ('warning', 'breach')`,
      [idArray],
    );
    const per = new Map<number, { breach: number; warning: number }>(ids.map((id) => [id, { breach: 0, warning: 0 }]));
    for (const e of events) {
      const p = per.get(e.ticket_id);
      if (p) p[e.type as 'breach' | 'warning']++;
    }
    const breaches = events.filter((e) => e.type === 'breach').sort((a, b) => Number(a.target) - Number(b.target));
    const bySlice = Array.from({ length: 10 }, (_, i) => {
      const d = distribution(breaches.slice(Math.floor((i * breaches.length) / 10), Math.floor(((i + 1) * breaches.length) / 10)).map((e) => Number(e.recorded)));
      return { slice: i + 1, p50: d.p50, p99: d.p99, max: d.max };
    });
    const perSecond = new Map<number, number>();
    for (const e of breaches) {
      const s = Math.floor(Number(e.actual) / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    const counts = [...per.values()];
    const { latencies, ids: createdIds, ...loadSummary } = load;
    const result: SlaRound = (out = {
      code,
      taskQueue: svc.taskQueue,
      timers: ids.length,
      startSeconds,
      startsPerSecond: started.latencies.length / startSeconds,
      startErrors: started.errors,
      gapBeforeWindowS,
      dueBeforeStarted,
      window: { start: new Date(windowStart).toISOString(), end: new Date(windowEnd).toISOString(), seconds: ctx.windowSeconds },
      create: { ...loadSummary, latency: distribution(latencies), created: createdIds.length, startLagMs: distribution(await startLags(orm, createdIds)) },
      breachRecordedMs: distribution(breaches.map((e) => Number(e.recorded))),
      breachWorkflowMs: distribution(breaches.map((e) => Number(e.workflow))),
      warningRecordedMs: distribution(events.filter((e) => e.type === 'warning').map((e) => Number(e.recorded))),
      bySlice,
      missingBreach: counts.filter((c) => c.breach === 0).length,
      duplicateBreach: counts.filter((c) => c.breach > 1).length,
      missingWarning: counts.filter((c) => c.warning === 0).length,
      duplicateWarning: counts.filter((c) => c.warning > 1).length,
      peakBreachesPerSecond: Math.max(0, ...perSecond.values()),
      waitedAfterWindowS,
      timedOut,
      backlog,
      cpuWindow: svc.monitor.usage(c0, c1),
      cpuFiring: svc.monitor.usage(c0, c2),
      logs: [],
    });
    const b = result.breachRecordedMs;
    log(
      `sla ${code.label}: breach lateness (recorded) p50 ${b.p50.toFixed(0)} p95 ${b.p95.toFixed(0)} p99 ${b.p99.toFixed(0)} max ${b.max.toFixed(0)} ms; ` +
        `missing ${result.missingBreach}, duplicated ${result.duplicateBreach}; creation p50 ${result.create.latency.p50.toFixed(0)} p99 ${result.create.latency.p99.toFixed(0)} ms`,
    );
    return result;
  } finally {
    const logs = await svc.stop();
    if (out) out.logs = logs;
  }
}

function ticketSender(base: URL, token: string, fx: Fixtures, label: string) {
  return (agent: http.Agent, i: number) =>
    request(agent, base, 'POST', '/api/v1/tickets', {
      token,
      body: {
        subject: `[bench sla ${label}] printer on floor 3 jammed (#${i})`,
        body: `<p>Benchmark ticket ${label}-${i}: the printer on floor 3 reports <b>paper jam</b> again.</p>`,
        categoryId: fx.categoryId,
      },
    });
}
