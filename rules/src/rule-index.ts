/**
 * The rule index: which rules of one trigger can possibly match an event, decided from the facts
 * the rules gate on, so that json-rules-engine runs only those (./evaluate).
 *
 * 1. Buckets. A gate is a leaf that must hold for its rule to match and that a hash lookup can
 *    test: `equal` / `in` on a fact (status, priority, group, category, a custom field,
 *    `changed` …) or `contains` / `containsAny` / `containsAll` on a list fact (tags). From each
 *    rule's tree the index takes its alternatives: sets of gates, one of which must hold
 *    entirely (an `all` contributes the gates of its children, an `any` one alternative per
 *    child, a `not` nothing). Each alternative is filed under its most selective gate, keyed by
 *    the operand value(s). For an event, the index looks up each gated fact's value (for a list
 *    fact, each element); the rules found, plus every rule it could not gate, are candidates.
 * 2. Check. Each candidate's condition tree is then tested on the event's fact values with
 *    json-rules-engine's own operator objects and its group semantics (all: every child
 *    `=== true`, any: some child `=== true`, not: negation), so only the rules that match reach
 *    the engine, which decides and reports them.
 *
 * Both steps are sound: a bucket misses a rule only if the gate of each of its alternatives is
 * false, and leaving a gate out only lets more rules through. The check is three-valued: an
 * operator that throws makes its leaf unknown, and an unknown rule goes to the engine. A fact
 * that cannot be resolved, or an inBusinessHours leaf (its operator reads the context's
 * calendar, which may be broken), make the index step aside (see {@link candidates}), so the
 * engine reports such errors exactly as it did without the index. rules/src/rule-index.unit.test.ts
 * proves indexed and full evaluation equal on the whole rules corpus.
 */
import { factDefinition, type FactName, type RuleContext } from './facts';
import type { Coercion, OperatorName } from './operators';
import type { Condition, ConditionLeaf } from './schema';

/** One distinct fact read (name, params and the custom-field coercion), resolved at most once per evaluation. */
export interface FactSlot {
  readonly key: string;
  readonly fact: FactName;
  readonly params: Readonly<Record<string, unknown>>;
  readonly coercion?: Coercion;
}

/** The value of a slot for one evaluation; `ok: false` when resolving the fact threw. */
export type SlotValue = { ok: true; value: unknown } | { ok: false; error: unknown };

const GATE_OPERATORS = ['equal', 'in', 'contains', 'containsAny', 'containsAll'] as const satisfies readonly OperatorName[];
type GateOperator = (typeof GATE_OPERATORS)[number];
type Key = string | number | boolean | null;

interface Gate {
  readonly slot: FactSlot;
  readonly operator: GateOperator;
  /** The operand as a list (one element for equal / contains). */
  readonly keys: readonly Key[];
}

interface Dimension {
  readonly slot: FactSlot;
  /** eq: look up the fact value; has: look up each element of the (list) fact value. */
  readonly mode: 'eq' | 'has';
  /** Operand value → the rules with an alternative filed under it. */
  readonly buckets: ReadonlyMap<unknown, readonly number[]>;
}

/** A leaf as the check tests it: the engine's operator applied to the fact value (and its operand). */
export type LeafTest = (factValue: unknown, context: RuleContext) => unknown;

/** A leaf of the check: `id` numbers the distinct leaves of the trigger (same fact read, operator and operand). */
interface CheckLeaf {
  readonly slot: FactSlot;
  readonly test: LeafTest;
  readonly id: number;
}
type Check = { readonly all: readonly Check[] } | { readonly any: readonly Check[] } | { readonly not: Check } | CheckLeaf;

/** The index of the rules of one trigger (rule numbers are positions in that trigger's list). */
export interface TriggerIndex {
  readonly size: number;
  /** Rules with no usable gate: candidates for every event. */
  readonly always: readonly number[];
  readonly dimensions: readonly Dimension[];
  /** Per rule: its check tree; null = not checked (goes to the engine whenever it is a candidate). */
  readonly checks: readonly (Check | null)[];
  /** Every fact slot the trigger's rules read. */
  readonly slots: readonly FactSlot[];
  /** Number of distinct check leaves (each is tested at most once per event). */
  readonly leafCount: number;
}

/** The parts of a rule the index is built from; `conditions` null = a rule that never reaches the engine (invalid). */
export interface IndexedRule {
  conditions: Condition | null;
}

/** More alternatives than this are not worth indexing: the rule is then left ungated (sound). */
const MAX_ALTERNATIVES = 16;

const isKey = (v: unknown): v is Key => typeof v === 'string' || typeof v === 'boolean' || v === null || (typeof v === 'number' && Number.isFinite(v));

