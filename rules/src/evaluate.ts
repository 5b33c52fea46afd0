/**
 * Evaluation: compile a rule set once (per rule-set version, cached by the caller), then
 * evaluate it against a {@link RuleContext} as often as needed. Pure: the result depends only on
 * the compiled rules, the context and the options (durationMs aside), nothing is written, and the
 * time is context.now — so an API dry-run is just `evaluate`.
 *
 * Compiling builds, once per rule set: the json-rules-engine condition tree of every rule (each
 * node named by its JSON pointer), ONE Engine holding a `Rule` per rule and the custom operators,
 * and per trigger the rule index (./rule-index). The Engine is never `run()`: `run()` evaluates
 * every rule it holds and keeps per-run state on the Engine (`engine.status`; a concurrent run
 * that finishes first makes the other skip the rules it has not started), and the worker runs
 * activities concurrently. Each evaluation instead gets its own Almanac (json-rules-engine's
 * per-run fact store) with the facts bound to its context, and evaluates the selected rules on it
 * one at a time, in position order, exactly as `run()` does for each rule (`Rule#evaluate`). The
 * operators close over nothing (inBusinessHours gets the calendar through its operand, see
 * {@link registerSharedOperators}), so one Engine serves every context. One rule at a time gives
 * each rule its own durationMs and its own error: a rule that throws does not hide the others.
 *
 * Facts are computed once per evaluation: every distinct fact read (fact, params, coercion) is a
 * slot resolved at most once and shared by the index and every rule.
 *
 * Two reports: `report: 'all'` (the default; dry-runs and the rule editor) runs every rule of
 * the trigger through the engine and reports every leaf of every rule. `report: 'matched'` (the
 * worker) asks the index which rules can match, runs only those, and reports in full only the
 * rules that matched or failed; the others are listed by id in `unmatched`. Both decide exactly
 * the same matches (rules/src/rule-index.unit.test.ts).
 *
 * Every fact has the same (default) priority, so json-rules-engine evaluates all leaves of a
 * group together (no short-circuit): the per-condition report is complete.
 */
import { Almanac, Engine, Rule, type RuleResult, type TopLevelCondition } from 'json-rules-engine';
import type { Action } from './actions';
import { factDefinition, FACT_NAMES, type FactName, type RuleContext } from './facts';
import { coerce, coercionFor, engineValue, registerSharedOperators, type BusinessHoursOperand, type OperatorName } from './operators';
import { toPointer, type PathSegment } from './pointer';
import { buildTriggerIndex, candidates, type FactSlot, type LeafTest, type SlotValue, type TriggerIndex } from './rule-index';
import type { Condition, ConditionLeaf, RuleDefinition } from './schema';
import type { Trigger } from './triggers';
import { validateRule } from './validate';

export interface RuleSetEntry {
  id: number;
  version: number;
  name: string;
  /** Evaluation order, ascending (ties: by id). */
  position: number;
  definition: RuleDefinition;
}

interface CompiledLeaf {
  pointer: string;
  fact: FactName;
  params?: Record<string, unknown>;
  operator: OperatorName;
  value: unknown;
}

interface CompiledRule {
  id: number;
  version: number;
  name: string;
  position: number;
  /** null when the stored definition has no valid trigger (never selected). */
  trigger: Trigger | null;
  /** Engine condition tree; every node is named by its JSON pointer. */
  conditions: TopLevelCondition | null;
  leaves: CompiledLeaf[];
  actions: Action[];
  /** Set when the stored definition no longer validates: the rule never matches. */
  invalid?: string;
}

/** An immutable, reusable compiled rule set (safe to share between concurrent evaluations). */
export interface CompiledRuleSet {
  readonly rules: readonly Readonly<CompiledRule>[];
}

export interface ConditionResult {
  /** Pointer to the condition in the rule definition, e.g. /conditions/all/1/not. */
  pointer: string;
  fact: FactName;
  params?: Record<string, unknown>;
  operator: OperatorName;
  value: unknown;
  /** The value the operator compared (custom fields: after coercion); undefined if not evaluated. */
  factValue: unknown;
  /** null when the condition was not evaluated (the rule failed with an error). */
  result: boolean | null;
}

export interface RuleEvaluation {
  ruleId: number;
  version: number;
  name: string;
  matched: boolean;
  /** Leaf conditions in document order. */
  conditions: ConditionResult[];
  /** The rule's actions in order when matched; empty otherwise. */
  actions: Action[];
  durationMs: number;
  /** Why the rule could not be evaluated (it then does not match). */
  error?: string;
}

/** A rule of the trigger that did not match, reported without its conditions (`report: 'matched'`). */
export interface UnmatchedRule {
  ruleId: number;
  version: number;
}

