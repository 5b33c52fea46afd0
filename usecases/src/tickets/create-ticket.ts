import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from '@mehrdesk/core/config';
import { dueAtOf, formatTicketNumber, initialClocks, isStaff, type Priority, type Role, type TicketSource } from '@mehrdesk/core/domain';
import type { Logger } from '@mehrdesk/core/logger';
import { chooseAssignee } from '@mehrdesk/core/services/assignment';
import { pgArray } from '@mehrdesk/core/db';
import { publishLiveEvent } from '@mehrdesk/core/live-events';
import { recordTimeline } from '@mehrdesk/core/services/timeline';
import { loadPolicySnapshot, resolvePolicyId } from '@mehrdesk/core/services/policies';
import { sanitizeRichText } from '@mehrdesk/core/sanitize';
import { linkUploads } from '@mehrdesk/core/attachments/uploads';
import { DomainError, cannotProcess, unavailableNow, type FieldProblem } from '../errors';
import { checkAttachmentIds, uploadsGone } from './attachment-refs';
import { ensureWorkflow, loadTicketRow, type TicketRow } from './ticket-row';

// Creating a ticket, the one use case every channel calls (the API's POST /tickets, inbound
// e-mail, the portal): plain inputs, domain errors (field paths as the API names them).

export interface UseCaseDeps {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  log: Logger;
}

/** Who creates the ticket: a customer for themselves, or staff (for themselves or someone else). */
export interface Creator {
  id: number;
  role: Role;
  organizationId: number | null;
}

export interface CreateTicketInput {
  subject: string;
  /** HTML; sanitised here. */
  body: string;
  priority: Priority;
  categoryId?: number;
  /** Staff only, like the fields below. */
  source?: TicketSource;
  groupId?: number;
  assigneeId?: number;
  requesterId?: number;
  /** A guest requester, created as a customer if unknown. */
  requesterEmail?: string;
  requesterName?: string;
  tags?: string[];
  /** The creator's pending uploads to attach to the first message. */
  attachmentIds?: number[];
}