function gateOf(leaf: ConditionLeaf, slot: FactSlot): Gate | null {
  const operator = leaf.operator as GateOperator;
  if (!(GATE_OPERATORS as readonly string[]).includes(operator)) return null;
  if (operator === 'equal' || operator === 'contains') return isKey(leaf.value) ? { slot, operator, keys: [leaf.value] } : null;
  return Array.isArray(leaf.value) && leaf.value.length > 0 && leaf.value.every(isKey) ? { slot, operator, keys: leaf.value } : null;
}

/** The gate sets (alternatives), one of which must hold entirely for `node` to be true; null = no usable constraint. */
function alternatives(node: Condition, slotOf: (leaf: ConditionLeaf) => FactSlot): Gate[][] | null {
  if ('all' in node) {
    let alts: Gate[][] = [[]];
    for (const child of node.all) {
      const c = alternatives(child, slotOf);
      // Leaving a conjunct out only weakens the filter.
      if (c === null || alts.length * c.length > MAX_ALTERNATIVES) continue;
      alts = alts.flatMap((a) => c.map((b) => [...a, ...b]));
    }
    return alts.some((a) => a.length === 0) ? null : alts;
  }
  if ('any' in node) {
    const alts: Gate[][] = [];
    for (const child of node.any) {
      const c = alternatives(child, slotOf);
      if (c === null) return null;
      alts.push(...c);
    }
    return alts.length > MAX_ALTERNATIVES ? null : alts;
  }
  if ('not' in node) return null;
  const gate = gateOf(node, slotOf(node));
  return gate ? [[gate]] : null;
}

/** Estimated share of events that pass the gate (lower = more selective), from the fact's type alone. */
function passShare(gate: Gate): number {
  const distinct = gate.operator === 'containsAll' ? 1 : new Set(gate.keys).size;
  if (gate.operator !== 'equal' && gate.operator !== 'in') return Math.min(1, 0.1 * distinct);
  const type = factDefinition(gate.slot.fact).type(gate.slot.params);
  if (type.kind === 'enum') return Math.min(1, distinct / type.values.length);
  if (type.kind === 'boolean') return gate.slot.fact === 'changed' && gate.keys[0] === true ? 0.2 : 0.5;
  return Math.min(1, 0.1 * distinct);
}

/** The keys an alternative is filed under for its gate: any of them must be present for the gate to hold. */
function indexKeys(gate: Gate): readonly Key[] {
  return gate.operator === 'containsAll' ? [gate.keys[0]!] : [...new Set(gate.keys)];
}

/** Relative cost of testing a leaf: text search and regexes cost far more than comparisons. */
const OPERATOR_COST: Partial<Record<OperatorName, number>> = { textContains: 20, textNotContains: 20, startsWith: 20, matchesRegex: 40, inBusinessHours: 20 };

/**
 * The check tree of a condition, children ordered cheapest first: the check stops an `all` at its
 * first false child and an `any` at its first true one, so the order changes only the work done.
 */
function checkOf(node: Condition, leafOf: (leaf: ConditionLeaf) => CheckLeaf): { check: Check; cost: number } {
  const group = (children: Condition[]) => {
    const parts = children.map((c) => checkOf(c, leafOf)).sort((a, b) => a.cost - b.cost);
    return { checks: parts.map((x) => x.check), cost: parts.reduce((sum, x) => sum + x.cost, 0) };
  };
  if ('all' in node) {
    const { checks, cost } = group(node.all);
    return { check: { all: checks }, cost };
  }
  if ('any' in node) {
    const { checks, cost } = group(node.any);
    return { check: { any: checks }, cost };
  }
  if ('not' in node) {
    const inner = checkOf(node.not, leafOf);
    return { check: { not: inner.check }, cost: inner.cost };
  }
  return { check: leafOf(node), cost: OPERATOR_COST[node.operator] ?? 1 };
}

function leavesOf(node: Condition, out: ConditionLeaf[] = []): ConditionLeaf[] {
  if ('all' in node) node.all.forEach((c) => leavesOf(c, out));
  else if ('any' in node) node.any.forEach((c) => leavesOf(c, out));
  else if ('not' in node) leavesOf(node.not, out);
  else out.push(node);
  return out;
}

