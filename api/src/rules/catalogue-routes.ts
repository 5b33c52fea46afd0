import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { OPERATOR_NAMES, ruleCatalogue, TRIGGERS, VALUE_TYPES, ACTION_TYPES, type ReferenceKind, type Suggestion, type ValueSpec as RulesValueSpec } from '@mehrdesk/rules';
import { EMAIL_TEMPLATES } from '@mehrdesk/workflows/activity-contracts';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';

// GET /rules/catalogue: what the visual rule editor may offer (triggers, facts with their
// operators and operands, actions with JSON Schema params, what ids refer to, limits), built
// from the rules package's own definitions so the console never hard-codes them. Mounted before
// the rule router, whose '/rules/:id' would otherwise read "catalogue" as an id.

const ValueSpec = z.enum([
  'string',
  'nonEmptyString',
  'stringList',
  'number',
  'numberList',
  'boolean',
  'true',
  'enumValue',
  'enumList',
  'id',
  'idList',
  'idOrNull',
  'idOrNullList',
  'epochMs',
  'regex',
  'scalar',
  'scalarList',
]);
const Reference = z.enum(['group', 'category', 'user', 'organization', 'webhook_subscription', 'email_template']);
// The lists above mirror union types of the rules package; these fail to compile when they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _valueSpecsMatch: Same<z.infer<typeof ValueSpec>, RulesValueSpec> = true;
const _referencesMatch: Same<z.infer<typeof Reference>, ReferenceKind> = true;

const Suggest = z.enum(['tags']).describe('Values come from a vocabulary: tag names (GET /tags)');
const _suggestMatch: Same<z.infer<typeof Suggest>, Suggestion> = true;

const FactType = z.object({ kind: z.enum(VALUE_TYPES), values: z.array(z.string()).optional() });
const Operator = z.object({ name: z.enum(OPERATOR_NAMES), value: ValueSpec.describe('What the condition value must be') });
const JsonSchema = z.record(z.string(), z.unknown()).describe('JSON Schema (draft 2020-12)');

const CatalogueDto = z
  .object({
    triggers: z.array(z.object({ name: z.enum(TRIGGERS), sla: z.boolean(), schedule: z.boolean() })),
    limits: z.object({
      maxDepth: z.number().int(),
      maxConditions: z.number().int(),
      minActions: z.number().int(),
      maxActions: z.number().int(),
      minScheduleMinutes: z.number().int(),
      maxScheduleMinutes: z.number().int(),
    }),
    operators: z.array(z.object({ name: z.enum(OPERATOR_NAMES), custom: z.boolean() })),
    facts: z.array(
      z.object({
        name: z.string(),
        group: z.string(),
        description: z.string(),
        triggers: z.array(z.enum(TRIGGERS)).nullable().describe('null = every trigger'),
        params: JsonSchema.nullable(),
        type: FactType.nullable().describe('null when it depends on params.field (see trackedFields)'),
        operators: z.array(Operator).nullable(),
        reference: Reference.nullable(),
        suggest: Suggest.nullable(),
      }),
    ),
    trackedFields: z.array(z.object({ name: z.string(), type: FactType, operators: z.array(Operator), reference: Reference.nullable(), suggest: Suggest.nullable() })),
    hoursSinceEvents: z.array(z.string()),
    actions: z.array(z.object({ type: z.enum(ACTION_TYPES), params: JsonSchema, references: z.record(z.string(), Reference), suggest: z.record(z.string(), Suggest) })),
    emailRecipients: z.array(z.string()),
    emailTemplates: z.array(z.string()).describe('Template names a send_email action may use'),
  })
  .meta({ id: 'RuleCatalogue' });

export function ruleCatalogueRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const catalogue = { ...ruleCatalogue(), emailTemplates: [...EMAIL_TEMPLATES] };
  defineRoute(r, registry, {
    method: 'get',
    path: '/rules/catalogue',
    summary: 'Triggers, facts, operators and actions a rule may use (for the visual editor)',
    tags: ['admin: automation'],
    action: 'admin.manage',
    response: CatalogueDto,
    handler: async () => catalogue as z.infer<typeof CatalogueDto>,
  });
  return r;
}
