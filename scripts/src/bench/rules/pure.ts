import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
// json-rules-engine is @mehrdesk/rules' engine; it is imported here only for the reference
// measurement below (all rules in one Engine.run), never to evaluate production semantics.
import { Engine, type TopLevelCondition } from 'json-rules-engine';
import { coerce, compileRuleSet, evaluate, factDefinition, FACT_NAMES, registerOperators, type CompiledRuleSet, type Coercion, type RuleContext, type RuleSetEntry } from '@mehrdesk/rules';
import { distribution, type Distribution } from '../lib/load';

// Part 1: evaluation alone, everything in memory. For each N the rule set is compiled once
// (timed, with the heap it occupies) and evaluated against varied ticket.updated contexts one
// event at a time, exactly as the worker activity calls `evaluate`.

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
  n: number;
  /** Label of the rule-set variant ('' = the standard one). */
  variant: string;
  distinctRegexes: number;
  compileMs: number;
  /** heapUsed after − before compiling (after a forced GC when available). */
  heapBytes: number;
  events: number;
  warmupEvents: number;
  /** Rules of the trigger evaluated per event (mean). */
  evaluatedPerEvent: number;
  /** Share of evaluated rules that matched. */
  matchedShare: number;
  /** Events with at least one matching rule. */
  eventsWithMatch: number;
  /**
   * Share of evaluated rules whose root is an `all` group with a direct leaf that was false: a
   * pre-check of that one leaf (an index on the fact) could have skipped the Engine run.
   */
  decidedByTopLevelLeaf: number;
  latency: Distribution;
  /**
   * CPU time of this process per event (process.cpuUsage, user + system, all threads): what the
   * event cost, without the time spent waiting for a core that another process held.
   */
  cpu: Distribution;
  eventsPerSecond: number;
  /** Median per evaluated rule, µs. */
  perRuleUs: number;
  /** Reference: the same rules in ONE Engine.run per event (no per-rule isolation); null if not run. */
  singleRun: { events: number; latency: Distribution } | null;
  /** Wall time of the measured loop. */
  seconds: number;
  /** Garbage collection during the measured loop (PerformanceObserver 'gc' entries). */
  gc: { count: number; major: number; ms: number; maxMs: number };
}

export interface PureOptions {
  events: number;
  warmup: number;
  maxSeconds: number;
  singleRunEvents: number;
}

const now = () => performance.now();
const TOP_LEVEL_ALL_LEAF = /^\/conditions\/all\/\d+$/;

export async function runPure(entries: RuleSetEntry[], contexts: RuleContext[], variant: string, distinctRegexes: number, opts: PureOptions): Promise<PureRun> {
  const before = heapUsed();
  const t0 = now();
  const set = compileRuleSet(entries);
  const compileMs = now() - t0;
  const heapBytes = heapUsed() - before;

  for (let i = 0; i < opts.warmup; i++) await evaluate(set, contexts[(i * 7) % contexts.length]!);

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
  let evaluated = 0;
  let matched = 0;
  let eventsWithMatch = 0;
  let decided = 0;
  const started = now();
  for (let i = 0; i < opts.events; i++) {
    if (i >= 50 && now() - started > opts.maxSeconds * 1000) break;
    const ctx = contexts[i % contexts.length]!;
    const c0 = process.cpuUsage();
    const a = now();
    const result = await evaluate(set, ctx);
    latencies.push(now() - a);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
    evaluated += result.results.length;
    const m = result.results.filter((r) => r.matched).length;
    matched += m;
    if (m > 0) eventsWithMatch++;
    for (const r of result.results) if (r.conditions.some((c) => c.result === false && TOP_LEVEL_ALL_LEAF.test(c.pointer))) decided++;
  }
  const seconds = (now() - started) / 1000;
  // The loop never yields to the event loop: let the observer receive what it has queued.
  await new Promise((resolve) => setTimeout(resolve, 10));
  observer.disconnect();
  const latency = distribution(latencies);
  const evaluatedPerEvent = evaluated / latencies.length;
  const singleRun = opts.singleRunEvents > 0 ? await runSingleEngine(set, contexts, opts.singleRunEvents, Math.min(6, opts.maxSeconds)) : null;
  return {
    n: entries.length,
    variant,
    distinctRegexes,
    compileMs,
    heapBytes,
    events: latencies.length,
    warmupEvents: opts.warmup,
    evaluatedPerEvent,
    matchedShare: evaluated ? matched / evaluated : 0,
    eventsWithMatch,
    decidedByTopLevelLeaf: evaluated ? decided / evaluated : 0,
    latency,
    cpu: distribution(cpuMs),
    eventsPerSecond: latencies.length / latencies.reduce((s, x) => s + x / 1000, 0),
    perRuleUs: evaluatedPerEvent ? (latency.p50 * 1000) / evaluatedPerEvent : NaN,
    singleRun,
    seconds,
    gc,
  };
}

// ---------------------------------------------------------------------------------------------
// Reference: one Engine.run per event with every rule of the trigger added at once. This is NOT
// what @mehrdesk/rules does (it runs one rule per run, for per-rule errors and durations); it
// shows how much of the cost is the per-run overhead that a batched design would amortise.
// Facts and operators are registered the way rules/src/evaluate.ts does it.

const COERCE_PARAM = '$coerce'; // rules/src/evaluate.ts: the param carrying custom-field coercion

function referenceEngine(set: CompiledRuleSet, ctx: RuleContext): Engine {
  const engine = new Engine([], { allowUndefinedFacts: false, allowUndefinedConditions: false });
  registerOperators(engine, ctx.calendar);
  const memo = new Map<string, unknown>();
  for (const name of FACT_NAMES) {
    const def = factDefinition(name);
    engine.addFact(
      name,
      (params: Record<string, unknown>) => {
        const key = `${name}\u0000${JSON.stringify(params)}`;
        if (memo.has(key)) return memo.get(key);
        const { [COERCE_PARAM]: coercion, ...factParams } = params;
        const raw = def.resolve(ctx, factParams);
        const value = coercion === undefined ? raw : coerce(raw, coercion as Coercion);
        memo.set(key, value);
        return value;
      },
      { cache: false },
    );
  }
  for (const rule of set.rules) {
    if (rule.trigger !== ctx.event.type || rule.conditions === null) continue;
    engine.addRule({ name: `rule:${rule.id}`, conditions: rule.conditions as TopLevelCondition, event: { type: 'matched' } });
  }
  return engine;
}

async function runSingleEngine(set: CompiledRuleSet, contexts: RuleContext[], events: number, maxSeconds: number) {
  for (let i = 0; i < 10; i++) await referenceEngine(set, contexts[i % contexts.length]!).run();
  const latencies: number[] = [];
  const started = now();
  for (let i = 0; i < events; i++) {
    if (i >= 20 && now() - started > maxSeconds * 1000) break;
    const a = now();
    await referenceEngine(set, contexts[i % contexts.length]!).run();
    latencies.push(now() - a);
  }
  return { events: latencies.length, latency: distribution(latencies) };
}
