import type { WorkflowScaleOptions } from '../workflow-scale';
import { cpuTable, document, fmt, latencyCells, logSection, runSection, table, topConsumers, type Block, type RunInfo } from '../lib/markdown';
import type { Distribution } from '../lib/load';
import type { MemoryRound } from './memory';
import type { Code } from './services';
import type { SlaRound } from './sla';

// docs/benchmarks-workflow-memory.md: targets and verdicts first, then each part old vs new, the
// memory curve per code, the SLA lateness and CPU split, and how the run was made.

export interface WorkflowScaleResult {
  run: RunInfo;
  waited: { waitedS: number; quiet: boolean; loadavg: string } | null;
  options: WorkflowScaleOptions;
  codes: Record<'old' | 'new', Code & { cacheSource: string; preparedSeconds: number; reused: boolean }>;
  temporalCmd: string[];
  memory: MemoryRound[];
  sla: SlaRound[];
  failures: string[];
  /** When the parts come from separate runs (render.ts): the run of part "sla", its own stack. */
  slaRun?: { run: RunInfo; waited: WorkflowScaleResult['waited']; command: string };
  /** Said about the run where the figures need it (render.ts). */
  notes?: string[];
}

const RSS_TARGET_KB = 2 * 1024 * 1024;
const LATENESS_TARGET_MS = 1000;
const mib = (kb: number) => (Number.isFinite(kb) ? `${fmt.n(kb / 1024)} MiB` : '–');
const kib = (kb: number) => (Number.isFinite(kb) ? `${fmt.n(kb, 1)} KiB` : '–');
const errorsText = (e: Record<string, number>) =>
  Object.keys(e).length
    ? Object.entries(e)
        .map(([k, v]) => `${k} × ${fmt.n(v)}`)
        .join(', ')
    : '0';
const codeName = (c: Code) => `${c.label} (\`${c.commit}\`)`;

function lastStarted(m: MemoryRound) {
  return [...m.points].reverse().find((p) => p.label.endsWith('started')) ?? m.points[m.points.length - 1]!;
}

/** Worker RSS at `n` open workflows from a round that measured fewer: the last reading plus the growth beyond the cache. */
function extrapolateKb(m: MemoryRound, n: number): number {
  const last = lastStarted(m);
  const perWorkflow = Number.isFinite(m.slopeBeyondKb) ? m.slopeBeyondKb : m.slopeFillKb;
  return last.workerRssKb + Math.max(0, perWorkflow) * (n - last.open);
}

