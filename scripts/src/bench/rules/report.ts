import type { Distribution } from '../lib/load';
import type { CpuUsage } from '../lib/cpu';
import type { MachineInfo } from '../lib/procfs';
import type { ConcurrentRun, E2eRun } from './e2e';
import type { ruleStats } from './generate';
import type { PureRun } from './pure';

// Renders docs/benchmarks-rules.md. Every number and every verdict comes from the run: the
// sentences are chosen by comparing measured values, nothing is typed in by hand.

export interface PartCpu {
  usage: CpuUsage;
  /** Hypervisor steal, % of one core (included in usage.otherPct). */
  stealPct: number;
}

export interface RulesBenchResult {
  startedAt: Date;
  finishedAt: Date;
  benchSeconds: number;
  command: string;
  quick: boolean;
  machine: MachineInfo;
  git: { commit: string; dirty: string[] };
  loadavgStart: string;
  loadavgEnd: string;
  forcedGc: boolean;
  regexCacheLimit: number;
  factCount: number;
  opts: {
    ns: number[];
    e2eNs: number[];
    contexts: number;
    pure: { events: number; warmup: number; maxSeconds: number; singleRunEvents: number };
    regexVariant: { events: number; maxSeconds: number };
    tickets: number;
    e2e: { warmup: number; events: number; activityEvents: number; concurrentEvents: number; concurrency: number; maxSeconds: number };
  };
  generateMs: number;
  ruleShape: ReturnType<typeof ruleStats>;
  contextCount: number;
  pure: PureRun[];
  pureCpu: PartCpu | null;
  e2e: E2eRun[];
  e2eCpu: PartCpu | null;
  ticketInsert: { count: number; ms: number } | null;
}

const TARGET_MS = 10;
const TARGET_N = 100;

// ---------------------------------------------------------------------------------------------
// Formatting

function ms(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x < 1) return x.toFixed(3);
  if (x < 10) return x.toFixed(2);
  if (x < 100) return x.toFixed(1);
  return x.toFixed(0);
}
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)} %` : '–');
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)}×` : '–');
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: (string | number)[][], align?: string) => [row(head), align ?? row(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)].join('\n');
const p50p99 = (d: Distribution) => `${ms(d.p50)} / ${ms(d.p99)}`;

function cpuLine(label: string, c: PartCpu | null, cpus: number): string | null {
  if (!c) return null;
  const u = c.usage;
  const parts = Object.entries(u.pct).map(([k, v]) => `${k} ${v.toFixed(0)} %`);
  const steal = Number.isFinite(c.stealPct)
    ? `${c.stealPct.toFixed(0)} % hypervisor steal and ${Math.max(0, u.otherPct - c.stealPct).toFixed(0)} % other processes`
    : `${u.otherPct.toFixed(0)} % other processes`;
  return `${label} (${u.seconds.toFixed(0)} s): ${parts.join(', ')}; ${steal}; machine busy ${u.machinePct.toFixed(0)} % of ${cpus * 100} %`;
}

/** Heap delta, or a note when it is below what one measurement can resolve. */
function heap(bytes: number, n: number): string {
  if (bytes < 64 * 1024) return '< 64 KiB (noise)';
  return `${mb(bytes)} (${kb(bytes / n)}/rule)`;
}

// ---------------------------------------------------------------------------------------------
// Analysis

interface Point {
  n: number;
  value: number;
}

/** N at which `value` reaches `limit`, interpolated between measured points (or extrapolated linearly from the last). */
function crossing(points: Point[], limit: number): { n: number; how: 'below-first' | 'interpolated' | 'extrapolated' } {
  const ps = [...points].filter((p) => Number.isFinite(p.value)).sort((a, b) => a.n - b.n);
  if (ps.length === 0) return { n: NaN, how: 'extrapolated' };
  const first = ps[0]!;
  if (first.value >= limit) return { n: first.n, how: 'below-first' };
  for (let i = 1; i < ps.length; i++) {
    const a = ps[i - 1]!;
    const b = ps[i]!;
    if (b.value >= limit) return { n: a.n + ((limit - a.value) * (b.n - a.n)) / (b.value - a.value), how: 'interpolated' };
  }
  const last = ps[ps.length - 1]!;
  return { n: (limit / last.value) * last.n, how: 'extrapolated' };
}

function crossingText(c: ReturnType<typeof crossing>, what: string): string {
  if (!Number.isFinite(c.n)) return `${what}: not measured`;
  const n = Math.round(c.n / 10) * 10 || Math.round(c.n);
  switch (c.how) {
    case 'below-first':
      return `${what}: already above ${TARGET_MS} ms at the smallest size measured (${int(c.n)} rules)`;
    case 'interpolated':
      return `${what}: reaches ${TARGET_MS} ms at ≈ ${int(n)} active rules (interpolated between the measured sizes)`;
    case 'extrapolated':
      return `${what}: stays below ${TARGET_MS} ms up to the largest size measured; linear extrapolation puts ${TARGET_MS} ms at ≈ ${int(n)} rules`;
  }
}

