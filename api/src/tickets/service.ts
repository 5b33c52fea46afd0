import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import { ticketScopeSql } from '@mehrdesk/core/domain';
import { pgArray } from '@mehrdesk/core/db';
import { ratingOf } from '@mehrdesk/core/services/surveys';
import { ticketWorkflowId } from '@mehrdesk/workflows/contracts';
import { SELECT_TICKET, visibleTicketRow, type TicketRow } from '@mehrdesk/usecases/tickets/ticket-row';
import { normalizeSearchText, searchViewerOf, type SearchBackend } from '@mehrdesk/search';
import type { AuthUser } from '../auth/authenticate';
import type { ListTicketsQuery, TicketDtoT } from './schemas';
import { encodeCursor, keysetOrder } from './list-order';

// The API's reads of tickets: the DTO it answers with, the visibility check of single tickets,
// and the list with its filters and cursor. Creation and changes are use cases
// (@mehrdesk/usecases/tickets), shared with the other channels.

export type { TicketRow };

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toTicketDto(t: TicketRow, temporalUiUrl: string, namespace: string): TicketDtoT {
  const workflowId = ticketWorkflowId(t.id);
  return {
    id: t.id,
    number: t.number,
    subject: t.subject,
    bodyHtml: t.body_html,
    status: t.status,
    priority: t.priority,
    source: t.source,
    requester: { id: t.requester_id, name: t.requester_name, email: t.requester_email },
    organizationId: t.organization_id,
    categoryId: t.category_id,
    groupId: t.group_id,
    assigneeId: t.assignee_id,
    tags: t.tags ?? [],
    slaState: t.sla_state,
    firstResponseDueAt: iso(t.first_response_due_at),
    resolutionDueAt: iso(t.resolution_due_at),
    createdAt: iso(t.created_at)!,
    updatedAt: iso(t.updated_at)!,
    firstRespondedAt: iso(t.first_responded_at),
    resolvedAt: iso(t.resolved_at),
    closedAt: iso(t.closed_at),
    satisfaction: t.satisfaction
      ? { rating: ratingOf(t.satisfaction.scale, t.satisfaction.score), scale: t.satisfaction.scale, comment: t.satisfaction.comment, ratedAt: new Date(t.satisfaction.ratedAt).toISOString() }
      : null,
    version: t.version,
    workflowId,
    links: { temporalUi: `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` },
  };
}

/** Load a ticket the user may see; others' tickets are 404, not 403, so ids cannot be probed. */
export const visibleTicket = (em: EntityManager, user: AuthUser, id: number): Promise<TicketRow> => visibleTicketRow(em, user, id);

/** A text filter lists at most this many (most recently changed) matching tickets. */
export const MAX_TEXT_MATCHES = 1000;

export async function listTickets(em: EntityManager, user: AuthUser, q: z.infer<typeof ListTicketsQuery>, search: SearchBackend): Promise<{ rows: TicketRow[]; nextCursor: string | null }> {
  const where: string[] = ['t.deleted_at is null'];
  const params: unknown[] = [];
  const inList = (col: string, values: readonly unknown[]) => {
    where.push(`${col} in (${values.map(() => '?').join(',')})`);
    params.push(...values);
  };
  // Row-level scope first: it is not a filter the caller can widen.
  const scope = ticketScopeSql(user, 't');
  where.push(scope.sql);
  params.push(...scope.params);
  if (q.status) inList('t.status', q.status);
  if (q.priority) inList('t.priority', q.priority);
  if (q.slaState) inList('t.sla_state', q.slaState);
  if (q.groupId !== undefined) inList('t.group_id', [q.groupId]);
  if (q.requesterId !== undefined) inList('t.requester_id', [q.requesterId]);
  if (q.assigneeId === 'none') where.push('t.assignee_id is null');
  else if (q.assigneeId !== undefined) inList('t.assignee_id', [q.assigneeId === 'me' ? user.id : q.assigneeId]);
  if (q.tag) {
    where.push('? = any(t.tags)');
    params.push(q.tag.toLowerCase());
  }
  if (q.createdFrom) {
    where.push('t.created_at >= ?');
    params.push(new Date(q.createdFrom));
  }
  if (q.createdTo) {
    where.push('t.created_at < ?');
    params.push(new Date(q.createdTo));
  }
  if (q.updatedFrom) {
    where.push('t.updated_at >= ?');
    params.push(new Date(q.updatedFrom));
  }
  if (q.ids) {
    where.push('t.id = any(?::int[])');
    params.push(pgArray(q.ids));
  }
  if (q.q) {
    // The search backend decides what matches (the same answer as GET /search), within the
    // caller's visibility; the filters it knows narrow it there, so old matches are not cut off.
    const ids = await search.matchingTicketIds(q.q, searchViewerOf(user), MAX_TEXT_MATCHES, {
      status: q.status,
      priority: q.priority,
      groupId: q.groupId === undefined ? undefined : [q.groupId],
      ids: q.ids,
      tag: q.tag ? [normalizeSearchText(q.tag).trim()] : undefined,
    });
    where.push('t.id = any(?::int[])');
    params.push(pgArray(ids));
  }
  const order = keysetOrder(q.sort, q.cursor);
  if (order.after) {
    where.push(order.after.sql);
    params.push(...order.after.params);
  }
  const rows = await em.execute<(TicketRow & { sort_key: string | number | null })[]>(
    `${SELECT_TICKET.replace('select t.*,', `select t.*, ${order.keySelect},`)} where ${where.join(' and ')} order by ${order.orderBy} limit ?`,
    [...params, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > q.limit && last ? encodeCursor(q.sort, last.sort_key, last.id) : null };
}
