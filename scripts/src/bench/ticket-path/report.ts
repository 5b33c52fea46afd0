import type { CpuUsage } from '../lib/cpu';
import { document, fmt, logSection, runSection, table, type Block, type RunInfo } from '../lib/markdown';
import type { ReceiverCounts } from '../webhooks/receiver';
import type { TicketPathOptions } from '../ticket-path';
import type { Code, RoundResult, StepResult } from './round';

// docs/benchmarks-ticket-path.md: the old and the new code side by side per offered rate, a
// verdict against the issue's target and where the CPU of one ticket goes. Every number comes
// from the run's result; nothing here is written by hand.

export interface TicketPathResult {
  run: RunInfo;
  options: TicketPathOptions;
  codes: Record<'old' | 'new', Code & { preparedSeconds: number; reused: boolean; workerOptions: string[] }>;
  temporalCmd: string[];
  dbPoolMax: number;
  receiver: ReceiverCounts;
  rounds: RoundResult[];
}

const TARGET_RATE = 100;
const TARGET_P99_MS = 150;
/** Achieved ÷ offered at or above which a rate counts as sustained (the schedule's last answers end a little after the step). */
const SUSTAINED = 0.98;

const errors = (s: StepResult) => Object.values(s.load.errors).reduce((a, b) => a + b, 0);
const totalMs = (per: Record<string, number>) => Object.values(per).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
const label = (r: RoundResult) => `${r.code.label} #${r.index}`;

/** What went wrong with a step's tickets (work failed for good; once settled, rule not evaluated or e-mails missing), or []. */
function broken(s: StepResult): string[] {
  const o = s.outcome;
  const out: string[] = [];
  if (o.activityFailures > 0) out.push(`${fmt.n(o.activityFailures)} activity failure(s) recorded on tickets`);
  // A step that did not settle within the wait is still catching up: missing work is not yet a fault.
  if (s.drain.settledAfterS === null) return out;
  if (o.ruleEvaluations < o.tickets) out.push(`rule evaluated for ${fmt.n(o.ruleEvaluations)} of ${fmt.n(o.tickets)} tickets`);
  if (o.createdMails < o.tickets || o.assignedMails < o.assigned) out.push(`e-mails ${fmt.n(o.createdMails)} created / ${fmt.n(o.assignedMails)} assigned for ${fmt.n(o.tickets)} tickets`);
  return out;
}

/** Why a step misses the target, or [] when it meets it. */
function misses(s: StepResult): string[] {
  const out: string[] = [];
  if (s.achievedPerSecond < SUSTAINED * s.rate) out.push(`${fmt.n(s.achievedPerSecond, 1)} of ${s.rate} tickets/s`);
  if (!(s.latency.p99 <= TARGET_P99_MS)) out.push(`p99 ${fmt.ms(s.latency.p99)} ms`);
  const failed = errors(s) + s.load.tooMany + s.load.notSent;
  if (failed > 0) out.push(`${failed} request(s) refused, failed or not sent`);
  if (s.drain.startedAfterS === null) out.push(`${s.created - s.drain.started} workflow(s) not started within the wait`);
  out.push(...broken(s));
  return out;
}

function both(rounds: RoundResult[], rate: number, cell: (s: StepResult) => string): string {
  const cells = rounds.map((r) => r.steps.find((s) => s.rate === rate)).map((s) => (s ? cell(s) : '–'));
  return cells.length ? cells.join(' / ') : '–';
}

