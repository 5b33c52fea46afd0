import { defineEntity, p } from '@mikro-orm/core';

// Work that retrying cannot fix (an encoding or constraint error, an invalid recipient, a
// ticket that no longer exists): the workflow records it here and on the ticket's timeline
// instead of retrying forever, so the ticket stays workable and ops can see and alert on it.

const now = () => new Date();

export const ActivityFailure = defineEntity({
  name: 'ActivityFailure',
  tableName: 'activity_failures',
  indexes: [{ properties: ['createdAt'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    /** No foreign key: the failure may be that the ticket is gone. */
    ticketId: p.integer().nullable().index(),
    workflowId: p.string().length(200),
    activity: p.string().length(100),
    /** ApplicationFailure type, e.g. `InvalidRecipient`, `UnstorableData`, `TicketRowMissing`. */
    errorType: p.string().length(100),
    message: p.text(),
    idempotencyKey: p.string().length(200).unique(),
    createdAt: p.datetime().onCreate(now),
    acknowledgedAt: p.datetime().nullable(),
    acknowledgedBy: p.integer().nullable(),
  },
});

export const opsEntities = [ActivityFailure];