export interface EvaluationResult {
  trigger: Trigger;
  /**
   * Rules reported in full, in position order: every rule of the trigger (`report: 'all'`), or
   * only those that matched or failed with an error (`report: 'matched'`).
   */
  results: RuleEvaluation[];
  /** The other rules of the trigger, in position order (empty with `report: 'all'`). */
  unmatched: UnmatchedRule[];
  /** Rules the engine evaluated (the rest were ruled out by the index, or are invalid). */
  engineRuns: number;
  durationMs: number;
}

export interface EvaluateOptions {
  /** Evaluate the rules of this trigger (default: context.event.type). */
  trigger?: Trigger;
  /** Rules left out entirely (loop protection: rules that already acted in this chain). */
  skipRuleIds?: readonly number[];
  /** Monotonic milliseconds for durationMs (default performance.now); inject a fake one in tests. */
  clock?: () => number;
  /**
   * 'all' (default): every rule through the engine, each with its condition report.
   * 'matched': only the rules the index cannot rule out; only matches and errors in full.
   */
  report?: 'all' | 'matched';
}

/** Internal param that names the rule set's fact slot a condition reads. */
const SLOT_PARAM = '$slot';
/** Internal fact that hands inBusinessHours the evaluation's calendar with the condition's operand. */
const BUSINESS_HOURS_FACT = '$businessHours';
const BUSINESS_HOURS_PARAM = 'expected';

/** What compiling keeps beside the frozen data: shared by every evaluation, never changed by one. */
interface Runtime {
  slots: ReadonlyMap<string, FactSlot>;
  /** Per trigger: its rules in position order, their json-rules-engine Rules and the index. */
  triggers: ReadonlyMap<Trigger, { rules: readonly Readonly<CompiledRule>[]; engineRules: readonly (Rule | null)[]; index: TriggerIndex }>;
}

const runtimes = new WeakMap<CompiledRuleSet, Runtime>();

/**
 * Compiles the rules (each definition is re-validated: a stored rule that no longer validates
 * against the current catalogues is kept, never matches and reports why), builds the one Engine
 * of the set and the index of every trigger.
 */
export function compileRuleSet(rules: readonly RuleSetEntry[]): CompiledRuleSet {
  const slots = new Map<string, FactSlot>();
  const slotOf = (leaf: ConditionLeaf): FactSlot => {
    const params = leaf.params ?? {};
    const coercion = factDefinition(leaf.fact).type(params).kind === 'unknown' ? coercionFor(leaf.operator, leaf.value) : undefined;
    const key = `${leaf.fact}\u0000${JSON.stringify(params)}\u0000${coercion ?? ''}`;
    let slot = slots.get(key);
    if (!slot) slots.set(key, (slot = deepFreeze({ key, fact: leaf.fact, params: { ...params }, ...(coercion === undefined ? {} : { coercion }) })));
    return slot;
  };
  const definitions = new Map<Readonly<CompiledRule>, RuleDefinition>();
  const compiled = [...rules]
    .sort((a, b) => a.position - b.position || a.id - b.id)
    .map((entry): CompiledRule => {
      const base = { id: entry.id, version: entry.version, name: entry.name, position: entry.position };
      const checked = validateRule(entry.definition);
      if (!checked.ok) {
        const trigger = (entry.definition as { trigger?: unknown } | null)?.trigger;
        return {
          ...base,
          trigger: typeof trigger === 'string' ? (trigger as Trigger) : null,
          conditions: null,
          leaves: [],
          actions: [],
          invalid: `invalid rule definition: ${checked.errors.map((e) => `${e.pointer || '/'}: ${e.message}`).join('; ')}`,
        };
      }
      const leaves: CompiledLeaf[] = [];
      const conditions = compileCondition(checked.rule.conditions, ['conditions'], leaves, slotOf) as TopLevelCondition;
      const rule = deepFreeze({ ...base, trigger: checked.rule.trigger, conditions, leaves, actions: checked.rule.actions });
      definitions.set(rule, checked.rule);
      return rule;
    });

  const engine = new Engine([], { allowUndefinedFacts: false, allowUndefinedConditions: false });
  registerSharedOperators(engine);
  const testOf = leafTests(engine);
  const byTrigger = new Map<Trigger, Readonly<CompiledRule>[]>();
  for (const rule of compiled) {
    if (rule.trigger === null) continue;
    const list = byTrigger.get(rule.trigger);
    if (list) list.push(rule);
    else byTrigger.set(rule.trigger, [rule]);
  }
  const triggers: Runtime['triggers'] = new Map(
    [...byTrigger].map(([trigger, list]) => {
      const engineRules = list.map((rule) => {
        if (rule.conditions === null) return null;
        // The Rule copies the tree into its own Condition objects; ours stays frozen.
        const engineRule = new Rule({ name: `rule:${rule.id}`, conditions: rule.conditions, event: { type: 'matched' } });
        engine.addRule(engineRule);
        return engineRule;
      });
      const index = buildTriggerIndex(
        list.map((rule) => ({ conditions: definitions.get(rule)?.conditions ?? null })),
        slotOf,
        testOf,
      );
      return [trigger, { rules: list, engineRules, index }];
    }),
  );
  const set: CompiledRuleSet = Object.freeze({ rules: Object.freeze(compiled) });
  runtimes.set(set, { slots, triggers });
  return set;
}

