import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { can, TERMINAL_STATUSES } from '@mehrdesk/core/domain';
import { changeTicketUpdate, FAILURE } from '@mehrdesk/workflows/contracts';
import type { AuthUser } from '../auth/authenticate';
import type { AppDeps } from '../deps';
import { badRequest, notFound } from '../http/errors';
import { defineRoute } from '../http/route';
import { bodyId, IdParams } from '../http/params';
import { executeTicketUpdate } from '@mehrdesk/usecases/tickets/workflow-bridge';
import { conflictAt, tagsInRules } from './references';

// The tag catalogue (P2): colours, and rename / merge / delete across every ticket. GET /tags
// (tickets/routes.ts) stays the light prefix search for pickers; GET /tags/catalogue adds ids,
// colours and, for admins, how much each tag is used. Tickets whose workflow runs get the new
// tag set through that workflow (timeline "tags changed by <admin>", optimistic lock, retried
// on a concurrent change); closed, cancelled and deleted tickets, whose workflows have ended,
// are rewritten in one statement with their timeline entries.

// Same rule as ticket tags (tickets/schemas.ts): 1-64 letters, digits, _ . : -, lower-cased.
const TagName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[\p{L}\p{N}_.:-]{1,64}$/u, 'tags are 1-64 letters, digits, _ . : -');
const Colour = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1e88e5')
  .transform((c) => c.toLowerCase())
  .nullable();
const CreateTagBody = z
  .object({ name: TagName, colour: Colour.default(null) })
  .strict()
  .meta({ id: 'CreateTagRequest' });
const PatchTagBody = z
  .object({ name: TagName.describe('Renames the tag on every ticket'), colour: Colour })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to change' })
  .meta({ id: 'PatchTagRequest' });
const MergeTagBody = z
  .object({ intoId: bodyId.describe('The tag that remains') })
  .strict()
  .meta({ id: 'MergeTagRequest' });
const RuleRefDto = z.object({ id: z.number().int(), name: z.string() });
const Usage = z.object({ tickets: z.number().int(), openTickets: z.number().int(), rules: z.array(RuleRefDto).describe('Rules naming the tag (not rewritten by rename, merge or delete)') });
const TagDto = z.object({ id: z.number().int(), name: z.string(), colour: z.string().nullable(), usage: Usage.optional().describe('Admins only') }).meta({ id: 'Tag' });
const TagChangeDto = z
  .object({
    tag: TagDto.nullable().describe('The tag after the change (the remaining one for a merge; null after delete)'),
    ticketsUpdated: z.number().int(),
    ticketsFailed: z.array(z.number().int()).describe('Tickets that could not be changed (workflow unavailable); retry the operation'),
    rules: z.array(RuleRefDto).describe('Rules that still name the old tag: edit them'),
  })
  .meta({ id: 'TagChangeResult' });
const CatalogueQuery = z.object({ q: z.string().trim().toLowerCase().max(64).optional().describe('Part of the name'), limit: z.coerce.number().int().min(1).max(5000).default(1000) }).strict();

interface TagRow {
  id: number;
  name: string;
  colour: string | null;
  tickets: string;
  open_tickets: string;
}

const terminalList = TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ');

async function tagRows(em: EntityManager, where: string, params: unknown[], limit = 1): Promise<TagRow[]> {
  return em.execute<TagRow[]>(
    `with usage as (
       select x as name, count(*) as tickets, count(*) filter (where k.status not in (${terminalList})) as open_tickets
         from tickets k, unnest(k.tags) x where k.deleted_at is null ${where ? `and x in (select name from tags t where ${where})` : ''} group by x)
     select t.id, t.name, t.colour, coalesce(u.tickets, 0) as tickets, coalesce(u.open_tickets, 0) as open_tickets
       from tags t left join usage u on u.name = t.name ${where ? `where ${where}` : ''} order by t.name limit ?`,
    [...(where ? params : []), ...(where ? params : []), limit],
  );
}

async function tagDto(em: EntityManager, tagId: number, withUsage = true): Promise<z.infer<typeof TagDto>> {
  const [t] = await tagRows(em, 't.id = ?', [tagId]);
  if (!t) throw notFound(`Tag ${tagId}`);
  return {
    id: t.id,
    name: t.name,
    colour: t.colour,
    ...(withUsage ? { usage: { tickets: Number(t.tickets), openTickets: Number(t.open_tickets), rules: (await tagsInRules(em)).get(t.name) ?? [] } } : {}),
  };
}

