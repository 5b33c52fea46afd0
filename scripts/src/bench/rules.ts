import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openOrm, type MikroORM } from '@mehrdesk/core/db';
import { FACT_NAMES, REGEX_CACHE_LIMIT } from '@mehrdesk/rules';
import { createFixtures } from '../testing/fixtures';
import { CpuMonitor, type CpuGroup } from './lib/cpu';
import { CLK_TCK, findPids, loadAverage, machineInfo } from './lib/procfs';
import { insertRules, insertTickets, runE2e, type E2eRun } from './rules/e2e';
import { ruleDefinition, ruleEntries, ruleStats, TEHRAN_SHIFTS, ticketContext } from './rules/generate';
import { loadBaseline, newImpl, type RulesImpl } from './rules/impl';
import { compareMatches, forceGc, runPure, type MatchCheck, type PureRun } from './rules/pure';
import { renderRulesReport, type PartCpu, type RulesBenchResult } from './rules/report';
import { gitState } from './lib/git';

// `./mehrdesk bench rules [--baseline dir] [--quick] [--out file] [--parts pure,e2e]`: the cost
// of evaluating the automation rules for one ticket event with 10, 100, 1,000 (and 3,000) active
// rules, for this tree ("new") and, with --baseline, side by side in the same run for the code of
// another checkout ("old": `git worktree add /tmp/rules-old <commit>`; the benchmark links a
// node_modules into it on first use).
//   Part 1 (pure): @mehrdesk/rules compileRuleSet + evaluate in memory, varied ticket contexts, and
//                  a check that both sides match the same rules with the same actions.
//   Part 2 (e2e):  the worker activity's path against PostgreSQL (buildRuleContext →
//                  activeRuleSet → evaluate), the execution log timed separately, and the real
//                  activity with sequential and concurrent events. Temporal is not involved.
// Writes docs/benchmarks-rules.md (full mode; --quick writes to the temp folder) from the measured
// numbers, and the raw result as JSON to the temp folder: `--render <json>` re-renders the report
// from it without measuring again (other flags: --ns, --e2e-ns, --parts pure,e2e, --out).

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const log = (m: string) => console.log(m);

