import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mehrdesk/core/db';
import type { ManagedProcess } from '../../stack/processes';
import type { CpuMonitor, CpuUsage } from '../lib/cpu';
import { distribution, type Distribution, type LoadResult } from '../lib/load';
import { assertRunning } from '../lib/services';
import { BacklogSampler, type BacklogSummary } from '../lib/temporal-backlog';
import { arrivalsFor, enqueueLatency, eventLatency, fanoutSpread, lastArrival, peakRate, steadyRate, waitForArrivals } from './arrivals';
import { attemptsHistogram, deliveryProgress, failedAttemptsBefore, type DeliveryProgress } from './deliveries';
import { deliveryHistory, ticketHistory, type HistoryCount } from './history';
import type { ReceiverMode, WebhookReceiver } from './receiver';
import { createTickets, createTicketsPaced, type Send } from './tickets';

// The three parts of the webhook benchmark. Each creates its own tickets, so its deliveries are
// told apart by ticket id: A, sustained throughput (tickets as fast as the API accepts them);
// L, latency at a rate below that; B, a backlog built up while the receiver is down, drained
// when it comes back.

export interface PartContext {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  receiver: WebhookReceiver;
  monitor: CpuMonitor;
  services: ManagedProcess[];
  subscriptions: number;
  log: (m: string) => void;
}

export interface Creation {
  tickets: number;
  seconds: number;
  ticketsPerSecond: number;
  p99Ms: number;
  errors: number;
}

const creation = (r: LoadResult): Creation => ({
  tickets: r.ids.length,
  seconds: r.elapsedMs / 1000,
  ticketsPerSecond: r.ids.length / (r.elapsedMs / 1000),
  p99Ms: distribution(r.latencies).p99,
  errors: Object.values(r.errors).reduce((a, b) => a + b, 0),
});

export interface Outcome {
  expected: number;
  /** Delivery rows the workflows recorded for the part's tickets. */
  recorded: number;
  delivered: number;
  /** Recorded deliveries that never reached the receiver. */
  missing: number;
  duplicates: number;
  /** Deliveries the database marks failed for good. */
  failed: number;
  pendingAtEnd: number;
  attemptsHistogram: Record<number, number>;
}

async function outcome(ctx: PartContext, ids: number[], expected: number): Promise<{ outcome: Outcome; arrivals: ReturnType<typeof arrivalsFor>['arrivals'] }> {
  await sleep(3000); // a late duplicate gets the chance to show up
  const { arrivals, duplicates } = arrivalsFor(ctx.receiver, new Set(ids));
  const db = await deliveryProgress(ctx.orm, ids);
  return {
    arrivals,
    outcome: {
      expected,
      recorded: db.rows,
      delivered: arrivals.length,
      missing: Math.max(0, db.rows - arrivals.length),
      duplicates,
      failed: db.failed,
      pendingAtEnd: db.pending,
      attemptsHistogram: await attemptsHistogram(ctx.orm, ids),
    },
  };
}

export interface ThroughputResult {
  concurrency: number;
  creation: Creation;
  complete: boolean;
  /** First ticket request → last delivery at the receiver. */
  seconds: number;
  deliveriesPerSecond: number;
  steadyDeliveriesPerSecond: number;
  peak10sDeliveriesPerSecond: number;
  /** Event (ticket created) → receiver, and delivery recorded → receiver. */
  eventLatencyMs: Distribution;
  enqueueLatencyMs: Distribution;
  /** Per ticket, its last delivery's arrival − its first. */
  fanoutSpreadMs: Distribution;
  outcome: Outcome;
  /** First ticket request → last delivery. */
  cpu: CpuUsage;
  backlog: BacklogSummary;
  /** Temporal histories of the part's first ticket and of one of its deliveries. */
  histories: { ticket: HistoryCount | null; delivery: HistoryCount | null };
}

