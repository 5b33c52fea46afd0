import type { CatalogueFact, CatalogueOperator, FactType, ReferenceKind, RuleCatalogue, ValueSpec } from '../types';
import type { LeafNode } from './ruleTree';

// Reading the rule catalogue the API serves (GET /rules/catalogue): which facts a trigger may
// use, what a leaf's value must be, and sensible starting values when the admin picks a fact,
// an operator or an action. Nothing here knows a fact or action by name.

export type JsonSchema = Record<string, unknown>;

export interface LeafSpec {
  fact: CatalogueFact | null;
  type: FactType | null;
  operators: CatalogueOperator[];
  reference: ReferenceKind | null;
  suggest: 'tags' | null;
  /** What the value must be for the chosen operator (null until one is chosen). */
  valueSpec: ValueSpec | null;
}

export function factsFor(cat: RuleCatalogue, trigger: string): CatalogueFact[] {
  return cat.facts.filter((f) => f.triggers === null || (f.triggers as string[]).includes(trigger));
}

export function leafSpec(cat: RuleCatalogue, leaf: Pick<LeafNode, 'fact' | 'params' | 'operator'>): LeafSpec {
  const fact = cat.facts.find((f) => f.name === leaf.fact) ?? null;
  let type = fact?.type ?? null;
  let operators = fact?.operators ?? [];
  let reference = fact?.reference ?? null;
  let suggest = fact?.suggest ?? null;
  if (fact && fact.type === null) {
    // Typed by the field it names (previous): look the field up.
    const field = cat.trackedFields.find((f) => f.name === leaf.params?.field);
    type = field?.type ?? null;
    operators = field?.operators ?? [];
    reference = field?.reference ?? null;
    suggest = field?.suggest ?? null;
  }
  const valueSpec = operators.find((o) => o.name === leaf.operator)?.value ?? null;
  return { fact, type, operators, reference, suggest, valueSpec };
}

/** A starting value of the right kind for an operand. */
export function defaultValue(spec: ValueSpec | null, type: FactType | null): unknown {
  switch (spec) {
    case 'true':
      return true;
    case 'boolean':
      return true;
    case 'enumValue':
      return type?.values?.[0] ?? '';
    case 'stringList':
    case 'numberList':
    case 'enumList':
    case 'idList':
    case 'idOrNullList':
    case 'scalarList':
      return [];
    case 'number':
      return 0;
    case 'epochMs':
      return startOfToday();
    case 'id':
    case 'idOrNull':
      return null;
    case 'regex':
    case 'string':
    case 'nonEmptyString':
    case 'scalar':
      return '';
    default:
      return null;
  }
}

function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whether a value already fits an operand kind (so changing the operator can keep it). */
export function valueFits(spec: ValueSpec, value: unknown): boolean {
  const list = Array.isArray(value);
  switch (spec) {
    case 'true':
      return value === true;
    case 'boolean':
      return typeof value === 'boolean';
    case 'stringList':
    case 'enumList':
    case 'scalarList':
      return list && (value as unknown[]).every((v) => typeof v === 'string');
    case 'numberList':
    case 'idList':
      return list && (value as unknown[]).every((v) => typeof v === 'number');
    case 'idOrNullList':
      return list && (value as unknown[]).every((v) => v === null || typeof v === 'number');
    case 'number':
    case 'epochMs':
      return typeof value === 'number';
    case 'id':
      return typeof value === 'number' || value === null;
    case 'idOrNull':
      return typeof value === 'number' || value === null;
    case 'regex':
      return typeof value === 'string' || (typeof value === 'object' && value !== null && !list);
    default:
      return typeof value === 'string';
  }
}

/** Starting params for a params schema: every required property, enums at their first value. */
export function defaultParams(schema: JsonSchema | null | undefined): Record<string, unknown> {
  if (!schema) return {};
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  const out: Record<string, unknown> = {};
  for (const key of required) out[key] = defaultFor(props[key] ?? {});
  return out;
}

export function defaultFor(schema: JsonSchema): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.anyOf)) return defaultFor((schema.anyOf[0] ?? {}) as JsonSchema);
  switch (schema.type) {
    case 'array':
      return [];
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return null;
    case 'object':
      return defaultParams(schema);
    default:
      return '';
  }
}

/** Point a leaf at another fact: params, operator and value start over for its type. */
export function chooseFact(cat: RuleCatalogue, leaf: LeafNode, factName: string): void {
  const fact = cat.facts.find((f) => f.name === factName);
  leaf.fact = factName;
  leaf.params = fact?.params ? defaultParams(fact.params as JsonSchema) : null;
  const spec = leafSpec(cat, leaf);
  const op = spec.operators[0];
  leaf.operator = op?.name ?? '';
  leaf.value = defaultValue(op?.value ?? null, spec.type);
}

/** Change the params of a leaf (e.g. the field `previous` reads): keep the operator when still allowed. */
export function chooseParams(cat: RuleCatalogue, leaf: LeafNode, params: Record<string, unknown>): void {
  const before = leafSpec(cat, leaf);
  leaf.params = params;
  const after = leafSpec(cat, leaf);
  if (JSON.stringify(before.type) === JSON.stringify(after.type)) return;
  const op = after.operators.find((o) => o.name === leaf.operator) ?? after.operators[0];
  leaf.operator = op?.name ?? '';
  leaf.value = defaultValue(op?.value ?? null, after.type);
}

/** Change the operator; the value stays when it still fits the new operand kind. */
export function chooseOperator(cat: RuleCatalogue, leaf: LeafNode, operator: string): void {
  const spec = leafSpec(cat, leaf);
  leaf.operator = operator;
  const next = spec.operators.find((o) => o.name === operator)?.value ?? null;
  if (next === null) return;
  if (!valueFits(next, leaf.value)) leaf.value = defaultValue(next, spec.type);
  // A single value becomes a one-element list and back, where the kinds allow it.
  if (next.endsWith('List') && !Array.isArray(leaf.value)) leaf.value = [];
}