function summary(r: TicketPathResult, olds: RoundResult[], news: RoundResult[]): Block[] {
  const rows = r.options.rates.map((rate) => [
    `${rate}/s`,
    both(olds, rate, (s) => fmt.n(s.achievedPerSecond, 1)),
    both(news, rate, (s) => fmt.n(s.achievedPerSecond, 1)),
    both(olds, rate, (s) => fmt.ms(s.latency.p99)),
    both(news, rate, (s) => fmt.ms(s.latency.p99)),
    both(olds, rate, (s) => fmt.n(errors(s) + s.load.tooMany + s.load.notSent)),
    both(news, rate, (s) => fmt.n(errors(s) + s.load.tooMany + s.load.notSent)),
    both(olds, rate, (s) => fmt.ms(s.startLagMs.p99)),
    both(news, rate, (s) => fmt.ms(s.startLagMs.p99)),
    both(olds, rate, (s) => fmt.ms(totalMs(s.perTicketMs))),
    both(news, rate, (s) => fmt.ms(totalMs(s.perTicketMs))),
  ]);
  const per = olds.length > 1 ? ' (one value per round, in run order)' : '';
  return [
    '## Summary',
    `Target (issue 11): ticket creation with e-mails and one rule and one webhook subscription active, **≥ ${TARGET_RATE} tickets/s sustained with p99 ≤ ${TARGET_P99_MS} ms**, CPU per ticket reported per process. Old code \`${r.codes.old.commit}\`, new code \`${r.codes.new.commit}\`, alternating in one run on one stack${per}.`,
    table(
      ['Offered', 'old tickets/s', 'new tickets/s', 'old p99 ms', 'new p99 ms', 'old failed', 'new failed', 'old start lag p99 ms', 'new start lag p99 ms', 'old CPU ms/ticket', 'new CPU ms/ticket'],
      rows,
    ),
    '"failed": answers other than 2xx (429 included) plus requests not sent because the in-flight cap was reached. CPU ms/ticket: every measured process of this run, from the step\'s first request until its tickets settled, idle background taken off (details below).',
    ...verdict(r, olds, news),
    ...whereCpuGoes(olds, news, r.run.machine.cpus),
  ];
}

function verdict(r: TicketPathResult, olds: RoundResult[], news: RoundResult[]): Block[] {
  const at = (rounds: RoundResult[]) => rounds.map((x) => ({ round: x, step: x.steps.find((s) => s.rate === TARGET_RATE) })).filter((x): x is { round: RoundResult; step: StepResult } => !!x.step);
  const newAt = at(news);
  const failures = r.rounds
    .flatMap((x) => x.steps.filter((s) => broken(s).length > 0).map((s) => `${label(x)} at ${s.rate}/s: ${broken(s).join(', ')}`))
    .map((f) => `- **Broken**: ${f} (see the service logs below).`);
  if (newAt.length === 0)
    return [
      `**Verdict: not measured**: no step offered ${TARGET_RATE} tickets/s (rates ${r.options.rates.join(', ')}).${r.options.quick ? ' Quick mode.' : ''}`,
      ...(failures.length ? [failures] : []),
    ];
  const failing = newAt.map((x) => ({ ...x, why: misses(x.step) })).filter((x) => x.why.length > 0);
  const met = failing.length === 0;
  const lines = newAt.map(
    ({ round, step }) =>
      `${label(round)}: ${fmt.n(step.achievedPerSecond, 1)} tickets/s, p99 ${fmt.ms(step.latency.p99)} ms, ${errors(step) + step.load.tooMany + step.load.notSent} failed, all workflows started ${step.drain.startedAfterS === null ? '**not** within the wait' : `${fmt.s(step.drain.startedAfterS)} after the step's last answer`}, machine busy ${fmt.pct(step.cpuStep.machinePct)} of ${r.run.machine.cpus * 100} %`,
  );
  const oldAt = at(olds).map(
    ({ round, step }) =>
      `${label(round)}: ${fmt.n(step.achievedPerSecond, 1)} tickets/s, p99 ${fmt.ms(step.latency.p99)} ms${misses(step).length ? ` (misses: ${misses(step).join(', ')})` : ' (meets it)'}`,
  );
  const best = news
    .flatMap((x) => x.steps)
    .filter((s) => misses(s).length === 0)
    .sort((a, b) => b.rate - a.rate)[0];
  return [
    `**Verdict: ${met ? 'met' : 'not met'}** at ${TARGET_RATE} tickets/s offered (sustained = at least ${Math.round(SUSTAINED * 100)} % of the offered rate created, no request refused or failed, p99 ≤ ${TARGET_P99_MS} ms, every ticket's workflow started within the ${r.options.drainSeconds} s wait).${r.options.quick ? ' Quick mode: short steps, not for the record.' : ''}`,
    [
      ...lines.map((l) => `- ${l}${failing.some((f) => l.startsWith(label(f.round))) ? ` — misses: ${failing.find((f) => l.startsWith(label(f.round)))!.why.join(', ')}` : ''}.`),
      ...oldAt.map((l) => `- ${l}.`),
      `- Highest offered rate at which a step of the new code met every condition: ${best ? `${best.rate} tickets/s` : 'none of the rates measured'}.`,
      ...failures,
    ],
  ];
}