function topWait(c: ConcurrentRun): string {
  const w = c.waits.top[0];
  return w ? `${w.wait} (${w.avg.toFixed(2)})` : 'none sampled';
}

const verdict = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'not measured' : x <= TARGET_MS ? '**met**' : '**not met**');

// ---------------------------------------------------------------------------------------------

export function renderRulesReport(r: RulesBenchResult): string {
  const out: string[] = [];
  const push = (...lines: (string | null | undefined)[]) => {
    for (const l of lines) if (l !== null && l !== undefined) out.push(l);
  };
  const base = r.pure.filter((p) => p.variant === '');
  const variants = r.pure.filter((p) => p.variant !== '');
  const pureAt = (n: number) => base.find((p) => p.n === n);
  const e2eAt = (n: number) => r.e2e.find((e) => e.n === n);
  const p100 = pureAt(TARGET_N);
  const e100 = e2eAt(TARGET_N);
  const date = r.startedAt.toISOString().slice(0, 10);

  push(
    '# Rule evaluation benchmark',
    '',
    `Generated by \`${r.command}\` on ${date} (${r.startedAt.toISOString().slice(11, 16)} UTC); do not edit by hand — rerun the command.` +
      (r.quick ? ' **QUICK mode: small samples, not for the record.**' : ''),
    '',
    'Question (issue requirement): what does evaluating the automation rules cost per ticket event with 10, 100 and 1,000 active',
    `rules (median and p99), is p99 ≤ ${TARGET_MS} ms at ${TARGET_N} rules, and where does json-rules-engine stop scaling? Part 1 measures`,
    '`@mehrdesk/rules` alone (`compileRuleSet` once, then `evaluate` per event, in memory). Part 2 measures what the worker',
    'activity `evaluateRules` does against PostgreSQL (`buildRuleContext` → `activeRuleSet` → `evaluate`, then the',
    '`rule_executions` log), without Temporal.',
    '',
    '## Summary',
    '',
  );

  // Headline bullets
  push(
    `- **Target (p99 ≤ ${TARGET_MS} ms at ${TARGET_N} rules):** evaluation alone p99 ${p100 ? `${ms(p100.latency.p99)} ms` : '–'} wall-clock → ${verdict(p100?.latency.p99)}` +
      (p100 ? ` (p99 of the CPU time per event ${ms(p100.cpu.p99)} ms → ${verdict(p100.cpu.p99)})` : '') +
      (e100
        ? `; the activity path without the execution log (context query + cached rule set + evaluate) p99 ${ms(e100.total.p99)} ms → ${verdict(e100.total.p99)}` +
          `; the whole activity including the execution log p99 ${ms(e100.activity.latency.p99)} ms → ${verdict(e100.activity.latency.p99)}.`
        : '.'),
  );
  if (base.length) {
    push(`- **Evaluation per event (median / p99):** ${base.map((p) => `${int(p.n)} rules ${ms(p.latency.p50)} / ${ms(p.latency.p99)} ms`).join('; ')}.`);
  }
  if (r.e2e.length) {
    push(
      `- **Activity per event, median / p99 (context + rule set + evaluate | + execution log, real activity):** ` +
        r.e2e.map((e) => `${int(e.n)} rules ${ms(e.total.p50)} / ${ms(e.total.p99)} ms | ${ms(e.activity.latency.p50)} / ${ms(e.activity.latency.p99)} ms`).join('; ') +
        '.',
    );
  }
  const p99Cross = crossing(
    base.map((p) => ({ n: p.n, value: p.latency.p99 })),
    TARGET_MS,
  );
  const p50Cross = crossing(
    base.map((p) => ({ n: p.n, value: p.latency.p50 })),
    TARGET_MS,
  );
  const cpuCross = crossing(
    base.map((p) => ({ n: p.n, value: p.cpu.p99 })),
    TARGET_MS,
  );
  if (base.length) {
    push(
      `- **Where it stops scaling:** every event runs every rule of its trigger (nothing is indexed), so the cost grows with the number of rules: ` +
        `${base.map((p) => `${p.perRuleUs.toFixed(0)} µs`).join(' / ')} per rule (median) at ${base.map((p) => int(p.n)).join(' / ')} rules. ` +
        `${crossingText(p99Cross, 'Wall-clock p99')}; ${crossingText(cpuCross, 'CPU-time p99')}; ${crossingText(p50Cross, 'the median')}. Details below.`,
    );
  }
  const contention = [r.pureCpu, r.e2eCpu].filter((c): c is PartCpu => c !== null);
  if (contention.some((c) => c.usage.otherPct >= 25)) {
    push(
      `- **Shared machine:** other processes used ${contention.map((c) => `${c.usage.otherPct.toFixed(0)} %`).join(' and ')} of one core (of ${r.machine.cpus * 100} %) during ${contention.length > 1 ? 'Parts 1 and 2' : 'the run'}; ` +
        'the tails (p99, max) include waiting for a core and are upper bounds for a dedicated machine of this size.',
    );
  }
  if (p100 && r.pureCpu && p100.latency.p99 > 1.5 * p100.cpu.p99) {
    push(
      `- **Noise:** at ${TARGET_N} rules the wall-clock p99 (${ms(p100.latency.p99)} ms) is ${times(p100.latency.p99 / p100.cpu.p99)} the CPU-time p99 (${ms(p100.cpu.p99)} ms): the tail is mostly time spent waiting for a core ` +
        `while other processes used ${r.pureCpu.usage.otherPct.toFixed(0)} % of one of the ${r.machine.cpus} cores during Part 1. On a dedicated core the wall-clock tail would be close to the CPU-time tail.`,
    );
  }
  const thrash = variants.find((v) => (pureAt(v.n)?.distinctRegexes ?? 0) > r.regexCacheLimit);
  const thrashStd = thrash ? pureAt(thrash.n) : undefined;
  if (thrash && thrashStd) {
    push(
      `- **Beyond ${r.regexCacheLimit} distinct regex patterns** (the RE2 cache size; ${int(thrashStd.distinctRegexes)} patterns at ${int(thrash.n)} rules here) the cost per rule is no longer constant: ` +
        `${int(thrash.n)} rules took ${times(thrashStd.latency.p50 / thrash.latency.p50)} as long (median) as the same rules with ${int(thrash.distinctRegexes)} distinct patterns.`,
    );
  }
  if (r.e2e.length) {
    push(
      `- **Throughput of one worker process (real activity):** ${r.e2e
        .map(
          (e) =>
            `${int(e.n)} rules ${(1000 / e.activity.latency.p50).toFixed(1)} events/s one at a time${e.concurrent ? `, ${e.concurrent.eventsPerSecond.toFixed(1)} events/s with ${e.concurrent.concurrency} in flight` : ''}`,
        )
        .join('; ')}.`,
    );
  }
  const e1000 = e2eAt(1000) ?? r.e2e[r.e2e.length - 1];
  if (e1000) {
    const share = e1000.logAll.p50 / (e1000.logAll.p50 + e1000.total.p50);
    push(
      `- **Execution log at ${int(e1000.n)} rules:** writing one \`rule_executions\` row per evaluated rule (${int(e1000.evaluatedPerEvent)} rows, ${kb(e1000.logBytesPerEvent)} of JSON per event) takes ${ms(e1000.logAll.p50)} ms (median), ` +
        `${pct(share, 0)} of context + evaluation + log — ${share >= 0.5 ? 'the dominant cost' : 'not the dominant cost'}; logging only the matched rules takes ${ms(e1000.logMatched.p50)} ms (median).`,
    );
  }
  push('');

  // ---- Machine
  push('## Machine and run', '');
  push(
    table(
      ['', ''],
      [
        ['Date', `${r.startedAt.toISOString()} → ${r.finishedAt.toISOString()} (${r.benchSeconds.toFixed(0)} s in the benchmark process)`],
        ['CPU', `${r.machine.cpuModel}, ${r.machine.cpus} CPUs (nproc)`],
        ['Memory', r.machine.memTotal],
        ['Kernel', r.machine.kernel],
        ['Node.js', r.machine.node],
        [
          'Code',
          `commit ${r.git.commit}${r.git.dirty.length ? ` + ${r.git.dirty.length} uncommitted file(s) outside this benchmark (${r.git.dirty.slice(0, 6).join(', ')}${r.git.dirty.length > 6 ? ', …' : ''})` : ''}`,
        ],
        ['Command', `\`${r.command}\` (fresh embedded PostgreSQL, migrated and seeded by the launcher; the other services it starts stay idle)`],
        ['Load average', `${r.loadavgStart} at start, ${r.loadavgEnd} at the end`],
        ['Forced GC for heap sizes', r.forcedGc ? 'yes (`--expose-gc` enabled at run time via v8.setFlagsFromString)' : 'no: heap sizes are raw heapUsed deltas'],
      ],
      '|---|---|',
    ),
    '',
  );
  const cpuLines = [cpuLine('Part 1', r.pureCpu, r.machine.cpus), cpuLine('Part 2', r.e2eCpu, r.machine.cpus)].filter((x): x is string => x !== null);
  if (cpuLines.length) {
    push(
      'CPU during the parts, from /proc (100 % = one core). "bench" is this process, "postgres" the database with its backends; steal is CPU time the',
      'virtual machine was owed but not given, "other processes" everything else on the machine. Both disturb the numbers: treat them as upper bounds for this size of machine.',
      '',
    );
    for (const l of cpuLines) push(`- ${l}`);
    push('');
  }

  // ---- Workload
  const s = r.ruleShape;
  push(
    '## Workload',
    '',
    `**Rules.** Generated deterministically (seeded PRNG; rule *i* depends only on *i*, so each smaller set is a prefix of the larger ones)`,
    `and each checked with \`validateRule\` (${int(r.opts.ns.length ? Math.max(...r.opts.ns, ...r.opts.e2eNs) : 0)} rules generated and validated in ${ms(r.generateMs)} ms). In the first ${int(s.rules)} rules:`,
    `${s.leavesPerRule.toFixed(1)} leaf conditions, ${s.groupsPerRule.toFixed(1)} groups (all/any/not, nested up to 3 levels) and ${s.actionsPerRule.toFixed(1)} actions per rule on average (2–6 leaves, 1–3 actions);`,
    `triggers ${s.triggers.map(([t, k]) => `${t} ${int(k)}`).join(', ')} (every 20th rule listens to another trigger, so ~95 % of the active rules are evaluated for a \`ticket.updated\` event);`,
    `leaf facts ${s.facts.map(([f, k]) => `${f} ${int(k)}`).join(', ')}.`,
    'Operators cover equal/in/notIn, containsAny/contains/doesNotContain/isEmpty on tags, textContains/textNotContains (Persian folding) and',
    `matchesRegex (RE2) on subjects and e-mails, hoursSince (30 % in business hours), changed/previous and custom fields with coercion.`,
    `Each rule has a selective "gate" (status, tag, subject word, change, plan …) refined by broad conditions, so about 5 % of evaluations match.`,
    '',
    `**Events.** ${int(r.contextCount)} varied \`ticket.updated\` contexts (status, priority, source, 0–4 of 27 tags, English and Persian subjects, custom`,
    'fields of several types, timestamps up to 30 days old, a previous snapshot differing in one or two fields, 70 % on a Tehran',
    'business calendar, 30 % always open). Part 2 inserts tickets from the same generator as rows (with their first message, customer',
    `and agent replies and status changes) — ${r.ticketInsert ? `${int(r.ticketInsert.count)} tickets in ${ms(r.ticketInsert.ms)} ms` : 'not run'} — and builds the contexts from PostgreSQL.`,
    '',
  );

  // ---- Part 1
  if (base.length) {
    push(
      '## Part 1 — evaluation in memory',
      '',
      `Per N: \`compileRuleSet\` once (timed; heap = heapUsed after − before${r.forcedGc ? ', both after a forced GC' : ''}), ${r.opts.pure.warmup} warm-up events, then up to ${int(r.opts.pure.events)} events`,
      `one at a time (capped at ${r.opts.pure.maxSeconds} s per N; the events column says how many ran). Latency is the wall time of \`await evaluate(set, context)\`;`,
      'the CPU column is the process CPU time (user + system) consumed during the same call, which leaves out time spent waiting for a core.',
      '',
      table(
        [
          'Active rules',
          'Evaluated / event',
          'Events',
          'Median ms',
          'p95 ms',
          'p99 ms',
          'Max ms',
          'CPU ms: median / p99',
          'Events/s',
          'µs per rule (median)',
          'Matched',
          'Compile ms',
          'Heap of compiled set',
        ],
        base.map((p) => [
          int(p.n),
          int(p.evaluatedPerEvent),
          int(p.events),
          ms(p.latency.p50),
          ms(p.latency.p95),
          `**${ms(p.latency.p99)}**`,
          ms(p.latency.max),
          p50p99(p.cpu),
          int(p.eventsPerSecond),
          p.perRuleUs.toFixed(1),
          pct(p.matchedShare),
          ms(p.compileMs),
          heap(p.heapBytes, p.n),
        ]),
      ),
      '',
    );
    // Scaling
    const ref = base.find((p) => p.n >= TARGET_N) ?? base[0]!;
    push(
      '### Scaling',
      '',
      `Cost per evaluated rule relative to ${int(ref.n)} rules (1.0× = perfectly linear in the number of rules); distinct regex patterns against the`,
      `RE2 cache (\`REGEX_CACHE_LIMIT\` = ${r.regexCacheLimit} compiled patterns, least recently used evicted and freed); garbage collection during the measured`,
      'events (V8 `gc` performance entries).',
      '',
      table(
        [
          'Active rules',
          'Median µs / rule',
          'p99 µs / rule',
          'vs. ' + int(ref.n) + ' rules (median)',
          'Distinct regex patterns',
          'Fit the RE2 cache',
          'GC: collections (major) / event',
          'GC share of loop',
          'Longest GC pause ms',
        ],
        base.map((p) => [
          int(p.n),
          p.perRuleUs.toFixed(1),
          ((p.latency.p99 * 1000) / p.evaluatedPerEvent).toFixed(1),
          times(p.perRuleUs / ref.perRuleUs),
          int(p.distinctRegexes),
          p.distinctRegexes <= r.regexCacheLimit ? 'yes' : '**no**',
          `${(p.gc.count / p.events).toFixed(2)} (${(p.gc.major / p.events).toFixed(2)})`,
          pct(p.gc.ms / (p.seconds * 1000), 0),
          ms(p.gc.maxMs),
        ]),
      ),
      '',
    );
    if (variants.length) {
      push(
        `Same rule sets with every regex drawn from ${variants[0]!.distinctRegexes <= r.regexCacheLimit ? 'a pool that fits the cache' : 'a small pool'} (all other conditions identical; up to ${int(r.opts.regexVariant.events)} events, capped at ${r.opts.regexVariant.maxSeconds} s):`,
        '',
        table(
          ['Active rules', 'Distinct patterns', 'Median ms', 'p99 ms', 'Median µs / rule', 'Standard set median ms', 'Standard / pooled'],
          variants.map((v) => {
            const std = pureAt(v.n);
            return [
              int(v.n),
              int(v.distinctRegexes),
              ms(v.latency.p50),
              ms(v.latency.p99),
              v.perRuleUs.toFixed(1),
              std ? ms(std.latency.p50) : '–',
              std ? times(std.latency.p50 / v.latency.p50) : '–',
            ];
          }),
        ),
        '',
      );
    }
    const withSingle = base.filter((p) => p.singleRun);
    if (withSingle.length) {
      push(
        'Reference, **not production semantics**: the same compiled rules added to ONE json-rules-engine `Engine` and run with one',
        '`engine.run()` per event (facts and operators registered as `evaluate` does). `evaluate` instead runs each rule in its own',
        '`run()` so that every rule gets its own duration and error; the difference is the per-run overhead.',
        '',
        table(
          ['Active rules', 'evaluate: median / p99 ms', 'one run(): median / p99 ms', 'Events (one run)', 'evaluate / one run (median)'],
          withSingle.map((p) => [int(p.n), p50p99(p.latency), p50p99(p.singleRun!.latency), int(p.singleRun!.events), times(p.latency.p50 / p.singleRun!.latency.p50)]),
        ),
        '',
      );
    }
  }

  // ---- Part 2
  const lastE2e = r.e2e[r.e2e.length - 1];
  const rowBytes = lastE2e && lastE2e.executionRows > 0 ? lastE2e.executionTableBytes / lastE2e.executionRows : NaN;
  if (r.e2e.length) {
    const o = r.opts.e2e;
    push(
      '## Part 2 — the activity path with PostgreSQL',
      '',
      `The rules are inserted as rows with the statements of \`POST /api/v1/rules\` (\`rules\` + \`rule_versions\`, then \`rule_set_state\` bumped), cumulatively`,
      `(${r.e2e.map((e) => int(e.n)).join(' → ')}). Per event, on a fresh \`em.fork()\` as the activity does: \`buildRuleContext\` (one ticket query with three`,
      `subqueries, plus the SLA policy's calendar), \`activeRuleSet\` (one \`rule_set_state\` read; the compiled set is cached per version) and \`evaluate\`.`,
      `${o.warmup} warm-up events, then up to ${int(o.events)} events (capped at ${o.maxSeconds} s). The first \`activeRuleSet\` after the bump loads and compiles the set ("cold").`,
      '',
      table(
        ['Active rules', 'Events', 'buildRuleContext', 'activeRuleSet', 'evaluate', 'Total (no log)', 'Cold load + compile ms', 'Insert N rules ms'],
        r.e2e.map((e) => [int(e.n), int(e.events), p50p99(e.context), p50p99(e.ruleSet), p50p99(e.evaluate), `**${p50p99(e.total)}**`, ms(e.coldRuleSetMs), ms(e.insertMs)]),
      ),
      '',
      'Cells are median / p99 in ms.',
      '',
      '### Execution log',
      '',
      '`logExecutions` (worker/src/activities/rule-evaluation.ts; the benchmark runs the same statement) writes one `rule_executions` row',
      'per **evaluated** rule — with its condition report and actions as JSON — and updates `runs`/`matches` on every evaluated `rules` row, in',
      'one transaction per event. The lever column runs the same statement with only the matched rules (and nothing when no rule matched).',
      '',
      table(
        ['Active rules', 'Rows / event', 'JSON / event', 'Log all: median / p99 ms', 'Log matched only: median / p99 ms', 'Events with a match', 'Log share (median)'],
        r.e2e.map((e) => [
          int(e.n),
          int(e.evaluatedPerEvent),
          kb(e.logBytesPerEvent),
          p50p99(e.logAll),
          p50p99(e.logMatched),
          pct(e.eventsWithMatch / Math.max(1, e.events), 0),
          pct(e.logAll.p50 / (e.logAll.p50 + e.total.p50), 0),
        ]),
      ),
      '',
      `\`rule_executions\` after each size: ${r.e2e.map((e) => `${int(e.n)} rules → ${int(e.executionRows)} rows, ${mb(e.executionTableBytes)}`).join('; ')} (the benchmark's own writes; ` +
        `every event of the size adds its rows): about ${kb(rowBytes)} of table and indexes per row, so ${r.e2e.map((e) => `${mb(rowBytes * e.evaluatedPerEvent)} per event at ${int(e.n)} rules`).join(', ')}.`,
      '',
      '### The real activity',
      '',
      `\`createRuleActivities({ orm, log }).evaluateRules(input)\` — the fast-path count, context, rule set, evaluate and execution log, exactly as`,
      `the workflow calls it (Temporal's own overhead excluded). Sequential: up to ${o.activityEvents} events. Concurrent: ${o.concurrency} events in flight at a time`,
      `(the worker allows 50 concurrent activities), up to ${o.concurrentEvents} events; all events of a size hit the same rule rows.`,
      '',
      table(
        ['Active rules', 'Sequential: events', 'median / p99 / max ms', `${o.concurrency} concurrent: events`, 'events/s', 'median / p99 ms', 'Backends waiting on a lock (avg)', 'Top wait', 'Errors'],
        r.e2e.map((e) => [
          int(e.n),
          int(e.activity.events),
          `${ms(e.activity.latency.p50)} / ${ms(e.activity.latency.p99)} / ${ms(e.activity.latency.max)}`,
          e.concurrent ? int(e.concurrent.events) : '–',
          e.concurrent ? e.concurrent.eventsPerSecond.toFixed(1) : '–',
          e.concurrent ? p50p99(e.concurrent.latency) : '–',
          e.concurrent ? e.concurrent.waits.avgLockWaits.toFixed(2) : '–',
          e.concurrent ? topWait(e.concurrent) : '–',
          e.concurrent
            ? Object.entries(e.concurrent.errors)
                .map(([k, v]) => `${v}× ${k}`)
                .join(', ') || 'none'
            : '–',
        ]),
      ),
      '',
    );
  }

  // ---- Analysis
  push('## Where json-rules-engine stops scaling', '');
  const ref = base.find((p) => p.n >= TARGET_N) ?? base[0];
  const largest = base[base.length - 1];
  if (ref && largest) {
    push(
      `- **Linear, unindexed cost.** \`evaluate\` runs every rule of the trigger one after another, each in its own \`Engine.run()\`; nothing is indexed, so an event ` +
        `costs (rules of the trigger) × (cost per rule): ${base.map((p) => `${p.perRuleUs.toFixed(0)} µs at ${int(p.n)}`).join(', ')} (median per evaluated rule). ` +
        `json-rules-engine has no cliff of its own — the budget simply runs out: ${crossingText(p99Cross, 'wall-clock p99')}; ${crossingText(cpuCross, 'CPU-time p99')}; ${crossingText(p50Cross, 'median')}.`,
    );
    const growth = largest.perRuleUs / ref.perRuleUs;
    const upTo1000 = base.filter((p) => p.n >= ref.n && p.n <= 1000);
    const spread = upTo1000.length ? Math.max(...upTo1000.map((p) => p.perRuleUs / ref.perRuleUs)) : NaN;
    const pooledLargest = variants.find((v) => v.n === largest.n);
    push(
      `- **Per-rule cost relative to ${int(ref.n)} rules:** at most ${times(spread)} up to ${int(Math.min(1000, largest.n))} rules, ${times(growth)} at ${int(largest.n)} rules` +
        (growth > 1.2 && pooledLargest
          ? `; with the regex patterns pooled the ${int(largest.n)} rules cost ${pooledLargest.perRuleUs.toFixed(0)} µs per rule (${times(pooledLargest.perRuleUs / ref.perRuleUs)}), so the rise is the RE2 cache, not json-rules-engine (below).`
          : growth > 1.2
            ? ' (superlinear at the largest size).'
            : ' (about constant: linear scaling).'),
    );
    if (variants.length) {
      const parts = variants.map((v) => {
        const std = pureAt(v.n);
        const fits = std ? std.distinctRegexes <= r.regexCacheLimit : true;
        return std
          ? `at ${int(v.n)} rules the standard set (${int(std.distinctRegexes)} patterns, ${fits ? 'fits' : '**does not fit**'} the cache) is ${times(std.latency.p50 / v.latency.p50)} the pooled one (${int(v.distinctRegexes)} patterns)`
          : '';
      });
      push(
        `- **RE2 cache:** \`REGEX_CACHE_LIMIT\` is ${r.regexCacheLimit}; ${parts.filter(Boolean).join('; ')} (median). A ratio near 1× where the set fits is the control; ` +
          'where it does not fit, every event evicts, frees and recompiles patterns in the WASM heap, and the ratio above 1× is that cost.',
      );
    }
    const tail = base.filter((p) => p.n >= 1000);
    if (tail.length) {
      push(
        `- **Tail and GC:** ${tail.map((p) => `at ${int(p.n)} rules p99 is ${(p.latency.p99 / p.latency.p50).toFixed(1)}× the median, GC took ${pct(p.gc.ms / (p.seconds * 1000), 0)} of the loop (${(p.gc.count / p.events).toFixed(1)} collections per event, longest pause ${ms(p.gc.maxMs)} ms)`).join('; ')}. ` +
          `Each event allocates a Rule, an almanac and a condition report per rule; the compiled set itself is small (${
            base
              .filter((p) => p.heapBytes >= 64 * 1024)
              .map((p) => `${kb(p.heapBytes / p.n)}/rule at ${int(p.n)}`)
              .join(', ') || 'below the heap noise'
          }) ` +
          `and compiling is a one-off per rule-set version (${base.map((p) => `${ms(p.compileMs)} ms at ${int(p.n)}`).join(', ')}).`,
      );
    }
    const single = base.filter((p) => p.singleRun);
    if (single.length) {
      push(
        `- **Per-run overhead:** the same rules in one \`engine.run()\` per event take ${single.map((p) => `${ms(p.singleRun!.latency.p50)} ms vs. ${ms(p.latency.p50)} ms at ${int(p.n)}`).join(', ')} (median). ` +
          `The difference is what \`evaluate\` adds around each rule's conditions: a separate \`run()\` (a new almanac with all ${r.factCount} facts registered, prioritisation, a promise chain, a rule result) and the condition report with its \`structuredClone\` copies.`,
      );
    }
    push(
      `- **Most runs are decided by one leaf:** ${base.map((p) => `${pct(p.decidedByTopLevelLeaf, 0)} at ${int(p.n)}`).join(', ')} of the evaluated rules have a root \`all\` with a direct leaf that was false, ` +
        `while ${base.map((p) => pct(p.matchedShare)).join(' / ')} match.`,
    );
  }
  if (r.e2e.length) {
    const big = e2eAt(1000) ?? r.e2e[r.e2e.length - 1]!;
    const ctx = r.e2e.map((e) => e.context.p50);
    push(
      `- **With PostgreSQL:** the context query costs ${ms(Math.min(...ctx))}–${ms(Math.max(...ctx))} ms (median) independent of the number of rules and the rule-set check ${ms(big.ruleSet.p50)} ms; ` +
        `at ${int(big.n)} rules the execution log (${ms(big.logAll.p50)} ms median) costs ${times(big.logAll.p50 / big.evaluate.p50)} the evaluation (${ms(big.evaluate.p50)} ms), ` +
        `and the whole activity takes ${ms(big.activity.latency.p50)} ms (median).`,
    );
    const conc = r.e2e.filter((x) => x.concurrent);
    if (conc.length) {
      const c0 = conc[0]!.concurrent!;
      push(
        `- **Concurrent events:** with ${c0.concurrency} in flight, ${conc
          .map((x) => {
            const c = x.concurrent!;
            const errs = Object.entries(c.errors)
              .map(([k, v]) => `${v}× ${k}`)
              .join(', ');
            const seq = 1000 / x.activity.latency.p50;
            return (
              `${int(x.n)} rules → ${c.eventsPerSecond.toFixed(1)} events/s vs. ${seq.toFixed(1)}/s one at a time (${times(c.eventsPerSecond / seq)}), p99 ${ms(c.latency.p99)} ms; ` +
              `on average ${c.waits.avgIdleInTx.toFixed(2)} backends sat idle in a transaction and ${c.waits.avgLockWaits.toFixed(2)} waited on a lock${errs ? `; errors ${errs}` : ''}`
            );
          })
          .join('; ')}. ` +
          '`evaluate` runs on the one Node.js thread, so concurrency can only overlap the database work. Every event updates the `runs`/`matches` counters of ' +
          'every evaluated rule, so events of the same trigger write the same rows, and a log transaction that has taken those row locks waits for the Node.js ' +
          'process (busy evaluating another event) before it can commit — "idle in transaction" above.',
      );
    }
  }
  push('');

  // ---- Levers
  push('## Levers', '', 'Each with the measurement behind it:', '');
  const eBig = e2eAt(1000) ?? r.e2e[r.e2e.length - 1];
  const levers: string[] = [];
  if (eBig) {
    levers.push(
      `**Log less per event.** At ${int(eBig.n)} rules the log writes ${int(eBig.evaluatedPerEvent)} rows (${kb(eBig.logBytesPerEvent)} of JSON, ≈ ${mb(rowBytes * eBig.evaluatedPerEvent)} of table) per event in ${ms(eBig.logAll.p50)} ms (median, p99 ${ms(eBig.logAll.p99)} ms); ` +
        `the same statement with only the matched rules takes ${ms(eBig.logMatched.p50)} ms (p99 ${ms(eBig.logMatched.p99)} ms). Log the matched rules (and errors) in full, keep non-matches as counters ` +
        '(or keep their reports only for rules switched to a "debug" mode, or a sample), and batch the `runs`/`matches` counter updates (aggregated in memory and flushed ' +
        'periodically, or derived from the log) instead of updating every evaluated rule row inside each event.',
    );
  }
  if (largest) {
    levers.push(
      `**Index the rules by trigger and by a gate fact.** ${pct(largest.decidedByTopLevelLeaf, 0)} of the rule runs at ${int(largest.n)} rules were decided by one top-level \`all\` leaf. ` +
        'Indexing the compiled set by trigger and by such gates (`ticket.status` equal/in, `changed {field}`, `ticket.priority`, tag membership, custom-field equality) ' +
        'lets `evaluate` check the gate once per event against a map and run the Engine only for the rules that pass; the cost then grows with the rules that pass, ' +
        'not with the rules that exist. The condition report for a skipped rule is the failed gate, which is all the log needs.',
    );
    if (largest.singleRun) {
      levers.push(
        `**Amortise the per-rule run machinery.** One \`run()\` for all rules was ${base
          .filter((p) => p.singleRun)
          .map((p) => `${times(p.latency.p50 / p.singleRun!.latency.p50)} faster at ${int(p.n)}`)
          .join(', ')} rules (median). Per-rule errors and ` +
          'durations survive if the compiled set keeps pre-built json-rules-engine `Rule` objects (no condition parsing per event) and one almanac serves every rule of an event, ' +
          "or if the compiled condition trees are evaluated directly with the same operators and memoised facts. (json-rules-engine's fact cache is not the lever: the " +
          'facts are already memoised per evaluation.)',
      );
    }
    const v = variants.find((x) => x.n === largest.n);
    if (v && largest.distinctRegexes > r.regexCacheLimit) {
      levers.push(
        `**Keep the active set's regexes compiled.** ${int(largest.distinctRegexes)} distinct patterns at ${int(largest.n)} rules exceed \`REGEX_CACHE_LIMIT\` = ${r.regexCacheLimit}; ` +
          `the standard set is ${times(largest.latency.p50 / v.latency.p50)} the pooled one on the median. Pin the patterns of the active rule-set version (compiled with it, freed when ` +
          'the version changes) or size the LRU to the distinct patterns, within the 16 MiB WASM heap.',
      );
    }
  }
  const lockBig = eBig?.concurrent;
  if (eBig && lockBig && lockBig.waits.avgIdleInTx >= 0.25) {
    levers.push(
      `**Keep the log write out of an explicit transaction.** \`logExecutions\` is one statement (the insert and the counter update are one CTE, atomic on its own), but it runs inside ` +
        `\`em.transactional\`, so BEGIN and COMMIT are separate round trips; with ${lockBig.concurrency} events in flight at ${int(eBig.n)} rules, ${lockBig.waits.avgIdleInTx.toFixed(2)} backends on average sat idle in a ` +
        `transaction (holding the rule-row locks) while the Node.js thread evaluated another event, and ${lockBig.waits.avgLockWaits.toFixed(2)} waited on those locks. Running the statement on its own releases the locks when it ends.`,
    );
  }
  if (r.e2e.length) {
    levers.push(
      `**Compile ahead of the first event.** The first \`activeRuleSet\` after a rule change loads and compiles the set inside an event (${r.e2e.map((e) => `${ms(e.coldRuleSetMs)} ms at ${int(e.n)}`).join(', ')}); ` +
        'recompiling in the background when `rule_set_state` changes keeps it off the event path.',
    );
  }
  levers.forEach((l, i) => push(`${i + 1}. ${l}`));
  push('');

  push(
    '## Method notes',
    '',
    '- Percentiles are nearest-rank over all measured events of a size; warm-up events are not counted. Each size starts with a fresh `compileRuleSet` (Part 1) or rule-set version (Part 2).',
    "- Everything runs on the same machine as PostgreSQL and the launcher's idle services; the numbers include their interference and that of other processes (see CPU above).",
    '- Part 2 times `logExecutions` with a copy of its statement (it is module-private in the worker); the real-activity table runs the worker code itself.',
    '- The execution log grows during the run (each size adds its rows), as it would in production; the counter updates touch the same rule rows every event.',
    `- Sources: \`scripts/src/bench/rules.ts\` and \`scripts/src/bench/rules/\` (generator, parts, this report).`,
    '',
  );
  return out.join('\n');
}
