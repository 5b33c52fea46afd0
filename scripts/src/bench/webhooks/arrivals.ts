import { setTimeout as sleep } from 'node:timers/promises';
import { distribution, type Distribution } from '../lib/load';
import type { Arrival, WebhookReceiver } from './receiver';

// Reading the receiver's log for one part of the benchmark: which deliveries of the part's
// tickets arrived, when, how late, how many twice, and how fast they came.

export interface PartArrivals {
  arrivals: Arrival[];
  /** Accepted arrivals beyond the first, for deliveries of these tickets. */
  duplicates: number;
}

export function arrivalsFor(receiver: WebhookReceiver, ticketIds: ReadonlySet<number>): PartArrivals {
  const arrivals: Arrival[] = [];
  let duplicates = 0;
  for (const [id, a] of receiver.arrivals) {
    if (!ticketIds.has(a.ticketId)) continue;
    arrivals.push(a);
    duplicates += (receiver.duplicateIds.get(id) ?? 1) - 1;
  }
  return { arrivals, duplicates };
}

/** Until `expected` distinct deliveries of these tickets arrived, or the timeout. */
export async function waitForArrivals(
  receiver: WebhookReceiver,
  ticketIds: ReadonlySet<number>,
  expected: number,
  timeoutMs: number,
  progress: (arrived: number) => void,
): Promise<{ complete: boolean; waitedMs: number }> {
  const t0 = performance.now();
  let lastLog = t0;
  for (;;) {
    const arrived = arrivalsFor(receiver, ticketIds).arrivals.length;
    const now = performance.now();
    if (arrived >= expected) return { complete: true, waitedMs: now - t0 };
    if (now - t0 > timeoutMs) return { complete: false, waitedMs: now - t0 };
    if (now - lastLog > 15_000) {
      progress(arrived);
      lastLog = now;
    }
    await sleep(250);
  }
}

export const eventLatency = (arrivals: Arrival[]): Distribution => distribution(arrivals.map((a) => a.at - a.ticketCreatedAt));
export const enqueueLatency = (arrivals: Arrival[]): Distribution => distribution(arrivals.map((a) => a.at - a.occurredAt));

/** Arrivals per second between the 10th and the 90th percentile arrival: the rate once it is flowing, without start-up and tail. */
export function steadyRate(arrivals: Arrival[]): number {
  const times = arrivals.map((a) => a.at).sort((a, b) => a - b);
  if (times.length < 20) return NaN;
  const lo = Math.floor(times.length * 0.1);
  const hi = Math.floor(times.length * 0.9);
  const seconds = (times[hi]! - times[lo]!) / 1000;
  return seconds > 0 ? (hi - lo) / seconds : NaN;
}

/** Most arrivals in any window of `windowMs`, per second. */
export function peakRate(arrivals: Arrival[], windowMs = 10_000): number {
  const times = arrivals.map((a) => a.at).sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return (best * 1000) / windowMs;
}

export const lastArrival = (arrivals: Arrival[]) => arrivals.reduce((m, a) => Math.max(m, a.at), -Infinity);

/**
 * Per ticket with all `perTicket` deliveries arrived: last arrival − first. Small when a
 * ticket's deliveries go out in parallel, growing with each one started after the other.
 */
export function fanoutSpread(arrivals: Arrival[], perTicket: number): Distribution {
  const byTicket = new Map<number, { first: number; last: number; n: number }>();
  for (const a of arrivals) {
    const t = byTicket.get(a.ticketId);
    if (t) {
      t.first = Math.min(t.first, a.at);
      t.last = Math.max(t.last, a.at);
      t.n++;
    } else byTicket.set(a.ticketId, { first: a.at, last: a.at, n: 1 });
  }
  return distribution([...byTicket.values()].filter((t) => t.n >= perTicket).map((t) => t.last - t.first));
}