const isFailure = (err: unknown, type: string) => err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === type;

/**
 * Replace tag `from` by `to` (null: remove it) on every ticket that has it. Returns how many
 * tickets changed and which could not be reached.
 */
async function retagTickets(deps: AppDeps, em: EntityManager, actor: AuthUser, requestId: string, from: string, to: string | null): Promise<{ updated: number; failed: number[] }> {
  const rewrite = (tags: string[]) => [...new Set(tags.flatMap((t) => (t === from ? (to === null ? [] : [to]) : [t])))].sort();
  const live = await em.execute<{ id: number }[]>(`select id from tickets where tags @> array[?]::text[] and deleted_at is null and status not in (${terminalList}) order by id`, [from]);
  let updated = 0;
  const failed: number[] = [];
  const one = async (ticketId: number): Promise<void> => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const [row] = await em.execute<{ version: number; tags: string[]; live: boolean }[]>(
        `select version, tags, deleted_at is null and status not in (${terminalList}) as live from tickets where id = ?`,
        [ticketId],
      );
      if (!row || !row.tags.includes(from) || !row.live) return; // gone, already changed, or finished (the bulk rewrite below takes it)
      try {
        await executeTicketUpdate(deps.temporal, ticketId, changeTicketUpdate, {
          args: [{ actor: { type: 'user', id: actor.id, role: actor.role }, requestId, expectedVersion: row.version, tags: rewrite(row.tags) }],
        });
        updated++;
        return;
      } catch (err) {
        if (isFailure(err, FAILURE.versionConflict)) continue; // changed meanwhile: read again
        if (isFailure(err, FAILURE.ticketFinished) || err instanceof WorkflowNotFoundError) return;
        deps.log.warn({ err, ticketId, requestId }, 'could not retag ticket');
        failed.push(ticketId);
        return;
      }
    }
    failed.push(ticketId);
  };
  // Bounded fan-out, as for SLA re-planning: quick without flooding the Temporal frontend.
  for (let i = 0; i < live.length; i += 8) await Promise.all(live.slice(i, i + 8).map((t) => one(t.id)));

  // Finished tickets have no workflow to ask: rewrite the rows, with timeline entries.
  const finished = await em.execute<{ id: number }[]>(
    `with old as (
       select id, tags from tickets where tags @> array[?]::text[] and (deleted_at is not null or status in (${terminalList})) for update),
     changed as (
       update tickets t set tags = coalesce((select array_agg(distinct x order by x) from unnest(array_replace(t.tags, ?, ?::text)) x where x is not null), '{}'),
                            version = t.version + 1
         from old where t.id = old.id returning t.id, old.tags as old_tags, t.tags as new_tags)
     insert into timeline_events (ticket_id, type, actor_type, actor_id, field, old_value, new_value, meta, idempotency_key, created_at)
     select id, 'ticket.tags_changed', 'user', ?, 'tags', to_jsonb(old_tags), to_jsonb(new_tags), ?::jsonb, ? || ':' || id, now() from changed
     returning ticket_id as id`,
    [from, from, to, actor.id, JSON.stringify({ via: to === null ? 'tag.delete' : 'tag.rename', requestId }), `tag:${requestId}:${from}`],
  );
  return { updated: updated + finished.length, failed };
}

