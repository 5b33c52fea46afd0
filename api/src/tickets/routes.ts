import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { TERMINAL_STATUSES, can, remainingMs, type Priority, type TicketStatus } from '@mehrdesk/core/domain';
import { publishLiveEvent, scopeOf } from '@mehrdesk/core/live-events';
import { changeTicketUpdate, slaQuery, ticketWorkflowId, type ChangeTicketRequest } from '@mehrdesk/workflows/contracts';
import type { AppDeps } from '../deps';
import { forbidden, unprocessable } from '../http/errors';
import { defineRoute } from '../http/route';
import {
  AssigneeBody,
  CreateTicketBody,
  IdempotencyHeaders,
  ListTicketsQuery,
  MessageBody,
  MessageDto,
  PatchTicketBody,
  PriorityBody,
  SlaDto,
  StatusBody,
  TicketDto,
  TicketIdParams,
  TicketListDto,
  TimelineEventDto,
} from './schemas';
import { listTickets, toTicketDto, visibleTicket, type TicketRow } from './service';
import { createTicket } from '@mehrdesk/usecases/tickets/create-ticket';
import { actorOf, addTicketMessage, changeTicket, type ChangeCtx, type TicketChange } from '@mehrdesk/usecases/tickets/change-ticket';
import { executeTicketUpdate, mapWorkflowError } from '@mehrdesk/usecases/tickets/workflow-bridge';
import { pgArray } from '@mehrdesk/core/db';
import { recordTimeline } from '@mehrdesk/core/services/timeline';

function idempotencyKeyOf(req: import('express').Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key !== undefined && (key.length === 0 || key.length > 200)) throw unprocessable('Invalid Idempotency-Key', [{ path: 'headers.idempotency-key', message: 'Must be 1-200 characters' }]);
  return key;
}

