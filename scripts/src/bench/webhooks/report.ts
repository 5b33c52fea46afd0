import type { WebhookRetrySettings } from '@mehrdesk/workflows/activity-contracts';
import { document, fmt, logSection, runSection, type Block } from '../lib/markdown';
import type { Code } from './codes';
import type { HistoryCount } from './history';
import { cpuSplit, partA, partL, targets } from './report-compare';
import { drainAnalysis, partB } from './report-drain';
import { clean, perDelivery, rate, roundLabel, sum } from './report-format';
import type { WebhooksBenchResult } from './result';
import type { RoundResult } from './round';

// Renders docs/benchmarks-webhooks.md from one run's numbers: the targets, the configuration,
// parts A and L side by side for the old and the new code, the CPU of a delivery per process,
// part B (new code), and what limits the figures. The sentences are chosen by comparing
// measured values; nothing is written by hand.

export type { WebhooksBenchResult } from './result';

function totalRetryHours(retry: WebhookRetrySettings): number {
  let ms = 0;
  for (let n = 1; n < retry.maximumAttempts; n++) ms += Math.min(retry.maximumIntervalMs, retry.initialIntervalMs * 2 ** (n - 1));
  return ms / 3_600_000;
}

function codeLine(c: Code): string {
  const how =
    c.label === 'old'
      ? `a git worktree of that commit in the temp folder with its own \`npm ci\` (\`scripts/src/bench/ticket-path/worktree.ts\`), ${c.reused ? 'reused from an earlier run' : `prepared in ${fmt.s(c.preparedSeconds)}`}; it starts each delivery workflow as a child of the ticket's \`ticketLifecycle\` workflow, one \`startChild\` awaited after the other`
      : "this working tree; tickets run the `ticketWorkflow` type, whose `enqueueWebhooks` local activity records the deliveries and starts their workflows itself (`startDeliveries: true`), all at once, so the ticket's history does not grow with the number of subscribers";
  return `- ${c.label === 'old' ? 'Old' : 'New'} code: \`${c.commit}\` "${c.subject}", run from \`${c.root}\`: ${how}.`;
}

