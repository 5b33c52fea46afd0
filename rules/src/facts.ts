/**
 * The fact catalogue: every value a condition can test, its type (which decides the allowed
 * operators, see ./operators), its params, the triggers it exists for, and how it is read from a
 * {@link RuleContext}. Resolvers are pure functions of the context: the current time is
 * `context.now`, never the host clock.
 */
import {
  businessMsBetween,
  isOpenAt,
  PRIORITIES,
  ROLES,
  SLA_CLOCKS,
  SLA_STATES,
  SOURCES,
  STATUSES,
  type CalendarSpec,
  type Priority,
  type Role,
  type SlaClockName,
  type SlaState,
  type TicketSource,
  type TicketStatus,
} from '@mehrdesk/core/domain';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { FactType } from './operators';
import { SLA_TRIGGERS, TRIGGERS, type Trigger } from './triggers';

// ---------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------

/** The ticket as rules see it. Times are epoch milliseconds; null = never happened. */
export interface TicketSnapshot {
  status: TicketStatus;
  priority: Priority;
  source: TicketSource;
  subject: string;
  categoryId: number | null;
  groupId: number | null;
  assigneeId: number | null;
  tags: string[];
  customFields: Record<string, unknown>;
  slaState: SlaState;
  createdAt: number;
  updatedAt: number;
  statusChangedAt: number | null;
  lastCustomerReplyAt: number | null;
  lastAgentReplyAt: number | null;
  resolvedAt: number | null;
}

export interface RuleContext {
  /** What happened and when (epoch ms). */
  event: { type: Trigger; at: number };
  /** The evaluation instant (epoch ms): the only clock rules ever read. */
  now: number;
  ticket: TicketSnapshot;
  /** The ticket before the change (ticket.updated); absent otherwise. */
  previous?: TicketSnapshot;
  requester: { email: string; name: string; organizationId: number | null; role: Role };
  /** The message that arrived (message.received only). */
  message?: { text: string; channel: TicketSource; senderRole: Role; isInternal: boolean };
  /** The SLA clock that fired (sla.warning / sla.breached only). */
  sla?: { clock: SlaClockName };
  /** The satisfaction rating that arrived (survey.received only). */
  survey?: { rating: SurveyRatingText; positive: boolean; comment: string };
  /** Business hours for time.* facts, hoursSince{business} and inBusinessHours. */
  calendar: CalendarSpec;
}

// ---------------------------------------------------------------------------------------
// Fact definitions
// ---------------------------------------------------------------------------------------

export interface FactDefinition {
  readonly description: string;
  /** Strict zod object for the condition's `params`; absent = the fact takes no params. */
  readonly params?: z.ZodType<Record<string, unknown>>;
  /** Triggers whose rules may use the fact; absent = all. */
  readonly triggers?: readonly Trigger[];
  /** The value type, given params that passed `params`. */
  type(params: Record<string, unknown>): FactType;
  /** The value, given params that passed `params`. */
  resolve(ctx: RuleContext, params: Record<string, unknown>): unknown;
}

interface FactSpec<P> {
  description: string;
  params?: z.ZodType<P>;
  triggers?: readonly Trigger[];
  type: FactType | ((params: P) => FactType);
  resolve(ctx: RuleContext, params: P): unknown;
}

/** Erases the params type: callers only pass params that `spec.params` accepted. */
function fact<P extends Record<string, unknown> = Record<string, never>>(spec: FactSpec<P>): FactDefinition {
  const { type, resolve } = spec;
  return {
    description: spec.description,
    ...(spec.params === undefined ? {} : { params: spec.params }),
    ...(spec.triggers === undefined ? {} : { triggers: spec.triggers }),
    type: typeof type === 'function' ? (params) => type(params as P) : () => type,
    resolve: (ctx, params) => resolve(ctx, params as P),
  };
}

const enumType = (values: readonly string[]): FactType => ({ kind: 'enum', values });

/** A survey rating as rules see it: good / bad (two-point scale) or 1 … 5 (five-point scale). */
export const SURVEY_RATINGS = ['good', 'bad', '1', '2', '3', '4', '5'] as const;
export type SurveyRatingText = (typeof SURVEY_RATINGS)[number];
const SURVEY_TRIGGERS = ['survey.received'] as const satisfies readonly Trigger[];

/** Ticket fields that `changed` / `previous` can name, with their types. */
export const TRACKED_FIELDS = {
  status: enumType(STATUSES),
  priority: enumType(PRIORITIES),
  source: enumType(SOURCES),
  subject: { kind: 'text' },
  categoryId: { kind: 'id|null' },
  groupId: { kind: 'id|null' },
  assigneeId: { kind: 'id|null' },
  tags: { kind: 'string[]' },
  slaState: enumType(SLA_STATES),
} as const satisfies Record<string, FactType> & { [K in keyof TicketSnapshot]?: FactType };
export type TrackedField = keyof typeof TRACKED_FIELDS;
const TRACKED_FIELD_NAMES = Object.keys(TRACKED_FIELDS) as [TrackedField, ...TrackedField[]];

