import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { TicketFieldChanges } from '@mehrdesk/core/db';
import type { AppDeps } from '../deps';
import { httpStatusOf, unprocessable, type FieldError } from '../http/errors';
import { DomainError } from '@mehrdesk/usecases/errors';
import { bodyId } from '../http/params';
import { defineRoute } from '../http/route';
import { applyFieldChanges, type ChangeCtx } from '@mehrdesk/usecases/tickets/change-ticket';
import { FieldChangesBody, TicketDto } from './schemas';
import { toTicketDto } from './service';

// Bulk actions (T7): one field change applied to up to 200 tickets, each through its own
// workflow exactly as a single update would be, with a result per ticket so partial failures
// are visible (a ticket that is not visible, finished or refuses the transition fails alone).

const MAX_IDS = 200;
/** Workflow updates in flight at once: fast enough for 200 tickets, gentle on Temporal. */
const CONCURRENCY = 4;

const BulkBody = z
  .object({
    ids: z
      .array(bodyId)
      .min(1)
      .max(MAX_IDS)
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

/** Refuse the whole request when it names an unknown agent or group: nothing is changed then. */
export async function checkFieldReferences(em: EntityManager, set: TicketFieldChanges, at: string): Promise<void> {
  const problems: FieldError[] = [];
  if (set.assigneeId !== undefined && set.assigneeId !== null) {
    const rows = await em.execute(`select 1 from users where id = ? and active and role <> 'customer'`, [set.assigneeId]);
    if (rows.length === 0) problems.push({ path: `${at}.assigneeId`, message: `No active agent ${set.assigneeId}` });
  }
  if (set.groupId !== undefined && set.groupId !== null) {
    const rows = await em.execute('select 1 from groups where id = ?', [set.groupId]);
    if (rows.length === 0) problems.push({ path: `${at}.groupId`, message: `No group ${set.groupId}` });
  }
  if (problems.length) throw unprocessable('Request refers to unknown records', problems);
}

async function inPool<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

export function bulkRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const dto = (row: Parameters<typeof toTicketDto>[0]) => toTicketDto(row, deps.config.TEMPORAL_UI_URL, deps.config.TEMPORAL_NAMESPACE);

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/bulk',
    summary: `Apply one change to up to ${MAX_IDS} tickets, each through its workflow; answers a result per ticket`,
    tags: ['tickets'],
    action: 'ticket.update',
    body: BulkBody,
    response: BulkResultDto,
    errors: [422],
    handler: async ({ body, user, em, requestId }) => {
      await checkFieldReferences(em, body.set, 'body.set');
      const results = await inPool(body.ids, CONCURRENCY, async (id) => {
        // Own EntityManager per ticket: the changes run concurrently.
        const ctx: ChangeCtx = { em: em.fork(), user, requestId };
        try {
          return { id, ok: true as const, ticket: dto(await applyFieldChanges(deps, ctx, id, body.set)) };
        } catch (err) {
          if (err instanceof DomainError) return { id, ok: false as const, error: { status: httpStatusOf(err), code: err.code, message: err.message } };
          deps.log.error({ err, ticketId: id, requestId }, 'bulk change failed');
          return { id, ok: false as const, error: { status: 500, code: 'internal', message: 'Internal error' } };
        }
      });
      const succeeded = results.filter((x) => x.ok).length;
      return { results, succeeded, failed: results.length - succeeded };
    },
  });

  return r;
}
