import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mehrdesk/core/db';
import type { ManagedProcess } from '../../stack/processes';
import { createFixtures, PASSWORD, type Fixtures } from '../../testing/fixtures';
import { CpuMonitor, type CpuGroup, type CpuSnapshot, type CpuUsage } from '../lib/cpu';
import { distribution, request, type Distribution } from '../lib/load';
import { apiLogin, assertRunning, startService, summarizeLog, waitApiReady, waitWorkerPolling, type LogSummary } from '../lib/services';
import { BacklogSampler, type BacklogSummary } from '../lib/temporal-backlog';
import type { WebhookReceiver } from '../webhooks/receiver';
import { openLoop, type OpenLoopResult } from './open-loop';
import { drain, outcome, startLags, type Drain, type Outcome } from './pipeline';

// One round of the ticket-path benchmark: the API and the worker of one code root (old or new)
// started as production runs them on a task queue of their own, fixtures with one automation
// rule (ticket.created) and one webhook subscription (ticket.updated), a warm-up, an idle
// baseline, then each offered rate for a fixed time, each followed by waiting for its tickets'
// workflows. The services stop at the end, so every round starts from the same state.

export interface Code {
  label: 'old' | 'new';
  root: string;
  commit: string;
  /** First line of the commit message, or "working tree". */
  subject: string;
}

export interface RoundContext {
  base: URL;
  orm: MikroORM;
  temporal: Client;
  /** The launcher's environment (DATABASE_URL, TEMPORAL_ADDRESS, SMTP_URL, PORT, ...). */
  stackEnv: NodeJS.ProcessEnv;
  logDir: string;
  receiver: WebhookReceiver;
  /** Process groups measured besides the round's API and worker (Temporal, PostgreSQL, ...). */
  stackGroups: CpuGroup[];
  rates: number[];
  stepSeconds: number;
  warmupSeconds: number;
  warmupRate: number;
  baselineSeconds: number;
  drainTimeoutSeconds: number;
  maxInFlight: number;
  log: (m: string) => void;
}

export type LoadSummary = Omit<OpenLoopResult, 'latencies' | 'ids'>;

export interface StepResult {
  rate: number;
  load: LoadSummary;
  created: number;
  /** Created tickets ÷ the time from the first request due until the last answer. */
  achievedPerSecond: number;
  latency: Distribution;
  drain: Drain;
  startLagMs: Distribution;
  outcome: Outcome;
  backlog: BacklogSummary;
  /** While requests were being sent. */
  cpuStep: CpuUsage;
  /** From the step's first request until its tickets settled (or the wait ended). */
  cpuWindow: CpuUsage;
  /** CPU ms per created ticket over cpuWindow, each group's idle baseline taken off. */
  perTicketMs: Record<string, number>;
  /** Processes outside this run over the same window, ms per created ticket (not in the total). */
  otherPerTicketMs: number;
  webhookRequests: number;
}

export interface RoundResult {
  index: number;
  code: Code;
  taskQueue: string;
  pids: Record<string, number | null>;
  groups: string[];
  ruleId: number;
  subscriptionId: number;
  warmup: { created: number; errors: number; settledAfterS: number | null };
  baseline: CpuUsage;
  steps: StepResult[];
  /** Every step of the round from the first request until the last step settled. */
  whole: { tickets: number; cpu: CpuUsage; perTicketMs: Record<string, number>; otherPerTicketMs: number } | null;
  logs: LogSummary[];
}

const errorCount = (r: LoadSummary) => r.tooMany + r.notSent + Object.values(r.errors).reduce((a, b) => a + b, 0);

/** CPU ms per ticket per group over a window, minus what each group used idle over as long. */
function perTicket(u: CpuUsage, baseline: CpuUsage, tickets: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [g, cpuS] of Object.entries(u.cpuSeconds)) {
    const idle = ((baseline.pct[g] ?? 0) / 100) * u.seconds;
    out[g] = tickets > 0 ? (1000 * Math.max(0, cpuS - (Number.isFinite(idle) ? idle : 0))) / tickets : NaN;
  }
  return out;
}

function ticketSender(base: URL, token: string, fx: Fixtures, label: string) {
  return (agent: http.Agent, i: number) =>
    request(agent, base, 'POST', '/api/v1/tickets', {
      token,
      body: {
        subject: `[bench ${label}] printer on floor 3 jammed (#${i})`,
        body: `<p>Benchmark ticket ${label}-${i}: the printer on floor 3 reports <b>paper jam</b> again.</p>`,
        categoryId: fx.categoryId,
      },
    });
}

