import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { IllegalTransitionError, TERMINAL_STATUSES, isStaff, type Viewer } from '@mehrdesk/core/domain';
import type { TicketFieldChanges } from '@mehrdesk/core/db';
import { addMessageUpdate, changeTicketUpdate, ticketWorkflowId, type Actor, type ChangeTicketRequest } from '@mehrdesk/workflows/contracts';
import { sanitizeRichText } from '@mehrdesk/core/sanitize';
import { loadTicketListeners } from '@mehrdesk/core/services/ticket-listeners';
import { DomainError, cannotProcess, conflictWith } from '../errors';
import { checkAttachmentIds } from './attachment-refs';
import type { UseCaseDeps } from './create-ticket';
import { loadTicketRow, visibleTicketRow, type TicketRow } from './ticket-row';
import { executeTicketUpdate, mapWorkflowError } from './workflow-bridge';

// Changing an existing ticket, for the API's single-ticket endpoints, bulk actions, macros and
// every channel: every change goes through the ticket's workflow (never a row write behind its
// back), after the same visibility and reference checks; refusals are domain errors.

export interface ChangeCtx {
  em: EntityManager;
  user: Viewer;
  requestId: string;
}

export type TicketChange = Omit<ChangeTicketRequest, 'actor' | 'requestId'>;

export const actorOf = (u: Viewer): Actor => ({ type: 'user', id: u.id, role: u.role });

/** Send a change through the ticket's workflow and return the row it persisted. */
export async function changeTicket(deps: UseCaseDeps, ctx: ChangeCtx, id: number, req: TicketChange): Promise<TicketRow> {
  const row = await visibleTicketRow(ctx.em, ctx.user, id);
  if (TERMINAL_STATUSES.includes(row.status)) {
    // Its workflow has ended; answer from the row so the message still names both states.
    if (req.status !== undefined) throw conflictWith('illegal_transition', new IllegalTransitionError(row.status, req.status).message);
    throw conflictWith('ticket_finished', `Ticket ${row.number} is ${row.status} and can no longer change`);
  }
  if (req.assigneeId !== undefined && req.assigneeId !== null) {
    const found = await ctx.em.execute(`select 1 from users where id = ? and active and role <> 'customer'`, [req.assigneeId]);
    if (!found.length) throw cannotProcess('unprocessable', 'Unknown assignee', [{ path: 'body.assigneeId', message: `No active agent ${req.assigneeId}` }]);
  }
  if (req.groupId !== undefined && req.groupId !== null) {
    const g = await ctx.em.execute('select 1 from groups where id = ?', [req.groupId]);
    if (g.length === 0) throw cannotProcess('unprocessable', 'Unknown group', [{ path: 'body.groupId', message: `No group ${req.groupId}` }]);
  }
  try {
    const listeners = await loadTicketListeners(ctx.em, deps.configCache);
    await executeTicketUpdate(deps.temporal, id, changeTicketUpdate, { args: [{ ...req, actor: actorOf(ctx.user), requestId: ctx.requestId, listeners }] });
  } catch (err) {
    throw mapWorkflowError(err, row.number);
  }
  return (await loadTicketRow(ctx.em, id))!;
}

/** The tag set after adding and removing some (sorted, as the workflow stores it). */
export function editTags(current: readonly string[], add: readonly string[] = [], remove: readonly string[] = []): string[] {
  const drop = new Set(remove);
  return [...new Set([...current.filter((t) => !drop.has(t)), ...add])].sort();
}

const isVersionConflict = (err: unknown) => err instanceof DomainError && err.code === 'version_conflict';

/**
 * Apply field changes (bulk actions, macros). Tag edits are computed from the row as read, so
 * they are sent with its version; a concurrent change makes that stale and the edit is
 * recomputed (a few times) instead of overwriting someone else's tags.
 */
export async function applyFieldChanges(deps: UseCaseDeps, ctx: ChangeCtx, id: number, set: TicketFieldChanges, expectedVersion?: number): Promise<TicketRow> {
  const { addTags, removeTags, ...fields } = set;
  const editsTags = Boolean(addTags?.length || removeTags?.length);
  for (let attempt = 1; ; attempt++) {
    const row = editsTags ? await visibleTicketRow(ctx.em, ctx.user, id) : null;
    const version = expectedVersion ?? row?.version;
    try {
      return await changeTicket(deps, ctx, id, {
        ...fields,
        ...(row ? { tags: editTags(row.tags ?? [], addTags, removeTags) } : {}),
        ...(version !== undefined ? { expectedVersion: version } : {}),
      });
    } catch (err) {
      if (expectedVersion === undefined && editsTags && isVersionConflict(err) && attempt < 3) continue;
      throw err;
    }
  }
}

/** Add a reply or internal note through the workflow; returns the new message's id. */
export async function addTicketMessage(
  deps: UseCaseDeps,
  ctx: ChangeCtx,
  row: TicketRow,
  input: { body: string; internal: boolean; idempotencyKey: string; attachmentIds?: readonly number[] },
): Promise<number> {
  if (TERMINAL_STATUSES.includes(row.status)) throw conflictWith('ticket_finished', `Ticket ${row.number} is ${row.status}; replies are not accepted`);
  const { html, text } = sanitizeRichText(input.body);
  if (!text) throw cannotProcess('unprocessable', 'Body is empty after sanitising', [{ path: 'body.body', message: 'Contains no visible content' }]);
  // Hashed: the stored key has a fixed length whatever the client sent (≤ 200 chars).
  const key = createHash('sha256').update(`${ctx.user.id}:${input.idempotencyKey}`).digest('hex');
  const attachmentIds = input.attachmentIds ?? [];
  // A retry of a stored message finds its uploads linked already: only a new message checks them.
  // (The activity that stores the message links them, in its transaction.)
  if (attachmentIds.length) {
    const stored = await ctx.em.execute('select 1 from messages where idempotency_key = ?', [`${ticketWorkflowId(row.id)}:message:${key}`]);
    if (stored.length === 0) await checkAttachmentIds(ctx.em, deps.config, ctx.user.id, attachmentIds);
  }
  const listeners = await loadTicketListeners(ctx.em, deps.configCache);
  try {
    const result = await executeTicketUpdate(deps.temporal, row.id, addMessageUpdate, {
      updateId: `message:${key}`,
      args: [
        {
          actor: actorOf(ctx.user),
          requestId: ctx.requestId,
          kind: input.internal ? 'internal' : 'public',
          channel: isStaff(ctx.user.role) ? 'web' : 'portal',
          bodyHtml: html,
          bodyText: text,
          idempotencyKey: key,
          ...(attachmentIds.length ? { attachmentIds: [...attachmentIds] } : {}),
          listeners,
        },
      ],
    });
    return result.messageId;
  } catch (err) {
    throw mapWorkflowError(err, row.number);
  }
}
