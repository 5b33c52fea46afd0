import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from '@mehrdesk/core/config';
import { initialClocks, ticketNumberHead, isStaff, type Priority, type Role, type TicketSource } from '@mehrdesk/core/domain';
import type { Logger } from '@mehrdesk/core/logger';
import { resolvePolicyId, ticketConfigReads, type TicketConfigReads } from '@mehrdesk/core/services/policies';
import { lockLeastOpenPicks } from '@mehrdesk/core/services/assignment';
import type { ConfigCache } from '@mehrdesk/core/services/config-cache';
import { loadTicketListeners } from '@mehrdesk/core/services/ticket-listeners';
import { sanitizeRichText } from '@mehrdesk/core/sanitize';
import { linkUploads } from '@mehrdesk/core/attachments/uploads';
import { DomainError, cannotProcess, unavailableNow, type FieldProblem } from '../errors';
import { checkAttachmentIds, uploadsGone } from './attachment-refs';
import { ensureWorkflow, loadTicketRow, type TicketRow, type WorkflowStartFacts } from './ticket-row';
import { storeNewTicket } from './store-ticket';
import type { StartedMarks } from './started-marks';
import type { AdmissionGate } from './admission';

// Creating a ticket, the one use case every channel calls (the API's POST /tickets, inbound
// e-mail, the portal): plain inputs, domain errors (field paths as the API names them).