/** The engine's registry of operators (Engine#operators, not in json-rules-engine's typings). */
interface OperatorRegistry {
  get(name: string): { evaluate(factValue: unknown, operand: unknown): unknown } | null;
}

/** How the index tests a leaf: with the very Operator object the engine will use, on the same operand. */
function leafTests(engine: Engine): (leaf: ConditionLeaf) => LeafTest {
  const operators = (engine as unknown as { operators: OperatorRegistry }).operators;
  return (leaf) => {
    const op = operators.get(leaf.operator);
    if (op === null) throw new Error(`operator ${leaf.operator} is not registered`);
    if (leaf.operator === 'inBusinessHours') return (factValue, context) => op.evaluate(factValue, { calendar: context.calendar, expected: leaf.value } satisfies BusinessHoursOperand);
    const operand = engineValue(leaf.operator, leaf.value);
    return (factValue) => op.evaluate(factValue, operand);
  };
}

function compileCondition(condition: Condition, path: PathSegment[], leaves: CompiledLeaf[], slotOf: (leaf: ConditionLeaf) => FactSlot): object {
  const name = toPointer(path);
  if ('all' in condition) return { name, all: condition.all.map((c, i) => compileCondition(c, [...path, 'all', i], leaves, slotOf)) };
  if ('any' in condition) return { name, any: condition.any.map((c, i) => compileCondition(c, [...path, 'any', i], leaves, slotOf)) };
  if ('not' in condition) return { name, not: compileCondition(condition.not, [...path, 'not'], leaves, slotOf) };
  leaves.push(leafReport(condition, name));
  const params = { [SLOT_PARAM]: slotOf(condition).key };
  const value = condition.operator === 'inBusinessHours' ? { fact: BUSINESS_HOURS_FACT, params: { [BUSINESS_HOURS_PARAM]: condition.value } } : engineValue(condition.operator, condition.value);
  return { name, fact: condition.fact, params, operator: condition.operator, value };
}

function leafReport(leaf: ConditionLeaf, pointer: string): CompiledLeaf {
  return {
    pointer,
    fact: leaf.fact,
    ...(leaf.params === undefined ? {} : { params: leaf.params }),
    operator: leaf.operator,
    value: leaf.value,
  };
}

/** Convenience for one-off evaluation (e.g. an API dry-run of an unsaved rule): compile + evaluate. */
export function evaluateRules(rules: readonly RuleSetEntry[], context: RuleContext, opts?: EvaluateOptions): Promise<EvaluationResult> {
  return evaluate(compileRuleSet(rules), context, opts);
}

// Reading the host's monotonic clock only measures durationMs; no result depends on it.
// eslint-disable-next-line no-restricted-properties -- timing only, see above
const defaultClock = (): number => performance.now();

/** Evaluates the rules of the trigger against the context, in position order. */
export async function evaluate(compiled: CompiledRuleSet, context: RuleContext, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  const clock = opts.clock ?? defaultClock;
  const started = clock();
  const trigger = opts.trigger ?? context.event.type;
  const runtime = runtimes.get(compiled);
  if (runtime === undefined) throw new Error('evaluate needs a rule set from compileRuleSet');
  const group = runtime.triggers.get(trigger);
  const results: RuleEvaluation[] = [];
  const unmatched: UnmatchedRule[] = [];
  let engineRuns = 0;
  if (group !== undefined) {
    const skip = new Set(opts.skipRuleIds ?? []);
    const full = opts.report !== 'matched';
    const facts = factSlots(context);
    const marks = full ? null : candidates(group.index, facts, context);
    let almanac: Almanac | null = null;
    for (let i = 0; i < group.rules.length; i++) {
      const rule = group.rules[i]!;
      if (skip.has(rule.id)) continue;
      if (marks !== null && marks[i] === 0) {
        unmatched.push({ ruleId: rule.id, version: rule.version });
        continue;
      }
      const engineRule = group.engineRules[i]!;
      const t0 = clock();
      let outcome: Outcome;
      if (engineRule === null) outcome = { matched: false, conditions: notEvaluated(rule), actions: [], error: rule.invalid ?? 'not compiled' };
      else {
        engineRuns++;
        almanac ??= createAlmanac(runtime.slots, facts, context);
        outcome = await runRule(engineRule, rule, almanac, full);
      }
      if (full || outcome.matched || outcome.error !== undefined) {
        results.push({ ruleId: rule.id, version: rule.version, name: rule.name, ...outcome, durationMs: clock() - t0 });
      } else unmatched.push({ ruleId: rule.id, version: rule.version });
    }
  }
  return { trigger, results, unmatched, engineRuns, durationMs: clock() - started };
}

