/**
 * The rule definition document (what an admin saves; stored per rule version).
 *
 * `ruleDefinitionSchema` describes its shape. validateRule (./validate) is what callers use: it
 * additionally checks everything that depends on the catalogues — fact params, the operator ×
 * fact type table, operand types, regex syntax, trigger-specific facts, nesting limits — and
 * reports every problem with a JSON pointer; it parses with this schema last to type the result.
 */
import { z } from 'zod';
import { actionSchema, type Action } from './actions';
import { FACT_NAMES, type FactName } from './facts';
import { OPERATOR_NAMES, type OperatorName } from './operators';
import { TRIGGERS, type Trigger } from './triggers';

export { TRIGGERS, type Trigger } from './triggers';
export type { Action } from './actions';

export const LIMITS = {
  /** Groups along any path from the root group (the root group is level 1). */
  maxDepth: 6,
  /** Leaf conditions in the whole tree. */
  maxConditions: 100,
  minActions: 1,
  maxActions: 20,
  minScheduleMinutes: 1,
  maxScheduleMinutes: 1440,
} as const;

export interface ConditionLeaf {
  fact: FactName;
  params?: Record<string, unknown>;
  operator: OperatorName;
  value: unknown;
}
export type ConditionGroup = { all: Condition[] } | { any: Condition[] } | { not: Condition };
export type Condition = ConditionGroup | ConditionLeaf;

export interface RuleDefinition {
  trigger: Trigger;
  /** Required iff trigger === 'schedule'. */
  schedule?: { everyMinutes: number };
  conditions: ConditionGroup;
  /** Applied in order. */
  actions: Action[];
}

export const scheduleSchema = z.strictObject({
  everyMinutes: z.int().min(LIMITS.minScheduleMinutes).max(LIMITS.maxScheduleMinutes),
});

export const conditionLeafSchema = z.strictObject({
  fact: z.enum(FACT_NAMES),
  params: z.record(z.string(), z.unknown()).optional(),
  operator: z.enum(OPERATOR_NAMES),
  value: z.unknown(),
});

export const conditionGroupSchema: z.ZodType<ConditionGroup> = z.lazy(() =>
  z.union([z.strictObject({ all: z.array(conditionSchema).min(1) }), z.strictObject({ any: z.array(conditionSchema).min(1) }), z.strictObject({ not: conditionSchema })]),
);

export const conditionSchema: z.ZodType<Condition> = z.lazy(() => z.union([conditionGroupSchema, conditionLeafSchema]));

export const ruleDefinitionSchema = z.strictObject({
  trigger: z.enum(TRIGGERS),
  schedule: scheduleSchema.optional(),
  conditions: conditionGroupSchema,
  actions: z.array(actionSchema).min(LIMITS.minActions).max(LIMITS.maxActions),
});

// The schema and the interface describe the same document.
type _Same = [z.infer<typeof ruleDefinitionSchema>] extends [RuleDefinition] ? ([RuleDefinition] extends [z.infer<typeof ruleDefinitionSchema>] ? true : never) : never;
const _schemaMatchesInterface: _Same = true;
