import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { conflict, notFound } from '../http/errors';
import { defineRoute } from '../http/route';
import { bodyId, IdParams } from '../http/params';
import { nameList, ReferenceCheck, rulesReferencing, uniqueViolation } from './references';
import { auditChange, without } from '../audit/record';

// Ticket categories (P2): a name, the group new tickets of the category go to and the SLA
// policy that governs them. Staff read them (ticket forms, filters); admins change them, each
// change audited (`category.*`) in its transaction.

const id = bodyId;
const CategoryFields = {
  name: z.string().trim().min(1).max(200),
  defaultGroupId: id.nullable().describe('Group new tickets of this category are routed to'),
  slaPolicyId: id.nullable().describe('SLA policy for tickets of this category (else the group’s, else the default)'),
};
const CreateCategoryBody = z
  .object({ ...CategoryFields, defaultGroupId: CategoryFields.defaultGroupId.default(null), slaPolicyId: CategoryFields.slaPolicyId.default(null) })
  .strict()
  .meta({ id: 'CreateCategoryRequest' });
const PatchCategoryBody = z
  .object(CategoryFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to change' })
  .meta({ id: 'PatchCategoryRequest' });
const CategoryDto = z
  .object({
    id: z.number().int(),
    name: z.string(),
    defaultGroupId: z.number().int().nullable(),
    slaPolicyId: z.number().int().nullable(),
    tickets: z.number().int().describe('Tickets (not deleted) in the category'),
  })
  .meta({ id: 'Category' });
type CategoryDtoT = z.infer<typeof CategoryDto>;

interface Row {
  id: number;
  name: string;
  default_group_id: number | null;
  sla_policy_id: number | null;
  tickets: string;
}

async function categoryDtos(em: EntityManager, onlyId?: number): Promise<CategoryDtoT[]> {
  const rows = await em.execute<Row[]>(
    `select c.id, c.name, c.default_group_id, c.sla_policy_id, (select count(*) from tickets t where t.category_id = c.id and t.deleted_at is null) as tickets
       from categories c ${onlyId === undefined ? '' : 'where c.id = ?'} order by c.name, c.id`,
    onlyId === undefined ? [] : [onlyId],
  );
  return rows.map((c) => ({ id: c.id, name: c.name, defaultGroupId: c.default_group_id, slaPolicyId: c.sla_policy_id, tickets: Number(c.tickets) }));
}

async function categoryDto(em: EntityManager, categoryId: number): Promise<CategoryDtoT> {
  const [c] = await categoryDtos(em, categoryId);
  if (!c) throw notFound(`Category ${categoryId}`);
  return c;
}

const audited = (c: CategoryDtoT) => without(c, 'tickets');

async function checkReferences(em: EntityManager, body: { defaultGroupId?: number | null; slaPolicyId?: number | null }): Promise<void> {
  const check = new ReferenceCheck(em);
  await check.exists('body.defaultGroupId', 'groups', body.defaultGroupId, 'group');
  await check.exists('body.slaPolicyId', 'sla_policies', body.slaPolicyId, 'SLA policy');
  check.done();
}

export function categoryRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: categories'];
  const taken = (err: unknown) => uniqueViolation(err, 'categories_name_unique', 'name', 'A category with this name exists');

  defineRoute(r, registry, {
    method: 'get',
    path: '/categories',
    summary: 'Ticket categories',
    tags,
    action: 'directory.read',
    response: z.object({ items: z.array(CategoryDto) }),
    handler: async ({ em }) => ({ items: await categoryDtos(em) }),
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/categories/:id',
    summary: 'One category',
    tags,
    action: 'directory.read',
    params: IdParams,
    response: CategoryDto,
    errors: [404],
    handler: async ({ em, params }) => categoryDto(em, params.id),
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/categories',
    summary: 'Create a category',
    tags,
    action: 'admin.manage',
    body: CreateCategoryBody,
    status: 201,
    response: CategoryDto,
    errors: [409, 422],
    handler: async ({ em, req, body }) => {
      await checkReferences(em, body);
      const categoryId = await em
        .transactional(async (tx) => {
          const [row] = await tx.execute<{ id: number }[]>('insert into categories (name, default_group_id, sla_policy_id) values (?, ?, ?) returning id', [
            body.name,
            body.defaultGroupId,
            body.slaPolicyId,
          ]);
          await auditChange(tx, req, { action: 'category.created', targetType: 'category', targetId: row!.id, after: audited(await categoryDto(tx, row!.id)) });
          return row!.id;
        })
        .catch(taken);
      return categoryDto(em, categoryId);
    },
  });
  defineRoute(r, registry, {
    method: 'patch',
    path: '/categories/:id',
    summary: 'Change a category (applies to tickets created from now on)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: PatchCategoryBody,
    response: CategoryDto,
    errors: [404, 409, 422],
    handler: async ({ em, req, params, body }) => {
      const before = await categoryDto(em, params.id);
      await checkReferences(em, body);
      const columns: Record<string, string> = { name: 'name', defaultGroupId: 'default_group_id', slaPolicyId: 'sla_policy_id' };
      const sets = Object.entries(body).filter(([k, v]) => k in columns && v !== undefined);
      await em
        .transactional(async (tx) => {
          await tx.execute(`update categories set ${sets.map(([k]) => `${columns[k]} = ?`).join(', ')} where id = ?`, [...sets.map(([, v]) => v), params.id]);
          await auditChange(tx, req, { action: 'category.updated', targetType: 'category', targetId: params.id, before: audited(before), after: audited(await categoryDto(tx, params.id)) });
        })
        .catch(taken);
      return categoryDto(em, params.id);
    },
  });
  defineRoute(r, registry, {
    method: 'delete',
    path: '/categories/:id',
    summary: 'Delete a category no ticket or rule uses (409 names what does)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    status: 204,
    errors: [404, 409],
    handler: async ({ em, req, params }) => {
      const c = await categoryDto(em, params.id);
      await em.transactional(async (tx) => {
        await tx.execute('select id from categories where id = ? for update', [params.id]);
        const [{ n }] = await tx.execute<[{ n: string }]>('select count(*) as n from tickets where category_id = ? and deleted_at is null', [params.id]);
        const rules = await rulesReferencing(tx, 'category', params.id);
        const uses = [Number(n) ? `${n} ticket${Number(n) === 1 ? '' : 's'}` : null, rules.length ? `rule${rules.length === 1 ? '' : 's'} ${nameList(rules.map((x) => x.name))}` : null].filter(
          (x): x is string => x !== null,
        );
        if (uses.length) throw conflict('category_in_use', `Category "${c.name}" is used by ${uses.join('; ')}`);
        await tx.execute('delete from categories where id = ?', [params.id]);
        await auditChange(tx, req, { action: 'category.deleted', targetType: 'category', targetId: params.id, before: audited(c) });
      });
      return undefined;
    },
  });
  return r;
}
