import { RULE_TRIGGERS } from '../domain/enums';
import { defineEntity, p } from '@mikro-orm/core';
import { Ticket, User } from './entities';

// Automation rules (R1-R4): a rule row holds ordering, enablement and counters; every save is a
// new immutable version; every evaluation is logged; schedule marks make time-based rules act
// at most once per ticket and condition window.

const now = () => new Date();
export { RULE_TRIGGERS };

export const Rule = defineEntity({
  name: 'Rule',
  tableName: 'rules',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200),
    description: p.text().nullable(),
    trigger: p.enum(RULE_TRIGGERS).index(),
    /** Evaluation order (ascending); gaps allowed so a reorder rewrites only what moved. */
    position: p.integer(),
    enabled: p.boolean().default(true),
    currentVersion: p.integer(),
    scheduleEveryMinutes: p.integer().nullable(),
    runs: p.integer().default(0),
    matches: p.integer().default(0),
    lastMatchedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
    deletedAt: p.datetime().nullable(),
  },
});

export const RuleVersion = defineEntity({
  name: 'RuleVersion',
  tableName: 'rule_versions',
  uniques: [{ properties: ['ruleId', 'version'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    ruleId: () => p.manyToOne(Rule).mapToPk().fieldName('rule_id').deleteRule('cascade'),
    version: p.integer(),
    name: p.string().length(200),
    definition: p.json<Record<string, unknown>>(),
    authorId: () => p.manyToOne(User).mapToPk().nullable().fieldName('author_id'),
    comment: p.string().length(500).nullable(),
    /** Set when this version was created by restoring an older one. */
    restoredFrom: p.integer().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
});

export const RuleExecution = defineEntity({
  name: 'RuleExecution',
  tableName: 'rule_executions',
  indexes: [{ properties: ['ruleId', 'createdAt'] }, { properties: ['ticketId', 'createdAt'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    ruleId: () => p.manyToOne(Rule).mapToPk().fieldName('rule_id').deleteRule('cascade'),
    ruleVersion: p.integer(),
    ticketId: () => p.manyToOne(Ticket).mapToPk().nullable().fieldName('ticket_id').deleteRule('cascade'),
    eventType: p.string().length(64),
    /** The workflow event chain this evaluation belongs to (loop protection, grouping in the log). */
    chainKey: p.string().length(200),
    chainDepth: p.integer().default(0),
    matched: p.boolean(),
    conditions: p.json<unknown[]>(),
    actions: p.json<unknown[]>(),
    durationMs: p.double(),
    error: p.text().nullable(),
    /** Unique per (evaluation, rule): a retried activity logs once. */
    idempotencyKey: p.string().length(250).unique(),
    createdAt: p.datetime().onCreate(now),
  },
});

export const RuleMark = defineEntity({
  name: 'RuleMark',
  tableName: 'rule_marks',
  uniques: [{ properties: ['ruleId', 'ticketId', 'windowKey'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    ruleId: () => p.manyToOne(Rule).mapToPk().fieldName('rule_id').deleteRule('cascade'),
    ticketId: () => p.manyToOne(Ticket).mapToPk().fieldName('ticket_id').deleteRule('cascade'),
    windowKey: p.string().length(200),
    createdAt: p.datetime().onCreate(now),
  },
});

/** One row: bumped on every rule change so workers can cache compiled rule sets by version. */
export const RuleSetState = defineEntity({
  name: 'RuleSetState',
  tableName: 'rule_set_state',
  properties: {
    id: p.integer().primary().autoincrement(false),
    version: p.integer(),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export const automationEntities = [Rule, RuleVersion, RuleExecution, RuleMark, RuleSetState];