/** Per-process CPU per ticket over every step of each round of one code, averaged over its rounds. */
function averagePerTicket(rounds: RoundResult[]): { per: Record<string, number>; tickets: number } {
  const sums: Record<string, number> = {};
  let tickets = 0;
  for (const r of rounds) {
    if (!r.whole) continue;
    tickets += r.whole.tickets;
    for (const [g, v] of Object.entries(r.whole.perTicketMs)) sums[g] = (sums[g] ?? 0) + v * r.whole.tickets;
  }
  const per: Record<string, number> = {};
  for (const [g, v] of Object.entries(sums)) per[g] = tickets ? v / tickets : NaN;
  return { per, tickets };
}

function whereCpuGoes(olds: RoundResult[], news: RoundResult[], cpus: number): Block[] {
  const o = averagePerTicket(olds);
  const n = averagePerTicket(news);
  if (!n.tickets || !o.tickets) return [];
  const nTotal = totalMs(n.per);
  const oTotal = totalMs(o.per);
  const ranked = Object.entries(n.per)
    .filter(([, v]) => Number.isFinite(v))
    .sort((a, b) => b[1] - a[1]);
  const [top, second] = ranked;
  const change = (g: string) => {
    const before = o.per[g] ?? NaN;
    const after = n.per[g] ?? NaN;
    return `${g} ${fmt.ms(before)} → ${fmt.ms(after)}`;
  };
  const perCore = nTotal > 0 ? 1000 / nTotal : NaN;
  return [
    '### Where the CPU of one ticket goes',
    `Over every step of every round, until each step's tickets had settled, idle background taken off: old code **${fmt.ms(oTotal)} ms** of CPU per ticket (${fmt.n(o.tickets)} tickets), new code **${fmt.ms(nTotal)} ms** (${fmt.n(n.tickets)} tickets), ${oTotal > 0 && nTotal > 0 ? `${fmt.n(oTotal / nTotal, 1)}× less` : '–'}. ` +
      `In the new code the largest part is **${top?.[0] ?? '–'}** with ${fmt.ms(top?.[1] ?? NaN)} ms per ticket (${fmt.pct((100 * (top?.[1] ?? NaN)) / nTotal)})` +
      `${second ? `, then ${second[0]} with ${fmt.ms(second[1])} ms (${fmt.pct((100 * second[1]) / nTotal)})` : ''}. ` +
      `Per process, old → new: ${ranked.map(([g]) => change(g)).join('; ')}. ` +
      `At ${fmt.ms(nTotal)} ms per ticket one core is fully used by ${fmt.n(perCore, 0)} tickets/s, so this machine's ${cpus} cores, shared by every process of the stack and the load generator, cap the new code near ${fmt.n(perCore * cpus, 0)} tickets/s when nothing else runs.`,
  ];
}

function stepTable(rate: number, rounds: RoundResult[], groups: string[]): string {
  const steps = rounds.map((r) => r.steps.find((s) => s.rate === rate));
  const row = (name: string, cell: (s: StepResult, r: RoundResult) => string) => [name, ...steps.map((s, i) => (s ? cell(s, rounds[i]!) : '–'))];
  return table(
    ['', ...rounds.map((r) => `${label(r)} (\`${r.code.commit}\`)`)],
    [
      row('requests due / sent / not sent', (s) => `${fmt.n(s.load.scheduled)} / ${fmt.n(s.load.sent)} / ${fmt.n(s.load.notSent)}`),
      row('created (2xx)', (s) => fmt.n(s.created)),
      row('achieved tickets/s', (s) => fmt.n(s.achievedPerSecond, 1)),
      row('latency p50 / p95 / p99 / max ms', (s) => `${fmt.ms(s.latency.p50)} / ${fmt.ms(s.latency.p95)} / ${fmt.ms(s.latency.p99)} / ${fmt.ms(s.latency.max)}`),
      row(
        '429 / other errors',
        (s) =>
          `${s.load.tooMany} / ${errors(s)}${
            errors(s)
              ? ` (${Object.entries(s.load.errors)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(', ')})`
              : ''
          }`,
      ),
      row('most requests in flight', (s) => fmt.n(s.load.maxInFlight)),
      row('workflows started (`ticket_created` row)', (s) => `${fmt.n(s.drain.started)} of ${fmt.n(s.created)}`),
      row("all started, after the step's last answer", (s) => (s.drain.startedAfterS === null ? '**not within the wait**' : fmt.s(s.drain.startedAfterS))),
      row("settled, after the step's last answer", (s) => (s.drain.settledAfterS === null ? '**not within the wait**' : fmt.s(s.drain.settledAfterS))),
      row('start lag p50 / p99 / max ms', (s) => `${fmt.ms(s.startLagMs.p50)} / ${fmt.ms(s.startLagMs.p99)} / ${fmt.ms(s.startLagMs.max)}`),
      row('max backlog: workflow / activity tasks', (s) => `${s.backlog.maxWorkflowTasks} / ${s.backlog.maxActivityTasks}`),
      row('e-mails created / assigned / unsent', (s) => `${fmt.n(s.outcome.createdMails)} / ${fmt.n(s.outcome.assignedMails)} of ${fmt.n(s.outcome.assigned)} / ${fmt.n(s.outcome.notSent)}`),
      row('rule evaluations (matched)', (s) => `${fmt.n(s.outcome.ruleEvaluations)} (${fmt.n(s.outcome.ruleMatches)})`),
      row('activity failures recorded on tickets', (s) => (s.outcome.activityFailures ? `**${fmt.n(s.outcome.activityFailures)}**` : '0')),
      row('webhook requests received', (s) => fmt.n(s.webhookRequests)),
      row('machine busy during the step', (s) => `${fmt.pct(s.cpuStep.machinePct)} (other ${fmt.pct(s.cpuStep.otherPct)})`),
      ...groups.map((g) => row(`CPU ms/ticket: ${g}`, (s) => fmt.ms(s.perTicketMs[g] ?? NaN))),
      row('**CPU ms/ticket: total**', (s) => `**${fmt.ms(totalMs(s.perTicketMs))}**`),
      row('CPU ms/ticket: other processes (not ours)', (s) => fmt.ms(s.otherPerTicketMs)),
    ],
  );
}

