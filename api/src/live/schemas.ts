import { z } from 'zod';
import { MESSAGE_KINDS, NOTIFICATION_EVENTS, PRIORITIES, SLA_STATES, SOURCES, STATUSES } from '@mehrdesk/core/domain';
import { PRESENCE_STATES, type LiveEvent } from '@mehrdesk/core/live-events';

// The documented shape of every live event (the `data:` line of an SSE frame, whose `event:`
// line repeats `type`). core/src/live-events.ts holds the TypeScript type writers publish;
// the `satisfies` checks below keep both in step.

const id = z.number().int();
const at = z.string().describe('When the change was announced (ISO 8601)');
const Scope = z
  .object({ requesterId: id, groupId: id.nullable(), assigneeId: id.nullable() })
  .describe('Who the ticket belongs to now (what decides who receives the event)')
  .meta({ id: 'LiveTicketScope' });
const Actor = z.object({ type: z.enum(['user', 'system', 'workflow', 'rule']), id: id.nullable(), ruleId: id.optional() }).meta({ id: 'LiveActor' });

const TicketCreated = z
  .object({ type: z.literal('ticket.created'), ticketId: id, number: z.string(), status: z.enum(STATUSES), priority: z.enum(PRIORITIES), scope: Scope, actor: Actor, at })
  .meta({ id: 'LiveTicketCreated', description: 'A ticket was created (portal, web, API or e-mail)' });

const TicketUpdated = z
  .object({
    type: z.literal('ticket.updated'),
    ticketId: id,
    version: id.describe('The ticket version after the change (send it as `version` to update)'),
    fields: z.array(z.string()).describe('Changed fields by their Ticket names (plus deletedAt, customFields); empty when only the SLA moved'),
    values: z.record(z.string(), z.unknown()).describe('New value per changed field; customFields lists the changed keys'),
    truncated: z.literal(true).optional().describe('values were left out to keep the event small: refetch the ticket'),
    scope: Scope,
    previousScope: Scope.optional().describe('Before this change, when the group or assignee changed'),
    actor: Actor,
    at,
  })
  .meta({ id: 'LiveTicketUpdated', description: 'Ticket fields changed (status, priority, assignee, group, tags, …) or it was deleted' });

const MessageAdded = z
  .object({ type: z.literal('message.added'), ticketId: id, messageId: id, kind: z.enum(MESSAGE_KINDS), channel: z.enum(SOURCES), authorId: id.nullable(), scope: Scope, at })
  .meta({ id: 'LiveMessageAdded', description: 'A reply or internal note was added (fetch it from /tickets/{id}/messages); customers never get internal ones' });

const SlaChanged = z
  .object({ type: z.literal('sla.changed'), ticketId: id, state: z.enum(SLA_STATES), firstResponseDueAt: z.string().nullable(), resolutionDueAt: z.string().nullable(), scope: Scope, at })
  .meta({ id: 'LiveSlaChanged', description: 'The SLA state or a deadline moved (staff only)' });

const Notification = z
  .object({ type: z.literal('notification'), userId: id, id, ticketId: id, event: z.enum(NOTIFICATION_EVENTS) })
  .meta({ id: 'LiveNotification', description: 'A new entry in your notification centre (only ever sent to its user)' });

const Presence = z
  .object({
    type: z.literal('presence'),
    ticketId: id,
    userId: id,
    name: z.string(),
    state: z.enum(PRESENCE_STATES),
    expiresAt: z.string().nullable().describe('Drop the entry after this instant unless a newer event extends it; null for left'),
    scope: Scope,
    at,
  })
  .meta({ id: 'LivePresence', description: 'Someone views, types on or left a ticket (staff only)' });

export const LiveEventDto = z.discriminatedUnion('type', [TicketCreated, TicketUpdated, MessageAdded, SlaChanged, Notification, Presence]).meta({ id: 'LiveEvent' });

// Compile-time check: every documented event is a LiveEvent writers can publish, and back.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _inStep: Same<z.infer<typeof LiveEventDto>['type'], LiveEvent['type']> = true;
void _inStep;

export const LiveStreamHeaders = z.object({
  'last-event-id': z.string().min(1).max(100).optional().describe('Sent by a reconnecting client: the stream starts with a `resync` event'),
});
