import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ASSIGNMENT_STRATEGIES, LOCALES, MESSAGE_KINDS, MESSAGE_REVIEW_STATUSES, PRIORITIES, ROLES, SLA_CLOCKS, SLA_STATES, SOURCES, STATUSES } from '../domain/enums';
import type { EscalationStep, Priority, SlaTargets, WeeklyShift } from '../domain';

// Foreign keys are mapped to their primary keys (`mapToPk`): the API and activities work with
// ids and load what they need explicitly, which keeps queries predictable on hot paths.
const now = () => new Date();

export const Organization = defineEntity({
  name: 'Organization',
  tableName: 'organizations',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200).unique(),
    slaPolicyId: () => p.manyToOne(SlaPolicy).mapToPk().nullable().fieldName('sla_policy_id'),
    createdAt: p.datetime().onCreate(now),
  },
});

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.integer().primary().autoincrement(),
    email: p.string().length(254).unique(),
    name: p.string().length(200),
    passwordHash: p.string().length(255).nullable().hidden(),
    role: p.enum(ROLES),
    locale: p.enum(LOCALES).default('en'),
    active: p.boolean().default(true),
    /** Agent availability for auto-assignment (away/offline agents get nothing new). */
    available: p.boolean().default(true),
    /** Maximum open tickets auto-assignment may give this agent; null = unlimited. */
    capacity: p.integer().nullable(),
    organizationId: () => p.manyToOne(Organization).mapToPk().nullable().fieldName('organization_id'),
    createdAt: p.datetime().onCreate(now),
  },
});

export const AuthToken = defineEntity({
  name: 'AuthToken',
  tableName: 'auth_tokens',
  properties: {
    id: p.integer().primary().autoincrement(),
    userId: () => p.manyToOne(User).mapToPk().fieldName('user_id').deleteRule('cascade'),
    tokenHash: p.string().length(64).unique(),
    createdAt: p.datetime().onCreate(now),
    expiresAt: p.datetime(),
  },
});

export const BusinessCalendar = defineEntity({
  name: 'BusinessCalendar',
  tableName: 'business_calendars',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200).unique(),
    timeZone: p.string().length(64),
    alwaysOpen: p.boolean().default(false),
    shifts: p.json<WeeklyShift[]>(),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export const Holiday = defineEntity({
  name: 'Holiday',
  tableName: 'holidays',
  properties: {
    id: p.integer().primary().autoincrement(),
    calendarId: () => p.manyToOne(BusinessCalendar).mapToPk().fieldName('calendar_id').deleteRule('cascade'),
    date: p.string().length(10),
    name: p.string().length(200).nullable(),
    recurringYearly: p.boolean().default(false),
  },
});

export const SlaPolicy = defineEntity({
  name: 'SlaPolicy',
  tableName: 'sla_policies',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200).unique(),
    isDefault: p.boolean().default(false),
    targets: p.json<Record<Priority, SlaTargets>>(),
    warningFraction: p.double().default(0.8),
    escalation: p.json<EscalationStep[]>(),
    autoCloseAfterSeconds: p.integer().nullable(),
    /** Pending reminders (business seconds since entering pending; domain/sla.ts PendingReminders). */
    remindAfterSeconds: p.integer().nullable(),
    remindAgainAfterSeconds: p.integer().nullable(),
    autoResolveAfterSeconds: p.integer().nullable(),
    calendarId: () => p.manyToOne(BusinessCalendar).mapToPk().fieldName('calendar_id'),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export const Group = defineEntity({
  name: 'Group',
  tableName: 'groups',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200).unique(),
    strategy: p.enum(ASSIGNMENT_STRATEGIES).default('round_robin'),
    supervisorId: () => p.manyToOne(User).mapToPk().nullable().fieldName('supervisor_id'),
    escalationGroupId: () => p.manyToOne(Group).mapToPk().nullable().fieldName('escalation_group_id'),
    slaPolicyId: () => p.manyToOne(SlaPolicy).mapToPk().nullable().fieldName('sla_policy_id'),
    /** Round-robin cursor: increments atomically, so replicas agree without in-memory state. */
    rrCursor: p.integer().default(0),
    createdAt: p.datetime().onCreate(now),
  },
});

