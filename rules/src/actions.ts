/**
 * The action catalogue: what a matched rule asks the worker to do, with typed params. Actions
 * are data here; applying them (and checking transitions, permissions, existence) is the
 * worker's job.
 */
import { PRIORITIES, STATUSES } from '@mehrdesk/core/domain';
import { z } from 'zod';
import { toPointer, comparePointers } from './pointer';
import type { Condition, RuleDefinition } from './schema';

const id = z.int().positive();
const tag = z
  .string()
  .min(1)
  .max(64)
  .regex(/^\S(?:.*\S)?$/s, { error: 'must not start or end with whitespace' });
const tags = z.array(tag).min(1).max(20);

export const EMAIL_RECIPIENTS = ['requester', 'assignee', 'group', 'supervisor'] as const;
export type EmailRecipient = (typeof EMAIL_RECIPIENTS)[number] | { address: string };

/** Strict params schema of every action type. */
export const ACTION_PARAMS = {
  set_status: z.strictObject({ status: z.enum(STATUSES) }),
  set_priority: z.strictObject({ priority: z.enum(PRIORITIES) }),
  set_category: z.strictObject({ categoryId: id }),
  set_group: z.strictObject({ groupId: id }),
  set_field: z.strictObject({
    key: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { error: 'must be letters, digits, "_", "." or "-"' }),
    value: z.union([z.string().max(1000), z.number(), z.boolean(), z.null()], {
      error: 'must be a string (≤ 1000 characters), number, boolean or null',
    }),
  }),
  assign_agent: z.strictObject({ userId: id }),
  /** Assign to a member of the group using the group's assignment strategy. */
  assign_group: z.strictObject({ groupId: id }),
  add_tags: z.strictObject({ tags }),
  remove_tags: z.strictObject({ tags }),
  add_note: z.strictObject({
    body: z
      .string()
      .max(10_000)
      .refine((s) => s.trim() !== '', { error: 'must not be blank' }),
  }),
  send_email: z.strictObject({
    template: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9_.-]*$/, { error: 'must be a template name: lower-case letters, digits, "_", "." or "-"' }),
    to: z.union([z.enum(EMAIL_RECIPIENTS), z.strictObject({ address: z.email() })], {
      error: `must be one of ${EMAIL_RECIPIENTS.join(', ')} or { "address": <email> }`,
    }),
  }),
  call_webhook: z.strictObject({ subscriptionId: id }),
  /** Escalate to the given group, or (without groupId) along the SLA policy's escalation path. */
  escalate: z.strictObject({ groupId: id.optional() }),
  close: z.strictObject({}),
} as const;

export type ActionType = keyof typeof ACTION_PARAMS;
export const ACTION_TYPES = Object.keys(ACTION_PARAMS) as [ActionType, ...ActionType[]];

export type ActionParams<T extends ActionType> = z.infer<(typeof ACTION_PARAMS)[T]>;
export type Action = { [T in ActionType]: { type: T; params: ActionParams<T> } }[ActionType];

export function isActionType(value: unknown): value is ActionType {
  return typeof value === 'string' && Object.hasOwn(ACTION_PARAMS, value);
}

const actionOf = <T extends ActionType>(type: T) => z.strictObject({ type: z.literal(type), params: ACTION_PARAMS[type] });

/** Structural schema of one action ({ type, params }). */
export const actionSchema = z.discriminatedUnion('type', [
  actionOf('set_status'),
  actionOf('set_priority'),
  actionOf('set_category'),
  actionOf('set_group'),
  actionOf('set_field'),
  actionOf('assign_agent'),
  actionOf('assign_group'),
  actionOf('add_tags'),
  actionOf('remove_tags'),
  actionOf('add_note'),
  actionOf('send_email'),
  actionOf('call_webhook'),
  actionOf('escalate'),
  actionOf('close'),
]);

// Compile-time check that the union above lists every action type with its params.
type _SameAction = [z.infer<typeof actionSchema>] extends [Action] ? ([Action] extends [z.infer<typeof actionSchema>] ? true : never) : never;
const _actionSchemaIsComplete: _SameAction = true;

// ---------------------------------------------------------------------------------------
// Referenced ids
// ---------------------------------------------------------------------------------------

export type IdReference = { kind: 'group' | 'category' | 'user' | 'organization' | 'webhook_subscription'; id: number; pointer: string } | { kind: 'email_template'; id: string; pointer: string };

type NumericKind = Exclude<IdReference['kind'], 'email_template'>;
/** What an id in a rule can refer to (the rule editor offers pickers by kind). */
export type ReferenceKind = IdReference['kind'];

/** Condition facts whose values are ids of something. */
export const ID_FACTS: Readonly<Partial<Record<string, NumericKind>>> = {
  'ticket.categoryId': 'category',
  'ticket.groupId': 'group',
  'ticket.assigneeId': 'user',
  'requester.organizationId': 'organization',
};
/** Tracked ticket fields (for `previous`) whose values are ids of something. */
export const ID_FIELDS: Readonly<Partial<Record<string, NumericKind>>> = { categoryId: 'category', groupId: 'group', assigneeId: 'user' };

/** Action params that name another record, by action type and param. */
export const ACTION_REFERENCES: { readonly [T in ActionType]?: Readonly<Partial<Record<keyof ActionParams<T>, ReferenceKind>>> } = {
  set_category: { categoryId: 'category' },
  set_group: { groupId: 'group' },
  assign_group: { groupId: 'group' },
  escalate: { groupId: 'group' },
  assign_agent: { userId: 'user' },
  call_webhook: { subscriptionId: 'webhook_subscription' },
  send_email: { template: 'email_template' },
};

/**
 * Every id the rule refers to — in action params (groupId, categoryId, userId, subscriptionId,
 * email template) and in condition values on id facts — with the JSON pointer where it occurs,
 * so the API can check that they exist and answer with pointers. Sorted by pointer.
 */
export function referencedIds(def: RuleDefinition): IdReference[] {
  const refs: IdReference[] = [];
  const add = (kind: NumericKind, value: unknown, path: (string | number)[]) => {
    if (typeof value === 'number') refs.push({ kind, id: value, pointer: toPointer(path) });
  };
  def.actions.forEach((action, i) => {
    const params = action.params as Record<string, unknown>;
    for (const [key, kind] of Object.entries(ACTION_REFERENCES[action.type] ?? {}) as [string, ReferenceKind][]) {
      const path = ['actions', i, 'params', key];
      if (kind === 'email_template') {
        if (typeof params[key] === 'string') refs.push({ kind, id: params[key], pointer: toPointer(path) });
      } else add(kind, params[key], path);
    }
  });
  const visit = (condition: Condition, path: (string | number)[]) => {
    if ('all' in condition) condition.all.forEach((c, i) => visit(c, [...path, 'all', i]));
    else if ('any' in condition) condition.any.forEach((c, i) => visit(c, [...path, 'any', i]));
    else if ('not' in condition) visit(condition.not, [...path, 'not']);
    else {
      const field = condition.fact === 'previous' ? condition.params?.field : undefined;
      const kind = ID_FACTS[condition.fact] ?? (typeof field === 'string' ? ID_FIELDS[field] : undefined);
      if (kind === undefined) return;
      const valuePath = [...path, 'value'];
      if (Array.isArray(condition.value)) condition.value.forEach((v, i) => add(kind, v, [...valuePath, i]));
      else add(kind, condition.value, valuePath);
    }
  };
  visit(def.conditions, ['conditions']);
  return refs.sort((a, b) => comparePointers(a.pointer, b.pointer));
}
