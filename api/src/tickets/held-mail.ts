import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MessageReviewStatus } from '@mehrdesk/core/domain';
import { addParticipants } from '@mehrdesk/core/services/participants';
import { ensureCustomer } from '@mehrdesk/core/services/customers';
import { addMessageUpdate } from '@mehrdesk/workflows/contracts';
import type { AppDeps } from '../deps';
import { conflict, notFound, unprocessable } from '../http/errors';
import { defineRoute } from '../http/route';
import type { AuthUser } from '../auth/authenticate';
import { HeldMessageParams, MessageDto, PublishHeldBody } from './schemas';
import { messages } from './routes';
import { visibleTicket } from './service';
import { recordTimeline } from '@mehrdesk/core/services/timeline';
import { executeTicketUpdate, mapWorkflowError } from '@mehrdesk/usecases/tickets/workflow-bridge';

// Staff review of inbound mail held because its sender is not on the ticket (worker
// inbound/thread.ts): publish it as the sender's public reply (it then does what a customer
// reply does: reopens, notifies), optionally making the sender a participant, or dismiss it.
// The held row is locked while it is reviewed (also across the workflow update, which writes
// other rows only), so two agents cannot publish it twice or publish what another dismisses.

interface HeldRow {
  id: number;
  body_html: string;
  body_text: string;
  review_status: MessageReviewStatus | null;
  held_from: string | null;
  email_message_id: string | null;
  in_reply_to: string | null;
  references: string[] | null;
}

/** The held message (locked with `lock`); 404 when it is not on this ticket, 409 when it is not held. */
async function heldMessage(em: EntityManager, ticketId: number, messageId: number, lock: boolean): Promise<HeldRow & { held_from: string }> {
  const [m] = await em.execute<HeldRow[]>(
    `select id, body_html, body_text, review_status, held_from, email_message_id, in_reply_to, "references" from messages where id = ? and ticket_id = ?${lock ? ' for update' : ''}`,
    [messageId, ticketId],
  );
  if (!m) throw notFound(`Message ${messageId} of ticket ${ticketId}`);
  if (m.review_status !== 'held') throw conflict('not_held', `Message ${messageId} is not held for review${m.review_status ? ` (it was ${m.review_status})` : ''}`);
  return { ...m, held_from: m.held_from ?? '' };
}

async function recordReview(tx: EntityManager, ticketId: number, held: HeldRow, user: AuthUser, requestId: string, type: 'published' | 'dismissed', extra: Record<string, unknown> = {}) {
  await tx.execute('update messages set review_status = ? where id = ?', [type, held.id]);
  await recordTimeline(tx, {
    ticketId,
    type: `message.held_${type}`,
    actor: { type: 'user', id: user.id },
    to: { messageId: held.id, ...extra },
    meta: { requestId, from: held.held_from },
    idempotencyKey: `held-${held.id}:${type}`,
  });
}

export function heldMailRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/:id/messages/:messageId/publish',
    summary: 'Publish inbound mail held for review as a public reply by its sender (optionally adding the sender as a participant)',
    tags: ['tickets'],
    action: 'ticket.viewInternal',
    params: HeldMessageParams,
    body: PublishHeldBody,
    response: MessageDto,
    errors: [404, 409, 422, 503],
    handler: async ({ params, body, user, em, requestId }) => {
      const row = await visibleTicket(em, user, params.id);
      const first = await heldMessage(em, row.id, params.messageId, false);
      if (!first.held_from) throw unprocessable('The held mail has no sender address to publish it as', [{ path: 'params.messageId', message: 'Sender unknown: dismiss it instead' }]);
      // Committed before the workflow stores a message authored by it (outside the lock below).
      const sender = await ensureCustomer(em, first.held_from);
      const publishedId = await em.transactional(async (tx) => {
        const held = await heldMessage(tx, row.id, params.messageId, true);
        const key = `publish-held:${held.id}`;
        let result;
        try {
          result = await executeTicketUpdate(deps.temporal, row.id, addMessageUpdate, {
            updateId: key,
            args: [
              {
                actor: { type: 'user', id: sender.id, role: sender.role },
                requestId,
                kind: 'public',
                channel: 'email',
                bodyHtml: held.body_html,
                bodyText: held.body_text,
                idempotencyKey: key,
                email: { messageId: held.email_message_id, inReplyTo: held.in_reply_to, references: held.references ?? [] },
              },
            ],
          });
        } catch (err) {
          throw mapWorkflowError(err, row.number);
        }
        // The mail's attachments go with it (same stored files).
        await tx.execute(
          `insert into attachments (ticket_id, message_id, filename, content_type, size, sha256, storage_path, created_at)
           select ticket_id, ?, filename, content_type, size, sha256, storage_path, now() from attachments
            where message_id = ? and not exists (select 1 from attachments where message_id = ?) order by id`,
          [result.messageId, held.id, result.messageId],
        );
        await recordReview(tx, row.id, held, user, requestId, 'published', { publishedAs: result.messageId, addParticipant: body.addParticipant });
        return result.messageId;
      });
      if (body.addParticipant) await addParticipants(em, row.id, [first.held_from]);
      const [m] = await messages(em, row.id, true, publishedId);
      return m!;
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/:id/messages/:messageId/dismiss',
    summary: 'Dismiss inbound mail held for review: it stays an internal note, never shown to the customer',
    tags: ['tickets'],
    action: 'ticket.viewInternal',
    params: HeldMessageParams,
    response: MessageDto,
    errors: [404, 409],
    handler: async ({ params, user, em, requestId }) => {
      const row = await visibleTicket(em, user, params.id);
      await em.transactional(async (tx) => {
        const held = await heldMessage(tx, row.id, params.messageId, true);
        await recordReview(tx, row.id, held, user, requestId, 'dismissed');
      });
      const [m] = await messages(em, row.id, true, params.messageId);
      return m!;
    },
  });

  return r;
}
