/**
 * validateRule: checks a submitted rule definition against the schema and every catalogue and
 * reports ALL problems, each with an RFC 6901 JSON pointer into the submitted document, sorted
 * in document order (see comparePointers). Nothing is evaluated; regexes are compiled (and
 * cached for evaluation).
 */
import { ACTION_PARAMS, ACTION_TYPES, isActionType } from './actions';
import { factAvailableFor, factDefinition, FACT_NAMES, isFactName, type FactName } from './facts';
import { allowedOperators, checkValue, describeType, isOperatorName, OPERATOR_NAMES, valueSpecFor, type FactType } from './operators';
import { comparePointers, toPointer, type PathSegment } from './pointer';
import { LIMITS, ruleDefinitionSchema, scheduleSchema, type RuleDefinition } from './schema';
import { isTrigger, TRIGGERS, type Trigger } from './triggers';
import type { z } from 'zod';

export interface ValidationError {
  /** RFC 6901 pointer into the submitted document ('' = the document itself). */
  pointer: string;
  message: string;
}

export type ValidationResult = { ok: true; rule: RuleDefinition } | { ok: false; errors: ValidationError[] };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Json, key: string) => Object.hasOwn(o, key);

const ROOT_KEYS = ['trigger', 'schedule', 'conditions', 'actions'];
const GROUP_KEYS = ['all', 'any', 'not'] as const;
const LEAF_KEYS = ['fact', 'params', 'operator', 'value'];

class Collector {
  readonly errors: ValidationError[] = [];
  leaves = 0;

  constructor(readonly trigger: Trigger | null) {}

  add(path: readonly PathSegment[], message: string): void {
    this.errors.push({ pointer: toPointer(path), message });
  }

  /** One error per zod issue, pointers prefixed with `base`; `input` is what was parsed. */
  zod(base: readonly PathSegment[], error: z.ZodError, input: unknown, noun: string): void {
    for (const issue of error.issues) {
      const path = [...base, ...(issue.path as PathSegment[])];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add([...path, key], `unknown ${noun} "${key}"`);
      } else if (valueAt(input, issue.path as PathSegment[]) === undefined) {
        this.add(path, 'is required');
      } else if (issue.code === 'invalid_value' && issue.values.length > 1) {
        this.add(path, `must be one of: ${issue.values.map(String).join(', ')}`);
      } else {
        this.add(path, issue.message);
      }
    }
  }
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

/** Validates a rule definition (typically parsed JSON from an admin). */
export function validateRule(input: unknown): ValidationResult {
  if (!isObject(input)) {
    return { ok: false, errors: [{ pointer: '', message: 'rule definition must be a JSON object' }] };
  }
  const trigger = isTrigger(input.trigger) ? input.trigger : null;
  const c = new Collector(trigger);

  for (const key of Object.keys(input)) {
    if (!ROOT_KEYS.includes(key)) c.add([key], `unknown property "${key}"; a rule has ${ROOT_KEYS.join(', ')}`);
  }

  if (!has(input, 'trigger')) c.add(['trigger'], 'is required');
  else if (trigger === null) c.add(['trigger'], `must be one of: ${TRIGGERS.join(', ')}`);

  checkSchedule(c, input);

  if (!has(input, 'conditions')) c.add(['conditions'], 'is required');
  else {
    checkCondition(c, input.conditions, ['conditions'], 1, true);
    if (c.leaves > LIMITS.maxConditions) {
      c.add(['conditions'], `has ${c.leaves} conditions; at most ${LIMITS.maxConditions} are allowed`);
    }
  }

  checkActions(c, input);

  if (c.errors.length === 0) {
    // Everything above passed, so this cannot fail; it types (and copies) the document.
    const parsed = ruleDefinitionSchema.safeParse({
      ...input,
      actions: (input.actions as Json[]).map((a) => ({ type: a.type, params: a.params ?? {} })),
    });
    if (parsed.success) return { ok: true, rule: parsed.data };
    c.zod([], parsed.error, input, 'property');
  }
  return { ok: false, errors: sortErrors(c.errors) };
}

