import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mehrdesk/core/db';
import type { WebhookRetrySettings } from '@mehrdesk/workflows/activity-contracts';
import type { ManagedProcess } from '../../stack/processes';
import { createFixtures, PASSWORD } from '../../testing/fixtures';
import { CpuMonitor, type CpuGroup, type CpuUsage } from '../lib/cpu';
import { apiLogin, startService, summarizeLog, waitApiReady, waitWorkerPolling, type LogSummary } from '../lib/services';
import type { Code } from './codes';
import { subscriptionStates, type SubscriptionState } from './deliveries';
import { drainPart, pacedPart, throughputPart, type DrainResult, type PacedResult, type PartContext, type ThroughputResult } from './parts';
import type { ReceiverCounts, ReceiverMode, WebhookReceiver } from './receiver';
import { keepOnly, subscribe, unsubscribe } from './subscriptions';
import { ticketSender } from './tickets';

// One round of the webhook benchmark: the API and the worker of one code root (old or new),
// started as production runs them on a task queue of their own, with subscriptions of the
// round's own (any earlier round's are deleted first, since every listening subscription gets a
// delivery per ticket), a warm-up, a baseline without new tickets, then the parts asked for. The services stop
// and the subscriptions are deleted at the end, so the next round starts from the same state.

export interface RoundContext {
  base: URL;
  orm: MikroORM;
  temporal: Client;
  /** The launcher's environment plus what every round runs with (WEBHOOK_ALLOW_PRIVATE, retry delay, ...). */
  env: NodeJS.ProcessEnv;
  logDir: string;
  receiver: WebhookReceiver;
  /** Processes measured besides the round's API and worker (Temporal, PostgreSQL, this process, ...). */
  stackGroups: CpuGroup[];
  subscriptions: number;
  count: number;
  concurrency: number;
  pacedSeconds: number;
  backlog: number;
  outage: Exclude<ReceiverMode, 'up'>;
  retry: WebhookRetrySettings;
  timeoutMs: number;
  baselineSeconds: number;
  log: (m: string) => void;
}

export interface RoundPlan {
  throughput: boolean;
  /** Tickets/s for part L (0 skips it), or from this round's part A when null. */
  pacedRate: number | null;
  drain: boolean;
}

export interface RoundResult {
  index: number;
  code: Code;
  taskQueue: string;
  groups: string[];
  pids: Record<string, number | null>;
  subscriptionIds: number[];
  /** Listening subscriptions of earlier rounds deleted before this round measured (none when their clean-up ran). */
  retired: number[];
  /** At the end of the round, before they were deleted (part B's auto-disable check). */
  subscriptions: SubscriptionState[];
  /** The receiver's requests during this round. */
  receiver: ReceiverCounts;
  /** CPU in the 5 s after the warm-up with no new tickets (not always idle), for the per-delivery figures net of it. */
  baseline: CpuUsage;
  pacedRate: number | null;
  throughput: ThroughputResult | null;
  paced: PacedResult | null;
  drain: DrainResult | null;
  logs: LogSummary[];
}

function countsSince(now: ReceiverCounts, before: ReceiverCounts): ReceiverCounts {
  const out = { ...now };
  for (const k of Object.keys(out) as Array<keyof ReceiverCounts>) out[k] = now[k] - before[k];
  return out;
}

/** Half of part A's flowing ticket rate, in steps of 0.5 tickets/s, at least 0.5. */
export const halfOfFlowing = (a: ThroughputResult, subscriptions: number) => Math.max(0.5, Math.round((a.steadyDeliveriesPerSecond / subscriptions / 2) * 2) / 2);