export const GroupMember = defineEntity({
  name: 'GroupMember',
  tableName: 'group_members',
  properties: {
    groupId: () => p.manyToOne(Group).mapToPk().primary().fieldName('group_id').deleteRule('cascade'),
    userId: () => p.manyToOne(User).mapToPk().primary().fieldName('user_id').deleteRule('cascade'),
  },
});

export const Category = defineEntity({
  name: 'Category',
  tableName: 'categories',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200).unique(),
    defaultGroupId: () => p.manyToOne(Group).mapToPk().nullable().fieldName('default_group_id'),
    slaPolicyId: () => p.manyToOne(SlaPolicy).mapToPk().nullable().fieldName('sla_policy_id'),
  },
});

export const Tag = defineEntity({
  name: 'Tag',
  tableName: 'tags',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(64).unique(),
    /** Display colour in the console (`#rrggbb`); null = the default chip colour. */
    colour: p.string().length(7).nullable(),
  },
});

export const Ticket = defineEntity({
  name: 'Ticket',
  tableName: 'tickets',
  properties: {
    id: p.integer().primary().autoincrement(),
    number: p.string().length(32).unique(),
    subject: p.string().length(300),
    bodyHtml: p.text(),
    requesterId: () => p.manyToOne(User).mapToPk().fieldName('requester_id').index(),
    organizationId: () => p.manyToOne(Organization).mapToPk().nullable().fieldName('organization_id'),
    source: p.enum(SOURCES),
    categoryId: () => p.manyToOne(Category).mapToPk().nullable().fieldName('category_id'),
    priority: p.enum(PRIORITIES).index(),
    status: p.enum(STATUSES).index(),
    groupId: () => p.manyToOne(Group).mapToPk().nullable().fieldName('group_id').index(),
    assigneeId: () => p.manyToOne(User).mapToPk().nullable().fieldName('assignee_id').index(),
    slaPolicyId: () => p.manyToOne(SlaPolicy).mapToPk().nullable().fieldName('sla_policy_id'),
    slaState: p.enum(SLA_STATES).default('ok').index(),
    firstResponseDueAt: p.datetime().nullable(),
    resolutionDueAt: p.datetime().nullable(),
    tags: p.array().defaultRaw(`'{}'`),
    customFields: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    createdAt: p.datetime().onCreate(now).index(),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
    firstRespondedAt: p.datetime().nullable(),
    resolvedAt: p.datetime().nullable(),
    closedAt: p.datetime().nullable(),
    deletedAt: p.datetime().nullable(),
    /** Set once the lifecycle workflow is known to run; a reconciler starts any left unset. */
    workflowStartedAt: p.datetime().nullable(),
    version: p.integer().version(),
  },
});

export const Message = defineEntity({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: p.integer().primary().autoincrement(),
    ticketId: () => p.manyToOne(Ticket).mapToPk().fieldName('ticket_id').index(),
    authorId: () => p.manyToOne(User).mapToPk().nullable().fieldName('author_id'),
    kind: p.enum(MESSAGE_KINDS),
    channel: p.enum(SOURCES),
    bodyHtml: p.text(),
    bodyText: p.text(),
    emailMessageId: p.string().length(998).nullable(),
    inReplyTo: p.string().length(998).nullable(),
    references: p.json<string[]>().defaultRaw(`'[]'`),
    idempotencyKey: p.string().length(200).unique(),
    createdAt: p.datetime().onCreate(now),
    /**
     * Inbound mail from someone not on the ticket is kept as an internal note, `held` until
     * staff publish it (a public reply by `heldFrom`) or dismiss it; null for every other message.
     */
    reviewStatus: p.enum(MESSAGE_REVIEW_STATUSES).nullable(),
    heldFrom: p.string().length(254).nullable(),
  },
});