/** The fact slots of one evaluation: each resolved at most once (an error is kept and rethrown). */
function factSlots(context: RuleContext): (slot: FactSlot) => SlotValue {
  const memo = new Map<string, SlotValue>();
  return (slot) => {
    let v = memo.get(slot.key);
    if (v === undefined) {
      try {
        const raw = factDefinition(slot.fact).resolve(context, slot.params);
        v = { ok: true, value: slot.coercion === undefined ? raw : coerce(raw, slot.coercion) };
      } catch (error) {
        v = { ok: false, error };
      }
      memo.set(slot.key, v);
    }
    return v;
  };
}

/** json-rules-engine's per-run fact store, reading the evaluation's slots. */
function createAlmanac(slots: ReadonlyMap<string, FactSlot>, facts: (slot: FactSlot) => SlotValue, context: RuleContext): Almanac {
  const almanac = new Almanac({ allowUndefinedFacts: false });
  for (const name of FACT_NAMES) {
    almanac.addFact(
      name,
      (params: Record<string, unknown>) => {
        const slot = slots.get(params[SLOT_PARAM] as string);
        if (slot === undefined) throw new Error(`fact ${name} read without a compiled slot`);
        const v = facts(slot);
        // Rejected, not thrown: a synchronous throw aborts json-rules-engine's Promise.all of a
        // group midway and leaves the promises of the siblings already started unhandled.
        return v.ok ? v.value : Promise.reject(v.error as Error);
      },
      { cache: false },
    );
  }
  almanac.addFact(BUSINESS_HOURS_FACT, (params: Record<string, unknown>): BusinessHoursOperand => ({ calendar: context.calendar, expected: params[BUSINESS_HOURS_PARAM] }), { cache: false });
  return almanac;
}

type Outcome = Pick<RuleEvaluation, 'matched' | 'conditions' | 'actions' | 'error'>;

interface EngineLeafResult {
  factResult?: unknown;
  result?: boolean;
}

/** What Engine#run does for each of its rules; not in json-rules-engine's typings. */
type EvaluableRule = Rule & { evaluate(almanac: Almanac): Promise<RuleResult> };

const notEvaluated = (rule: Readonly<CompiledRule>): ConditionResult[] => rule.leaves.map((leaf) => ({ ...copy(leaf), factValue: undefined, result: null }));

/** Runs one rule; the condition report is built only when `full` or the rule matched. */
async function runRule(engineRule: Rule, rule: Readonly<CompiledRule>, almanac: Almanac, full: boolean): Promise<Outcome> {
  try {
    const ruleResult = await (engineRule as EvaluableRule).evaluate(almanac);
    const matched = ruleResult.result === true;
    if (!matched && !full) return { matched, conditions: [], actions: [] };
    const byPointer = new Map<string, EngineLeafResult>();
    collectLeaves(ruleResult.conditions, byPointer);
    const conditions = rule.leaves.map((leaf): ConditionResult => {
      const r = byPointer.get(leaf.pointer);
      return { ...copy(leaf), factValue: copy(r?.factResult), result: typeof r?.result === 'boolean' ? r.result : null };
    });
    return { matched, conditions, actions: matched ? copy(rule.actions) : [] };
  } catch (e) {
    return { matched: false, conditions: notEvaluated(rule), actions: [], error: e instanceof Error ? e.message : String(e) };
  }
}

function collectLeaves(node: unknown, into: Map<string, EngineLeafResult>): void {
  if (typeof node !== 'object' || node === null) return;
  const n = node as Record<string, unknown>;
  if (Array.isArray(n.all)) n.all.forEach((c) => collectLeaves(c, into));
  else if (Array.isArray(n.any)) n.any.forEach((c) => collectLeaves(c, into));
  else if (n.not !== undefined) collectLeaves(n.not, into);
  else if (typeof n.name === 'string') into.set(n.name, n as EngineLeafResult);
}

/**
 * Results never alias the compiled set or the context (callers may mutate what they get). Rule
 * data and fact values are JSON-like (plain objects, arrays, primitives), which a plain recursive
 * copy handles several times faster than structuredClone.
 */
function copy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = copy(v);
  return out as T;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