export async function runRound(ctx: RoundContext, index: number, code: Code, plan: RoundPlan): Promise<RoundResult> {
  const { base, orm, temporal, receiver, log } = ctx;
  const taskQueue = `bench-wh${index}-${code.label}-${randomBytes(3).toString('hex')}`;
  const logDir = path.join(ctx.logDir, `round-${index}-${code.label}`);
  fs.mkdirSync(logDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...ctx.env, TEMPORAL_TASK_QUEUE: taskQueue };
  const worker = startService('worker', env, logDir, code.root);
  const api = startService('api', env, logDir, code.root);
  const services: ManagedProcess[] = [worker, api];
  const counts0 = { ...receiver.counts };
  let monitor: CpuMonitor | undefined;
  let admin: string | undefined;
  let subscriptionIds: number[] = [];
  try {
    await waitApiReady(base, services, 120_000);
    await waitWorkerPolling(temporal, taskQueue, worker);
    log(`round ${index} (${code.label}, ${code.commit}): API and worker ready from ${code.root} (task queue ${taskQueue}, logs in ${logDir})`);

    const pids: Record<string, number | null> = { API: api.pid ?? null, worker: worker.pid ?? null };
    for (const g of ctx.stackGroups) pids[g.name] = g.pid;
    const groups: CpuGroup[] = [...(api.pid ? [{ name: 'API', pid: api.pid, tree: true }] : []), ...(worker.pid ? [{ name: 'worker', pid: worker.pid, tree: true }] : []), ...ctx.stackGroups];
    monitor = new CpuMonitor(groups);
    monitor.start(1000);

    const fx = await createFixtures(orm.em.fork());
    admin = await apiLogin(base, fx.users.admin.email, PASSWORD);
    const customer = await apiLogin(base, fx.users.customer.email, PASSWORD);
    subscriptionIds = await subscribe(base, admin, receiver, `r${index}`, ctx.subscriptions);
    const retired = await keepOnly(orm, base, admin, subscriptionIds);
    if (retired.length) log(`round ${index}: deleted ${retired.length} subscription(s) left by an earlier round (${retired.join(', ')})`);
    const part: PartContext = { orm, temporal, taskQueue, receiver, monitor, services, subscriptions: ctx.subscriptions, log: (m) => log(`${code.label} ${m}`) };
    const send = (label: string) => ticketSender(base, customer, fx.categoryId, `r${index} ${label}`);

    // Warm-up (JIT, pools, task queue): 20 tickets, not recorded; then the baseline.
    await throughputPart(part, send('warm-up'), 20, 2, 120_000);
    const b0 = monitor.snapshot();
    await sleep(ctx.baselineSeconds * 1000);
    const baseline = monitor.usage(b0, monitor.snapshot());
    log(`round ${index}: warm-up done`);

    const throughput = plan.throughput ? await throughputPart(part, send('A'), Math.ceil(ctx.count / ctx.subscriptions), ctx.concurrency, ctx.timeoutMs) : null;
    if (throughput)
      log(
        `round ${index} ${code.label} A: ${throughput.outcome.delivered}/${throughput.outcome.expected} in ${throughput.seconds.toFixed(1)} s = ${throughput.deliveriesPerSecond.toFixed(1)}/s (steady ${throughput.steadyDeliveriesPerSecond.toFixed(1)}/s); ` +
          `event→receiver p50 ${throughput.eventLatencyMs.p50.toFixed(0)} p99 ${throughput.eventLatencyMs.p99.toFixed(0)} ms; duplicates ${throughput.outcome.duplicates}, failed ${throughput.outcome.failed}`,
      );

    const pacedRate = plan.pacedRate ?? (throughput ? halfOfFlowing(throughput, ctx.subscriptions) : 2);
    const paced = pacedRate > 0 && ctx.pacedSeconds > 0 ? await pacedPart(part, send('L'), pacedRate, ctx.pacedSeconds, ctx.timeoutMs) : null;
    if (paced)
      log(
        `round ${index} ${code.label} L: ${paced.ticketsPerSecond} tickets/s (${paced.offeredDeliveriesPerSecond} deliveries/s): event→receiver p50 ${paced.eventLatencyMs.p50.toFixed(0)} p95 ${paced.eventLatencyMs.p95.toFixed(0)} p99 ${paced.eventLatencyMs.p99.toFixed(0)} ms; fan-out spread p50 ${paced.fanoutSpreadMs.p50.toFixed(0)} ms`,
      );

    const drain = plan.drain
      ? await drainPart(part, send('B'), { tickets: Math.ceil(ctx.backlog / ctx.subscriptions), concurrency: ctx.concurrency, outage: ctx.outage, retry: ctx.retry, timeoutMs: ctx.timeoutMs })
      : null;
    if (drain)
      log(
        `round ${index} ${code.label} B: ${drain.outcome.delivered}/${drain.outcome.expected} drained in ${drain.drainSeconds.toFixed(1)} s (${drain.deliveriesPerSecond.toFixed(1)}/s; backoff floor ${drain.backoffFloorSeconds.toFixed(1)} s); duplicates ${drain.outcome.duplicates}, failed ${drain.outcome.failed}`,
      );
    monitor.stop();
    return {
      index,
      code,
      taskQueue,
      groups: groups.map((g) => g.name),
      pids,
      subscriptionIds,
      retired,
      subscriptions: await subscriptionStates(orm, subscriptionIds),
      receiver: countsSince(receiver.counts, counts0),
      baseline,
      pacedRate: paced ? pacedRate : null,
      throughput,
      paced,
      drain,
      logs: [summarizeLog(path.join(logDir, 'api.log')), summarizeLog(path.join(logDir, 'worker.log'))],
    };
  } finally {
    monitor?.stop();
    // The next round's tickets must reach only its own subscriptions.
    if (admin && api.running)
      await unsubscribe(base, admin, subscriptionIds).catch((err: unknown) => log(`round ${index}: deleting its subscriptions failed (the next round retires them): ${String(err)}`));
    await Promise.all(services.map((s) => s.stop(15_000)));
  }
}
