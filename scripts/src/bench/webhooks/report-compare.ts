import type { CpuUsage } from '../lib/cpu';
import { cpuTable, fmt, latencyCells, table, type Block } from '../lib/markdown';
import type { HistoryCount } from './history';
import type { Outcome, PacedResult, ThroughputResult } from './parts';
import { backlogText, outcomeRows, p50p99, perDelivery, rate, ratio, roundLabel, sideBySide, sum } from './report-format';
import type { WebhooksBenchResult } from './result';
import type { RoundResult } from './round';

// The sections that put the rounds side by side: the targets, parts A and L, and where the CPU
// of one delivery goes in each code.

const ISSUE = 'Webhook fan-out: 10 subscriptions on one event delivered in parallel, deliveries/s and CPU per delivery reported (today 11.4/s, 83 ms)';

const byCode = (r: WebhooksBenchResult) => ({ old: r.rounds.find((x) => x.code.label === 'old'), new: r.rounds.find((x) => x.code.label === 'new') });
const cpuA = (r: RoundResult) => (r.throughput ? sum(perDelivery(r.throughput.cpu, r.throughput.outcome.delivered)) : NaN);
const cpuANet = (r: RoundResult) => (r.throughput ? sum(perDelivery(r.throughput.cpu, r.throughput.outcome.delivered, r.baseline)) : NaN);
const problems = (o: Outcome | undefined) => (o ? `${fmt.n(o.duplicates)} / ${fmt.n(o.missing)} / ${fmt.n(o.failed)}` : '–');

interface TargetRow {
  name: string;
  show: (x: RoundResult) => string;
  /** A number whose new ÷ old the table shows. */
  value?: (x: RoundResult) => number;
}
const figure = (name: string, value: (x: RoundResult) => number, format: (v: number) => string): TargetRow => ({ name, value, show: (x) => format(value(x)) });

export function targets(r: WebhooksBenchResult): Block[] {
  const { old: o, new: n } = byCode(r);
  const rows: TargetRow[] = [
    figure('**A: deliveries/s**, first ticket request → last delivery', (x) => x.throughput?.deliveriesPerSecond ?? NaN, rate),
    figure('A: deliveries/s once flowing (10th → 90th percentile arrival)', (x) => x.throughput?.steadyDeliveriesPerSecond ?? NaN, rate),
    figure('**A: CPU ms per delivery**, every process of the stack', cpuA, fmt.ms),
    figure('A: CPU ms per delivery, less the baseline (below)', cpuANet, fmt.ms),
    { name: 'L: event → receiver p50 / p99 ms', show: (x) => p50p99(x.paced?.eventLatencyMs) },
    { name: "L: a ticket's first → last delivery p50 / p99 ms (fan-out spread)", show: (x) => p50p99(x.paced?.fanoutSpreadMs) },
    { name: 'A + L: duplicates / lost / failed', show: (x) => `${problems(x.throughput?.outcome)} + ${problems(x.paced?.outcome)}` },
  ];
  const codes = [o, n].filter((x): x is RoundResult => x !== undefined);
  const head = ['Measure', ...codes.map(roundLabel), ...(o && n ? ['new ÷ old'] : [])];
  const body = rows.map((row) => [row.name, ...codes.map(row.show), ...(o && n ? [row.value ? ratio(row.value(o), row.value(n)) : ''] : [])]);
  const lines: string[] = [];
  if (o?.throughput && n?.throughput) {
    const speed = n.throughput.deliveriesPerSecond / o.throughput.deliveriesPerSecond;
    const cpu = cpuA(n) / cpuA(o);
    lines.push(
      `- Deliveries/s: **${rate(o.throughput.deliveriesPerSecond)} → ${rate(n.throughput.deliveriesPerSecond)}** (${fmt.n(speed, 1)}× ${speed >= 1 ? 'as many' : 'fewer'}); CPU per delivery **${fmt.ms(cpuA(o))} → ${fmt.ms(cpuA(n))} ms** (${cpu <= 1 ? `${fmt.pct(100 * (1 - cpu))} less` : `${fmt.pct(100 * (cpu - 1))} more`}), same stack, same run, ${fmt.n(n.throughput.outcome.expected)} deliveries each.`,
    );
  }
  if (o?.paced && n?.paced)
    lines.push(
      `- In parallel: below capacity (part L, ${fmt.n(n.paced.ticketsPerSecond, 1)} tickets/s) the ${r.options.subscriptions} deliveries of one ticket arrived within p50 ${fmt.ms(o.paced.fanoutSpreadMs.p50)} ms of each other with the old code and ${fmt.ms(n.paced.fanoutSpreadMs.p50)} ms with the new; event → receiver p99 ${fmt.ms(o.paced.eventLatencyMs.p99)} → ${fmt.ms(n.paced.eventLatencyMs.p99)} ms.`,
    );
  const b = n?.drain;
  if (b)
    lines.push(
      `- Part B (new code only): ${fmt.n(b.outcome.expected)} deliveries pending after ${fmt.s(b.outageSeconds)} with the receiver down drained in **${fmt.s(b.drainSeconds)}** (${rate(b.deliveriesPerSecond)}; the backoff alone allowed no sooner than ${fmt.s(b.backoffFloorSeconds)}); ${fmt.n(b.outcome.duplicates)} duplicates, ${fmt.n(b.outcome.failed)} failed.`,
    );
  return [
    '## Targets',
    `Issue: "${ISSUE}". The issue's figures come from an earlier run of this benchmark on the code of the time; ${o ? 'the columns below are both codes measured in this run, one after the other on one stack' : 'below, the new code alone (`--no-old`)'}${r.options.quick ? ' (**quick mode**: small sizes, not for the record)' : ''}.`,
    table(
      head,
      body,
      head.map((_, i) => (i === 0 ? '---' : '---:')),
    ),
    ...(lines.length ? [lines] : []),
  ];
}