function memoryVerdict(r: WorkflowScaleResult): string[] {
  const m = r.memory.find((x) => x.code.label === 'new');
  if (!m) return [];
  const end = lastStarted(m);
  const evicted = m.probes.find((p) => p.kind === 'evicted');
  const met = end.workerRssKb <= RSS_TARGET_KB && m.n >= 100_000;
  const old = r.memory.find((x) => x.code.label === 'old');
  const oldLine = old
    ? `  - Old code: ${fmt.n(lastStarted(old).open)} open workflows, worker RSS ${mib(lastStarted(old).workerRssKb)} with a cache of ${fmt.n(old.code.cacheSize)}` +
      (old.n < m.n ? `; at ${fmt.n(m.n)} **${mib(lastStarted(old).workerRssKb)} to ${mib(extrapolateKb(old, m.n))} (extrapolated, not measured; see below)**` : '') +
      `. Per cached workflow: old ${kib(old.slopeFillKb)}, new ${kib(m.slopeFillKb)}; so the cache size decides the worker's memory: ` +
      `new ≈ ${mib(m.points[0]!.workerRssKb)} + ${fmt.n(m.code.cacheSize)} × ${kib(m.slopeFillKb)} = ${mib(m.points[0]!.workerRssKb + m.code.cacheSize * m.slopeFillKb)} whatever N, old ≈ ${mib(old.points[0]!.workerRssKb)} + ${fmt.n(old.code.cacheSize)} × ${kib(old.slopeFillKb)} = ${mib(old.points[0]!.workerRssKb + old.code.cacheSize * old.slopeFillKb)} once ${fmt.n(old.code.cacheSize)} tickets are open.`
    : null;
  const oldEvicted = old?.probes.find((p) => p.kind === 'evicted');
  const probeLine = oldEvicted
    ? `  - Change latency, not cached vs cached: new p99 ${fmt.ms(evicted?.latency.p99 ?? NaN)} vs ${fmt.ms(m.probes.find((p) => p.kind === 'cached')?.latency.p99 ?? NaN)} ms; old p99 ${fmt.ms(oldEvicted.latency.p99)} vs ${fmt.ms(old!.probes.find((p) => p.kind === 'cached')?.latency.p99 ?? NaN)} ms${oldEvicted.certain ? '' : ' (old: NOT certainly evicted at its N)'}.`
    : null;
  return [
    `- **100,000 open ticket workflows, worker RSS ≤ 2 GiB: ${met ? 'met' : m.n < 100_000 ? `not shown (this run opened ${fmt.n(m.n)})` : 'not met'}.** ` +
      `New code: ${fmt.n(end.open)} open workflows, worker RSS ${mib(end.workerRssKb)} (PSS ${mib(end.workerPssKb)}), workflow cache ${fmt.n(m.code.cacheSize)}` +
      (end.workerHwmKb > RSS_TARGET_KB
        ? `; its peak while 100,000 workflows started (VmHWM) was ${mib(end.workerHwmKb)}, above 2 GiB for a moment (garbage not yet collected).`
        : `; peak ${mib(end.workerHwmKb)}.`) +
      (evicted
        ? ` A change to a ticket whose workflow is not cached: p99 **${fmt.ms(evicted.latency.p99)} ms** (p50 ${fmt.ms(evicted.latency.p50)}, max ${fmt.ms(evicted.latency.max)}; ${fmt.n(evicted.latency.n)} changes${evicted.certain ? '' : ', NOT certainly evicted at this N'}).`
        : ''),
    ...(oldLine ? [oldLine] : []),
    ...(probeLine ? [probeLine] : []),
  ];
}

function slaVerdict(r: WorkflowScaleResult): string[] {
  const s = r.sla.find((x) => x.code.label === 'new');
  if (!s) return [];
  const p99 = s.breachRecordedMs.p99;
  const met = p99 <= LATENESS_TARGET_MS && s.missingBreach === 0 && s.duplicateBreach === 0 && s.timers >= 10_000 && r.options.rate >= 50;
  const lines = [
    `- **SLA breach lateness p99 ≤ 1 s with 10,000 live timers while tickets are created at 50/s: ${met ? 'met' : s.timers < 10_000 ? `not shown (this run had ${fmt.n(s.timers)} timers)` : 'not met'}.** ` +
      `New code: p99 **${fmt.ms(p99)} ms** (recorded − due; p50 ${fmt.ms(s.breachRecordedMs.p50)}, max ${fmt.ms(s.breachRecordedMs.max)}), ${s.missingBreach} missing, ${s.duplicateBreach} duplicated; ` +
      `${fmt.n(s.create.created)} tickets created at ${fmt.n(r.options.rate)}/s offered (p99 ${fmt.ms(s.create.latency.p99)} ms, 429: ${fmt.n(s.create.tooMany)}).`,
  ];
  const old = r.sla.find((x) => x.code.label === 'old');
  if (old)
    lines.push(
      `  - Old code: p99 ${fmt.ms(old.breachRecordedMs.p99)} ms (p50 ${fmt.ms(old.breachRecordedMs.p50)}, max ${fmt.ms(old.breachRecordedMs.max)}), ${old.missingBreach} missing, ${old.duplicateBreach} duplicated; ` +
        `${fmt.n(old.create.created)} created (p99 ${fmt.ms(old.create.latency.p99)} ms, not sent ${fmt.n(old.create.notSent)}); machine ${fmt.pct(old.cpuFiring.machinePct)}: ${topConsumers(old.cpuFiring, 4)}.`,
    );
  if (!met && s.timers >= 10_000)
    lines.push(
      `  - CPU while the timers fired (${fmt.s(s.cpuFiring.seconds)}): machine ${fmt.pct(s.cpuFiring.machinePct)} of ${r.run.machine.cpus * 100} %; ${topConsumers(s.cpuFiring, 4)}. ` +
        `The process that limits it: **${topConsumers(s.cpuFiring, 1).split(' ')[0]}** (largest share while the machine was ${s.cpuFiring.machinePct >= 170 ? 'saturated' : 'not saturated'}).`,
    );
  return lines;
}