function sortErrors(errors: ValidationError[]): ValidationError[] {
  return errors.sort((a, b) => comparePointers(a.pointer, b.pointer) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

function checkSchedule(c: Collector, input: Json): void {
  const present = has(input, 'schedule');
  if (c.trigger === 'schedule' && !present) {
    c.add(['schedule'], 'is required when trigger is "schedule"');
    return;
  }
  if (!present) return;
  if (c.trigger !== null && c.trigger !== 'schedule') {
    c.add(['schedule'], `is only allowed when trigger is "schedule" (trigger is "${c.trigger}")`);
    return;
  }
  const parsed = scheduleSchema.safeParse(input.schedule);
  if (!parsed.success) c.zod(['schedule'], parsed.error, input.schedule, 'property');
}

// ---------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------

function checkCondition(c: Collector, node: unknown, path: PathSegment[], depth: number, root: boolean): void {
  if (!isObject(node)) {
    c.add(
      path,
      root
        ? 'must be a condition group: { "all": [...] }, { "any": [...] } or { "not": {...} }'
        : 'must be a condition group ({ "all": [...] }, { "any": [...] }, { "not": {...} }) or a condition { "fact", "operator", "value" }',
    );
    return;
  }
  const groupKeys = GROUP_KEYS.filter((k) => has(node, k));
  if (groupKeys.length > 1) {
    c.add(path, `a condition group has exactly one of "all", "any", "not" (found ${groupKeys.join(', ')})`);
    return;
  }
  const groupKey = groupKeys[0];
  if (groupKey === undefined) {
    if (root) c.add(path, 'must be a condition group: wrap the condition in { "all": [ ... ] }');
    checkLeaf(c, node, path);
    return;
  }
  if (depth > LIMITS.maxDepth) {
    c.add(path, `conditions are nested more than ${LIMITS.maxDepth} groups deep`);
    return;
  }
  for (const key of Object.keys(node)) {
    if (key !== groupKey) c.add([...path, key], `unknown property "${key}" in a "${groupKey}" group`);
  }
  const children = node[groupKey];
  const childPath = [...path, groupKey];
  if (groupKey === 'not') {
    if (Array.isArray(children)) c.add(childPath, 'must be a single condition or group, not an array');
    else checkCondition(c, children, childPath, depth + 1, false);
    return;
  }
  if (!Array.isArray(children)) c.add(childPath, 'must be an array of conditions');
  else if (children.length === 0) c.add(childPath, `must not be empty: an empty "${groupKey}" group is ambiguous`);
  else children.forEach((child, i) => checkCondition(c, child, [...childPath, i], depth + 1, false));
}

function checkLeaf(c: Collector, leaf: Json, path: PathSegment[]): void {
  c.leaves++;
  for (const key of Object.keys(leaf)) {
    if (!LEAF_KEYS.includes(key)) c.add([...path, key], `unknown property "${key}"; a condition has ${LEAF_KEYS.join(', ')}`);
  }

  const factName = checkFactName(c, leaf, path);
  const type = factName === null ? null : checkParams(c, leaf, path, factName);
  const operator = checkOperatorName(c, leaf, path);

  let spec = null;
  if (type !== null && factName !== null && operator !== null) {
    spec = valueSpecFor(type, operator) ?? null;
    if (spec === null) {
      c.add([...path, 'operator'], `operator "${operator}" is not allowed for fact "${factName}" (type ${describeType(type)}); allowed: ${allowedOperators(type).join(', ')}`);
    }
  }

  if (!has(leaf, 'value')) c.add([...path, 'value'], 'is required');
  else if (spec !== null && type !== null) {
    for (const issue of checkValue(spec, leaf.value, type)) c.add([...path, 'value', ...issue.path], issue.message);
  }
}

function checkFactName(c: Collector, leaf: Json, path: PathSegment[]): FactName | null {
  const at = [...path, 'fact'];
  const name = leaf.fact;
  if (!has(leaf, 'fact')) c.add(at, 'is required');
  else if (typeof name !== 'string') c.add(at, 'must be a string');
  else if (!isFactName(name)) c.add(at, `unknown fact "${name}"; known facts: ${FACT_NAMES.join(', ')}`);
  else {
    if (c.trigger !== null && !factAvailableFor(name, c.trigger)) {
      const triggers = factDefinition(name).triggers ?? [];
      c.add(at, `fact "${name}" is only available for trigger ${triggers.join(' / ')} (this rule's trigger is ${c.trigger})`);
    }
    return name;
  }
  return null;
}

/** Checks the params of a known fact; returns the fact's value type when they are valid. */
function checkParams(c: Collector, leaf: Json, path: PathSegment[], name: FactName): FactType | null {
  const def = factDefinition(name);
  const at = [...path, 'params'];
  const params = leaf.params;
  const present = has(leaf, 'params');
  if (def.params === undefined) {
    if (present && !(isObject(params) && Object.keys(params).length === 0)) {
      c.add(at, `fact "${name}" takes no params`);
      return null;
    }
    return def.type({});
  }
  if (!present) {
    const keys = Object.keys((def.params as unknown as z.ZodObject).shape);
    c.add(at, `is required: fact "${name}" needs params { ${keys.join(', ')} }`);
    return null;
  }
  if (!isObject(params)) {
    c.add(at, 'must be an object');
    return null;
  }
  const parsed = def.params.safeParse(params);
  if (!parsed.success) {
    c.zod(at, parsed.error, params, 'parameter');
    return null;
  }
  return def.type(parsed.data);
}

function checkOperatorName(c: Collector, leaf: Json, path: PathSegment[]) {
  const at = [...path, 'operator'];
  const op = leaf.operator;
  if (!has(leaf, 'operator')) c.add(at, 'is required');
  else if (typeof op !== 'string') c.add(at, 'must be a string');
  else if (!isOperatorName(op)) c.add(at, `unknown operator "${op}"; known operators: ${OPERATOR_NAMES.join(', ')}`);
  else return op;
  return null;
}

// ---------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------

function checkActions(c: Collector, input: Json): void {
  const actions = input.actions;
  if (!has(input, 'actions')) {
    c.add(['actions'], 'is required');
    return;
  }
  if (!Array.isArray(actions)) {
    c.add(['actions'], 'must be an array of actions');
    return;
  }
  if (actions.length < LIMITS.minActions) c.add(['actions'], `must have at least ${LIMITS.minActions} action`);
  if (actions.length > LIMITS.maxActions) {
    c.add(['actions'], `must have at most ${LIMITS.maxActions} actions (has ${actions.length})`);
  }
  actions.forEach((action, i) => checkAction(c, action, ['actions', i]));
}

function checkAction(c: Collector, action: unknown, path: PathSegment[]): void {
  if (!isObject(action)) {
    c.add(path, 'must be an action { "type": ..., "params": {...} }');
    return;
  }
  for (const key of Object.keys(action)) {
    if (key !== 'type' && key !== 'params') c.add([...path, key], `unknown property "${key}"; an action has type, params`);
  }
  const type = action.type;
  if (!has(action, 'type')) c.add([...path, 'type'], 'is required');
  else if (typeof type !== 'string') c.add([...path, 'type'], 'must be a string');
  else if (!isActionType(type)) c.add([...path, 'type'], `unknown action "${type}"; known actions: ${ACTION_TYPES.join(', ')}`);
  else {
    // Absent params = {} (for close / escalate; other actions then report their missing params).
    const params = has(action, 'params') ? action.params : {};
    if (!isObject(params)) c.add([...path, 'params'], 'must be an object');
    else {
      const parsed = ACTION_PARAMS[type].safeParse(params);
      if (!parsed.success) c.zod([...path, 'params'], parsed.error, params, 'parameter');
    }
  }
}