function historyRows(h: { ticket: HistoryCount | null; delivery: HistoryCount | null }, code: string): string[][] {
  return [h.ticket, h.delivery]
    .filter((x): x is HistoryCount => x !== null)
    .map((x) => [
      code,
      `\`${x.workflowId}\``,
      fmt.n(x.events),
      Object.entries(x.byType)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
}

export function partA(rounds: RoundResult[]): Block[] {
  const with_ = rounds.filter((x) => x.throughput);
  if (!with_.length) return [];
  const a = (f: (t: ThroughputResult) => string) => (x: RoundResult) => (x.throughput ? f(x.throughput) : undefined);
  return [
    '## Part A: sustained throughput',
    `Tickets created as fast as the API takes them (${with_[0]!.throughput!.concurrency} requests in flight), then the benchmark waited until every delivery had arrived.`,
    sideBySide(with_, [
      [
        'tickets created (time, tickets/s, p99, errors)',
        a((t) => `${fmt.n(t.creation.tickets)} in ${fmt.s(t.creation.seconds)} (${fmt.n(t.creation.ticketsPerSecond, 1)}/s, p99 ${fmt.ms(t.creation.p99Ms)} ms, ${t.creation.errors} errors)`),
      ],
      ['first ticket request → last delivery', a((t) => `${fmt.s(t.seconds)}${t.complete ? '' : ' (**timed out**)'}`)],
      ['**deliveries/s** over that time', a((t) => `**${rate(t.deliveriesPerSecond)}**`)],
      ['deliveries/s between the 10th and 90th percentile arrival (flowing)', a((t) => rate(t.steadyDeliveriesPerSecond))],
      ['deliveries/s in the busiest 10 s', a((t) => rate(t.peak10sDeliveriesPerSecond))],
      ['event → receiver p50 / p95 / p99 / max ms', a((t) => latencyCells(t.eventLatencyMs).join(' / '))],
      ['delivery recorded → receiver p50 / p95 / p99 / max ms', a((t) => latencyCells(t.enqueueLatencyMs).join(' / '))],
      ["a ticket's first → last delivery p50 / p99 ms", a((t) => p50p99(t.fanoutSpreadMs))],
      ...outcomeRows((f) => a((t) => f(t.outcome))),
      ['Temporal task-queue backlog (sampled every 2 s)', a((t) => backlogText(t.backlog))],
      ['machine busy (of it other processes)', a((t) => `${fmt.pct(t.cpu.machinePct)} (${fmt.pct(t.cpu.otherPct)})`)],
      ['**CPU ms per delivery**, every process', (x) => (x.throughput ? `**${fmt.ms(cpuA(x))}**` : undefined)],
    ]),
    'The API accepts tickets faster than their workflows and deliveries are processed, so these latencies are mostly time spent queued (part L has the latency without a queue).',
    '**Temporal work per ticket and per delivery** (event counts from the histories of the first part A ticket and one of its deliveries, after they finished):',
    table(
      ['Code', 'Workflow', 'Events', 'By type'],
      with_.flatMap((x) => historyRows(x.throughput!.histories, roundLabel(x))),
      ['---', '---', '---:', '---'],
    ),
  ];
}

export function partL(rounds: RoundResult[]): Block[] {
  const with_ = rounds.filter((x) => x.paced);
  if (!with_.length) return [];
  const l = (f: (t: PacedResult) => string) => (x: RoundResult) => (x.paced ? f(x.paced) : undefined);
  const first = with_[0]!.paced!;
  return [
    '## Part L: latency below capacity',
    `One ticket every ${fmt.n(1000 / first.ticketsPerSecond)} ms in every round (open loop, ${fmt.n(first.offeredDeliveriesPerSecond, 1)} deliveries/s offered; the rate is half of the first round's flowing rate in part A unless \`--paced-rate\` set it), then until every delivery had arrived.`,
    sideBySide(with_, [
      ['tickets created (errors)', l((t) => `${fmt.n(t.creation.tickets)} (${t.creation.errors})`)],
      ['delivered at (10th → 90th percentile arrival)', l((t) => `${rate(t.deliveriesPerSecond)}${t.complete ? '' : ' (**timed out**)'}`)],
      ['**event → receiver** p50 / p95 / p99 / max ms', l((t) => `**${latencyCells(t.eventLatencyMs).join(' / ')}**`)],
      ['delivery recorded → receiver p50 / p95 / p99 / max ms', l((t) => latencyCells(t.enqueueLatencyMs).join(' / '))],
      ["**a ticket's first → last delivery** p50 / p95 / p99 ms", l((t) => `**${fmt.ms(t.fanoutSpreadMs.p50)} / ${fmt.ms(t.fanoutSpreadMs.p95)} / ${fmt.ms(t.fanoutSpreadMs.p99)}**`)],
      ...outcomeRows((f) => l((t) => f(t.outcome))),
      ['Temporal task-queue backlog', l((t) => backlogText(t.backlog))],
      ['CPU ms per delivery, every process', l((t) => fmt.ms(sum(perDelivery(t.cpu, t.outcome.delivered))))],
    ]),
  ];
}

/** Per process: CPU ms per delivery in parts A and L of each round, and the % of a core in each phase. */
export function cpuSplit(r: WebhooksBenchResult): Block[] {
  const groups = [...new Set(r.rounds.flatMap((x) => x.groups))];
  // Part by part, old next to new.
  const cols: Array<[string, RoundResult, CpuUsage, number]> = [];
  for (const x of r.rounds) if (x.throughput) cols.push([`A ${roundLabel(x)}`, x, x.throughput.cpu, x.throughput.outcome.delivered]);
  for (const x of r.rounds) if (x.paced) cols.push([`L ${roundLabel(x)}`, x, x.paced.cpu, x.paced.outcome.delivered]);
  for (const x of r.rounds) if (x.drain) cols.push([`B drain ${roundLabel(x)}`, x, x.drain.cpuDrain, x.drain.outcome.delivered]);
  const gross = cols.map(([, , u, n]) => perDelivery(u, n));
  const net = cols.map(([, x, u, n]) => perDelivery(u, n, x.baseline));
  const phases: Array<[string, CpuUsage | null]> = r.rounds.flatMap((x) => [
    [`${roundLabel(x)}: baseline`, x.baseline],
    [`${roundLabel(x)}: A`, x.throughput?.cpu ?? null],
    [`${roundLabel(x)}: L`, x.paced?.cpu ?? null],
    [`${roundLabel(x)}: B receiver down`, x.drain?.cpuOutage ?? null],
    [`${roundLabel(x)}: B drain`, x.drain?.cpuDrain ?? null],
  ]);
  return [
    '## CPU per delivery, per process',
    "CPU milliseconds per delivery: each process's CPU over the phase (first ticket request → last delivery; for the drain, recovery → last delivery) ÷ the phase's deliveries. Parts A and L include creating the tickets and running their workflows; the drain only the retries that succeed. PostgreSQL, Temporal and Redis include their child processes, API and worker theirs.",
    table(
      ['Process', ...cols.map((c) => c[0])],
      [
        ...groups.map((g) => [g, ...gross.map((p) => fmt.ms(p[g] ?? NaN))]),
        ['**total**', ...gross.map((p) => `**${fmt.ms(sum(p))}**`)],
        ["total less each process's baseline rate", ...net.map((p) => fmt.ms(sum(p)))],
        ['other processes on the machine (not in the total)', ...cols.map(([, , u, n]) => fmt.ms((10 * u.otherPct * u.seconds) / Math.max(1, n)))],
      ],
    ),
    `% of one core per phase (the machine has ${r.run.machine.cpus * 100} %), from /proc/<pid>/stat; "other" is machine busy time not used by this run (other engineers' test suites, the system). The baseline is the ${fmt.n(r.rounds[0]?.baseline.seconds ?? NaN)} s after each round's warm-up with no tickets created; it is not always idle (the warm-up's workflows may still be finishing), so the gross total is the figure to compare.`,
    cpuTable(groups, phases),
  ];
}