function memorySection(r: WorkflowScaleResult): Block[] {
  if (!r.memory.length) return [];
  const blocks: Block[] = ['## Part "memory": many open ticket workflows'];
  blocks.push(
    `Per code: ticket rows (and a first message each) inserted in bulk with SQL, then each ticket's workflow started through the Temporal client with the input of a run continued as new (\`carried\` state: creation e-mails done, SLA clocks running, ${r.memory[0]?.firstResponseHours ?? 1} h / 8 h first-response / resolution targets), ${r.options.startConcurrency} starts in flight. ` +
      'Such a run does no activity in its first task, it only sets its timer: what an idle open ticket costs. Memory is read from /proc after each step once the task queue is empty (every tenth of N, and at quarters of the cache size while it fills).',
  );
  blocks.push(
    table(
      ['', ...r.memory.map((m) => codeName(m.code))],
      [
        ['workflow type', ...r.memory.map((m) => (m.code.label === 'new' ? '`ticketWorkflow`' : '`ticketLifecycle`'))],
        ['worker workflow cache', ...r.memory.map((m) => fmt.n(m.code.cacheSize))],
        ['open workflows (N)', ...r.memory.map((m) => fmt.n(m.n))],
        ['rows inserted in', ...r.memory.map((m) => fmt.s(m.insertSeconds))],
        ['workflow starts/s', ...r.memory.map((m) => `${fmt.n(m.startsPerSecond, 1)} (errors ${errorsText(m.startErrors)})`)],
        ['worker RSS at N', ...r.memory.map((m) => `**${mib(lastStarted(m).workerRssKb)}**`)],
        ['worker PSS at N', ...r.memory.map((m) => mib(lastStarted(m).workerPssKb))],
        ['worker peak RSS (VmHWM)', ...r.memory.map((m) => mib(m.points[m.points.length - 1]!.workerHwmKb))],
        ['worker RSS before any workflow', ...r.memory.map((m) => mib(m.points[0]!.workerRssKb))],
        ['worker RSS per cached workflow (slope while the cache fills)', ...r.memory.map((m) => kib(m.slopeFillKb))],
        ['worker RSS per workflow beyond the cache (slope)', ...r.memory.map((m) => kib(m.slopeBeyondKb))],
        ['API RSS at N', ...r.memory.map((m) => mib(lastStarted(m).apiRssKb))],
        ['Temporal RSS at N (growth in the round)', ...r.memory.map((m) => `${mib(lastStarted(m).temporalRssKb)} (+${mib(lastStarted(m).temporalRssKb - m.points[0]!.temporalRssKb)})`)],
        ['PostgreSQL PSS at N (all processes)', ...r.memory.map((m) => mib(lastStarted(m).postgresPssKb))],
        ['steps whose task queue did not empty within 2 min', ...r.memory.map((m) => fmt.n(m.notQuiet))],
      ],
    ),
  );
  const newer = r.memory.find((m) => m.code.label === 'new');
  for (const m of r.memory)
    if (newer && m.n < newer.n)
      blocks.push(
        `**Extrapolated, not measured:** the ${m.code.label} code was measured up to ${fmt.n(m.n)} open workflows (time: its worker needs several times longer per start once its heap holds ${fmt.n(m.code.cacheSize)} workflows). ` +
          `Its worker RSS at ${fmt.n(newer.n)} lies between **${mib(lastStarted(m).workerRssKb)}** (its cache holds at most ${fmt.n(m.code.cacheSize)} workflows, so RSS levels off once it is full, if the growth seen beyond it is heap not yet given back) ` +
          `and **${mib(extrapolateKb(m, newer.n))}** (the reading at ${fmt.n(lastStarted(m).open)} plus ${kib(Number.isFinite(m.slopeBeyondKb) ? m.slopeBeyondKb : m.slopeFillKb)} per further workflow, ` +
          `the slope measured ${Number.isFinite(m.slopeBeyondKb) ? 'beyond its cache size' : 'while its cache filled; it never filled'}, if that growth continues). Either way far above 2 GiB.`,
      );

  blocks.push('### A change to a ticket whose workflow is not cached');
  blocks.push(
    `\`POST /api/v1/tickets/{id}/priority\` \`{ "priority": "high" }\` as the fixture admin, one at a time, after all N workflows started: first to the ${fmt.n(r.options.probes)} newest tickets (most recently used, so in the worker's cache), then to the ${fmt.n(r.options.probes)} oldest (evicted once more than the cache size started after them: the worker fetches the history and replays it before it can run the update). ` +
      'The histories are those of a run continued as new (5 events); a ticket whose current run has a long history replays more events.',
  );
  blocks.push(
    table(
      ['Code', 'Tickets', 'Certain?', 'Changes', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'Errors', 'CPU worker', 'CPU Temporal', 'CPU API'],
      r.memory.flatMap((m) =>
        m.probes.map((p) => [
          codeName(m.code),
          p.kind === 'cached' ? 'newest (cached)' : 'oldest (not cached)',
          p.certain ? 'yes' : `no (N ${fmt.n(m.n)}, cache ${fmt.n(m.code.cacheSize)})`,
          fmt.n(p.latency.n),
          ...latencyCells(p.latency),
          errorsText(p.errors),
          fmt.pct(p.cpu.pct.worker ?? NaN),
          fmt.pct(p.cpu.pct.Temporal ?? NaN),
          fmt.pct(p.cpu.pct.API ?? NaN),
        ]),
      ),
    ),
  );

  for (const m of r.memory) {
    blocks.push(`### Memory while the workflows of ${codeName(m.code)} started`);
    blocks.push(
      table(
        ['Point', 'Open', 'worker RSS', 'worker PSS', 'API RSS', 'Temporal RSS', 'PostgreSQL PSS'],
        m.points.map((p) => [p.label, fmt.n(p.open), mib(p.workerRssKb), mib(p.workerPssKb), mib(p.apiRssKb), mib(p.temporalRssKb), mib(p.postgresPssKb)]),
      ),
    );
  }
  blocks.push('CPU (% of one core) while the workflows started, and over 15 s idle with all of them open:');
  const groups = r.memory[0] ? Object.keys(r.memory[0].cpuStarting.pct) : [];
  blocks.push(
    cpuTable(
      groups,
      r.memory.flatMap((m) => [
        [`${m.code.label}: starting ${fmt.n(m.n)}`, m.cpuStarting],
        [`${m.code.label}: idle, ${fmt.n(m.n)} open`, m.cpuIdle],
      ]),
    ),
  );
  return blocks;
}

