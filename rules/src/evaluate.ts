/**
 * Evaluation: compile a rule set once (per rule-set version, cached by the caller), then
 * evaluate it against a {@link RuleContext} as often as needed. Pure: the result depends only on
 * the compiled rules, the context and the options (durationMs aside), nothing is written, and the
 * time is context.now — so an API dry-run is just `evaluate`.
 *
 * Engine lifetime — why neither "one Engine per rule" nor "one Engine total" is kept in the
 * compiled set: a json-rules-engine Engine holds per-run mutable state (`engine.status`, set to
 * FINISHED by whichever run ends first, which makes a concurrent run on the same Engine skip the
 * rules it has not started yet), and the custom operators close over the context's calendar.
 * The worker runs activities concurrently, so sharing an Engine across evaluations would be a
 * race. The compiled set therefore keeps only immutable data (validated definitions, the engine
 * condition trees with pointers as condition names, regexes pre-compiled into the shared cache),
 * and every `evaluate` call builds ONE private Engine (facts + operators bound to that context)
 * and runs the rules on it one at a time, in position order. One rule per run gives each rule
 * its own durationMs and its own error: a rule that throws does not hide the others' results.
 * Fact values are memoised per evaluation, so a fact used by several rules is resolved once.
 *
 * Every fact has the same (default) priority, so json-rules-engine evaluates all leaves of a
 * group together (no short-circuit): the per-condition report is complete.
 */
import { Engine, type TopLevelCondition } from 'json-rules-engine';
import type { Action } from './actions';
import { factDefinition, FACT_NAMES, type FactName, type RuleContext } from './facts';
import { coerce, coercionFor, engineValue, registerOperators, type Coercion, type OperatorName } from './operators';
import { toPointer, type PathSegment } from './pointer';
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

export interface EvaluationResult {
  trigger: Trigger;
  /** Rules whose trigger matches, in position order. */
  results: RuleEvaluation[];
  durationMs: number;
}

export interface EvaluateOptions {
  /** Evaluate the rules of this trigger (default: context.event.type). */
  trigger?: Trigger;
  /** Rules left out entirely (loop protection: rules that already acted in this chain). */
  skipRuleIds?: readonly number[];
  /** Monotonic milliseconds for durationMs (default performance.now); inject a fake one in tests. */
  clock?: () => number;
}

/** Internal param that carries the coercion of `unknown` facts (custom fields) to the fact callback. */
const COERCE_PARAM = '$coerce';

/**
 * Compiles the rules (each definition is re-validated: a stored rule that no longer validates
 * against the current catalogues is kept, never matches and reports why).
 */
export function compileRuleSet(rules: readonly RuleSetEntry[]): CompiledRuleSet {
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
      const conditions = compileCondition(checked.rule.conditions, ['conditions'], leaves) as TopLevelCondition;
      return deepFreeze({ ...base, trigger: checked.rule.trigger, conditions, leaves, actions: checked.rule.actions });
    });
  return Object.freeze({ rules: Object.freeze(compiled) });
}

function compileCondition(condition: Condition, path: PathSegment[], leaves: CompiledLeaf[]): object {
  const name = toPointer(path);
  if ('all' in condition) return { name, all: condition.all.map((c, i) => compileCondition(c, [...path, 'all', i], leaves)) };
  if ('any' in condition) return { name, any: condition.any.map((c, i) => compileCondition(c, [...path, 'any', i], leaves)) };
  if ('not' in condition) return { name, not: compileCondition(condition.not, [...path, 'not'], leaves) };
  leaves.push(leafReport(condition, name));
  const params: Record<string, unknown> = { ...condition.params };
  if (factDefinition(condition.fact).type(params).kind === 'unknown') {
    params[COERCE_PARAM] = coercionFor(condition.operator, condition.value);
  }
  return { name, fact: condition.fact, params, operator: condition.operator, value: engineValue(condition.operator, condition.value) };
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
  const skip = new Set(opts.skipRuleIds ?? []);
  const engine = createEngine(context);
  const results: RuleEvaluation[] = [];
  for (const rule of compiled.rules) {
    if (rule.trigger !== trigger || skip.has(rule.id)) continue;
    const t0 = clock();
    const outcome = await runRule(engine, rule);
    results.push({ ruleId: rule.id, version: rule.version, name: rule.name, ...outcome, durationMs: clock() - t0 });
  }
  return { trigger, results, durationMs: clock() - started };
}

/** An Engine with every fact (memoised, bound to the context) and the custom operators. */
function createEngine(context: RuleContext): Engine {
  const engine = new Engine([], { allowUndefinedFacts: false, allowUndefinedConditions: false });
  registerOperators(engine, context.calendar);
  const memo = new Map<string, unknown>();
  for (const name of FACT_NAMES) {
    const def = factDefinition(name);
    engine.addFact(
      name,
      (params: Record<string, unknown>) => {
        const key = `${name}\u0000${JSON.stringify(params)}`;
        if (memo.has(key)) return memo.get(key);
        const { [COERCE_PARAM]: coercion, ...factParams } = params;
        const raw = def.resolve(context, factParams);
        const value = coercion === undefined ? raw : coerce(raw, coercion as Coercion);
        memo.set(key, value);
        return value;
      },
      { cache: false },
    );
  }
  return engine;
}

type Outcome = Pick<RuleEvaluation, 'matched' | 'conditions' | 'actions' | 'error'>;

interface EngineLeafResult {
  factResult?: unknown;
  result?: boolean;
}

async function runRule(engine: Engine, rule: Readonly<CompiledRule>): Promise<Outcome> {
  const notEvaluated = (): ConditionResult[] => rule.leaves.map((leaf) => ({ ...copy(leaf), factValue: undefined, result: null }));
  if (rule.conditions === null) return { matched: false, conditions: notEvaluated(), actions: [], error: rule.invalid ?? 'not compiled' };
  const name = `rule:${rule.id}`;
  // The Engine copies the condition tree into its own Condition objects; ours stays frozen.
  engine.addRule({ name, conditions: rule.conditions, event: { type: 'matched' } });
  try {
    const { results, failureResults } = await engine.run();
    const ruleResult = [...results, ...failureResults].find((r) => r.name === name);
    if (ruleResult === undefined) throw new Error('the rule engine returned no result');
    const byPointer = new Map<string, EngineLeafResult>();
    collectLeaves(ruleResult.conditions, byPointer);
    const conditions = rule.leaves.map((leaf): ConditionResult => {
      const r = byPointer.get(leaf.pointer);
      return { ...copy(leaf), factValue: copy(r?.factResult), result: typeof r?.result === 'boolean' ? r.result : null };
    });
    const matched = ruleResult.result === true;
    return { matched, conditions, actions: matched ? copy(rule.actions) : [] };
  } catch (e) {
    return { matched: false, conditions: notEvaluated(), actions: [], error: e instanceof Error ? e.message : String(e) };
  } finally {
    engine.removeRule(name);
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

/** Results never alias the compiled set or the context (callers may mutate what they get). */
function copy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