export function tagRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: tags'];
  const exists = (name: string) => conflictAt('tag_exists', `A tag named "${name}" exists: merge into it instead`, [{ path: 'body.name', message: 'Already taken' }]);

  // Static paths before '/tags/:id'.
  defineRoute(r, registry, {
    method: 'get',
    path: '/tags/catalogue',
    summary: 'Every tag with its colour; for admins also how many tickets and which rules use it',
    tags,
    action: 'directory.read',
    query: CatalogueQuery,
    response: z.object({ items: z.array(TagDto) }),
    handler: async ({ em, query, user }) => {
      const rows = query.q ? await tagRows(em, `t.name like ? escape '\\'`, [`%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`], query.limit) : await tagRows(em, '', [], query.limit);
      const admin = can(user.role, 'admin.manage');
      const rules = admin ? await tagsInRules(em) : null;
      return {
        items: rows.map((t) => ({
          id: t.id,
          name: t.name,
          colour: t.colour,
          ...(rules ? { usage: { tickets: Number(t.tickets), openTickets: Number(t.open_tickets), rules: rules.get(t.name) ?? [] } } : {}),
        })),
      };
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/tags',
    summary: 'Add a tag to the catalogue',
    tags,
    action: 'admin.manage',
    body: CreateTagBody,
    status: 201,
    response: TagDto,
    errors: [409],
    handler: async ({ em, body }) => {
      const [row] = await em.execute<{ id: number }[]>('insert into tags (name, colour) values (?, ?) on conflict (name) do nothing returning id', [body.name, body.colour]);
      if (!row) throw exists(body.name);
      return tagDto(em, row.id);
    },
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/tags/:id',
    summary: 'One tag with its usage',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: TagDto,
    errors: [404],
    handler: async ({ em, params }) => tagDto(em, params.id),
  });
  defineRoute(r, registry, {
    method: 'patch',
    path: '/tags/:id',
    summary: 'Recolour or rename a tag (renaming rewrites it on every ticket)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: PatchTagBody,
    response: TagChangeDto,
    errors: [404, 409],
    handler: async ({ em, params, body, user, requestId }) => {
      const current = await tagDto(em, params.id, false);
      const rename = body.name !== undefined && body.name !== current.name;
      if (rename && (await em.execute('select 1 from tags where name = ?', [body.name])).length) throw exists(body.name!);
      await em
        .execute(`update tags set ${[...(rename ? ['name = ?'] : []), ...(body.colour !== undefined ? ['colour = ?'] : []), 'id = id'].join(', ')} where id = ?`, [
          ...(rename ? [body.name] : []),
          ...(body.colour !== undefined ? [body.colour] : []),
          params.id,
        ])
        .catch((err: unknown) => {
          if (String(err).includes('tags_name_unique')) throw exists(body.name!);
          throw err;
        });
      const result = rename ? await retagTickets(deps, em, user, requestId, current.name, body.name!) : { updated: 0, failed: [] };
      // Tickets left with the old name keep it in the catalogue, so it can be merged later.
      if (result.failed.length) await em.execute('insert into tags (name) values (?) on conflict (name) do nothing', [current.name]);
      return { tag: await tagDto(em, params.id), ticketsUpdated: result.updated, ticketsFailed: result.failed, rules: rename ? ((await tagsInRules(em)).get(current.name) ?? []) : [] };
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/tags/:id/merge',
    summary: 'Merge a tag into another: every ticket gets the other tag, this one is deleted',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: MergeTagBody,
    response: TagChangeDto,
    errors: [404],
    handler: async ({ em, params, body, user, requestId }) => {
      const from = await tagDto(em, params.id, false);
      if (body.intoId === params.id) throw badRequest('Cannot merge a tag into itself', [{ path: 'body.intoId', message: 'Choose another tag' }]);
      const [into] = await em.execute<{ name: string }[]>('select name from tags where id = ?', [body.intoId]);
      if (!into) throw notFound(`Tag ${body.intoId}`);
      const result = await retagTickets(deps, em, user, requestId, from.name, into.name);
      // Keep the source while some ticket still carries it, so the operation can be repeated.
      if (result.failed.length === 0) await em.execute('delete from tags where id = ?', [params.id]);
      return { tag: await tagDto(em, body.intoId), ticketsUpdated: result.updated, ticketsFailed: result.failed, rules: (await tagsInRules(em)).get(from.name) ?? [] };
    },
  });
  defineRoute(r, registry, {
    method: 'delete',
    path: '/tags/:id',
    summary: 'Delete a tag: it is removed from every ticket',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: TagChangeDto,
    errors: [404],
    handler: async ({ em, params, user, requestId }) => {
      const tag = await tagDto(em, params.id, false);
      const result = await retagTickets(deps, em, user, requestId, tag.name, null);
      if (result.failed.length === 0) await em.execute('delete from tags where id = ?', [params.id]);
      return { tag: null, ticketsUpdated: result.updated, ticketsFailed: result.failed, rules: (await tagsInRules(em)).get(tag.name) ?? [] };
    },
  });
  return r;
}