const dist = (d: Distribution) => latencyCells(d);

function slaSection(r: WorkflowScaleResult): Block[] {
  if (!r.sla.length) return [];
  const o = r.options;
  const blocks: Block[] = ['## Part "sla": breach lateness with many live timers'];
  blocks.push(
    `Per code: ${fmt.n(o.timers)} open tickets (rows by SQL, workflows started with carried state as in part "memory") on a policy with a 600 s first-response target (warning at 80 %, so each ticket also warns 120 s before its breach), ` +
      `created in the past so that their first-response deadlines fall evenly over a ${fmt.s(o.windowSeconds)} window opening about ${fmt.s(o.leadSeconds)} after the last workflow ran its first task. ` +
      `From 20 s before the window until its end, tickets are created through the API at an open-loop ${fmt.n(o.rate)}/s (a fixture customer, a category with 1 h / 8 h targets; at most 400 requests in flight). ` +
      'Lateness = the `sla_events` breach row minus its `target_at` (the due instant): "recorded" uses the row\'s `created_at` (when PostgreSQL stored it), "workflow" its `actual_at` (the workflow\'s clock in the task that handled the timer).',
  );
  blocks.push(
    table(
      ['', ...r.sla.map((s) => codeName(s.code))],
      [
        ['live timers (tickets)', ...r.sla.map((s) => fmt.n(s.timers))],
        ['workflows started in', ...r.sla.map((s) => `${fmt.s(s.startSeconds)} (${fmt.n(s.startsPerSecond, 1)}/s, errors ${errorsText(s.startErrors)})`)],
        ['from the last start to the window', ...r.sla.map((s) => `${fmt.s(s.gapBeforeWindowS)}${s.dueBeforeStarted ? ` (${fmt.n(s.dueBeforeStarted)} due before all had started)` : ''}`)],
        ['breach lateness, recorded: p50 / p95 / p99 / max ms', ...r.sla.map((s) => `${dist(s.breachRecordedMs).join(' / ')}`)],
        ['breach lateness, workflow time: p50 / p95 / p99 / max ms', ...r.sla.map((s) => `${dist(s.breachWorkflowMs).join(' / ')}`)],
        ['warning lateness, recorded: p50 / p95 / p99 / max ms', ...r.sla.map((s) => `${dist(s.warningRecordedMs).join(' / ')}`)],
        [
          'breaches missing / duplicated',
          ...r.sla.map((s) => `${fmt.n(s.missingBreach)} / ${fmt.n(s.duplicateBreach)}${s.timedOut ? ` (waited ${fmt.s(s.waitedAfterWindowS)} after the window, then stopped)` : ''}`),
        ],
        ['warnings missing / duplicated', ...r.sla.map((s) => `${fmt.n(s.missingWarning)} / ${fmt.n(s.duplicateWarning)}`)],
        ['peak breaches in one second', ...r.sla.map((s) => fmt.n(s.peakBreachesPerSecond))],
        ['tickets created (offered)', ...r.sla.map((s) => `${fmt.n(s.create.created)} (${fmt.n(s.create.scheduled)} at ${fmt.n(s.create.offeredPerSecond)}/s)`)],
        ['creation latency p50 / p99 / max ms', ...r.sla.map((s) => `${fmt.ms(s.create.latency.p50)} / ${fmt.ms(s.create.latency.p99)} / ${fmt.ms(s.create.latency.max)}`)],
        ['creation 429 (admission control)', ...r.sla.map((s) => fmt.n(s.create.tooMany))],
        ['creation errors / not sent (400 in flight)', ...r.sla.map((s) => `${errorsText(s.create.errors)} / ${fmt.n(s.create.notSent)}`)],
        ['created tickets: workflow start lag p50 / p99 ms', ...r.sla.map((s) => `${fmt.ms(s.create.startLagMs.p50)} / ${fmt.ms(s.create.startLagMs.p99)} (${fmt.n(s.create.startLagMs.n)} started)`)],
        ['workflow-task backlog, max (oldest)', ...r.sla.map((s) => `${fmt.n(s.backlog.maxWorkflowTasks)} (${fmt.s(s.backlog.maxWorkflowAgeS)})`)],
      ],
    ),
  );
  blocks.push('Breach lateness (recorded) by tenth of the window, in due order:');
  blocks.push(
    table(
      ['Code', ...Array.from({ length: 10 }, (_, i) => `${i + 1}: p50 / p99 ms`)],
      r.sla.map((s) => [codeName(s.code), ...s.bySlice.map((x) => `${fmt.ms(x.p50)} / ${fmt.ms(x.p99)}`)]),
    ),
  );
  blocks.push('CPU (% of one core) from the start of creation to the end of the window, and until the last breach was recorded:');
  const groups = r.sla[0] ? Object.keys(r.sla[0].cpuWindow.pct) : [];
  blocks.push(
    cpuTable(
      groups,
      r.sla.flatMap((s) => [
        [`${s.code.label}: creation + window`, s.cpuWindow],
        [`${s.code.label}: until the last breach`, s.cpuFiring],
      ]),
    ),
  );
  return blocks;
}