export interface UseCaseDeps {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  log: Logger;
  /** Configuration kept between requests (the API's, switched on by its LISTEN connection); absent: read every time. */
  configCache?: ConfigCache;
  /** Batches "workflow started" marks (the API's); absent: each is written at once. */
  startedMarks?: StartedMarks;
  /** Refuses new tickets while workflows cannot start on time (the API's); absent: always admitted. */
  admission?: AdmissionGate;
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

async function checkReferences(em: EntityManager, reads: TicketConfigReads, body: CreateTicketInput, staff: boolean): Promise<void> {
  const problems: FieldProblem[] = [];
  if (!staff) {
    for (const f of ['source', 'groupId', 'assigneeId', 'requesterId', 'requesterEmail', 'requesterName', 'tags'] as const)
      if (body[f] !== undefined) throw new DomainError('forbidden', 'forbidden', `Customers cannot set ${f}`);
  }
  if (body.categoryId !== undefined && !(await reads.category(body.categoryId))) problems.push({ path: 'body.categoryId', message: `No such category: ${body.categoryId}` });
  if (body.groupId !== undefined && !(await reads.group(body.groupId))) problems.push({ path: 'body.groupId', message: `No such group: ${body.groupId}` });
  if (body.assigneeId !== undefined) {
    const rows = await em.execute(`select 1 from users where id = ? and active and role <> 'customer'`, [body.assigneeId]);
    if (rows.length === 0) problems.push({ path: 'body.assigneeId', message: `No such active agent: ${body.assigneeId}` });
  }
  if (problems.length) throw cannotProcess('unprocessable', 'Request refers to unknown records', problems);
}

const requestHash = (body: CreateTicketInput) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/**
 * Create a ticket: its group, SLA policy (cached configuration) and deadlines are decided first;
 * one statement then chooses the assignee and writes the row, its first message, timeline entry
 * and idempotency key (storeNewTicket), and its workflow starts. A retry with the same
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
  // After the retry check: a retry of a stored ticket only needs its workflow found.
  await deps.admission?.admit();
  const staff = isStaff(user.role);
  const reads = ticketConfigReads(em, deps.configCache);
  await checkReferences(em, reads, body, staff);
  await checkAttachmentIds(em, deps.config, user.id, body.attachmentIds);
  const { html, text } = sanitizeRichText(body.body);
  if (!text && !/<(img|hr)/i.test(html)) throw cannotProcess('unprocessable', 'Body is empty after sanitising', [{ path: 'body.body', message: 'Contains no visible content' }]);

  const requester = await resolveRequester(em, user, body);
  const category = body.categoryId === undefined ? null : await reads.category(body.categoryId);
  const groupId = body.groupId ?? category?.defaultGroupId ?? (await reads.defaultGroupId());
  const policyId = await resolvePolicyId(reads, { categoryId: body.categoryId ?? null, organizationId: requester.organizationId, groupId });
  const policy = policyId === null ? null : await reads.policySnapshot(policyId);
  const listeners = await loadTicketListeners(em, deps.configCache);
  const now = Date.now();
  const year = new Date(now).getUTCFullYear();
  const source: TicketSource = internal.source ?? body.source ?? (staff ? 'web' : 'portal');
  const files = body.attachmentIds ?? [];
  const store = async (tx: EntityManager) => {
    const stored = await storeNewTicket(tx, {
      subject: body.subject,
      html,
      text,
      requesterId: requester.id,
      organizationId: requester.organizationId,
      creatorId: user.id,
      source,
      categoryId: body.categoryId ?? null,
      priority: body.priority,
      groupId,
      assigneeId: body.assigneeId ?? null,
      autoAssign: body.assigneeId === undefined,
      policyId,
      clocks: initialClocks(policy, body.priority, now),
      tags: body.tags ?? [],
      emailMessageId: internal.emailMessageId ?? null,
      numberHead: ticketNumberHead(deps.config.TICKET_NUMBER_PREFIX, year),
      year,
      at: new Date(now),
      requestId,
      ...(internal.note ? { note: internal.note } : {}),
      idempotency: idempotencyKey ? { key: idempotencyKey, hash } : null,
    });
    // The uploader is the caller (an agent may create the ticket for someone else).
    if (files.length && (await linkUploads(tx, { ids: files, ownerId: user.id, ticketId: stored.row.id, messageId: stored.messageId })) !== files.length) throw uploadsGone();
    return stored.row;
  };
  // One statement needs no transaction around it; uploads are linked in the same transaction, and
  // a least-open pick waits for the one before it to commit (lockLeastOpenPicks).
  const leastOpen = body.assigneeId === undefined && groupId !== null && (await reads.group(groupId))?.strategy === 'least_open';
  const inTransaction = async (tx: EntityManager) => {
    if (leastOpen) await lockLeastOpenPicks(tx, groupId);
    return store(tx);
  };
  const row = await (files.length || leastOpen ? em.transactional(inTransaction) : store(em)).catch(async (err: unknown) => {
    // Two concurrent requests with one key: the loser returns the winner's ticket.
    if (idempotencyKey && /idempotency_keys_user_id_key_unique/.test(String(err))) return null;
    throw err;
  });
  if (row === null) {
    const prior = await priorForKey(em, user.id, idempotencyKey!, hash);
    return { row: await finishStart(deps, em, prior!, requestId), created: false };
  }
  return { row: await finishStart(deps, em, row, requestId, { policy, listeners }), created: true };
}

async function priorForKey(em: EntityManager, userId: number, key: string, hash: string): Promise<TicketRow | null> {
  const [k] = await em.execute<{ ticket_id: number; request_hash: string }[]>('select ticket_id, request_hash from idempotency_keys where user_id = ? and key = ?', [userId, key]);
  if (!k) return null;
  if (k.request_hash !== hash)
    throw cannotProcess('unprocessable', 'Idempotency-Key was already used for a different request', [{ path: 'headers.idempotency-key', message: 'Reused with a different body' }]);
  return loadTicketRow(em, k.ticket_id);
}

async function finishStart(deps: UseCaseDeps, em: EntityManager, row: TicketRow, requestId: string, known?: WorkflowStartFacts): Promise<TicketRow> {
  if (row.workflow_started_at) return row;
  try {
    await ensureWorkflow(deps, em, row, requestId, known);
  } catch (err) {
    deps.log.error({ err, ticketId: row.id, requestId }, 'workflow start failed; the reconciler will retry');
    throw unavailableNow(`Ticket ${row.number} was stored but its workflow could not be started yet; retry with the same Idempotency-Key`);
  }
  return row;
}
