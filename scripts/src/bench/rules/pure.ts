import fs from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { RuleContext, RuleSetEntry } from '@mehrdesk/rules';
import { distribution, type Distribution } from '../lib/load';
import { engineRunCount, evaluatedCount, matchKey, type ImplName, type RulesImpl } from './impl';

// Part 1: evaluation alone, everything in memory. For each N and each side (old, new) the rule
// set is compiled once (timed, with the heap it occupies) and evaluated against varied
// ticket.updated contexts one event at a time, exactly as that side's worker calls `evaluate`.

/** A forced full GC, if V8 lets us enable it at run time (the launcher does not pass --expose-gc). */
export const forceGc: (() => void) | null = (() => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fromContext = vm.runInNewContext('gc') as unknown;
    return typeof fromContext === 'function' ? (fromContext as () => void) : null;
  } catch {
    return null;
  }
})();

function heapUsed(): number {
  if (forceGc) {
    forceGc();
    forceGc();
  }
  return process.memoryUsage().heapUsed;
}

export interface PureRun {
  impl: ImplName;
  n: number;
  /** Label of the rule-set variant ('' = the standard one). */
  variant: string;
  distinctRegexes: number;
  compileMs: number;
  /** heapUsed after − before compiling (after a forced GC when available). */
  heapBytes: number;
  events: number;
  warmupEvents: number;
  /** Rules of the trigger per event (mean). */
  evaluatedPerEvent: number;
  /** Rules json-rules-engine evaluated per event (mean): all of the trigger (old), the index's candidates (new). */
  engineRunsPerEvent: number;
  /** Rules matched per event (mean). */
  matchedPerEvent: number;
  /** Events with at least one matching rule. */
  eventsWithMatch: number;
  latency: Distribution;
  /**
   * On-CPU time of the evaluating thread per event, in ms (/proc/thread-self/schedstat): it leaves
   * out the time spent waiting for a core that another process held and V8's background threads.
   * The kernel advances the counter at its tick, so only the mean over the loop is exact.
   */
  cpu: Distribution;
  /** Per event: the time inside json-rules-engine runs (sum of the reported rules' durationMs, new side). */
  engineMs: Distribution;
  eventsPerSecond: number;
  /** Wall time of the measured loop. */
  seconds: number;
  /** Garbage collection during the measured loop (PerformanceObserver 'gc' entries). */
  gc: { count: number; major: number; ms: number; maxMs: number };
}

export interface PureOptions {
  events: number;
  warmup: number;
  maxSeconds: number;
}

const now = () => performance.now();

/** Nanoseconds this thread has run on a CPU (schedstat), or µs of thread CPU time × 1000 where /proc is absent. */
function onCpuNs(): number {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    const u = process.threadCpuUsage();
    return (u.user + u.system) * 1000;
  }
}

export async function runPure(impl: RulesImpl, entries: RuleSetEntry[], contexts: RuleContext[], variant: string, distinctRegexes: number, opts: PureOptions): Promise<PureRun> {
  const before = heapUsed();
  const t0 = now();
  const set = impl.compileRuleSet(entries);
  const compileMs = now() - t0;
  const heapBytes = heapUsed() - before;

  for (let i = 0; i < opts.warmup; i++) await impl.evaluate(set, contexts[(i * 7) % contexts.length]!);

  const gc = { count: 0, major: 0, ms: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const latencies: number[] = [];
  const cpuMs: number[] = [];
  const engineMs: number[] = [];
  let evaluated = 0;
  let engineRuns = 0;
  let matched = 0;
  let eventsWithMatch = 0;
  const started = now();
  for (let i = 0; i < opts.events; i++) {
    if (i >= 50 && now() - started > opts.maxSeconds * 1000) break;
    const ctx = contexts[i % contexts.length]!;
    const c0 = onCpuNs();
    const a = now();
    const result = await impl.evaluate(set, ctx);
    latencies.push(now() - a);
    cpuMs.push((onCpuNs() - c0) / 1e6);
    engineMs.push(result.results.reduce((s, r) => s + r.durationMs, 0));
    evaluated += evaluatedCount(result);
    engineRuns += engineRunCount(result);
    const m = result.results.filter((r) => r.matched).length;
    matched += m;
    if (m > 0) eventsWithMatch++;
  }
  const seconds = (now() - started) / 1000;
  // The loop never yields to the event loop: let the observer receive what it has queued.
  await new Promise((resolve) => setTimeout(resolve, 10));
  observer.disconnect();
  const events = latencies.length;
  return {
    impl: impl.name,
    n: entries.length,
    variant,
    distinctRegexes,
    compileMs,
    heapBytes,
    events,
    warmupEvents: opts.warmup,
    evaluatedPerEvent: evaluated / events,
    engineRunsPerEvent: engineRuns / events,
    matchedPerEvent: matched / events,
    eventsWithMatch,
    latency: distribution(latencies),
    cpu: distribution(cpuMs),
    engineMs: distribution(engineMs),
    eventsPerSecond: events / latencies.reduce((s, x) => s + x / 1000, 0),
    seconds,
    gc,
  };
}

export interface MatchCheck {
  n: number;
  variant: string;
  events: number;
  /** Events where the two sides matched different rules or planned different actions. */
  differing: number;
}

/** Evaluates the same events on both sides and counts those whose matches or actions differ. */
export async function compareMatches(a: RulesImpl, b: RulesImpl, entries: RuleSetEntry[], contexts: RuleContext[], variant: string, events: number, maxSeconds: number): Promise<MatchCheck> {
  const setA = a.compileRuleSet(entries);
  const setB = b.compileRuleSet(entries);
  let differing = 0;
  let count = 0;
  const started = now();
  for (; count < Math.min(events, contexts.length); count++) {
    if (count >= 50 && now() - started > maxSeconds * 1000) break;
    const ctx = contexts[count]!;
    if (matchKey(await a.evaluate(setA, ctx)) !== matchKey(await b.evaluate(setB, ctx))) differing++;
  }
  return { n: entries.length, variant, events: count, differing };
}
