import { defineEntity, p } from '@mikro-orm/core';
import type { Priority, TicketStatus } from '../domain';
import { Ticket, User } from './entities';

// What the agent console needs beyond tickets: macros (T7) and who is on a ticket now (T9).

/** Field changes a macro (or a bulk action) applies through the ticket's workflow. */
export interface TicketFieldChanges {
  status?: TicketStatus;
  priority?: Priority;
  assigneeId?: number | null;
  groupId?: number | null;
  addTags?: string[];
  removeTags?: string[];
}

const now = () => new Date();

export const Macro = defineEntity({
  name: 'Macro',
  tableName: 'macros',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200).unique(),
    /** Sanitised HTML of the reply or note it adds; null when it only changes fields. */
    bodyHtml: p.text().nullable(),
    /** The text adds an internal note rather than a public reply. */
    internal: p.boolean().default(false),
    changes: p.json<TicketFieldChanges>().defaultRaw(`'{}'`),
    createdById: () => p.manyToOne(User).mapToPk().nullable().fieldName('created_by_id').deleteRule('set null'),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

/**
 * One row per (ticket, staff user) currently viewing or typing; rows expire by `expiresAt`
 * (clients re-post every few seconds), so a closed tab disappears without a "left".
 */
export const TicketPresence = defineEntity({
  name: 'TicketPresence',
  tableName: 'ticket_presence',
  indexes: [{ properties: ['expiresAt'] }],
  properties: {
    ticketId: () => p.manyToOne(Ticket).primary().mapToPk().fieldName('ticket_id').deleteRule('cascade'),
    userId: () => p.manyToOne(User).primary().mapToPk().fieldName('user_id').deleteRule('cascade'),
    state: p.enum(['viewing', 'typing'] as const),
    expiresAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export const consoleEntities = [Macro, TicketPresence];
