import { defineEntity, p } from '@mikro-orm/core';
import { Group, Ticket, User } from './entities';

// Satisfaction surveys (CSAT): one row per resolution of a ticket that was asked about it,
// written by the worker when the survey goes out and updated by the customer's rating
// (core/src/services/surveys.ts holds every statement on the table).

export const SURVEY_SCALES = ['binary', 'five'] as const;

export const TicketSurvey = defineEntity({
  name: 'TicketSurvey',
  tableName: 'ticket_surveys',
  uniques: [{ properties: ['ticketId', 'resolvedAt'] }],
  indexes: [{ properties: ['ratedAt'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    ticketId: () => p.manyToOne(Ticket).mapToPk().fieldName('ticket_id').deleteRule('cascade'),
    /** The resolution asked about (the ticket's resolved_at then): a reopen ends it. */
    resolvedAt: p.datetime(),
    requesterId: () => p.manyToOne(User).mapToPk().fieldName('requester_id'),
    /** Who resolved it, as the ticket stood when the survey went out (CSAT per agent and group). */
    agentId: () => p.manyToOne(User).mapToPk().nullable().fieldName('agent_id').deleteRule('set null'),
    groupId: () => p.manyToOne(Group).mapToPk().nullable().fieldName('group_id').deleteRule('set null'),
    scale: p.enum(SURVEY_SCALES),
    /** binary: 1 good, 0 bad; five: 1..5; null until rated. */
    score: p.smallint().nullable(),
    comment: p.text().nullable(),
    sentAt: p.datetime(),
    ratedAt: p.datetime().nullable(),
    updatedAt: p.datetime().nullable(),
  },
});

export const surveyEntities = [TicketSurvey];
