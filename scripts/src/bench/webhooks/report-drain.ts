import { fmt, table, topConsumers, type Block } from '../lib/markdown';
import type { DrainResult } from './parts';
import { backlogText, lat, outcomeRows, rate } from './report-format';
import type { RoundResult } from './round';

// Part B of docs/benchmarks-webhooks.md (run with the new code only): a backlog built while the
// receiver is down, drained once it is back, and what set the drain's length.

export function partB(round: RoundResult, b: DrainResult): Block[] {
  return [
    '## Part B: backlog drain (new code)',
    `With the new code (\`${round.code.commit}\`) only. The receiver went down (${b.outageMode === '503' ? 'answering every request with 503' : 'port closed: connections refused'}); ${fmt.n(b.creation.tickets)} tickets were created in ${fmt.s(b.creation.seconds)} (${fmt.n(b.creation.ticketsPerSecond, 1)}/s); ` +
      `once all ${fmt.n(b.atRecovery.rows)} deliveries were recorded and each had failed at least once (${fmt.s(b.outageSeconds)} after the receiver went down; ${fmt.n(b.atRecovery.attempts)} failed attempts by then${b.outageMode === '503' ? `, ${fmt.n(b.answered503)} answered 503 by the receiver` : ''}), the receiver came back and the benchmark waited until every delivery had arrived${b.complete ? '' : ' (**timed out**)'}.`,
    table(
      ['Measure', 'Value'],
      [
        ['receiver down (building the backlog)', fmt.s(b.outageSeconds)],
        ['failed attempts per delivery before recovery', `p50 ${fmt.n(b.failedAttemptsBeforeRecovery.p50)}, max ${fmt.n(b.failedAttemptsBeforeRecovery.max)}`],
        ['**time to drain** (recovery → last delivery)', `**${fmt.s(b.drainSeconds)}**`],
        ['deliveries/s during the drain', `**${rate(b.deliveriesPerSecond)}**`],
        ['deliveries/s in the busiest 10 s of the drain', rate(b.peak10sDeliveriesPerSecond)],
        ['earliest possible drain by the retry schedule (backoff floor)', fmt.s(b.backoffFloorSeconds)],
        ["arrival − the delivery's next try by the backoff (lag behind schedule)", lat(b.lagBehindScheduleMs)],
        ...outcomeRows((f) => f(b.outcome)),
        ['Temporal task-queue backlog during the drain', backlogText(b.backlogDuringDrain)],
        [
          'subscriptions at the end (auto-disable check)',
          round.subscriptions.every((s) => s.active) ? `all ${round.subscriptions.length} active` : `**${round.subscriptions.filter((s) => !s.active).length} disabled**`,
        ],
      ],
      ['---', '---'],
    ),
    "Backoff floor: each delivery's next try after recovery is Temporal's retry time, i.e. its last failed attempt + initial × 2^(failed attempts − 1) (≤ 1 h); the drain cannot end before the last of these. Lag behind schedule = how long after that time it actually arrived: near zero means the system kept up with the retries as they came due, large means the retries queued for the worker.",
  ];
}

/** Bullets for "What limits the figures": whether the backoff or throughput set the drain's length. */
export function drainAnalysis(b: DrainResult): string[] {
  const floorShare = b.drainSeconds > 0 ? b.backoffFloorSeconds / b.drainSeconds : NaN;
  return [
    `- **Drain (part B)**: ${fmt.s(b.drainSeconds)} for ${fmt.n(b.outcome.expected)} deliveries, of which the retry schedule alone accounts for ${fmt.s(b.backoffFloorSeconds)} (${fmt.pct(100 * floorShare)}). ` +
      (floorShare >= 0.8
        ? `The drain's length is set by the backoff, not by throughput: Temporal retries each delivery when its doubled interval expires, and after ${fmt.s(b.outageSeconds)} of failures the oldest deliveries' interval has grown to about that long. A shorter \`WEBHOOK_RETRY_INITIAL_MS\` does not change this (the interval always grows to roughly the time the delivery has been failing, since it doubles); it only adds attempts during the outage (${fmt.n(b.atRecovery.attempts)} here). So after an outage of T the backlog takes up to about T more to drain, whatever the initial delay.` +
          (b.lagBehindScheduleMs.p50 <= 1000
            ? ''
            : b.backlogDuringDrain.maxActivityTasks + b.backlogDuringDrain.maxWorkflowTasks > 0
              ? ` Within that window the retries still came due in bursts faster than they ran: deliveries arrived p50 ${fmt.ms(b.lagBehindScheduleMs.p50)} / p99 ${fmt.ms(b.lagBehindScheduleMs.p99)} ms after their retry time (activity tasks waiting up to ${fmt.n(b.backlogDuringDrain.maxActivityTasks)}, oldest ${fmt.s(b.backlogDuringDrain.maxActivityAgeS)}); the busiest 10 s delivered ${rate(b.peak10sDeliveriesPerSecond)}, the rate of retries alone (no tickets to create) on this machine at the time.`
              : ` Deliveries arrived p50 ${fmt.ms(b.lagBehindScheduleMs.p50)} / p99 ${fmt.ms(b.lagBehindScheduleMs.p99)} ms after their retry time with no task-queue backlog sampled (every 2 s), so that lag is not queueing for the worker but the time from a retry coming due to its request, on a machine this busy.`)
        : `The drain took longer than the retry schedule required: deliveries arrived ${fmt.ms(b.lagBehindScheduleMs.p50)} ms (p50) / ${fmt.ms(b.lagBehindScheduleMs.p99)} ms (p99) after they were due, so the retries queued for the worker (activity backlog up to ${fmt.n(b.backlogDuringDrain.maxActivityTasks)}).`),
    `- While the receiver was down the ${fmt.n(b.atRecovery.attempts)} failed attempts cost CPU too (machine ${fmt.pct(b.cpuOutage.machinePct)} busy during the outage: ${topConsumers(b.cpuOutage, 3)}; other users ${fmt.pct(b.cpuOutage.otherPct)}); during the drain the machine was ${fmt.pct(b.cpuDrain.machinePct)} busy (${topConsumers(b.cpuDrain, 3)}; other users ${fmt.pct(b.cpuDrain.otherPct)}).`,
    '- What would make a drain about throughput: a retry-interval cap operators can set (today 1 h, fixed in code), or a "retry pending deliveries now" action per subscription for when a receiver is back (e.g. resetting the pending activities\' retry state through Temporal), so that the backlog goes out at the rate the system can deliver rather than as the backoff timers expire.',
  ];
}
