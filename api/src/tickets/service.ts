import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import {
  canSeeTicket,
  dueAtOf,
  formatTicketNumber,
  initialClocks,
  isStaff,
  type Priority,
  type SlaPolicySnapshot,
  type TicketSource,
} from '@mehrdesk/core/domain';
import { chooseAssignee } from '@mehrdesk/core/services/assignment';
import { pgArray } from '@mehrdesk/core/db';
import { publishLiveEvent } from '@mehrdesk/core/live-events';
import { loadPolicySnapshot, resolvePolicyId } from '@mehrdesk/core/services/policies';
import { ratingOf, type SurveyScale } from '@mehrdesk/core/services/surveys';
import { ticketWorkflowId, type TicketLifecycleInput } from '@mehrdesk/workflows/contracts';
import type { AuthUser } from '../auth/authenticate';
import type { CoreDeps } from '../deps';
import { forbidden, notFound, unprocessable, unavailable, type FieldError } from '../http/errors';
import { sanitizeRichText } from '@mehrdesk/core/sanitize';
import { normalizeSearchText, searchViewerOf, type SearchBackend } from '@mehrdesk/search';
import type { CreateTicketBody, ListTicketsQuery, TicketDtoT } from './schemas';
import { startTicketWorkflow } from './workflow-bridge';
import { encodeCursor, keysetOrder } from './list-order';
import { linkUploads } from '@mehrdesk/core/attachments/uploads';
import { checkAttachmentIds, uploadsGone } from '../uploads/references';

export interface TicketRow {
  id: number;
  number: string;
  subject: string;
  body_html: string;
  status: TicketDtoT['status'];
  priority: Priority;
  source: TicketSource;
  requester_id: number;
  requester_name: string;
  requester_email: string;
  organization_id: number | null;
  category_id: number | null;
  group_id: number | null;
  assignee_id: number | null;
  assignee_email: string | null;
  sla_policy_id: number | null;
  tags: string[];
  sla_state: TicketDtoT['slaState'];
  first_response_due_at: Date | null;
  resolution_due_at: Date | null;
  created_at: Date;
  updated_at: Date;
  first_responded_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  workflow_started_at: Date | null;
  /** The latest rating (SELECT_TICKET), null when never rated. */
  satisfaction?: { score: number; scale: SurveyScale; comment: string | null; ratedAt: string } | null;
  version: number;
}

const SELECT_TICKET = `
  select t.*, r.name as requester_name, r.email as requester_email, a.email as assignee_email,
         (select json_build_object('score', s.score, 'scale', s.scale, 'comment', s.comment, 'ratedAt', s.rated_at)
            from ticket_surveys s where s.ticket_id = t.id and s.score is not null order by s.rated_at desc, s.id desc limit 1) as satisfaction
    from tickets t
    join users r on r.id = t.requester_id
    left join users a on a.id = t.assignee_id`;

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
    satisfaction: t.satisfaction ? { rating: ratingOf(t.satisfaction.scale, t.satisfaction.score), scale: t.satisfaction.scale, comment: t.satisfaction.comment, ratedAt: new Date(t.satisfaction.ratedAt).toISOString() } : null,
    version: t.version,
    workflowId,
    links: { temporalUi: `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` },
  };
}

export async function loadTicketRow(em: EntityManager, id: number): Promise<TicketRow | null> {
  const [row] = await em.execute<TicketRow[]>(`${SELECT_TICKET} where t.id = ? and t.deleted_at is null`, [id]);
  return row ?? null;
}

/** Load a ticket the user may see; others' tickets are 404, not 403, so ids cannot be probed. */
export async function visibleTicket(em: EntityManager, user: AuthUser, id: number): Promise<TicketRow> {
  const row = await loadTicketRow(em, id);
  if (!row || !canSeeTicket(user, { requesterId: row.requester_id, groupId: row.group_id, assigneeId: row.assignee_id })) throw notFound(`Ticket ${id}`);
  return row;
}

export function workflowInputFrom(row: TicketRow, policy: SlaPolicySnapshot | null, requestId: string): TicketLifecycleInput {
  return {
    ticket: {
      ticketId: row.id,
      number: row.number,
      requesterId: row.requester_id,
      status: row.status,
      priority: row.priority,
      groupId: row.group_id,
      assigneeId: row.assignee_id,
      assigneeLabel: row.assignee_email ?? '',
      tags: row.tags ?? [],
      categoryId: row.category_id,
      version: row.version,
    },
    createdAt: new Date(row.created_at).getTime(),
    policy,
    requestId,
  };
}

/**
 * Start (or find) the workflow of a stored ticket and record that it runs; the one path for
 * creation, its retries and the reconciler (which looks for rows not marked yet).
 */
export async function ensureWorkflow(deps: CoreDeps, em: EntityManager, row: TicketRow, requestId: string): Promise<void> {
  const policy = row.sla_policy_id === null ? null : await loadPolicySnapshot(em, row.sla_policy_id);
  await startTicketWorkflow(deps.temporal, deps.config, workflowInputFrom(row, policy, requestId));
  await em.execute('update tickets set workflow_started_at = coalesce(workflow_started_at, now()) where id = ?', [row.id]);
}