async function resolveRequester(em: EntityManager, user: Creator, body: CreateTicketInput): Promise<{ id: number; organizationId: number | null }> {
  if (!isStaff(user.role)) return { id: user.id, organizationId: user.organizationId };
  if (body.requesterId !== undefined) {
    const [r] = await em.execute<{ id: number; organization_id: number | null }[]>('select id, organization_id from users where id = ? and active', [body.requesterId]);
    if (!r) throw cannotProcess('unprocessable', 'Unknown requester', [{ path: 'body.requesterId', message: `No active user ${body.requesterId}` }]);
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

async function checkReferences(em: EntityManager, body: CreateTicketInput, staff: boolean): Promise<void> {
  const problems: FieldProblem[] = [];
  if (!staff) {
    for (const f of ['source', 'groupId', 'assigneeId', 'requesterId', 'requesterEmail', 'requesterName', 'tags'] as const)
      if (body[f] !== undefined) throw new DomainError('forbidden', 'forbidden', `Customers cannot set ${f}`);
  }
  const exists = async (table: string, what: string, id: number | undefined, path: string, extra = '') => {
    if (id === undefined) return;
    const rows = await em.execute(`select 1 from ${table} where id = ? ${extra}`, [id]);
    if (rows.length === 0) problems.push({ path, message: `No such ${what}: ${id}` });
  };
  await exists('categories', 'category', body.categoryId, 'body.categoryId');
  await exists('groups', 'group', body.groupId, 'body.groupId');
  await exists('users', 'active agent', body.assigneeId, 'body.assigneeId', `and active and role <> 'customer'`);
  if (problems.length) throw cannotProcess('unprocessable', 'Request refers to unknown records', problems);
}

const requestHash = (body: CreateTicketInput) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/**
 * Create a ticket: one transaction writes the row (number, SLA deadlines, assignee), its first
 * message, timeline entry and idempotency key; then its workflow starts. A retry with the same
 * Idempotency-Key returns the same ticket and, with USE_EXISTING, never starts a second
 * workflow; a ticket whose start failed is started by that retry or by the reconciler.
 */
export async function createTicket(
  deps: UseCaseDeps,
  em: EntityManager,
  user: Creator,
  body: CreateTicketInput,
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
  if (!text && !/<(img|hr)/i.test(html)) throw cannotProcess('unprocessable', 'Body is empty after sanitising', [{ path: 'body.body', message: 'Contains no visible content' }]);

  const ticketId = await em
    .transactional(async (tx) => {
      const requester = await resolveRequester(tx, user, body);
      const [category] = body.categoryId ? await tx.execute<{ default_group_id: number | null }[]>('select default_group_id from categories where id = ?', [body.categoryId]) : [];
      const groupId = body.groupId ?? category?.default_group_id ?? (await defaultGroupId(tx));
      const policyId = await resolvePolicyId(tx, { categoryId: body.categoryId ?? null, organizationId: requester.organizationId, groupId });
      const policy = policyId === null ? null : await loadPolicySnapshot(tx, policyId);
      const assigneeId = body.assigneeId ?? (groupId === null ? null : ((await chooseAssignee(tx, groupId))?.userId ?? null));
      const now = Date.now();
      const clocks = initialClocks(policy, body.priority, now);
      const year = new Date(now).getUTCFullYear();
      const [counter] = await tx.execute<{ last: number }[]>('insert into ticket_counters (year, last) values (?, 1) on conflict (year) do update set last = ticket_counters.last + 1 returning last', [
        year,
      ]);
      const number = formatTicketNumber(deps.config.TICKET_NUMBER_PREFIX, year, counter!.last);
      const source: TicketSource = internal.source ?? body.source ?? (staff ? 'web' : 'portal');
      const [t] = await tx.execute<{ id: number }[]>(
        `insert into tickets (number, subject, body_html, requester_id, organization_id, source, category_id, priority, status,
                              group_id, assignee_id, sla_policy_id, sla_state, first_response_due_at, resolution_due_at, tags,
                              custom_fields, created_at, updated_at, version)
         values (?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, 'ok', ?, ?, ?::text[], '{}'::jsonb, ?, ?, 1) returning id`,
        [
          number,
          body.subject,
          html,
          requester.id,
          requester.organizationId,
          source,
          body.categoryId ?? null,
          body.priority,
          groupId,
          assigneeId,
          policyId,
          toDate(dueAtOf(clocks, 'first_response')),
          toDate(dueAtOf(clocks, 'resolution')),
          pgArray(body.tags ?? []),
          new Date(now),
          new Date(now),
        ],
      );
      const id = t!.id;
      if (body.tags?.length) await tx.execute('insert into tags (name) select unnest(?::text[]) on conflict (name) do nothing', [pgArray(body.tags)]);
      const [message] = await tx.execute<{ id: number }[]>(
        `insert into messages (ticket_id, author_id, kind, channel, body_html, body_text, email_message_id, "references", idempotency_key, created_at)
         values (?, ?, 'public', ?, ?, ?, ?, '[]'::jsonb, ?, ?) returning id`,
        [id, requester.id, source, html, text, internal.emailMessageId ?? null, `ticket-${id}:initial`, new Date(now)],
      );
      // The uploader is the caller (an agent may create the ticket for someone else).
      const files = body.attachmentIds ?? [];
      if (files.length && (await linkUploads(tx, { ids: files, ownerId: user.id, ticketId: id, messageId: message!.id })) !== files.length) throw uploadsGone();
      await recordTimeline(tx, {
        ticketId: id,
        type: 'ticket.created',
        actor: { type: 'user', id: user.id },
        to: { number, status: 'new', priority: body.priority, groupId, assigneeId },
        meta: { requestId, source, ...(internal.note ? { note: internal.note } : {}) },
        idempotencyKey: `ticket-${id}:created`,
        at: new Date(now),
      });
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
        await tx.execute('insert into idempotency_keys (user_id, key, request_hash, ticket_id, created_at) values (?, ?, ?, ?, now())', [user.id, idempotencyKey, hash, id]);
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
  if (k.request_hash !== hash)
    throw cannotProcess('unprocessable', 'Idempotency-Key was already used for a different request', [{ path: 'headers.idempotency-key', message: 'Reused with a different body' }]);
  return loadTicketRow(em, k.ticket_id);
}

async function finishStart(deps: UseCaseDeps, em: EntityManager, row: TicketRow, requestId: string): Promise<TicketRow> {
  if (row.workflow_started_at) return row;
  try {
    await ensureWorkflow(deps, em, row, requestId);
  } catch (err) {
    deps.log.error({ err, ticketId: row.id, requestId }, 'workflow start failed; the reconciler will retry');
    throw unavailableNow(`Ticket ${row.number} was stored but its workflow could not be started yet; retry with the same Idempotency-Key`);
  }
  return row;
}
