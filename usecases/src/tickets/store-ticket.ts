import type { EntityManager } from '@mikro-orm/postgresql';
import { dueAtOf, formatTicketNumberSql, type Priority, type SlaClock, type TicketSource } from '@mehrdesk/core/domain';
import { pgArray, executeBound } from '@mehrdesk/core/db';
import { LIVE_EVENTS_CHANNEL, livePayload } from '@mehrdesk/core/live-events';
import { TIMELINE_INSERT } from '@mehrdesk/core/services/timeline';
import { ASSIGNEE_PICK, assigneePickParams } from '@mehrdesk/core/services/assignment';
import type { TicketRow } from './ticket-row';

// A new ticket stored in one statement: the assignee chosen (ASSIGNEE_PICK), its number from the
// year's counter, the row, its first message, the "created" timeline entry, the tags for the
// catalogue, the caller's idempotency key and the live event (NOTIFY, delivered at commit).
// Group, policy and deadlines are decided before it runs, so the group's row (the assignment
// lock) is held for this one statement, and it answers with the row as the API shows it.

export interface NewTicket {
  subject: string;
  html: string;
  text: string;
  requesterId: number;
  organizationId: number | null;
  creatorId: number;
  source: TicketSource;
  categoryId: number | null;
  priority: Priority;
  groupId: number | null;
  /** The caller's choice; null with `autoAssign` lets the group's strategy choose. */
  assigneeId: number | null;
  autoAssign: boolean;
  policyId: number | null;
  clocks: SlaClock[];
  tags: string[];
  emailMessageId: string | null;
  /** ticketNumberHead of the year whose counter numbers the ticket. */
  numberHead: string;
  year: number;
  at: Date;
  requestId: string;
  note?: string;
  idempotency: { key: string; hash: string } | null;
}

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

const STATEMENT = `
  with ${ASSIGNEE_PICK}, counter as (
    insert into ticket_counters (year, last) values (?::int, 1)
    on conflict (year) do update set last = ticket_counters.last + 1 returning last
  ), t as (
    insert into tickets (number, subject, body_html, requester_id, organization_id, source, category_id, priority, status,
                         group_id, assignee_id, sla_policy_id, sla_state, first_response_due_at, resolution_due_at, tags,
                         custom_fields, created_at, updated_at, version)
    select ${formatTicketNumberSql('?::text', 'counter.last')}, ?::text, ?::text, ?::int, ?::int, ?::text, ?::int, ?::text, 'new', ?::int, coalesce(?::int, (select id from assign_pick)), ?::int, 'ok',
           ?::timestamptz, ?::timestamptz, ?::text[], '{}'::jsonb, ?::timestamptz, ?::timestamptz, 1
      from counter
    returning *
  ), m as (
    insert into messages (ticket_id, author_id, kind, channel, body_html, body_text, email_message_id, "references", idempotency_key, created_at)
    select t.id, ?::int, 'public', ?::text, ?::text, ?::text, ?::text, '[]'::jsonb, 'ticket-' || t.id || ':initial', ?::timestamptz from t
    returning id
  ), entry as (
    ${TIMELINE_INSERT}
    select t.id, 'ticket.created', 'user', ?::int, null, null, ?::jsonb || jsonb_build_object('number', t.number, 'assigneeId', t.assignee_id), ?::jsonb, 'ticket-' || t.id || ':created', ?::timestamptz from t
  ), catalogue as (
    insert into tags (name) select unnest(?::text[]) on conflict (name) do nothing
  ), key as (
    insert into idempotency_keys (user_id, key, request_hash, ticket_id, created_at)
    select ?::int, ?::text, ?::text, t.id, now() from t where ?::text is not null
  ), live as (
    select pg_notify(?::text, jsonb_set(?::jsonb || jsonb_build_object('ticketId', t.id, 'number', t.number), '{scope,assigneeId}', to_jsonb(t.assignee_id))::text) as sent from t
  )
  select t.*, r.name as requester_name, r.email as requester_email, a.email as assignee_email, null::json as satisfaction, m.id as message_id
    from t
    join users r on r.id = t.requester_id
    left join users a on a.id = t.assignee_id
    cross join m
    cross join (select count(*) from live) notified`;

export async function storeNewTicket(em: EntityManager, n: NewTicket): Promise<{ row: TicketRow; messageId: number }> {
  const tags = pgArray(n.tags);
  const creator = n.creatorId;
  const to = { status: 'new', priority: n.priority, groupId: n.groupId };
  const meta = { requestId: n.requestId, source: n.source, ...(n.note ? { note: n.note } : {}) };
  const event = livePayload({
    type: 'ticket.created',
    // Filled in by the statement, like the assignee.
    ticketId: 0,
    number: '',
    status: 'new',
    priority: n.priority,
    scope: { requesterId: n.requesterId, groupId: n.groupId, assigneeId: null },
    actor: { type: 'user', id: creator },
    at: n.at.toISOString(),
  });
  const key = n.idempotency?.key ?? null;
  const [row] = await executeBound<TicketRow & { message_id: number }>(em, STATEMENT, [
    ...assigneePickParams(n.autoAssign ? n.groupId : null),
    n.year,
    n.numberHead,
    n.subject,
    n.html,
    n.requesterId,
    n.organizationId,
    n.source,
    n.categoryId,
    n.priority,
    n.groupId,
    n.assigneeId,
    n.policyId,
    toDate(dueAtOf(n.clocks, 'first_response')),
    toDate(dueAtOf(n.clocks, 'resolution')),
    tags,
    n.at,
    n.at,
    n.requesterId,
    n.source,
    n.html,
    n.text,
    n.emailMessageId,
    n.at,
    creator,
    JSON.stringify(to),
    JSON.stringify(meta),
    n.at,
    tags,
    creator,
    key,
    n.idempotency?.hash ?? null,
    key,
    LIVE_EVENTS_CHANNEL,
    event,
  ]);
  const { message_id: messageId, ...ticket } = row!;
  return { row: ticket, messageId };
}
