import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { can, TERMINAL_STATUSES } from '@mehrdesk/core/domain';
import type { AppDeps } from '../deps';
import { notFound } from '../http/errors';
import { defineRoute } from '../http/route';
import { bodyId, IdParams } from '../http/params';
import { createTag, deleteTag, editTag, mergeTag } from '@mehrdesk/usecases/tags/tag-catalogue';
import { tagsInRules } from './references';
import { auditChange } from '../audit/record';

// The tag catalogue (P2): colours, and rename / merge / delete across every ticket. GET /tags
// (tickets/routes.ts) stays the light prefix search for pickers; GET /tags/catalogue adds ids,
// colours and, for admins, how much each tag is used. The changes themselves, through the
// tickets' workflows, are the tag-catalogue use cases. They commit on their own (and change
// tickets through workflows), so a change is audited (`tag.*`) right after it.

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

/** A tag as the audit log records it (null when there is none). */
async function tagRecord(em: EntityManager, tagId: number): Promise<{ id: number; name: string; colour: string | null } | null> {
  const [t] = await em.execute<{ id: number; name: string; colour: string | null }[]>('select id, name, colour from tags where id = ?', [tagId]);
  return t ?? null;
}

/** One tag with its usage (admins' endpoints). */
async function tagDto(em: EntityManager, tagId: number): Promise<z.infer<typeof TagDto>> {
  const [t] = await tagRows(em, 't.id = ?', [tagId]);
  if (!t) throw notFound(`Tag ${tagId}`);
  return {
    id: t.id,
    name: t.name,
    colour: t.colour,
    usage: { tickets: Number(t.tickets), openTickets: Number(t.open_tickets), rules: (await tagsInRules(em)).get(t.name) ?? [] },
  };
}

export function tagRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: tags'];

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
    handler: async ({ em, req, body }) => {
      const tagId = await createTag(em, body);
      await auditChange(em, req, { action: 'tag.created', targetType: 'tag', targetId: tagId, after: await tagRecord(em, tagId) });
      return tagDto(em, tagId);
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
    handler: async ({ em, req, params, body, user, requestId }) => {
      const before = await tagRecord(em, params.id);
      const result = await editTag(deps, { em, user, requestId }, params.id, body);
      await auditChange(em, req, {
        action: 'tag.updated',
        targetType: 'tag',
        targetId: params.id,
        before,
        after: await tagRecord(em, params.id),
        detail: { ticketsUpdated: result.ticketsUpdated, ticketsFailed: result.ticketsFailed.length },
      });
      return {
        tag: await tagDto(em, params.id),
        ticketsUpdated: result.ticketsUpdated,
        ticketsFailed: result.ticketsFailed,
        rules: result.renamed ? ((await tagsInRules(em)).get(result.previousName) ?? []) : [],
      };
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
    handler: async ({ em, req, params, body, user, requestId }) => {
      const before = await tagRecord(em, params.id);
      const result = await mergeTag(deps, { em, user, requestId }, params.id, body.intoId);
      await auditChange(em, req, {
        action: 'tag.merged',
        targetType: 'tag',
        targetId: params.id,
        before,
        after: await tagRecord(em, body.intoId),
        detail: { intoId: body.intoId, ticketsUpdated: result.ticketsUpdated, ticketsFailed: result.ticketsFailed.length },
      });
      return { tag: await tagDto(em, body.intoId), ticketsUpdated: result.ticketsUpdated, ticketsFailed: result.ticketsFailed, rules: (await tagsInRules(em)).get(result.mergedName) ?? [] };
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
    handler: async ({ em, req, params, user, requestId }) => {
      const before = await tagRecord(em, params.id);
      const result = await deleteTag(deps, { em, user, requestId }, params.id);
      await auditChange(em, req, {
        action: 'tag.deleted',
        targetType: 'tag',
        targetId: params.id,
        before,
        detail: { ticketsUpdated: result.ticketsUpdated, ticketsFailed: result.ticketsFailed.length },
      });
      return { tag: null, ticketsUpdated: result.ticketsUpdated, ticketsFailed: result.ticketsFailed, rules: (await tagsInRules(em)).get(result.deletedName) ?? [] };
    },
  });
  return r;
}