function cpuPctTable(rounds: RoundResult[], groups: string[]): string {
  const rows: Array<Array<string | number>> = [];
  for (const r of rounds) {
    const phases: Array<[string, CpuUsage]> = [[`${label(r)} idle baseline`, r.baseline], ...r.steps.map((s): [string, CpuUsage] => [`${label(r)} ${s.rate}/s`, s.cpuStep])];
    for (const [name, u] of phases) rows.push([name, fmt.s(u.seconds), ...groups.map((g) => fmt.pct(u.pct[g] ?? NaN)), fmt.pct(u.otherPct), fmt.pct(u.machinePct)]);
  }
  return table(['Phase', 'Duration', ...groups, 'other', 'machine'], rows);
}

function wholeTable(rounds: RoundResult[], groups: string[]): string {
  return table(
    ['Round', 'Tickets', 'Duration', ...groups, 'total', 'other'],
    rounds
      .filter((r) => r.whole)
      .map((r) => [
        `${label(r)} (\`${r.code.commit}\`)`,
        fmt.n(r.whole!.tickets),
        fmt.s(r.whole!.cpu.seconds),
        ...groups.map((g) => fmt.ms(r.whole!.perTicketMs[g] ?? NaN)),
        `**${fmt.ms(totalMs(r.whole!.perTicketMs))}**`,
        fmt.ms(r.whole!.otherPerTicketMs),
      ]),
  );
}