/** Builds the index of one trigger's rules (in position order). */
export function buildTriggerIndex(rules: readonly IndexedRule[], slotOf: (leaf: ConditionLeaf) => FactSlot, testOf: (leaf: ConditionLeaf) => LeafTest): TriggerIndex {
  const always: number[] = [];
  const checks: (Check | null)[] = [];
  const slots = new Set<FactSlot>();
  const leafIds = new Map<string, CheckLeaf>();
  const leafOf = (leaf: ConditionLeaf): CheckLeaf => {
    const slot = slotOf(leaf);
    const key = `${slot.key}\u0000${leaf.operator}\u0000${JSON.stringify(leaf.value)}`;
    let found = leafIds.get(key);
    if (!found) leafIds.set(key, (found = { slot, test: testOf(leaf), id: leafIds.size }));
    return found;
  };
  const dims = new Map<string, { slot: FactSlot; mode: 'eq' | 'has'; buckets: Map<unknown, number[]> }>();
  rules.forEach(({ conditions: tree }, rule) => {
    const leaves = tree === null ? [] : leavesOf(tree);
    for (const leaf of leaves) slots.add(slotOf(leaf));
    if (tree === null || leaves.some((leaf) => leaf.operator === 'inBusinessHours')) {
      checks.push(null);
      always.push(rule);
      return;
    }
    checks.push(checkOf(tree, leafOf).check);
    const alts = alternatives(tree, slotOf);
    if (alts === null) {
      always.push(rule);
      return;
    }
    for (const alt of alts) {
      const best = alt.reduce((a, b) => (passShare(b) < passShare(a) ? b : a));
      const mode = best.operator === 'equal' || best.operator === 'in' ? 'eq' : 'has';
      const id = `${mode}\u0000${best.slot.key}`;
      let dim = dims.get(id);
      if (!dim) dims.set(id, (dim = { slot: best.slot, mode, buckets: new Map() }));
      for (const key of indexKeys(best)) {
        const bucket = dim.buckets.get(key);
        if (bucket) bucket.push(rule);
        else dim.buckets.set(key, [rule]);
      }
    }
  });
  return { size: rules.length, always, dimensions: [...dims.values()], checks, slots: [...slots], leafCount: leafIds.size };
}

const UNKNOWN = Symbol('unknown');

/** Per event: the raw result of each distinct leaf, once computed (undefined: not yet). */
type LeafMemo = unknown[];

/** The engine's value for a node (raw operator result for a leaf, boolean for a group), or UNKNOWN. */
function check(node: Check, value: (slot: FactSlot) => SlotValue, context: RuleContext, memo: LeafMemo): unknown {
  if ('all' in node) {
    let unknown = false;
    for (const c of node.all) {
      const r = check(c, value, context, memo);
      if (r === UNKNOWN) unknown = true;
      else if (r !== true) return false;
    }
    return unknown ? UNKNOWN : true;
  }
  if ('any' in node) {
    let unknown = false;
    for (const c of node.any) {
      const r = check(c, value, context, memo);
      if (r === true) return true;
      if (r === UNKNOWN) unknown = true;
    }
    return unknown ? UNKNOWN : false;
  }
  if ('not' in node) {
    const r = check(node.not, value, context, memo);
    return r === UNKNOWN ? UNKNOWN : !r;
  }
  const known = memo[node.id];
  if (known !== undefined) return known;
  const v = value(node.slot);
  let r: unknown;
  try {
    r = v.ok ? node.test(v.value, context) : UNKNOWN;
  } catch {
    r = UNKNOWN;
  }
  memo[node.id] = r;
  return r;
}

/**
 * Marks (1) the rules that may match, in a byte per rule of the trigger. `value` resolves a slot
 * for this event (memoised by the caller, so the engine later reads the same values). When a fact
 * of the trigger cannot be resolved, every rule is marked: the engine then reports the failing
 * rules as it does without the index. Rules with an inBusinessHours leaf are always marked.
 */
export function candidates(index: TriggerIndex, value: (slot: FactSlot) => SlotValue, context: RuleContext): Uint8Array {
  const marks = new Uint8Array(index.size);
  if (index.slots.some((slot) => !value(slot).ok)) return marks.fill(1);
  const found = new Uint8Array(index.size);
  for (const rule of index.always) found[rule] = 1;
  const visit = (rules: readonly number[] | undefined) => {
    if (rules !== undefined) for (const rule of rules) found[rule] = 1;
  };
  for (const dim of index.dimensions) {
    const v = value(dim.slot);
    if (!v.ok) continue; // unreachable: every slot resolved above
    if (dim.mode === 'eq') visit(dim.buckets.get(v.value));
    else if (Array.isArray(v.value)) for (const element of v.value) visit(dim.buckets.get(element));
  }
  const memo: LeafMemo = new Array<unknown>(index.leafCount);
  for (let rule = 0; rule < index.size; rule++) {
    if (found[rule] === 0) continue;
    const tree = index.checks[rule];
    const r = tree === null || tree === undefined ? UNKNOWN : check(tree, value, context, memo);
    if (r === true || r === UNKNOWN) marks[rule] = 1;
  }
  return marks;
}