type CreateBody = z.infer<typeof CreateTicketBody>;

async function resolveRequester(em: EntityManager, user: AuthUser, body: CreateBody): Promise<{ id: number; organizationId: number | null }> {
  if (!isStaff(user.role)) return { id: user.id, organizationId: user.organizationId };
  if (body.requesterId !== undefined) {
    const [r] = await em.execute<{ id: number; organization_id: number | null }[]>('select id, organization_id from users where id = ? and active', [body.requesterId]);
    if (!r) throw unprocessable('Unknown requester', [{ path: 'body.requesterId', message: `No active user ${body.requesterId}` }]);
    return { id: r.id, organizationId: r.organization_id };
  }
  if (body.requesterEmail !== undefined) {
    // Guest requester: a password-less customer account, created once per address.
    const [r] = await em.execute<{ id: number; organization_id: number | null }[]>(
      `insert into users (email, name, role, locale, active, available, created_at)
       values (?, ?, 'customer', 'en', true, false, now())
       on conflict (email) do update set email = excluded.email
       returning id, organization_id`,
      [body.requesterEmail, body.requesterName ?? body.requesterEmail.split('@')[0]],
    );
    return { id: r!.id, organizationId: r!.organization_id };
  }
  return { id: user.id, organizationId: user.organizationId };
}

async function checkReferences(em: EntityManager, body: CreateBody, staff: boolean): Promise<void> {
  const problems: FieldError[] = [];
  if (!staff) {
    for (const f of ['source', 'groupId', 'assigneeId', 'requesterId', 'requesterEmail', 'requesterName', 'tags'] as const)
      if (body[f] !== undefined) throw forbidden(`Customers cannot set ${f}`);
  }
  const exists = async (table: string, what: string, id: number | undefined, path: string, extra = '') => {
    if (id === undefined) return;
    const rows = await em.execute(`select 1 from ${table} where id = ? ${extra}`, [id]);
    if (rows.length === 0) problems.push({ path, message: `No such ${what}: ${id}` });
  };
  await exists('categories', 'category', body.categoryId, 'body.categoryId');
  await exists('groups', 'group', body.groupId, 'body.groupId');
  await exists('users', 'active agent', body.assigneeId, 'body.assigneeId', `and active and role <> 'customer'`);
  if (problems.length) throw unprocessable('Request refers to unknown records', problems);
}

const requestHash = (body: CreateBody) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/**
 * Create a ticket: one transaction writes the row (number, SLA deadlines, assignee), its first
 * message, timeline entry and idempotency key; then its workflow starts. A retry with the same
 * Idempotency-Key returns the same ticket and, with USE_EXISTING, never starts a second
 * workflow; a ticket whose start failed is started by that retry or by the reconciler.
 */