/** Part A: tickets as fast as the API takes them, then until every delivery arrived. */
export async function throughputPart(ctx: PartContext, send: Send, tickets: number, concurrency: number, timeoutMs: number): Promise<ThroughputResult> {
  const backlog = new BacklogSampler(ctx.temporal, ctx.taskQueue).start();
  const c0 = ctx.monitor.snapshot();
  const t0 = Date.now();
  const r = await createTickets(send, tickets, concurrency);
  const expected = r.ids.length * ctx.subscriptions;
  ctx.log(`A: ${r.ids.length} tickets in ${(r.elapsedMs / 1000).toFixed(1)} s; waiting for ${expected} deliveries`);
  const wait = await waitForArrivals(ctx.receiver, new Set(r.ids), expected, timeoutMs, (n) => ctx.log(`A: ${n}/${expected} delivered`));
  const c1 = ctx.monitor.snapshot();
  const backlogSummary = await backlog.stop();
  assertRunning(ctx.services);
  const { outcome: o, arrivals } = await outcome(ctx, r.ids, expected);
  const seconds = (lastArrival(arrivals) - t0) / 1000;
  const firstTicket = r.ids[0];
  const oneDelivery = arrivals.find((x) => x.ticketId === firstTicket);
  return {
    histories: {
      ticket: firstTicket === undefined ? null : await ticketHistory(ctx.temporal, firstTicket),
      delivery: oneDelivery ? await deliveryHistory(ctx.temporal, oneDelivery.deliveryId) : null,
    },
    concurrency,
    creation: creation(r),
    complete: wait.complete,
    seconds,
    deliveriesPerSecond: arrivals.length / seconds,
    steadyDeliveriesPerSecond: steadyRate(arrivals),
    peak10sDeliveriesPerSecond: peakRate(arrivals),
    eventLatencyMs: eventLatency(arrivals),
    enqueueLatencyMs: enqueueLatency(arrivals),
    fanoutSpreadMs: fanoutSpread(arrivals, ctx.subscriptions),
    outcome: o,
    cpu: ctx.monitor.usage(c0, c1),
    backlog: backlogSummary,
  };
}

export interface PacedResult {
  ticketsPerSecond: number;
  offeredDeliveriesPerSecond: number;
  creation: Creation;
  complete: boolean;
  deliveriesPerSecond: number;
  eventLatencyMs: Distribution;
  enqueueLatencyMs: Distribution;
  fanoutSpreadMs: Distribution;
  outcome: Outcome;
  /** First ticket request → last delivery (so that CPU per delivery counts each delivery's work). */
  cpu: CpuUsage;
  backlog: BacklogSummary;
}

/** Part L: tickets at a fixed rate the system keeps up with: the latency of a delivery that does not queue. */
export async function pacedPart(ctx: PartContext, send: Send, ticketsPerSecond: number, seconds: number, timeoutMs: number): Promise<PacedResult> {
  const backlog = new BacklogSampler(ctx.temporal, ctx.taskQueue).start();
  const c0 = ctx.monitor.snapshot();
  const r = await createTicketsPaced(send, ticketsPerSecond, seconds);
  const expected = r.ids.length * ctx.subscriptions;
  const wait = await waitForArrivals(ctx.receiver, new Set(r.ids), expected, timeoutMs, (n) => ctx.log(`L: ${n}/${expected} delivered`));
  const c1 = ctx.monitor.snapshot();
  const backlogSummary = await backlog.stop();
  assertRunning(ctx.services);
  const { outcome: o, arrivals } = await outcome(ctx, r.ids, expected);
  return {
    ticketsPerSecond,
    offeredDeliveriesPerSecond: ticketsPerSecond * ctx.subscriptions,
    creation: creation(r),
    complete: wait.complete,
    deliveriesPerSecond: steadyRate(arrivals),
    eventLatencyMs: eventLatency(arrivals),
    enqueueLatencyMs: enqueueLatency(arrivals),
    fanoutSpreadMs: fanoutSpread(arrivals, ctx.subscriptions),
    outcome: o,
    cpu: ctx.monitor.usage(c0, c1),
    backlog: backlogSummary,
  };
}

export interface DrainResult {
  outageMode: Exclude<ReceiverMode, 'up'>;
  retryInitialMs: number;
  creation: Creation;
  /** Receiver down → every backlog delivery recorded and tried at least once → receiver back. */
  outageSeconds: number;
  atRecovery: DeliveryProgress;
  /** Requests the receiver answered with 503 during the outage (0 when it refused connections). */
  answered503: number;
  complete: boolean;
  drainSeconds: number;
  deliveriesPerSecond: number;
  peak10sDeliveriesPerSecond: number;
  /**
   * When the backoff let the last delivery try again, after recovery: no throughput can drain
   * the backlog sooner. From each delivery's failed attempts before recovery (n) and the last
   * one's time: next try = last + initial × 2^(n−1), at most 1 h.
   */
  backoffFloorSeconds: number;
  /** Arrival − max(recovery, the delivery's next try by the backoff): how far delivery fell behind the retry schedule. */
  lagBehindScheduleMs: Distribution;
  /** Failed attempts per delivery before recovery. */
  failedAttemptsBeforeRecovery: Distribution;
  outcome: Outcome;
  cpuOutage: CpuUsage;
  cpuDrain: CpuUsage;
  backlogDuringDrain: BacklogSummary;
}