/** `hoursSince` events and the ticket timestamp each one reads. */
export const HOURS_SINCE_EVENTS = {
  created: 'createdAt',
  updated: 'updatedAt',
  status_changed: 'statusChangedAt',
  last_customer_reply: 'lastCustomerReplyAt',
  last_agent_reply: 'lastAgentReplyAt',
  resolved: 'resolvedAt',
} as const satisfies Record<string, keyof TicketSnapshot>;
export type HoursSinceEvent = keyof typeof HOURS_SINCE_EVENTS;

const HOUR_MS = 3_600_000;

const fieldParams = z.strictObject({ field: z.enum(TRACKED_FIELD_NAMES) });
const customFieldParams = z.strictObject({ key: z.string().min(1).max(64) });
const hoursSinceParams = z.strictObject({
  event: z.enum(Object.keys(HOURS_SINCE_EVENTS) as [HoursSinceEvent, ...HoursSinceEvent[]]),
  business: z.boolean().optional(),
});

/** Tags compare as sets; everything else with ===. */
function sameFieldValue(field: TrackedField, a: unknown, b: unknown): boolean {
  if (field !== 'tags') return a === b;
  const x = new Set(a as string[]);
  const y = new Set(b as string[]);
  return x.size === y.size && [...x].every((t) => y.has(t));
}

/** `now` as wall-clock time in the calendar's zone. */
function localNow(ctx: RuleContext): DateTime {
  const local = DateTime.fromMillis(ctx.now, { zone: ctx.calendar.timeZone });
  if (!local.isValid) throw new Error(`calendar time zone ${JSON.stringify(ctx.calendar.timeZone)} is not valid`);
  return local;
}