function configuration(r: TicketPathResult): Block[] {
  const o = r.options;
  const code = (c: TicketPathResult['codes']['old']) =>
    `- ${c.label === 'old' ? 'Old' : 'New'} code: \`${c.commit}\` "${c.subject}", run from \`${c.root}\`${c.label === 'old' || c.preparedSeconds > 0 || c.root.includes('mehrdesk-new-') ? ` (a git worktree with its own \`npm ci\`; ${c.reused ? 'reused' : `prepared in ${fmt.s(c.preparedSeconds)}`})` : ''}. Worker options: ${c.workerOptions.length ? c.workerOptions.map((w) => `\`${w}\``).join(', ') : 'unknown'}.`;
  return [
    '## Configuration',
    [
      code(r.codes.old),
      code(r.codes.new),
      `- One stack for the whole run (the launcher's: PostgreSQL, Temporal dev server on SQLite, Redis, SMTP catcher), migrated by the current tree; the old code runs on that schema. Rounds in run order: ${r.rounds.map((x) => `${x.index} ${x.code.label}`).join(', ')}.`,
      `- Each round starts its own API and worker from its code root exactly as production does (\`node --import tsx <root>/api/src/main.ts\`, \`<root>/worker/src/main.ts\`, working directory = the root), environment: the launcher's plus \`NODE_ENV=production\`, \`LOG_LEVEL=warn\`, a task queue of the round's own (${r.rounds.map((x) => `\`${x.taskQueue}\``).join(', ')}), \`WEBHOOK_ALLOW_PRIVATE=true\` (the receiver is on loopback, which the SSRF guard refuses otherwise), \`DB_POOL_MAX=${r.dbPoolMax}\`; both stop at the round's end.`,
      `- Fixtures per round (\`scripts/src/testing/fixtures.ts\`): users, groups (support: round robin over two agents), SLA policy (1 h / 8 h), category. Created through the API as the fixture admin: one automation rule on \`ticket.created\` (priority equal \`urgent\` → add tag \`vip\`; tickets here are \`normal\`, so it is evaluated for every ticket and never matches) and one webhook subscription on \`ticket.updated\` to an HTTP receiver inside the benchmark process answering 200 (creation does not emit \`ticket.updated\`, so nothing is delivered). Both are deleted at the round's end.`,
      `- Load: open loop, one Node process (this benchmark): request i of a step is due at start + i ÷ rate whatever the answers, at most ${o.maxInFlight} in flight (a request due beyond that is not sent and counted), keep-alive connections (node:http Agent). POST /api/v1/tickets as the fixture customer with the fixture category, so each ticket is auto-assigned and its workflow sends two e-mails (created, assigned) to the SMTP catcher. Latency is from the request's due time to its answer.`,
      `- Steps: ${o.rates.join(', ')} tickets/s offered, ${o.stepSeconds} s each, after a warm-up of 5 s at 10 tickets/s and 5 s idle (the baseline). After each step the benchmark waits (at most ${o.drainSeconds} s) until every created ticket has its \`ticket_created\` row in \`email_log\` (written by the workflow's e-mail activity: the workflow has started working), then until both e-mails of every ticket are sent and the task queue is empty ("settled"). Start lag = that row's created_at − the ticket's created_at. Backlog = Temporal task-queue backlog sampled every 2 s during the step and the wait.`,
      `- CPU from /proc/<pid>/stat: API and worker (with children), Temporal and PostgreSQL (with all backends), Redis, the launcher (it runs the SMTP catcher; counted without its children), the load generator (this process: load, webhook receiver, the polling queries; without its children, the API and worker). "other" = machine busy time not used by these. CPU ms per ticket = each process's CPU from the step's first request until the step settled, minus its idle-baseline rate over as long, ÷ tickets created in the step; "total" is the sum over our processes, without "other". A step that did not settle within the wait leaves work to the next step.`,
      `- Temporal dev server: \`${r.temporalCmd.slice(1).join(' ') || 'unknown'}\`.`,
    ],
  ];
}

export function renderTicketPathReport(r: TicketPathResult): string {
  const olds = r.rounds.filter((x) => x.code.label === 'old');
  const news = r.rounds.filter((x) => x.code.label === 'new');
  const byCode = [...olds, ...news];
  const groups = r.rounds[0]?.groups ?? [];
  const blocks: Block[] = [
    '# Benchmarks: the ticket path, old and new code side by side',
    `> Generated by \`scripts/src/bench/ticket-path.ts\`. Re-run with \`npm run bench:ticket-path\` (full) or \`npm run bench:ticket-path -- --quick\`; do not edit the numbers by hand.`,
    ...summary(r, olds, news),
    ...runSection(r.run, "both codes' API and worker (one pair at a time), Temporal dev server, PostgreSQL, Redis, the SMTP catcher (inside the launcher process) and the load generator"),
    ...configuration(r),
    '## Per offered rate',
    'Columns: old code rounds, then new code rounds (the run alternated them).',
  ];
  for (const rate of r.options.rates) blocks.push(`### ${rate} tickets/s offered for ${r.options.stepSeconds} s`, stepTable(rate, byCode, groups));
  blocks.push(
    '## Every step of a round, end to end',
    "CPU ms per ticket from the first request of the round's first step until its last step settled, idle background taken off: step boundaries do not matter here (work a step left behind is counted with its own tickets).",
    wholeTable(byCode, groups),
    '## CPU per process during each step',
    `% of one core while requests were sent (the machine has ${r.run.machine.cpus * 100} %), and the idle baseline each round's per-ticket figures are net of.`,
    cpuPctTable(r.rounds, groups),
    `Webhook receiver over the whole run: ${r.receiver.requests} request(s), ${r.receiver.accepted} accepted, ${r.receiver.badSignature} with a bad signature.`,
    ...logSection(r.rounds.flatMap((x) => x.logs)),
  );
  return document(blocks);
}