export async function createTicket(
  deps: CoreDeps,
  em: EntityManager,
  user: AuthUser,
  body: CreateBody,
  idempotencyKey: string | undefined,
  requestId: string,
  /** Set by channels (inbound e-mail), never from HTTP input. */
  internal: { source?: TicketSource; emailMessageId?: string | null; note?: string } = {},
): Promise<{ row: TicketRow; created: boolean }> {
  const hash = requestHash(body);
  if (idempotencyKey) {
    const prior = await priorForKey(em, user.id, idempotencyKey, hash);
    if (prior) return { row: await finishStart(deps, em, prior, requestId), created: false };
  }
  const staff = isStaff(user.role);
  await checkReferences(em, body, staff);
  await checkAttachmentIds(em, deps.config, user.id, body.attachmentIds);
  const { html, text } = sanitizeRichText(body.body);
  if (!text && !/<(img|hr)/i.test(html)) throw unprocessable('Body is empty after sanitising', [{ path: 'body.body', message: 'Contains no visible content' }]);

  const ticketId = await em
    .transactional(async (tx) => {
      const requester = await resolveRequester(tx, user, body);
      const [category] = body.categoryId
        ? await tx.execute<{ default_group_id: number | null }[]>('select default_group_id from categories where id = ?', [body.categoryId])
        : [];
      const groupId = body.groupId ?? category?.default_group_id ?? (await defaultGroupId(tx));
      const policyId = await resolvePolicyId(tx, { categoryId: body.categoryId ?? null, organizationId: requester.organizationId, groupId });
      const policy = policyId === null ? null : await loadPolicySnapshot(tx, policyId);
      const assigneeId = body.assigneeId ?? (groupId === null ? null : (await chooseAssignee(tx, groupId))?.userId ?? null);
      const now = Date.now();
      const clocks = initialClocks(policy, body.priority, now);
      const year = new Date(now).getUTCFullYear();
      const [counter] = await tx.execute<{ last: number }[]>(
        'insert into ticket_counters (year, last) values (?, 1) on conflict (year) do update set last = ticket_counters.last + 1 returning last',
        [year],
      );
      const number = formatTicketNumber(deps.config.TICKET_NUMBER_PREFIX, year, counter!.last);
      const source: TicketSource = internal.source ?? body.source ?? (staff ? 'web' : 'portal');
      const [t] = await tx.execute<{ id: number }[]>(
        `insert into tickets (number, subject, body_html, requester_id, organization_id, source, category_id, priority, status,
                              group_id, assignee_id, sla_policy_id, sla_state, first_response_due_at, resolution_due_at, tags,
                              custom_fields, created_at, updated_at, version)
         values (?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, 'ok', ?, ?, ?::text[], '{}'::jsonb, ?, ?, 1) returning id`,
        [number, body.subject, html, requester.id, requester.organizationId, source, body.categoryId ?? null, body.priority,
          groupId, assigneeId, policyId, toDate(dueAtOf(clocks, 'first_response')), toDate(dueAtOf(clocks, 'resolution')),
          pgArray(body.tags ?? []), new Date(now), new Date(now)],
      );
      const id = t!.id;
      if (body.tags?.length)
        await tx.execute('insert into tags (name) select unnest(?::text[]) on conflict (name) do nothing', [pgArray(body.tags)]);
      const [message] = await tx.execute<{ id: number }[]>(
        `insert into messages (ticket_id, author_id, kind, channel, body_html, body_text, email_message_id, "references", idempotency_key, created_at)
         values (?, ?, 'public', ?, ?, ?, ?, '[]'::jsonb, ?, ?) returning id`,
        [id, requester.id, source, html, text, internal.emailMessageId ?? null, `ticket-${id}:initial`, new Date(now)],
      );
      // The uploader is the caller (an agent may create the ticket for someone else).
      const files = body.attachmentIds ?? [];
      if (files.length && (await linkUploads(tx, { ids: files, ownerId: user.id, ticketId: id, messageId: message!.id })) !== files.length) throw uploadsGone();
      await tx.execute(
        `insert into timeline_events (ticket_id, type, actor_type, actor_id, field, old_value, new_value, meta, idempotency_key, created_at)
         values (?, 'ticket.created', 'user', ?, null, null, ?::jsonb, ?::jsonb, ?, ?)`,
        [id, user.id, JSON.stringify({ number, status: 'new', priority: body.priority, groupId, assigneeId }), JSON.stringify({ requestId, source, ...(internal.note ? { note: internal.note } : {}) }), `ticket-${id}:created`, new Date(now)],
      );
      await publishLiveEvent(tx, {
        type: 'ticket.created',
        ticketId: id,
        number,
        status: 'new',
        priority: body.priority,
        scope: { requesterId: requester.id, groupId, assigneeId },
        actor: { type: 'user', id: user.id },
        at: new Date(now).toISOString(),
      });
      if (idempotencyKey) {
        await tx.execute(
          'insert into idempotency_keys (user_id, key, request_hash, ticket_id, created_at) values (?, ?, ?, ?, now())',
          [user.id, idempotencyKey, hash, id],
        );
      }
      return id;
    })
    .catch(async (err: unknown) => {
      // Two concurrent requests with one key: the loser returns the winner's ticket.
      if (idempotencyKey && /idempotency_keys_user_id_key_unique/.test(String(err))) return null;
      throw err;
    });
  if (ticketId === null) {
    const prior = await priorForKey(em, user.id, idempotencyKey!, hash);
    return { row: await finishStart(deps, em, prior!, requestId), created: false };
  }
  const row = (await loadTicketRow(em, ticketId))!;
  return { row: await finishStart(deps, em, row, requestId), created: true };
}

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

async function defaultGroupId(em: EntityManager): Promise<number | null> {
  const [g] = await em.execute<{ id: number }[]>('select id from groups order by id limit 1');
  return g?.id ?? null;
}

async function priorForKey(em: EntityManager, userId: number, key: string, hash: string): Promise<TicketRow | null> {
  const [k] = await em.execute<{ ticket_id: number; request_hash: string }[]>('select ticket_id, request_hash from idempotency_keys where user_id = ? and key = ?', [userId, key]);
  if (!k) return null;
  if (k.request_hash !== hash) throw unprocessable('Idempotency-Key was already used for a different request', [{ path: 'headers.idempotency-key', message: 'Reused with a different body' }]);
  return loadTicketRow(em, k.ticket_id);
}

async function finishStart(deps: CoreDeps, em: EntityManager, row: TicketRow, requestId: string): Promise<TicketRow> {
  if (row.workflow_started_at) return row;
  try {
    await ensureWorkflow(deps, em, row, requestId);
  } catch (err) {
    deps.log.error({ err, ticketId: row.id, requestId }, 'workflow start failed; the reconciler will retry');
    throw unavailable(`Ticket ${row.number} was stored but its workflow could not be started yet; retry with the same Idempotency-Key`);
  }
  return row;
}

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
  if (user.role === 'customer') {
    where.push('t.requester_id = ?');
    params.push(user.id);
  } else if (user.role === 'agent') {
    where.push(`(t.assignee_id = ? or t.group_id = any(?::int[]))`);
    params.push(user.id, pgArray(user.groupIds));
  }
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
      status: q.status, priority: q.priority, groupId: q.groupId === undefined ? undefined : [q.groupId], ids: q.ids,
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