export function ticketRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const dto = (row: TicketRow) => toTicketDto(row, deps.config.TEMPORAL_UI_URL, deps.config.TEMPORAL_NAMESPACE);
  const handle = (id: number) => deps.temporal.workflow.getHandle(ticketWorkflowId(id));

  /** Send a change through the ticket's workflow and answer with the row it persisted. */
  const change = async (ctx: ChangeCtx, id: number, req: TicketChange) => dto(await changeTicket(deps, ctx, id, req));

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets',
    summary: 'Create a ticket (starts its lifecycle workflow)',
    tags: ['tickets'],
    action: 'ticket.create',
    body: CreateTicketBody,
    headers: IdempotencyHeaders,
    status: 201,
    alsoStatus: { 200: 'The ticket created earlier with the same Idempotency-Key' },
    response: TicketDto,
    errors: [422, 429, 503],
    handler: async ({ req, res, body, user, em, requestId }) => {
      const key = idempotencyKeyOf(req);
      const { row, created } = await createTicket(deps, em, user, body, key, requestId);
      res
        .status(created ? 201 : 200)
        .location(`/api/v1/tickets/${row.id}`)
        .json(dto(row));
      return undefined as never;
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/tickets',
    summary: 'List tickets visible to the caller (newest first unless sorted), with filters, text search and a cursor',
    tags: ['tickets'],
    action: 'ticket.list',
    query: ListTicketsQuery,
    response: TicketListDto,
    errors: [422],
    handler: async ({ query, user, em }) => {
      const { rows, nextCursor } = await listTickets(em, user, query, deps.search);
      return { items: rows.map(dto), nextCursor };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/tags',
    summary: 'Tag names in use, optionally by prefix (for pickers)',
    tags: ['tickets'],
    action: 'ticket.update',
    query: z.object({ q: z.string().trim().toLowerCase().max(64).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict(),
    response: z.object({ items: z.array(z.string()) }),
    handler: async ({ em, query }) => {
      const rows = await em.execute<{ name: string }[]>(`select name from tags where name like ? escape '\\' order by name limit ?`, [
        `${(query.q ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
        query.limit,
      ]);
      return { items: rows.map((r) => r.name) };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/tickets/:id',
    summary: 'One ticket',
    tags: ['tickets'],
    action: 'ticket.view',
    params: TicketIdParams,
    response: TicketDto,
    errors: [404],
    handler: async ({ params, user, em }) => dto(await visibleTicket(em, user, params.id)),
  });

  defineRoute(r, registry, {
    method: 'patch',
    path: '/tickets/:id',
    summary: 'Change status, priority, assignee and/or group (optimistic locking by version)',
    tags: ['tickets'],
    action: 'ticket.update',
    params: TicketIdParams,
    body: PatchTicketBody,
    response: TicketDto,
    errors: [404, 409, 422, 503],
    handler: async (ctx) => {
      const { version, ...fields } = ctx.body;
      return change(ctx, ctx.params.id, { ...fields, expectedVersion: version });
    },
  });

  const single = <B extends z.ZodType<{ version?: number }>>(path: string, summary: string, body: B, pick: (b: z.infer<B>) => Omit<ChangeTicketRequest, 'actor' | 'requestId'>) =>
    defineRoute(r, registry, {
      method: 'post',
      path: `/tickets/:id/${path}`,
      summary,
      tags: ['tickets'],
      action: 'ticket.update',
      params: TicketIdParams,
      body: body as never,
      response: TicketDto,
      errors: [404, 409, 422, 503],
      handler: async (ctx) => change(ctx, ctx.params.id, { ...pick(ctx.body as z.infer<B>), expectedVersion: (ctx.body as { version?: number }).version }),
    });
  single('status', 'Change the status (illegal transitions are refused with 409)', StatusBody, (b) => ({ status: b.status as TicketStatus }));
  single('priority', 'Change the priority (SLA targets are recomputed)', PriorityBody, (b) => ({ priority: b.priority as Priority }));
  single('assignee', 'Assign to an agent, or unassign with null', AssigneeBody, (b) => ({ assigneeId: b.assigneeId as number | null }));

  defineRoute(r, registry, {
    method: 'delete',
    path: '/tickets/:id',
    summary: 'Soft-delete a ticket: cancelled, hidden from lists, its workflow ends (admin/supervisor)',
    tags: ['tickets'],
    action: 'ticket.delete',
    params: TicketIdParams,
    status: 204,
    errors: [404, 409, 503],
    handler: async (ctx) => {
      const row = await visibleTicket(ctx.em, ctx.user, ctx.params.id);
      if (TERMINAL_STATUSES.includes(row.status)) {
        // Its workflow has ended, so nothing else writes this row any more: mark it here.
        await ctx.em.transactional(async (tx) => {
          const [done] = await tx.execute<{ version: number; deleted_at: Date }[]>(
            'update tickets set deleted_at = now(), version = version + 1 where id = ? and deleted_at is null returning version, deleted_at',
            [row.id],
          );
          if (done)
            await publishLiveEvent(tx, {
              type: 'ticket.updated',
              ticketId: row.id,
              version: done.version,
              fields: ['deletedAt'],
              values: { deletedAt: new Date(done.deleted_at).toISOString() },
              scope: scopeOf(row),
              actor: { type: 'user', id: ctx.user.id },
              at: new Date().toISOString(),
            });
          await recordTimeline(tx, {
            ticketId: row.id,
            type: 'ticket.deleted',
            actor: { type: 'user', id: ctx.user.id },
            field: 'deleted',
            from: false,
            to: true,
            meta: { requestId: ctx.requestId },
            idempotencyKey: `ticket-${row.id}:deleted`,
          });
        });
        return undefined;
      }
      try {
        await executeTicketUpdate(deps.temporal, row.id, changeTicketUpdate, { args: [{ delete: true, actor: actorOf(ctx.user), requestId: ctx.requestId }] });
      } catch (err) {
        throw mapWorkflowError(err, row.number);
      }
      return undefined;
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/:id/messages',
    summary: 'Reply publicly or add an internal note',
    tags: ['tickets'],
    action: 'ticket.reply',
    params: TicketIdParams,
    body: MessageBody,
    headers: IdempotencyHeaders,
    status: 201,
    response: MessageDto,
    errors: [404, 409, 422, 503],
    handler: async ({ req, params, body, user, em, requestId }) => {
      if (body.internal && !can(user.role, 'ticket.note')) throw forbidden('Only staff can add internal notes');
      const row = await visibleTicket(em, user, params.id);
      const messageId = await addTicketMessage(deps, { em, user, requestId }, row, {
        body: body.body,
        internal: body.internal,
        idempotencyKey: idempotencyKeyOf(req) ?? randomUUID(),
        ...(body.attachmentIds ? { attachmentIds: body.attachmentIds } : {}),
      });
      const [m] = await messages(em, row.id, true, messageId);
      return m!;
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/tickets/:id/messages',
    summary: 'The conversation (customers never see internal notes)',
    tags: ['tickets'],
    action: 'ticket.view',
    params: TicketIdParams,
    response: z.object({ items: z.array(MessageDto) }),
    errors: [404],
    handler: async ({ params, user, em }) => {
      const row = await visibleTicket(em, user, params.id);
      return { items: await messages(em, row.id, can(user.role, 'ticket.viewInternal')) };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/tickets/:id/timeline',
    summary: 'Every change with actor, time, old and new value (staff only)',
    tags: ['tickets'],
    action: 'ticket.viewInternal',
    params: TicketIdParams,
    response: z.object({ items: z.array(TimelineEventDto) }),
    errors: [404],
    handler: async ({ params, user, em }) => {
      const row = await visibleTicket(em, user, params.id);
      const items = await em.execute<Record<string, unknown>[]>(
        `select e.id, e.type, e.actor_type, e.actor_id, u.name as actor_name, e.field, e.old_value, e.new_value, e.meta, e.created_at
           from timeline_events e left join users u on u.id = e.actor_id where e.ticket_id = ? order by e.id`,
        [row.id],
      );
      return {
        items: items.map((e) => ({
          id: e.id as number,
          type: e.type as string,
          actor: { type: e.actor_type as string, id: (e.actor_id as number | null) ?? null, name: (e.actor_name as string | null) ?? null },
          field: (e.field as string | null) ?? null,
          oldValue: e.old_value,
          newValue: e.new_value,
          meta: (e.meta as Record<string, unknown>) ?? {},
          createdAt: new Date(e.created_at as Date).toISOString(),
        })),
      };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/tickets/:id/sla',
    summary: 'Live SLA clocks, read from the ticket workflow',
    tags: ['tickets'],
    action: 'ticket.viewSla',
    params: TicketIdParams,
    response: SlaDto,
    errors: [404, 503],
    handler: async ({ params, user, em }) => {
      const row = await visibleTicket(em, user, params.id);
      let view;
      try {
        view = await handle(row.id).query(slaQuery);
      } catch (err) {
        throw mapWorkflowError(err, row.number);
      }
      const now = Date.now();
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      return {
        ticketId: row.id,
        state: view.state,
        policy: view.policy ? { id: view.policy.id, name: view.policy.name, timeZone: view.policy.calendar.timeZone } : null,
        clocks: view.clocks.map((c) => ({
          name: c.name,
          state: c.state,
          targetSeconds: c.targetMs / 1000,
          dueAt: iso(c.dueAt),
          warnAt: iso(c.warnAt),
          remainingSeconds: view.policy ? Math.round(remainingMs(c.stoppedAt === null ? c : { ...c, runningSince: null }, view.policy.calendar, now) / 1000) : 0,
          warned: c.warned,
          breached: c.breached,
          breachedAt: iso(c.breachedAt),
          stoppedAt: iso(c.stoppedAt),
          met: c.met,
        })),
        autoCloseAt: iso(view.autoCloseAt),
        observedAt: new Date(now).toISOString(),
      };
    },
  });

  return r;
}

export async function messages(em: import('@mikro-orm/postgresql').EntityManager, ticketId: number, includeInternal: boolean, onlyId?: number): Promise<z.infer<typeof MessageDto>[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select m.id, m.ticket_id, m.kind, m.channel, m.body_html, m.body_text, m.created_at, m.review_status, m.held_from, u.id as author_id, u.name as author_name, u.role as author_role
       from messages m left join users u on u.id = m.author_id
      where m.ticket_id = ? ${includeInternal ? '' : `and m.kind <> 'internal'`} ${onlyId ? 'and m.id = ?' : ''}
      order by m.id`,
    onlyId ? [ticketId, onlyId] : [ticketId],
  );
  const files = rows.length
    ? await em.execute<{ id: number; message_id: number; filename: string; content_type: string; size: number }[]>(
        'select id, message_id, filename, content_type, size from attachments where message_id = any(?::int[]) order by id',
        [pgArray(rows.map((m) => m.id as number))],
      )
    : [];
  const filesOf = (messageId: number) =>
    files.filter((f) => f.message_id === messageId).map((f) => ({ id: f.id, filename: f.filename, contentType: f.content_type, size: f.size, url: `/api/v1/attachments/${f.id}` }));
  return rows.map((m) => ({
    id: m.id as number,
    ticketId: m.ticket_id as number,
    kind: m.kind as z.infer<typeof MessageDto>['kind'],
    channel: m.channel as z.infer<typeof MessageDto>['channel'],
    author: m.author_id ? { id: m.author_id as number, name: m.author_name as string, role: m.author_role as string } : null,
    bodyHtml: m.body_html as string,
    bodyText: m.body_text as string,
    attachments: filesOf(m.id as number),
    createdAt: new Date(m.created_at as Date).toISOString(),
    review: m.review_status ? { status: m.review_status as NonNullable<z.infer<typeof MessageDto>['review']>['status'], from: (m.held_from as string | null) ?? '' } : null,
  }));
}