function configSection(r: WorkflowScaleResult): Block[] {
  const c = r.codes;
  return [
    '## Configuration',
    [
      `- Old code: \`${c.old.commit}\` "${c.old.subject}", a git worktree at \`${c.old.root}\` with its own \`npm ci\`${c.old.reused ? ' (reused)' : ` (prepared in ${fmt.s(c.old.preparedSeconds)})`}; worker cache ${c.old.cacheSource}. It runs against this tree's database schema (the launcher migrates with this code).`,
      `- New code: \`${c.new.commit}\` "${c.new.subject}"; worker cache ${c.new.cacheSource}.`,
      "- Each round starts the API and the worker of its code (`node --import tsx <workspace>/src/main.ts`, `NODE_ENV=production`, `LOG_LEVEL=warn`) on a task queue of its own and stops them at the end; rounds run one after the other (memory old, memory new, sla old, sla new) on one stack. Workflows of earlier rounds stay open in Temporal (no worker polls their queue), so Temporal's and PostgreSQL's readings include them; the \"growth in the round\" column shows the round's own share.",
      "- Ticket rows: number from the year's counter, subject, body, the fixture customer as requester, category, support group, its two agents alternately as assignee, the policy, status `open`, priority `normal`, deadlines from `initialClocks`, version 1, `workflow_started_at` set (so no reconciler starts them again), one first message each. The search-outbox rows their insert queues are deleted in the same transaction (indexing them is the search drain's work, not the workflows').",
      `- Workflow starts: \`temporal.workflow.start\` with workflowId \`ticket-<id>\`, the typed search attributes of \`ticketSearchAttributes\` and \`TicketLifecycleInput.carried\` (\`createdNotified: true\`, \`seq: 2\`; for the new code also the listener flag and the published attribute key), ${r.options.startConcurrency} in flight.`,
      `- Temporal: \`${r.temporalCmd.join(' ')}\``,
    ],
  ];
}