export const TimelineEvent = defineEntity({
  name: 'TimelineEvent',
  tableName: 'timeline_events',
  properties: {
    id: p.integer().primary().autoincrement(),
    ticketId: () => p.manyToOne(Ticket).mapToPk().fieldName('ticket_id').index(),
    type: p.string().length(64),
    actorType: p.enum(['user', 'system', 'workflow', 'rule'] as const),
    actorId: () => p.manyToOne(User).mapToPk().nullable().fieldName('actor_id'),
    field: p.string().length(64).nullable(),
    oldValue: p.json<unknown>().nullable(),
    newValue: p.json<unknown>().nullable(),
    meta: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    idempotencyKey: p.string().length(200).unique(),
    createdAt: p.datetime().onCreate(now),
  },
});

export const SlaEvent = defineEntity({
  name: 'SlaEvent',
  tableName: 'sla_events',
  properties: {
    id: p.integer().primary().autoincrement(),
    ticketId: () => p.manyToOne(Ticket).mapToPk().fieldName('ticket_id').index(),
    clock: p.enum(SLA_CLOCKS),
    type: p.enum(['warning', 'breach', 'met', 'paused', 'resumed'] as const),
    targetAt: p.datetime().nullable(),
    actualAt: p.datetime(),
    met: p.boolean().nullable(),
    idempotencyKey: p.string().length(200).unique(),
    createdAt: p.datetime().onCreate(now),
  },
});

export const EmailLog = defineEntity({
  name: 'EmailLog',
  tableName: 'email_log',
  properties: {
    id: p.integer().primary().autoincrement(),
    idempotencyKey: p.string().length(200).unique(),
    ticketId: () => p.manyToOne(Ticket).mapToPk().nullable().fieldName('ticket_id').index(),
    template: p.string().length(64),
    toAddress: p.string().length(254),
    subject: p.string().length(998),
    messageId: p.string().length(998),
    /** `unconfirmed`: handed to SMTP, then the process died before the outcome was known. */
    status: p.enum(['sending', 'sent', 'failed', 'unconfirmed'] as const),
    attempts: p.integer().default(0),
    /** Set just before the SMTP hand-off: a retry after it, with no error, must not resend. */
    handedOffAt: p.datetime().nullable(),
    lastError: p.text().nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
});

export const IdempotencyKey = defineEntity({
  name: 'IdempotencyKey',
  tableName: 'idempotency_keys',
  uniques: [{ properties: ['userId', 'key'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    userId: () => p.manyToOne(User).mapToPk().fieldName('user_id').deleteRule('cascade'),
    key: p.string().length(200),
    requestHash: p.string().length(64),
    ticketId: () => p.manyToOne(Ticket).mapToPk().fieldName('ticket_id'),
    createdAt: p.datetime().onCreate(now),
  },
});

export const TicketCounter = defineEntity({
  name: 'TicketCounter',
  tableName: 'ticket_counters',
  properties: {
    year: p.integer().primary().autoincrement(false),
    last: p.integer(),
  },
});

export const coreEntities = [
  Organization,
  User,
  AuthToken,
  BusinessCalendar,
  Holiday,
  SlaPolicy,
  Group,
  GroupMember,
  Category,
  Tag,
  Ticket,
  Message,
  TimelineEvent,
  SlaEvent,
  EmailLog,
  IdempotencyKey,
  TicketCounter,
];

export type IUser = InferEntity<typeof User>;
export type ITicket = InferEntity<typeof Ticket>;
export type IGroup = InferEntity<typeof Group>;
export type ISlaPolicy = InferEntity<typeof SlaPolicy>;
export type IBusinessCalendar = InferEntity<typeof BusinessCalendar>;
export type IMessage = InferEntity<typeof Message>;
export type ITimelineEvent = InferEntity<typeof TimelineEvent>;