const RULE_SEED = 20261121;
const TICKET_SEED = 7;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      parts: { type: 'string' },
      ns: { type: 'string' },
      'e2e-ns': { type: 'string' },
      render: { type: 'string' },
      baseline: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick || process.env.BENCH_QUICK === '1';
  const list = (raw: string | undefined, def: string) =>
    (raw ?? def).split(',').map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${s}`);
      return n;
    });
  const parts = new Set((values.parts ?? 'pure,e2e').split(',').map((s) => s.trim()));
  for (const p of parts) if (p !== 'pure' && p !== 'e2e') throw new Error(`--parts: unknown part ${p} (pure, e2e)`);
  return {
    quick,
    /** A checkout of the code to compare against (measured as "old"). */
    baseline: values.baseline ? path.resolve(values.baseline) : null,
    /** Re-render the report from a saved result (JSON written by an earlier run) without measuring. */
    render: values.render ? path.resolve(values.render) : null,
    parts,
    ns: list(values.ns, '10,100,1000,3000'),
    e2eNs: list(values['e2e-ns'], '10,100,1000'),
    contexts: 500,
    pure: quick ? { events: 100, warmup: 20, maxSeconds: 4 } : { events: 500, warmup: 50, maxSeconds: 15 },
    /** The same sets with at most 32 distinct regex patterns (fits the RE2 cache), at N ≥ 1000. */
    regexVariant: quick ? { events: 30, warmup: 5, maxSeconds: 3 } : { events: 200, warmup: 20, maxSeconds: 6 },
    /** Events evaluated on both sides to compare their matches. */
    matchCheckEvents: quick ? 100 : 500,
    tickets: quick ? 100 : 300,
    e2e: quick
      ? { warmup: 5, events: 30, activityEvents: 10, concurrentEvents: 16, concurrency: 4, maxSeconds: 5 }
      : { warmup: 10, events: 200, activityEvents: 40, concurrentEvents: 48, concurrency: 4, maxSeconds: 15 },
    out: path.resolve(ROOT, values.out ?? (quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-rules-quick.md') : 'docs/benchmarks-rules.md')),
    /** The raw result of the run, for --render. */
    json: path.join(os.tmpdir(), `mehrdesk-benchmarks-rules-${quick ? 'quick' : 'full'}.json`),
  };
}
export type RulesBenchOptions = ReturnType<typeof options>;

/** Hypervisor steal ticks (all CPUs) from /proc/stat: CPU time the VM wanted but did not get. */
function stealTicks(): number {
  try {
    const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return v[7] ?? 0;
  } catch {
    return NaN;
  }
}

/** CPU use of a part, with the steal share (% of one core) split out of "other processes". */
function partCpu(cpu: CpuMonitor, a: ReturnType<CpuMonitor['snapshot']>, stealA: number): PartCpu {
  const usage = cpu.usage(a, cpu.snapshot());
  const stealPct = usage.seconds > 0 ? (100 * (stealTicks() - stealA)) / CLK_TCK / usage.seconds : NaN;
  return { usage, stealPct };
}

function postgresPid(databaseUrl: string | undefined): number | null {
  if (!databaseUrl) return null;
  const found = findPids(['postgres', `-p ${new URL(databaseUrl).port}`]);
  return found.length ? Math.min(...found) : null;
}

function writeReport(result: RulesBenchResult, out: string): void {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, renderRulesReport(result));
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.render) {
    const saved = JSON.parse(fs.readFileSync(opts.render, 'utf8')) as RulesBenchResult;
    const result: RulesBenchResult = { ...saved, startedAt: new Date(saved.startedAt), finishedAt: new Date(saved.finishedAt) };
    writeReport(result, opts.out);
    log(`report re-rendered from ${opts.render} to ${path.relative(ROOT, opts.out) || opts.out}`);
    return;
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/rules') || f === 'docs/benchmarks-rules.md');
  const impls: RulesImpl[] = [];
  let baseline: RulesBenchResult['baseline'] = null;
  if (opts.baseline) {
    const commit = gitState(opts.baseline, () => false);
    impls.push(await loadBaseline(opts.baseline, ROOT, commit.commit));
    baseline = { dir: opts.baseline, commit: commit.commit, dirty: commit.dirty.filter((f) => !f.startsWith('node_modules')) };
    log(`baseline ("old"): ${opts.baseline} at ${commit.commit}`);
  }
  impls.push(newImpl(git.commit));
  const databaseUrl = process.env.DATABASE_URL;
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadavgStart}; forced GC ${forceGc ? 'available' : 'unavailable'}`);

  const pgPid = postgresPid(databaseUrl);
  const groups: CpuGroup[] = [{ name: 'bench', pid: process.pid, tree: false }];
  if (pgPid) groups.push({ name: 'postgres', pid: pgPid, tree: true });
  const cpu = new CpuMonitor(groups);

  // Rules and contexts: deterministic, prefixes of each other.
  const maxN = Math.max(...(opts.parts.has('pure') ? opts.ns : []), ...(opts.parts.has('e2e') ? opts.e2eNs : []));
  const g0 = performance.now();
  const defs = Array.from({ length: maxN }, (_, i) => ruleDefinition(RULE_SEED, i, { regexPool: 0 }));
  const generateMs = performance.now() - g0;
  const contextNow = Date.UTC(2026, 10, 21, 7, 30); // Saturday 11:00 in Tehran: a working day
  const contexts = Array.from({ length: opts.contexts }, (_, i) => ticketContext(TICKET_SEED, i, contextNow));
  log(`generated and validated ${defs.length} rules in ${generateMs.toFixed(0)} ms; ${contexts.length} ticket contexts`);

  // ---- Part 1
  const pure: PureRun[] = [];
  const matchChecks: MatchCheck[] = [];
  let pureCpu: PartCpu | null = null;
  if (opts.parts.has('pure')) {
    // JIT warm-up on a mid-size set first, so the first size measured is not also the coldest.
    const warm = defs.slice(0, Math.min(1000, defs.length));
    for (const impl of impls) await runPure(impl, ruleEntries(warm), contexts, 'warm-up', 0, { events: opts.quick ? 20 : 60, warmup: 0, maxSeconds: 3 });
    const a = cpu.snapshot();
    const steal = stealTicks();
    const sizes: { n: number; variant: string; defs: typeof defs; run: typeof opts.pure }[] = [
      ...opts.ns.map((n) => ({ n, variant: '', defs: defs.slice(0, n), run: opts.pure })),
      ...opts.ns
        .filter((x) => x >= 1000)
        .map((n) => ({ n, variant: 'regex pool 32', defs: Array.from({ length: n }, (_, i) => ruleDefinition(RULE_SEED, i, { regexPool: 32 })), run: opts.regexVariant })),
    ];
    for (const size of sizes) {
      const entries = ruleEntries(size.defs);
      for (const impl of impls) {
        const run = await runPure(impl, entries, contexts, size.variant, ruleStats(size.defs).distinctRegexes, size.run);
        pure.push(run);
        log(
          `pure ${impl.name} N=${size.n}${size.variant ? ` (${size.variant})` : ''}: p50 ${run.latency.p50.toFixed(2)} ms, p99 ${run.latency.p99.toFixed(2)} ms over ${run.events} events; compile ${run.compileMs.toFixed(0)} ms`,
        );
      }
      if (impls.length === 2) {
        const check = await compareMatches(impls[0]!, impls[1]!, entries, contexts, size.variant, size.variant ? opts.matchCheckEvents / 5 : opts.matchCheckEvents, opts.quick ? 5 : 15);
        matchChecks.push(check);
        log(`matches old vs new N=${size.n}${size.variant ? ` (${size.variant})` : ''}: ${check.differing} of ${check.events} events differ`);
      }
    }
    pureCpu = partCpu(cpu, a, steal);
  }

  // ---- Part 2
  const e2e: E2eRun[] = [];
  let e2eCpu: PartCpu | null = null;
  let ticketInsert: { count: number; ms: number } | null = null;
  let orm: MikroORM | null = null;
  if (opts.parts.has('e2e')) {
    if (!databaseUrl) throw new Error('DATABASE_URL is not set: run this through ./mehrdesk bench rules (or pass --parts pure)');
    orm = await openOrm(databaseUrl, { poolMax: 8 });
    try {
      const [existing] = await orm.em.fork().execute<{ n: string }[]>('select count(*) as n from rules where deleted_at is null');
      if (Number(existing?.n ?? 0) > 0) throw new Error('the database already holds rules: the end-to-end part needs a fresh database (./mehrdesk bench rules starts one)');
      const fx = await createFixtures(orm.em.fork(), { calendar: { timeZone: 'Asia/Tehran', alwaysOpen: false, shifts: TEHRAN_SHIFTS } });
      const { tickets, ms } = await insertTickets(orm, fx, opts.tickets, TICKET_SEED);
      ticketInsert = { count: tickets.length, ms };
      log(`inserted ${tickets.length} tickets (with messages and status changes) in ${ms.toFixed(0)} ms`);
      const a = cpu.snapshot();
      const steal = stealTicks();
      let have = 0;
      for (const n of [...opts.e2eNs].sort((x, y) => x - y)) {
        const insertMs = await insertRules(orm, defs, have, n, fx.users.admin.id);
        have = n;
        for (const impl of impls) {
          const run = await runE2e(impl, orm, n, tickets, opts.e2e, insertMs);
          e2e.push(run);
          log(
            `e2e ${impl.name} N=${n}: context+set+evaluate p50 ${run.total.p50.toFixed(2)} / p99 ${run.total.p99.toFixed(2)} ms; log p50 ${run.logAll.p50.toFixed(2)} ms; ` +
              `activity p50 ${run.activity.latency.p50.toFixed(2)} ms (${run.events} events)`,
          );
        }
      }
      e2eCpu = partCpu(cpu, a, steal);
    } finally {
      await orm.close().catch(() => {});
    }
  }

  const result: RulesBenchResult = {
    startedAt,
    finishedAt: new Date(),
    benchSeconds: (performance.now() - t0) / 1000,
    command: `./mehrdesk bench rules${opts.baseline ? ` --baseline ${opts.baseline}` : ''}${opts.quick ? ' --quick' : ''}`,
    baseline,
    quick: opts.quick,
    machine: machineInfo(),
    git,
    loadavgStart,
    loadavgEnd: loadAverage(),
    forcedGc: forceGc !== null,
    regexCacheLimit: REGEX_CACHE_LIMIT,
    factCount: FACT_NAMES.length,
    opts,
    generateMs,
    ruleShape: ruleStats(defs.slice(0, Math.min(1000, defs.length))),
    contextCount: contexts.length,
    pure,
    matchChecks,
    pureCpu,
    e2e,
    e2eCpu,
    ticketInsert,
  };
  fs.writeFileSync(opts.json, JSON.stringify({ ...result, opts: { ...opts, parts: [...opts.parts] } }, null, 1));
  writeReport(result, opts.out);
  log(`report written to ${path.relative(ROOT, opts.out) || opts.out} (${result.benchSeconds.toFixed(0)} s); raw result in ${opts.json}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