function configuration(r: WebhooksBenchResult): Block[] {
  const o = r.options;
  const drainRound = r.rounds.find((x) => x.drain);
  const subs = drainRound?.subscriptions ?? r.rounds[r.rounds.length - 1]?.subscriptions ?? [];
  return [
    '## Configuration',
    [
      ...(r.codes.old ? [codeLine(r.codes.old)] : ['- The new code only (`--no-old`).']),
      codeLine(r.codes.new),
      `- One stack for the whole run (the launcher's: PostgreSQL, Temporal dev server on SQLite, Redis, SMTP catcher), migrated by the current tree; the old code runs on that schema. Rounds in run order: ${r.rounds.map((x) => `${x.index} ${x.code.label} (parts ${[x.throughput && 'A', x.paced && 'L', x.drain && 'B'].filter(Boolean).join(', ')}, task queue \`${x.taskQueue}\`)`).join('; ')}.`,
      "- Each round starts its own API and worker from its code root exactly as production does (`node --import tsx <root>/api/src/main.ts`, `<root>/worker/src/main.ts`, working directory = the root), environment: the launcher's plus `NODE_ENV=production`, `LOG_LEVEL=warn`, the round's task queue (`TEMPORAL_TASK_QUEUE`), " +
        `\`WEBHOOK_ALLOW_PRIVATE=true\` (the receiver is on loopback, which the SSRF guard otherwise refuses), \`WEBHOOK_RETRY_INITIAL_MS=${o.retryInitialMs}\`, \`WEBHOOK_TIMEOUT_MS=${r.timeoutMs}\`; both codes read these variables (\`core/src/config.ts\`). Both stop at the round's end.`,
      `- Path measured (production code, nothing skipped): a customer creates a ticket (\`POST /api/v1/tickets\`); its workflow runs \`enqueueWebhooks\` (a local activity that records one \`webhook_deliveries\` row per listening subscription to \`ticket.created\`, with the payload), and one \`webhook-<deliveryId>\` workflow per row runs \`attemptWebhookDelivery\` (SSRF check, signed POST, attempt row) with Temporal retries, as an activity or, where a code does so, its first try as a local activity in the workflow's first task (the delivery histories under part A show which). Who starts those workflows differs (above); the counting does not depend on it: the receiver keys arrivals by delivery id and parts tell them apart by the ticket id in the payload.`,
      `- Fixtures per round (\`scripts/src/testing/fixtures.ts\`) and ${o.subscriptions} subscriptions of the round's own, all to \`ticket.created\`, each with its own URL path on the receiver (\`/hook/r<round>-<i>\`), made through the round's API; so every ticket makes ${o.subscriptions} deliveries (an integration-heavy set-up: CRM, chat, BI, ...). ` +
        `Subscriptions are rows in the shared database and every listening one fires for every ticket, so each round's are deleted through its API at its end (\`DELETE /api/v1/webhooks/:id\`: \`deleted_at\` set, \`active\` false), and a round checks before measuring that only its own listen (deleting any left over: ${r.rounds.map((x) => `round ${x.index} ${x.retired.length}`).join(', ')}).`,
      "- Receiver: a node:http server inside the benchmark process on 127.0.0.1. It answers 200 at once with a 2-byte body, checks **every** request's `Mehrdesk-Signature` (HMAC-SHA256 with the subscription's secret, 5 min tolerance) and keeps the first arrival per `Mehrdesk-Delivery` id; a later arrival of the same id counts as a duplicate (and is answered 200, as a de-duplicating receiver would). " +
        `Requests per round: ${r.rounds.map((x) => `${roundLabel(x)} ${fmt.n(x.receiver.requests)} (${fmt.n(x.receiver.accepted)} accepted, ${fmt.n(x.receiver.answered503)} answered 503, ${fmt.n(x.receiver.badSignature)} bad signature, ${fmt.n(x.receiver.malformed)} malformed)`).join('; ')}.`,
      '- Latency "event → receiver" = arrival time − `payload.ticket.createdAt` (the ticket row\'s creation time, set by the API); "delivery recorded → receiver" = arrival − `payload.occurredAt` (set by `enqueueWebhooks`); "a ticket\'s first → last delivery" = the spread of the arrivals of one ticket\'s deliveries (small when they go out in parallel). Same host, same clock.',
      `- Retry policy (\`webhookRetrySettings\`, usecases/src/webhooks/retry.ts, the same in both codes): first retry after **${fmt.n(r.retry.initialIntervalMs)} ms** (\`WEBHOOK_RETRY_INITIAL_MS\`; production default 10,000), doubling up to ${fmt.n(r.retry.maximumIntervalMs / 1000)} s (fixed in code), ${r.retry.maximumAttempts} attempts (\`WEBHOOK_MAX_ATTEMPTS\`, default).` +
        (r.retry.initialIntervalMs > 10_000
          ? ' Longer than the default in this run: while a big backlog builds up, a short first delay makes the retries of the early deliveries crowd out the creation of the later ones.'
          : ''),
      `- Auto-disable threshold left at \`WEBHOOK_DISABLE_AFTER=${r.disableAfter}\` (default): it counts deliveries that failed **for good** (all ${r.retry.maximumAttempts} attempts used, ≈ ${fmt.n(totalRetryHours(r.retry), 0)} h with this policy) in a row, not failed attempts, so an outage of minutes cannot trigger it. At the end of the last round: ` +
        (subs.every((s) => s.active && s.consecutiveFailures === 0)
          ? `all ${subs.length} subscriptions active with 0 consecutive failures.`
          : subs.map((s) => `#${s.id} ${s.active ? 'active' : `**disabled** (${s.disabledReason ?? ''})`}, ${s.consecutiveFailures} consecutive failures`).join('; ') + '.'),
      `- Parameters: part A ${fmt.n(o.count)} deliveries at ${o.concurrency} ticket requests in flight; part L ${o.pacedSeconds} s at ${o.pacedRate ? `${o.pacedRate} tickets/s (\`--paced-rate\`)` : "half of the first round's flowing rate in part A"}; part B ${fmt.n(o.backlog)} deliveries, ticket creation at ${o.concurrency} in flight` +
        `${o.backlog < 10_000 ? ' (the automation issue names 10,000; building and draining that many takes well over 15 minutes on a 2-core machine: run it with `--no-old --parts B --backlog 10000 --retry-initial-ms 60000` where the cores are free)' : ''}; parts run: ${o.parts.join(', ')} (B with the new code only); every wait times out after ${o.timeoutSeconds} s. ` +
        `Each round first ran a warm-up of 20 tickets (${20 * o.subscriptions} deliveries, not counted), then 5 s without new tickets (the baseline).`,
    ],
  ];
}

/** A delivery that succeeded on a local-activity try records a marker and schedules no activity task. */
const localFirst = (d: HistoryCount) => (d.byType.MarkerRecorded ?? 0) > 0 && !d.byType.ActivityTaskScheduled;

function historyShape(x: RoundResult, subscriptions: number): string | null {
  const t = x.throughput?.histories.ticket;
  if (!t) return null;
  const children = (t.byType.StartChildWorkflowExecutionInitiated ?? 0) + (t.byType.ChildWorkflowExecutionStarted ?? 0) + (t.byType.ChildWorkflowExecutionCompleted ?? 0);
  const d = x.throughput?.histories.delivery;
  return (
    `- ${roundLabel(x)}: the ticket's history holds ${fmt.n(t.events)} events, ${t.byType.WorkflowTaskCompleted ?? 0} workflow tasks` +
    (children > 0
      ? `, ${fmt.n(children)} of the events for starting its ${subscriptions} deliveries as children and recording their completion (each a write on the Temporal server, the completions waking the ticket workflow again)`
      : `, none for its ${subscriptions} deliveries (started by the enqueue activity)`) +
    (d ? `; each delivery's own history ${fmt.n(d.events)} events${localFirst(d) ? ' (it succeeded on a local-activity try: a marker, no activity task)' : ''}.` : '.')
  );
}

