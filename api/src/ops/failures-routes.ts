import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { IdParams, pathId } from '../http/params';
import { defineRoute } from '../http/route';
import { auditChange } from '../audit/record';
import { notFound } from '../http/errors';

// Ticket work the workers gave up on (an activity failure retrying cannot fix: unstorable data,
// a constraint, an invalid e-mail recipient, a missing ticket). Each one is also on its ticket's
// timeline and counted in /metrics; here admins review them and mark them handled.

const FailureDto = z
  .object({
    id: z.number().int(),
    ticketId: z.number().int().nullable(),
    ticketNumber: z.string().nullable(),
    workflowId: z.string(),
    activity: z.string(),
    errorType: z.string(),
    message: z.string(),
    createdAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.number().int().nullable(),
  })
  .meta({ id: 'ActivityFailure' });
const FailureListDto = z.object({ items: z.array(FailureDto), nextCursor: z.string().nullable() }).meta({ id: 'ActivityFailureList' });
const ListQuery = z
  .object({
    acknowledged: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('Only handled (true) or only open (false) failures'),
    ticketId: pathId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: pathId.optional().describe('nextCursor of the previous page'),
  })
  .strict()
  .meta({ id: 'ListActivityFailuresQuery' });

interface Row {
  id: number;
  ticket_id: number | null;
  number: string | null;
  workflow_id: string;
  activity: string;
  error_type: string;
  message: string;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: number | null;
}

const SELECT = `select f.id, f.ticket_id, t.number, f.workflow_id, f.activity, f.error_type, f.message, f.created_at, f.acknowledged_at, f.acknowledged_by
  from activity_failures f left join tickets t on t.id = f.ticket_id`;

const toDto = (r: Row): z.infer<typeof FailureDto> => ({
  id: r.id,
  ticketId: r.ticket_id,
  ticketNumber: r.number,
  workflowId: r.workflow_id,
  activity: r.activity,
  errorType: r.error_type,
  message: r.message,
  createdAt: new Date(r.created_at).toISOString(),
  acknowledgedAt: r.acknowledged_at ? new Date(r.acknowledged_at).toISOString() : null,
  acknowledgedBy: r.acknowledged_by,
});

export function failureRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const router = Router();

  defineRoute(router, registry, {
    method: 'get',
    path: '/activity-failures',
    summary: 'Ticket work that failed for good (newest first)',
    tags: ['Operations'],
    action: 'admin.manage',
    query: ListQuery,
    response: FailureListDto,
    handler: async ({ em, query }) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.acknowledged !== undefined) where.push(query.acknowledged ? 'f.acknowledged_at is not null' : 'f.acknowledged_at is null');
      if (query.ticketId !== undefined) {
        where.push('f.ticket_id = ?');
        params.push(query.ticketId);
      }
      if (query.cursor !== undefined) {
        where.push('f.id < ?');
        params.push(query.cursor);
      }
      const rows = await em.execute<Row[]>(`${SELECT} ${where.length ? `where ${where.join(' and ')}` : ''} order by f.id desc limit ?`, [...params, query.limit + 1]);
      const page = rows.slice(0, query.limit);
      return { items: page.map(toDto), nextCursor: rows.length > query.limit ? String(page[page.length - 1]!.id) : null };
    },
  });

  defineRoute(router, registry, {
    method: 'post',
    path: '/activity-failures/:id/acknowledge',
    summary: 'Mark a failure as handled (idempotent)',
    tags: ['Operations'],
    action: 'admin.manage',
    params: IdParams,
    response: FailureDto,
    errors: [404],
    handler: async ({ em, req, params, user }) => {
      await em.transactional(async (tx) => {
        const acked = await tx.execute('update activity_failures set acknowledged_at = now(), acknowledged_by = ? where id = ? and acknowledged_at is null returning id', [user.id, params.id]);
        // Only the first acknowledgement is a change worth recording.
        if (acked.length) await auditChange(tx, req, { action: 'activity_failure.acknowledged', targetType: 'activity_failure', targetId: params.id });
      });
      const [row] = await em.execute<Row[]>(`${SELECT} where f.id = ?`, [params.id]);
      if (!row) throw notFound('Activity failure');
      return toDto(row);
    },
  });

  return router;
}
