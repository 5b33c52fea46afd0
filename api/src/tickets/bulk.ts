import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { httpStatusOf } from '../http/errors';
import { bodyId } from '../http/params';
import { defineRoute } from '../http/route';
import { bulkChangeTickets, MAX_BULK_IDS, type BulkTicketResult } from '@mehrdesk/usecases/tickets/bulk-change';
import { FieldChangesBody, TicketDto } from './schemas';
import { toTicketDto } from './service';

// POST /tickets/bulk (T7): the request and its answer; the change itself, ticket by ticket
// through their workflows, is the bulk-change use case.

const BulkBody = z
  .object({
    ids: z
      .array(bodyId)
      .min(1)
      .max(MAX_BULK_IDS)
      .superRefine((ids, ctx) => {
        const seen = new Set<number>();
        ids.forEach((id, i) => {
          if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: `ticket ${id} is listed twice` });
          seen.add(id);
        });
      }),
    set: FieldChangesBody,
  })
  .strict()
  .meta({ id: 'BulkTicketsRequest' });

const BulkItemDto = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), ticket: TicketDto }),
  z.object({
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({ status: z.number().int().describe('What the single-ticket endpoint would have answered'), code: z.string(), message: z.string() }),
  }),
]);
const BulkResultDto = z.object({ results: z.array(BulkItemDto).describe('One per id, in request order'), succeeded: z.number().int(), failed: z.number().int() }).meta({ id: 'BulkTicketsResult' });

export function bulkRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const toItem = (x: BulkTicketResult): z.infer<typeof BulkItemDto> => {
    if (x.outcome === 'changed') return { id: x.id, ok: true, ticket: toTicketDto(x.ticket, deps.config.TEMPORAL_UI_URL, deps.config.TEMPORAL_NAMESPACE) };
    if (x.outcome === 'refused') return { id: x.id, ok: false, error: { status: httpStatusOf(x.error), code: x.error.code, message: x.error.message } };
    return { id: x.id, ok: false, error: { status: 500, code: 'internal', message: 'Internal error' } };
  };

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/bulk',
    summary: `Apply one change to up to ${MAX_BULK_IDS} tickets, each through its workflow; answers a result per ticket`,
    tags: ['tickets'],
    action: 'ticket.update',
    body: BulkBody,
    response: BulkResultDto,
    errors: [422],
    handler: async ({ body, user, em, requestId }) => {
      const outcome = await bulkChangeTickets(deps, { em, user, requestId }, { ids: body.ids, set: body.set });
      return { results: outcome.results.map(toItem), succeeded: outcome.succeeded, failed: outcome.failed };
    },
  });

  return r;
}