function analysis(r: WebhooksBenchResult): string[] {
  const out: string[] = [];
  const cores = r.run.machine.cpus * 100;
  for (const x of r.rounds) {
    const a = x.throughput;
    if (!a) continue;
    const per = perDelivery(a.cpu, a.outcome.delivered);
    const total = sum(per);
    const top = Object.entries(per)
      .filter(([, v]) => Number.isFinite(v))
      .sort((p, q) => q[1] - p[1])
      .slice(0, 4)
      .map(([g, v]) => `${g} ${fmt.ms(v)}`)
      .join(', ');
    out.push(
      `- **${roundLabel(x)}, part A**: ${rate(a.deliveriesPerSecond)} with the machine ${fmt.pct(a.cpu.machinePct)} busy of ${cores} % (other users ${fmt.pct(a.cpu.otherPct)}); ` +
        (a.cpu.machinePct >= 0.85 * cores
          ? 'the cores were saturated, so the figure is CPU-bound. '
          : 'the cores were not saturated: the limit is waiting (round trips, task-queue polling), not CPU. ') +
        `One delivery cost ${fmt.ms(total)} ms of CPU, its share of the ticket and the ticket's workflow included (${top}): ${r.run.machine.cpus} cores cap this code near ${fmt.n((r.run.machine.cpus * 1000) / total, 0)} deliveries/s, less while other processes use the machine.`,
    );
  }
  const shapes = r.rounds.map((x) => historyShape(x, r.options.subscriptions)).filter((s): s is string => s !== null);
  if (shapes.length) out.push('- **Temporal work per ticket** (first part A ticket of each round):', ...shapes.map((s) => `  ${s}`));
  const b = r.rounds.find((x) => x.drain)?.drain;
  if (b) out.push(...drainAnalysis(b));
  const parts = r.rounds.flatMap((x) =>
    (
      [
        ['A', x.throughput?.outcome],
        ['L', x.paced?.outcome],
        ['B', x.drain?.outcome],
      ] as const
    ).map(([name, o]) => ({ name: `${roundLabel(x)} part ${name}`, o })),
  );
  for (const { name, o } of parts)
    if (o && !clean(o)) out.push(`- **${name} is not clean**: ${o.missing} lost, ${o.duplicates} duplicates, ${o.failed} failed, ${o.pendingAtEnd} pending, ${o.recorded}/${o.expected} recorded.`);
  if (parts.every(({ o }) => !o || clean(o)))
    out.push('- No delivery was lost, duplicated or failed in any part of any round: every delivery row ended `succeeded` and reached the receiver exactly once.');
  return out;
}

export function renderWebhooksReport(r: WebhooksBenchResult): string {
  const o = r.options;
  const drainRound = r.rounds.find((x) => x.drain);
  const blocks: Block[] = [
    `# Benchmarks: webhook delivery${r.codes.old ? ', old and new code side by side' : ''}`,
    `> Generated by \`scripts/src/bench/webhooks.ts\`${o.quick ? ' in **QUICK mode: development numbers, not for the record**' : ''}. Re-run with \`npm run bench:webhooks\` (flags: \`--old <commit>\`, \`--no-old\`, \`--count\`, \`--subscriptions\`, \`--concurrency\`, \`--paced-seconds\`, \`--paced-rate\`, \`--backlog\`, \`--outage 503|refuse\`, \`--retry-initial-ms\`, \`--parts A,L,B\`, \`--quick\`, \`--render <raw.json>\`); do not edit the numbers by hand.`,
    ...targets(r),
    ...runSection(
      r.run,
      "each round's API and worker (one pair at a time), Temporal dev server, PostgreSQL, Redis, the SMTP catcher (inside the launcher) and this benchmark process (ticket creation and the receiver)",
    ),
    ...configuration(r),
    ...partA(r.rounds),
    ...partL(r.rounds),
    ...cpuSplit(r),
    ...(drainRound?.drain ? partB(drainRound, drainRound.drain) : []),
    '## What limits the figures',
    analysis(r),
    ...logSection(r.rounds.flatMap((x) => x.logs)),
    '## Method notes',
    [
      '- The receiver and the ticket creation share one Node process (the "bench" column); its CPU is small next to the system under test but it is on the same cores.',
      '- Deliveries are told apart per part by the ticket id in the payload (each part and round creates its own tickets); the database side (rows, attempts, status) is read per part the same way. Each round has its own receiver paths and secrets.',
      '- Percentiles are nearest-rank over every delivery of the part.',
      '- The rounds run one after the other, old first: load from other users of the machine can differ between them (the "other" column of the CPU tables shows how much).',
      '- Sources: `scripts/src/bench/webhooks.ts`, `scripts/src/bench/webhooks/` (round, subscriptions, receiver, parts, report), shared helpers in `scripts/src/bench/lib/`, the old worktree from `scripts/src/bench/ticket-path/worktree.ts`.',
    ],
  ];
  return document(blocks);
}