export function renderWorkflowScaleReport(r: WorkflowScaleResult): string {
  const quick = r.options.quick;
  const waited = r.waited
    ? `- Before measuring, the benchmark waited ${fmt.s(r.waited.waitedS)} for the 1-minute load average to stay below 1.0 for 30 s: ${r.waited.quiet ? 'it did' : `**it did not within 25 min** (load average ${r.waited.loadavg} when it went ahead)`}.`
    : '- The benchmark did not wait for a quiet machine (`--quick` or `--no-wait`).';
  const processes = 'the API, the worker, Temporal, PostgreSQL, the SMTP catcher (in the launcher) and the load generator (this benchmark)';
  return document([
    '# Benchmarks: many open ticket workflows (worker memory, cache misses, SLA timers)',
    ...(quick ? ['**QUICK mode: small sizes, the numbers are not for the record.**'] : []),
    r.slaRun
      ? `Generated by \`${r.run.command}\` (part "memory") and \`${r.slaRun.command}\` (part "sla"), scripts/src/bench/workflow-scale.ts. In each run the old code (\`${r.codes.old.commit}\`) and the new code side by side on one stack.`
      : `Generated by \`${r.run.command}\` (scripts/src/bench/workflow-scale.ts). The old code (\`${r.codes.old.commit}\`) and the new code (\`${r.codes.new.commit}\`) side by side in one run on one stack.`,
    '## Targets',
    [...memoryVerdict(r), ...slaVerdict(r)],
    ...(r.failures.length ? ['## Rounds that failed', r.failures.map((f) => `- ${f.replace(/[|`]/g, ' ')}`)] : []),
    ...memorySection(r),
    ...slaSection(r),
    ...configSection(r),
    ...(r.notes?.length ? ['## Notes on this run', r.notes.map((n) => `- ${n}`)] : []),
    ...runSection(r.run, processes).map((b) => (r.slaRun && b === '## Run' ? `## Run${r.memory.length ? ' (part "memory")' : ''}` : b)),
    [waited],
    ...(r.slaRun
      ? [
          ...runSection(r.slaRun.run, processes).map((b) => (b === '## Run' ? '## Run (part "sla")' : b)),
          [
            r.slaRun.waited
              ? `- Before measuring, the benchmark waited ${fmt.s(r.slaRun.waited.waitedS)} for a quiet machine: ${r.slaRun.waited.quiet ? 'it was' : `it was not within 25 min (load average ${r.slaRun.waited.loadavg})`}.`
              : '- This run did not wait for a quiet machine (`--no-wait`): its load average is above.',
          ],
        ]
      : []),
    ...logSection([...r.memory.flatMap((m) => m.logs), ...r.sla.flatMap((s) => s.logs)]),
  ]);
}
