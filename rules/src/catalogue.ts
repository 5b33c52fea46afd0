/**
 * The rule catalogue as plain JSON: every trigger, fact (type, params, triggers, operators with
 * the operand each takes), tracked field and action (params as JSON Schema, which params name
 * other records), generated from the definitions in this package. The visual rule editor reads
 * it from the API, so it never hard-codes what validateRule accepts.
 */
import { z } from 'zod';
import { ACTION_PARAMS, ACTION_REFERENCES, ACTION_TYPES, EMAIL_RECIPIENTS, ID_FACTS, ID_FIELDS, type ActionType, type ReferenceKind } from './actions';
import { FACT_NAMES, factDefinition, HOURS_SINCE_EVENTS, TRACKED_FIELDS, type FactName, type TrackedField } from './facts';
import { allowedOperators, CUSTOM_OPERATORS, OPERATOR_NAMES, valueSpecFor, type FactType, type OperatorName, type ValueSpec } from './operators';
import { LIMITS } from './schema';
import { SLA_TRIGGERS, TRIGGERS, type Trigger } from './triggers';

export type JsonSchema = Record<string, unknown>;

export interface CatalogueOperator {
  name: OperatorName;
  /** What the condition's `value` must be for this operator on this fact type. */
  value: ValueSpec;
}

export interface CatalogueFact {
  name: FactName;
  /** The part before the first dot (`ticket`, `requester`, …), or `derived`. */
  group: string;
  description: string;
  /** Triggers whose rules may use it; null = every trigger. */
  triggers: Trigger[] | null;
  /** JSON Schema of the condition's `params`; null = the fact takes none. */
  params: JsonSchema | null;
  /** The value type; null when it depends on `params.field` (see `trackedFields`). */
  type: FactType | null;
  /** Allowed operators; null when the type depends on params. */
  operators: CatalogueOperator[] | null;
  /** The kind of record the value is an id of (the editor offers a picker). */
  reference: ReferenceKind | null;
  /** Values are names from a vocabulary the editor can suggest from (tag names). */
  suggest: Suggestion | null;
}

export interface CatalogueTrackedField {
  name: TrackedField;
  type: FactType;
  operators: CatalogueOperator[];
  reference: ReferenceKind | null;
  suggest: Suggestion | null;
}

export interface CatalogueAction {
  type: ActionType;
  /** JSON Schema of the action's `params`. */
  params: JsonSchema;
  /** Params that name another record, and of which kind. */
  references: Record<string, ReferenceKind>;
  /** Params whose values come from a vocabulary (tag names). */
  suggest: Record<string, Suggestion>;
}

/** Vocabularies that are not records with ids: tags are plain names on tickets. */
export type Suggestion = 'tags';
const TAG_FACTS: readonly string[] = ['ticket.tags'];
const TAG_FIELDS: readonly string[] = ['tags'];
const TAG_ACTION_PARAMS: { readonly [T in ActionType]?: Record<string, Suggestion> } = { add_tags: { tags: 'tags' }, remove_tags: { tags: 'tags' } };

export interface RuleCatalogue {
  triggers: { name: Trigger; sla: boolean; schedule: boolean }[];
  limits: typeof LIMITS;
  operators: { name: OperatorName; custom: boolean }[];
  facts: CatalogueFact[];
  trackedFields: CatalogueTrackedField[];
  hoursSinceEvents: string[];
  actions: CatalogueAction[];
  emailRecipients: string[];
}

function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const operatorsFor = (type: FactType): CatalogueOperator[] => allowedOperators(type).map((name) => ({ name, value: valueSpecFor(type, name)! }));

/** Builds the catalogue (pure; cheap enough to build per request, but callers may cache it). */
export function ruleCatalogue(): RuleCatalogue {
  const facts = FACT_NAMES.map((name): CatalogueFact => {
    const def = factDefinition(name);
    // `previous` is typed by the field it names; every other fact has one type.
    const dependsOnParams = name === 'previous';
    const type = dependsOnParams ? null : def.type({});
    return {
      name,
      group: name.includes('.') ? name.slice(0, name.indexOf('.')) : 'derived',
      description: def.description,
      triggers: def.triggers ? [...def.triggers] : null,
      params: def.params ? jsonSchema(def.params) : null,
      type,
      operators: type ? operatorsFor(type) : null,
      reference: ID_FACTS[name] ?? null,
      suggest: TAG_FACTS.includes(name) ? 'tags' : null,
    };
  });
  const trackedFields = (Object.keys(TRACKED_FIELDS) as TrackedField[]).map((name) => ({
    name,
    type: TRACKED_FIELDS[name] as FactType,
    operators: operatorsFor(TRACKED_FIELDS[name] as FactType),
    reference: ID_FIELDS[name] ?? null,
    suggest: TAG_FIELDS.includes(name) ? ('tags' as const) : null,
  }));
  const actions = ACTION_TYPES.map((type) => ({
    type,
    params: jsonSchema(ACTION_PARAMS[type]),
    references: { ...(ACTION_REFERENCES[type] ?? {}) } as Record<string, ReferenceKind>,
    suggest: { ...(TAG_ACTION_PARAMS[type] ?? {}) },
  }));
  return {
    triggers: TRIGGERS.map((name) => ({ name, sla: (SLA_TRIGGERS as readonly string[]).includes(name), schedule: name === 'schedule' })),
    limits: LIMITS,
    operators: OPERATOR_NAMES.map((name) => ({ name, custom: (CUSTOM_OPERATORS as readonly string[]).includes(name) })),
    facts,
    trackedFields,
    hoursSinceEvents: Object.keys(HOURS_SINCE_EVENTS),
    actions,
    emailRecipients: [...EMAIL_RECIPIENTS],
  };
}
