import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { inboundQueue } from '@mehrdesk/core/queues/inbound-queue';
import type { AppDeps } from '../deps';
import { conflict, notFound, unavailable } from '../http/errors';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { auditChange } from '../audit/record';

// The admins' review list of inbound mail that did not become a ticket or a reply: ignored mail
// (auto-replies, loops, unknown senders, ...) and mail whose processing failed, each with its
// reason; either can be queued again (after a fix, or to overrule the decision by hand).

const InboundEmailDto = z
  .object({
    id: z.number().int(),
    status: z.enum(['received', 'ticket_created', 'replied', 'ignored', 'failed']),
    reason: z.string().nullable(),
    from: z.string().describe('SMTP: the envelope sender (MAIL FROM, "" for the null sender); IMAP: the sender found in the headers'),
    to: z.array(z.string()),
    subject: z.string(),
    messageId: z.string().nullable(),
    size: z.number().int(),
    ticketId: z.number().int().nullable(),
    createdAt: z.string(),
    processedAt: z.string().nullable(),
  })
  .meta({ id: 'InboundEmail' });
const ListQuery = z
  .object({
    status: z.enum(['ignored', 'failed']).describe('Which outcome to review'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

interface Row {
  id: number;
  status: z.infer<typeof InboundEmailDto>['status'];
  reason: string | null;
  from_address: string;
  envelope_to: string[];
  subject: string;
  message_id: string | null;
  size: number;
  ticket_id: number | null;
  created_at: Date;
  processed_at: Date | null;
}

const dto = (r: Row): z.infer<typeof InboundEmailDto> => ({
  id: r.id,
  status: r.status,
  reason: r.reason,
  from: r.from_address,
  to: r.envelope_to,
  subject: r.subject,
  messageId: r.message_id,
  size: r.size,
  ticketId: r.ticket_id,
  createdAt: new Date(r.created_at).toISOString(),
  processedAt: r.processed_at ? new Date(r.processed_at).toISOString() : null,
});

const SELECT = 'select id, status, reason, from_address, envelope_to, subject, message_id, size, ticket_id, created_at, processed_at from inbound_emails';

async function one(em: EntityManager, id: number): Promise<Row> {
  const [r] = await em.execute<Row[]>(`${SELECT} where id = ?`, [id]);
  if (!r) throw notFound(`Inbound e-mail ${id}`);
  return r;
}

export function inboundRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: inbound e-mail'];

  defineRoute(r, registry, {
    method: 'get',
    path: '/inbound-emails',
    summary: 'Inbound mail that was ignored or failed, with the reason, newest first',
    tags,
    action: 'admin.manage',
    query: ListQuery,
    response: z.object({ items: z.array(InboundEmailDto) }),
    handler: async ({ em, query }) => {
      const rows = await em.execute<Row[]>(`${SELECT} where status = ? order by created_at desc, id desc limit ?`, [query.status, query.limit]);
      return { items: rows.map(dto) };
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/inbound-emails/:id/reprocess',
    summary: 'Queue an ignored or failed mail to be processed again',
    tags,
    action: 'admin.manage',
    params: IdParams,
    status: 202,
    response: InboundEmailDto,
    errors: [404, 409, 503],
    handler: async ({ em, req, params }) => {
      await one(em, params.id);
      // Only from a final state that made nothing: a ticket or reply must never be made twice.
      const [claimed] = await em.execute<{ id: number }[]>(
        `update inbound_emails set status = 'received', reason = null, processed_at = null where id = ? and status in ('ignored', 'failed') returning id`,
        [params.id],
      );
      if (!claimed) throw conflict('not_reprocessable', 'Only ignored or failed mail can be processed again');
      const { queue, close } = inboundQueue(deps.config.REDIS_URL);
      try {
        // A job id of its own: the first job (completed or failed) keeps its id in the queue.
        await queue.add('process', { inboundId: params.id }, { jobId: `inbound-${params.id}-reprocess-${Date.now()}` });
      } catch (err) {
        deps.log.warn({ err, inboundId: params.id }, 'could not queue inbound mail again');
        await em.execute(`update inbound_emails set status = 'failed', reason = 'could not be queued again; try later', processed_at = now() where id = ?`, [params.id]);
        throw unavailable('The inbound queue is unavailable; try again later');
      } finally {
        await close();
      }
      await auditChange(em, req, { action: 'inbound_email.reprocessed', targetType: 'inbound_email', targetId: params.id });
      return dto(await one(em, params.id));
    },
  });
  return r;
}
