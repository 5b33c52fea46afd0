import type { EntityManager } from '@mikro-orm/postgresql';
import type { MessageKind, NotificationEvent, Priority, SlaState, TicketSource, TicketStatus } from './domain';

// Live events (T9): writers announce committed changes with pg_notify on one channel, inside
// the transaction that makes the change, so an event exists only if the change committed; every
// API process LISTENs once and fans the events out to its SSE clients (api/src/live).
// Payloads are compact (ids, field names, new values; never message bodies) to stay far below
// PostgreSQL's 8000-byte NOTIFY limit, and carry the ticket's scope so the API can decide who
// may see an event without a query per event and client.

export const LIVE_EVENTS_CHANNEL = 'mehrdesk_events';

/** Who a ticket belongs to: exactly what canSeeTicket needs. */
export interface LiveTicketScope {
  requesterId: number;
  groupId: number | null;
  assigneeId: number | null;
}

export interface LiveActor {
  type: 'user' | 'system' | 'workflow' | 'rule';
  id: number | null;
  ruleId?: number;
}

export const PRESENCE_STATES = ['viewing', 'typing', 'left'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];

export type LiveEvent =
  | { type: 'ticket.created'; ticketId: number; number: string; status: TicketStatus; priority: Priority; scope: LiveTicketScope; actor: LiveActor; at: string }
  | {
      type: 'ticket.updated';
      ticketId: number;
      version: number;
      /** Every changed field, by its name in the Ticket DTO (plus deletedAt, customFields). */
      fields: string[];
      /** New value per changed field; customFields gives the changed keys only. */
      values: Record<string, unknown>;
      /** Set when values were dropped to fit the NOTIFY limit: refetch the ticket. */
      truncated?: true;
      scope: LiveTicketScope;
      /** The scope before this change, when the group or assignee changed (so the old owners hear of it). */
      previousScope?: LiveTicketScope;
      actor: LiveActor;
      at: string;
    }
  | { type: 'message.added'; ticketId: number; messageId: number; kind: MessageKind; channel: TicketSource; authorId: number | null; scope: LiveTicketScope; at: string }
  | { type: 'sla.changed'; ticketId: number; state: SlaState; firstResponseDueAt: string | null; resolutionDueAt: string | null; scope: LiveTicketScope; at: string }
  | { type: 'notification'; userId: number; id: number; ticketId: number; event: NotificationEvent }
  | { type: 'presence'; ticketId: number; userId: number; name: string; state: PresenceState; expiresAt: string | null; scope: LiveTicketScope; at: string };

export type LiveEventType = LiveEvent['type'];
export const LIVE_EVENT_TYPES = ['ticket.created', 'ticket.updated', 'message.added', 'sla.changed', 'notification', 'presence'] as const satisfies readonly LiveEventType[];

/** Far below PostgreSQL's 8000 bytes, leaving room for the channel name and future fields. */
const MAX_PAYLOAD_BYTES = 7000;

/** The JSON sent on the channel; an oversized ticket.updated loses its values, never the event. */
export function livePayload(event: LiveEvent): string {
  const json = JSON.stringify(event);
  if (Buffer.byteLength(json) <= MAX_PAYLOAD_BYTES) return json;
  if (event.type === 'ticket.updated') return JSON.stringify({ ...event, values: {}, truncated: true });
  throw new Error(`live event ${event.type} is ${Buffer.byteLength(json)} bytes; payloads must stay compact`);
}

/** Announce `event` when `em`'s transaction commits (immediately outside a transaction). */
export async function publishLiveEvent(em: EntityManager, event: LiveEvent): Promise<void> {
  await em.execute('select pg_notify(?, ?)', [LIVE_EVENTS_CHANNEL, livePayload(event)]);
}

export const scopeOf = (row: { requester_id: number; group_id: number | null; assignee_id: number | null }): LiveTicketScope => ({
  requesterId: row.requester_id,
  groupId: row.group_id,
  assigneeId: row.assignee_id,
});