async function adminCall(base: URL, token: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: string }> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    return await request(agent, base, method, p, { token, body });
  } finally {
    agent.destroy();
  }
}

export async function runRound(ctx: RoundContext, index: number, code: Code): Promise<RoundResult> {
  const { base, orm, temporal, log } = ctx;
  const taskQueue = `bench-tp${index}-${code.label}-${randomBytes(3).toString('hex')}`;
  // Production's environment plus a task queue of this round's own and loopback webhook
  // receivers allowed (the SSRF guard refuses 127.0.0.1 otherwise, as in the webhook tests).
  const env: NodeJS.ProcessEnv = { ...ctx.stackEnv, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn', NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE: 'true' };
  const logDir = path.join(ctx.logDir, `round-${index}-${code.label}`);
  fs.mkdirSync(logDir, { recursive: true });
  const worker = startService('worker', env, logDir, code.root);
  const api = startService('api', env, logDir, code.root);
  const services: ManagedProcess[] = [worker, api];
  let monitor: CpuMonitor | undefined;
  let admin: string | undefined;
  let ruleId = 0;
  let subscriptionId = 0;
  try {
    await waitApiReady(base, services, 120_000);
    await waitWorkerPolling(temporal, taskQueue, worker);
    log(`round ${index} (${code.label}, ${code.commit}): API and worker ready from ${code.root} (task queue ${taskQueue})`);

    const fx = await createFixtures(orm.em.fork());
    admin = await apiLogin(base, fx.users.admin.email, PASSWORD);
    const customer = await apiLogin(base, fx.users.customer.email, PASSWORD);
    const rule = await adminCall(base, admin, 'POST', '/api/v1/rules', {
      name: `bench ${fx.suffix}: urgent tickets are VIP`,
      definition: {
        trigger: 'ticket.created',
        conditions: { all: [{ fact: 'ticket.priority', operator: 'equal', value: 'urgent' }] },
        actions: [{ type: 'add_tags', params: { tags: ['vip'] } }],
      },
    });
    if (rule.status !== 201) throw new Error(`creating the rule failed: ${rule.status} ${rule.body}`);
    ruleId = (JSON.parse(rule.body) as { id: number }).id;
    const hookPath = `/hook/round-${index}`;
    const hook = await adminCall(base, admin, 'POST', '/api/v1/webhooks', { name: `bench ${fx.suffix}`, url: ctx.receiver.url(hookPath), events: ['ticket.updated'] });
    if (hook.status !== 201) throw new Error(`subscribing the receiver failed: ${hook.status} ${hook.body}`);
    const sub = JSON.parse(hook.body) as { id: number; secret: string };
    subscriptionId = sub.id;
    ctx.receiver.addSecret(hookPath, sub.secret);

    const pids: Record<string, number | null> = { API: api.pid ?? null, worker: worker.pid ?? null };
    for (const g of ctx.stackGroups) pids[g.name] = g.pid;
    const groups: CpuGroup[] = [...(api.pid ? [{ name: 'API', pid: api.pid, tree: true }] : []), ...(worker.pid ? [{ name: 'worker', pid: worker.pid, tree: true }] : []), ...ctx.stackGroups];
    monitor = new CpuMonitor(groups);
    monitor.start(1000);
    const send = ticketSender(base, customer, fx, `r${index}`);

    // Warm-up (JIT, connection pools, caches, the task queue): not recorded.
    const warm = await openLoop({ ratePerSecond: ctx.warmupRate, durationMs: ctx.warmupSeconds * 1000, maxInFlight: ctx.maxInFlight, send });
    const warmDrain = await drain(orm, temporal, taskQueue, warm.ids, ruleId, ctx.drainTimeoutSeconds * 1000);
    log(`round ${index}: warm-up ${warm.ids.length} tickets, settled ${warmDrain.settledAfterS === null ? 'NOT' : `after ${warmDrain.settledAfterS.toFixed(1)} s`}`);
    const b0 = monitor.snapshot();
    await sleep(ctx.baselineSeconds * 1000);
    const baseline = monitor.usage(b0, monitor.snapshot());

    const steps: StepResult[] = [];
    let first: CpuSnapshot | undefined;
    let last: CpuSnapshot | undefined;
    for (const rate of ctx.rates) {
      const sampler = new BacklogSampler(temporal, taskQueue).start();
      const hooksBefore = ctx.receiver.counts.requests;
      const c0 = monitor.snapshot();
      first ??= c0;
      const r = await openLoop({ ratePerSecond: rate, durationMs: ctx.stepSeconds * 1000, maxInFlight: ctx.maxInFlight, send });
      const c1 = monitor.snapshot();
      const d = await drain(orm, temporal, taskQueue, r.ids, ruleId, ctx.drainTimeoutSeconds * 1000);
      const c2 = monitor.snapshot();
      last = c2;
      const bl = await sampler.stop();
      const cpuWindow = monitor.usage(c0, c2);
      const { latencies, ids, ...load } = r;
      const step: StepResult = {
        rate,
        load,
        created: ids.length,
        achievedPerSecond: ids.length / (r.elapsedMs / 1000),
        latency: distribution(latencies),
        drain: d,
        startLagMs: distribution(await startLags(orm, ids)),
        outcome: await outcome(orm, ids, ruleId),
        backlog: bl,
        cpuStep: monitor.usage(c0, c1),
        cpuWindow,
        perTicketMs: perTicket(cpuWindow, baseline, ids.length),
        otherPerTicketMs: ids.length ? (10 * cpuWindow.otherPct * cpuWindow.seconds) / ids.length : NaN,
        webhookRequests: ctx.receiver.counts.requests - hooksBefore,
      };
      steps.push(step);
      const total = Object.values(step.perTicketMs).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
      log(
        `round ${index} ${code.label} ${rate}/s: ${step.achievedPerSecond.toFixed(1)} tickets/s, p50 ${step.latency.p50.toFixed(0)} p99 ${step.latency.p99.toFixed(0)} max ${step.latency.max.toFixed(0)} ms, ` +
          `errors ${errorCount(load)} (429: ${load.tooMany}, not sent: ${load.notSent}), started ${d.started}/${ids.length} ${d.startedAfterS === null ? 'NOT all' : `all ${d.startedAfterS.toFixed(1)} s after the step`}, ` +
          `settled ${d.settledAfterS === null ? 'NOT' : `${d.settledAfterS.toFixed(1)} s`}; start lag p99 ${step.startLagMs.p99.toFixed(0)} ms; CPU ${total.toFixed(1)} ms/ticket, machine ${step.cpuStep.machinePct.toFixed(0)} %`,
      );
      const o = step.outcome;
      if (o.activityFailures > 0 || (d.settledAfterS !== null && (o.ruleEvaluations < o.tickets || o.createdMails < o.tickets || o.assignedMails < o.assigned)))
        log(
          `round ${index} ${code.label} ${rate}/s: BROKEN: ${o.activityFailures} activity failure(s) recorded on tickets, rule evaluated for ${o.ruleEvaluations} of ${o.tickets} tickets, e-mails ${o.createdMails} created / ${o.assignedMails} assigned of ${o.assigned}; see ${path.relative(process.cwd(), logDir)}/worker.log`,
        );
      assertRunning(services);
    }
    const tickets = steps.reduce((s, x) => s + x.created, 0);
    let whole: RoundResult['whole'] = null;
    if (first && last) {
      const cpu = monitor.usage(first, last);
      whole = { tickets, cpu, perTicketMs: perTicket(cpu, baseline, tickets), otherPerTicketMs: tickets ? (10 * cpu.otherPct * cpu.seconds) / tickets : NaN };
    }
    monitor.stop();
    return {
      index,
      code,
      taskQueue,
      pids,
      groups: groups.map((g) => g.name),
      ruleId,
      subscriptionId,
      warmup: { created: warm.ids.length, errors: errorCount(warm), settledAfterS: warmDrain.settledAfterS },
      baseline,
      steps,
      whole,
      logs: [summarizeLog(path.join(logDir, 'api.log')), summarizeLog(path.join(logDir, 'worker.log'))],
    };
  } finally {
    monitor?.stop();
    // The next round gets one rule and one subscription again, not this round's as well.
    if (admin && api.running) {
      if (ruleId) await adminCall(base, admin, 'DELETE', `/api/v1/rules/${ruleId}`).catch(() => undefined);
      if (subscriptionId) await adminCall(base, admin, 'DELETE', `/api/v1/webhooks/${subscriptionId}`).catch(() => undefined);
    }
    await Promise.all(services.map((s) => s.stop(15_000)));
  }
}