/** Temporal's retry interval before attempt n+1 (coefficient 2, capped at the policy's maximum). */
const retryInterval = (initialMs: number, maximumMs: number, failed: number) => Math.min(maximumMs, initialMs * 2 ** (failed - 1));

/** Part B: build a backlog with the receiver down, then measure how it drains once it is back. */
export async function drainPart(
  ctx: PartContext,
  send: Send,
  opts: { tickets: number; concurrency: number; outage: Exclude<ReceiverMode, 'up'>; retry: { initialIntervalMs: number; maximumIntervalMs: number }; timeoutMs: number },
): Promise<DrainResult> {
  await ctx.receiver.setMode(opts.outage);
  const answered0 = ctx.receiver.counts.answered503;
  const c0 = ctx.monitor.snapshot();
  const down = Date.now();
  const r = await createTickets(send, opts.tickets, opts.concurrency);
  const ids = r.ids;
  const expected = ids.length * ctx.subscriptions;
  ctx.log(`B: ${ids.length} tickets in ${(r.elapsedMs / 1000).toFixed(1)} s with the receiver down (${opts.outage}); waiting until all ${expected} deliveries are recorded and tried once`);
  let atRecovery = await deliveryProgress(ctx.orm, ids);
  let lastLog = Date.now();
  while (atRecovery.rows < expected || atRecovery.attempted < expected) {
    if (Date.now() - down > opts.timeoutMs) throw new Error(`B: backlog not built within ${opts.timeoutMs / 1000} s: ${JSON.stringify(atRecovery)}`);
    if (Date.now() - lastLog > 15_000) {
      ctx.log(`B: ${atRecovery.rows}/${expected} recorded, ${atRecovery.attempted} tried, ${atRecovery.attempts} attempts so far`);
      lastLog = Date.now();
    }
    assertRunning(ctx.services);
    await sleep(1000);
    atRecovery = await deliveryProgress(ctx.orm, ids);
  }
  const c1 = ctx.monitor.snapshot();
  const recoveredAt = new Date();
  await ctx.receiver.setMode('up');
  const answered503 = ctx.receiver.counts.answered503 - answered0;
  ctx.log(`B: receiver back after ${((recoveredAt.getTime() - down) / 1000).toFixed(0)} s down; ${atRecovery.pending} pending, ${atRecovery.attempts} failed attempts so far`);

  const backlog = new BacklogSampler(ctx.temporal, ctx.taskQueue).start();
  const wait = await waitForArrivals(ctx.receiver, new Set(ids), expected, opts.timeoutMs, (n) => ctx.log(`B: ${n}/${expected} drained`));
  const c2 = ctx.monitor.snapshot();
  const backlogDuringDrain = await backlog.stop();
  assertRunning(ctx.services);
  const { outcome: o, arrivals } = await outcome(ctx, ids, expected);

  const failedBefore = await failedAttemptsBefore(ctx.orm, ids, recoveredAt);
  const recovered = recoveredAt.getTime();
  const nextTry = new Map(failedBefore.map((f) => [f.deliveryId, f.lastAt + retryInterval(opts.retry.initialIntervalMs, opts.retry.maximumIntervalMs, f.failed)]));
  const floor = Math.max(recovered, ...nextTry.values());
  const drainSeconds = (lastArrival(arrivals) - recovered) / 1000;
  return {
    outageMode: opts.outage,
    retryInitialMs: opts.retry.initialIntervalMs,
    creation: creation(r),
    outageSeconds: (recovered - down) / 1000,
    atRecovery,
    answered503,
    complete: wait.complete,
    drainSeconds,
    deliveriesPerSecond: arrivals.length / drainSeconds,
    peak10sDeliveriesPerSecond: peakRate(arrivals),
    backoffFloorSeconds: (floor - recovered) / 1000,
    lagBehindScheduleMs: distribution(arrivals.map((a) => a.at - Math.max(recovered, nextTry.get(a.deliveryId) ?? recovered))),
    failedAttemptsBeforeRecovery: distribution(failedBefore.map((f) => f.failed)),
    outcome: o,
    cpuOutage: ctx.monitor.usage(c0, c1),
    cpuDrain: ctx.monitor.usage(c1, c2),
    backlogDuringDrain,
  };
}