export const FACTS = {
  // ticket -------------------------------------------------------------------------------
  'ticket.status': fact({ description: 'Ticket status', type: enumType(STATUSES), resolve: (c) => c.ticket.status }),
  'ticket.priority': fact({ description: 'Ticket priority', type: enumType(PRIORITIES), resolve: (c) => c.ticket.priority }),
  'ticket.source': fact({ description: 'Channel the ticket came from', type: enumType(SOURCES), resolve: (c) => c.ticket.source }),
  'ticket.subject': fact({ description: 'Ticket subject', type: { kind: 'text' }, resolve: (c) => c.ticket.subject }),
  'ticket.categoryId': fact({ description: 'Category id', type: { kind: 'id|null' }, resolve: (c) => c.ticket.categoryId }),
  'ticket.groupId': fact({ description: 'Group id', type: { kind: 'id|null' }, resolve: (c) => c.ticket.groupId }),
  'ticket.assigneeId': fact({ description: 'Assigned agent id', type: { kind: 'id|null' }, resolve: (c) => c.ticket.assigneeId }),
  'ticket.tags': fact({ description: 'Ticket tags', type: { kind: 'string[]' }, resolve: (c) => c.ticket.tags }),
  'ticket.customField': fact({
    description: 'A custom field (params.key); compared as string, number or boolean depending on the operand',
    params: customFieldParams,
    type: { kind: 'unknown' },
    // Own properties only: a key like "constructor" must not reach Object.prototype.
    resolve: (c, p) => (Object.hasOwn(c.ticket.customFields, p.key) ? c.ticket.customFields[p.key] : undefined),
  }),
  'ticket.slaState': fact({ description: 'SLA state', type: enumType(SLA_STATES), resolve: (c) => c.ticket.slaState }),
  'ticket.createdAt': fact({ description: 'Creation time (epoch ms)', type: { kind: 'datetime' }, resolve: (c) => c.ticket.createdAt }),

  // requester ----------------------------------------------------------------------------
  'requester.email': fact({ description: 'Requester email', type: { kind: 'string' }, resolve: (c) => c.requester.email }),
  'requester.name': fact({ description: 'Requester name', type: { kind: 'string' }, resolve: (c) => c.requester.name }),
  'requester.organizationId': fact({
    description: 'Requester organization id',
    type: { kind: 'id|null' },
    resolve: (c) => c.requester.organizationId,
  }),
  'requester.role': fact({ description: 'Requester role', type: enumType(ROLES), resolve: (c) => c.requester.role }),

  // message (message.received only) ------------------------------------------------------
  'message.text': fact({
    description: 'Text of the received message',
    type: { kind: 'text' },
    triggers: ['message.received'],
    resolve: (c) => c.message?.text,
  }),
  'message.channel': fact({
    description: 'Channel of the received message',
    type: enumType(SOURCES),
    triggers: ['message.received'],
    resolve: (c) => c.message?.channel,
  }),
  'message.senderRole': fact({
    description: 'Role of the message author',
    type: enumType(ROLES),
    triggers: ['message.received'],
    resolve: (c) => c.message?.senderRole,
  }),
  'message.isInternal': fact({
    description: 'Whether the message is an internal note',
    type: { kind: 'boolean' },
    triggers: ['message.received'],
    resolve: (c) => c.message?.isInternal,
  }),

  // event --------------------------------------------------------------------------------
  'event.type': fact({ description: 'The trigger being evaluated', type: enumType(TRIGGERS), resolve: (c) => c.event.type }),
  'sla.clock': fact({
    description: 'The SLA clock that warned/breached',
    type: enumType(SLA_CLOCKS),
    triggers: SLA_TRIGGERS,
    resolve: (c) => c.sla?.clock,
  }),

  // survey (survey.received only) -------------------------------------------------------
  'survey.rating': fact({
    description: 'The rating given: good / bad, or 1 … 5 on the five-point scale',
    type: enumType(SURVEY_RATINGS),
    triggers: SURVEY_TRIGGERS,
    resolve: (c) => c.survey?.rating,
  }),
  'survey.positive': fact({
    description: 'Whether the customer was satisfied (good, or 4–5 of five)',
    type: { kind: 'boolean' },
    triggers: SURVEY_TRIGGERS,
    resolve: (c) => c.survey?.positive,
  }),
  'survey.comment': fact({
    description: 'The comment left with the rating (empty when none)',
    type: { kind: 'text' },
    triggers: SURVEY_TRIGGERS,
    resolve: (c) => c.survey?.comment,
  }),

  // time (context.now in the calendar's zone) ---------------------------------------------
  'time.insideBusinessHours': fact({
    description: 'Whether now is inside business hours',
    type: { kind: 'boolean' },
    resolve: (c) => isOpenAt(c.calendar, c.now),
  }),
  'time.weekday': fact({
    description: 'ISO weekday of now in the calendar zone (1 = Monday … 7 = Sunday)',
    type: { kind: 'number' },
    resolve: (c) => localNow(c).weekday,
  }),
  'time.hourOfDay': fact({
    description: 'Hour of now in the calendar zone (0 … 23)',
    type: { kind: 'number' },
    resolve: (c) => localNow(c).hour,
  }),

  // derived ------------------------------------------------------------------------------
  changed: fact({
    description: 'Whether params.field differs between the previous and the current ticket (false without a previous snapshot)',
    params: fieldParams,
    type: { kind: 'boolean' },
    resolve: (c, p) => c.previous !== undefined && !sameFieldValue(p.field, c.previous[p.field], c.ticket[p.field]),
  }),
  previous: fact({
    description: 'The value of params.field before the change (undefined without a previous snapshot)',
    params: fieldParams,
    type: (p) => TRACKED_FIELDS[p.field],
    resolve: (c, p) => c.previous?.[p.field],
  }),
  hoursSince: fact({
    description: 'Hours (fractional) from a ticket timestamp to now; business hours only with params.business; null when the timestamp is absent; 0 for future timestamps',
    params: hoursSinceParams,
    type: { kind: 'number' },
    resolve: (c, p) => {
      const from = c.ticket[HOURS_SINCE_EVENTS[p.event]];
      if (from === null) return null;
      const ms = p.business === true ? businessMsBetween(c.calendar, from, c.now) : Math.max(0, c.now - from);
      return ms / HOUR_MS;
    },
  }),
} satisfies Record<string, FactDefinition>;

export type FactName = keyof typeof FACTS;
export const FACT_NAMES = Object.keys(FACTS) as [FactName, ...FactName[]];

export function isFactName(value: unknown): value is FactName {
  return typeof value === 'string' && Object.hasOwn(FACTS, value);
}

/** The definition of a fact, typed as the erased interface. */
export function factDefinition(name: FactName): FactDefinition {
  return FACTS[name];
}

/** Whether a rule with `trigger` may use the fact. */
export function factAvailableFor(name: FactName, trigger: Trigger): boolean {
  const triggers = factDefinition(name).triggers;
  return triggers === undefined || triggers.includes(trigger);
}

/**
 * Resolves one fact (params must have passed the fact's params schema; absent = none).
 * Reading a fact never changes the context.
 */
export function resolveFact(name: FactName, ctx: RuleContext, params: Record<string, unknown> = {}): unknown {
  return factDefinition(name).resolve(ctx, params);
}
