import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { conflict, unprocessable } from '../http/errors';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { CreateKbCategoryBody, KbCategoryDto, PatchKbCategoryBody } from './schemas';
import { assignments, categoryExists, categoryNode, categoryTree, isSelfOrDescendant, nextCategoryPosition } from './service';

// The knowledge base's category tree: staff read it, admins and supervisors change it. Names
// are per language; siblings are ordered by `position`; a category moves under another by
// `parentId` (never under itself or its own descendants).

export function kbCategoryRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['knowledge base'];

  defineRoute(r, registry, {
    method: 'get',
    path: '/kb/categories',
    summary: 'The category tree (ordered), with article counts',
    tags,
    action: 'kb.read',
    response: z.object({ items: z.array(KbCategoryDto) }),
    handler: async ({ em }) => ({ items: await categoryTree(em) }),
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/kb/categories',
    summary: 'Create a category',
    tags,
    action: 'kb.write',
    body: CreateKbCategoryBody,
    status: 201,
    response: KbCategoryDto,
    errors: [422],
    handler: async ({ em, body }) => {
      if (body.parentId !== null && !(await categoryExists(em, body.parentId)))
        throw unprocessable('Refers to records that do not exist', [{ path: 'body.parentId', message: `No category ${body.parentId}` }]);
      const position = body.position ?? (await nextCategoryPosition(em, body.parentId));
      const [row] = await em.execute<{ id: number }[]>('insert into kb_categories (parent_id, position, names, created_at, updated_at) values (?, ?, ?::jsonb, now(), now()) returning id', [
        body.parentId,
        position,
        JSON.stringify(body.names),
      ]);
      return categoryNode(em, row!.id);
    },
  });

  defineRoute(r, registry, {
    method: 'patch',
    path: '/kb/categories/:id',
    summary: 'Rename, move or reorder a category',
    tags,
    action: 'kb.write',
    params: IdParams,
    body: PatchKbCategoryBody,
    response: KbCategoryDto,
    errors: [404, 422],
    handler: async ({ em, params, body }) => {
      await em.transactional(async (tx) => {
        await categoryNode(tx, params.id);
        // One move at a time: two concurrent moves could otherwise build a cycle between them.
        await tx.execute('lock table kb_categories in share row exclusive mode');
        if (body.parentId !== undefined && body.parentId !== null) {
          if (!(await categoryExists(tx, body.parentId))) throw unprocessable('Refers to records that do not exist', [{ path: 'body.parentId', message: `No category ${body.parentId}` }]);
          if (await isSelfOrDescendant(tx, params.id, body.parentId))
            throw unprocessable('A category cannot move under itself', [{ path: 'body.parentId', message: `Category ${body.parentId} is this category or one of its descendants` }]);
        }
        const set = assignments([
          ['names = ?::jsonb', body.names && JSON.stringify(body.names)],
          ['parent_id = ?', body.parentId],
          ['position = ?', body.position],
        ]);
        await tx.execute(`update kb_categories set ${set.sql}, updated_at = now() where id = ?`, [...set.values, params.id]);
      });
      return categoryNode(em, params.id);
    },
  });

  defineRoute(r, registry, {
    method: 'delete',
    path: '/kb/categories/:id',
    summary: 'Delete an empty category (409 while it has subcategories or articles)',
    tags,
    action: 'kb.write',
    params: IdParams,
    status: 204,
    errors: [404, 409],
    handler: async ({ em, params }) => {
      await em.transactional(async (tx) => {
        await tx.execute('lock table kb_categories in share row exclusive mode');
        const node = await categoryNode(tx, params.id);
        const uses = [
          node.children.length ? `${node.children.length} subcategor${node.children.length === 1 ? 'y' : 'ies'}` : null,
          node.articleCount ? `${node.articleCount} article${node.articleCount === 1 ? '' : 's'}` : null,
        ].filter((x): x is string => x !== null);
        if (uses.length) throw conflict('category_in_use', `Category ${params.id} still has ${uses.join(' and ')}: move or delete them first`);
        await tx.execute('delete from kb_categories where id = ?', [params.id]);
      });
      return undefined;
    },
  });
  return r;
}
