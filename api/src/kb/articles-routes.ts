import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { KB_LANGS, pgArray } from '@mehrdesk/core/db';
import type { AppDeps } from '../deps';
import { conflict, unprocessable } from '../http/errors';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { ArticleLangParams, CreateKbArticleBody, KbArticleDto, KbArticleListDto, ListKbArticlesQuery, PatchKbArticleBody, PutTranslationBody } from './schemas';
import { articleDto, articleExists, assignments, categoryExists, listArticles, saveTranslation } from './service';

// Knowledge-base articles for staff: every status and visibility. An article holds what its
// languages share (category, visibility, tags); each translation its own title, slug, body and
// status, saved with a version row per save (versions-routes.ts reads and restores them).

async function checkCategory(em: EntityManager, categoryId: number | null | undefined): Promise<void> {
  if (categoryId === null || categoryId === undefined) return;
  if (!(await categoryExists(em, categoryId))) throw unprocessable('Refers to records that do not exist', [{ path: 'body.categoryId', message: `No category ${categoryId}` }]);
}

const uniqueTags = (tags: string[]) => [...new Set(tags)];

export function kbArticleRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['knowledge base'];

  defineRoute(r, registry, {
    method: 'get',
    path: '/kb/articles',
    summary: 'Articles (newest change first), with each translation’s title, slug and status',
    tags,
    action: 'kb.read',
    query: ListKbArticlesQuery,
    response: KbArticleListDto,
    handler: async ({ em, query }) => listArticles(em, query),
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/kb/articles',
    summary: 'Create an article with one or both translations (each saved as its version 1)',
    tags,
    action: 'kb.write',
    body: CreateKbArticleBody,
    status: 201,
    response: KbArticleDto,
    errors: [422],
    handler: async ({ em, body, user, res }) => {
      await checkCategory(em, body.categoryId);
      const id = await em.transactional(async (tx) => {
        const [row] = await tx.execute<{ id: number }[]>(
          'insert into kb_articles (category_id, visibility, tags, author_id, created_at, updated_at, version) values (?, ?, ?::text[], ?, now(), now(), 1) returning id',
          [body.categoryId, body.visibility, pgArray(uniqueTags(body.tags)), user.id],
        );
        for (const lang of KB_LANGS) {
          const input = body.translations[lang];
          if (input) await saveTranslation(tx, { articleId: row!.id, lang, input, userId: user.id, path: `body.translations.${lang}` });
        }
        return row!.id;
      });
      res.setHeader('Location', `/api/v1/kb/articles/${id}`);
      return articleDto(em, id);
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/kb/articles/:id',
    summary: 'One article with its translations and reader statistics',
    tags,
    action: 'kb.read',
    params: IdParams,
    response: KbArticleDto,
    errors: [404],
    handler: async ({ em, params }) => articleDto(em, params.id),
  });

  defineRoute(r, registry, {
    method: 'patch',
    path: '/kb/articles/:id',
    summary: 'Change what the translations share: category, visibility, tags',
    tags,
    action: 'kb.write',
    params: IdParams,
    body: PatchKbArticleBody,
    response: KbArticleDto,
    errors: [404, 409, 422],
    handler: async ({ em, params, body }) => {
      await articleExists(em, params.id);
      await checkCategory(em, body.categoryId);
      const set = assignments([
        ['category_id = ?', body.categoryId],
        ['visibility = ?', body.visibility],
        ['tags = ?::text[]', body.tags && pgArray(uniqueTags(body.tags))],
      ]);
      const rows = await em.execute<{ id: number }[]>(`update kb_articles set ${set.sql}, updated_at = now(), version = version + 1 where id = ? and version = ? returning id`, [
        ...set.values,
        params.id,
        body.version,
      ]);
      if (rows.length === 0) {
        const [cur] = await em.execute<{ version: number }[]>('select version from kb_articles where id = ?', [params.id]);
        throw conflict('stale_version', `Article ${params.id} changed meanwhile (now version ${cur?.version}, you sent ${body.version}): reload it`);
      }
      return articleDto(em, params.id);
    },
  });

  defineRoute(r, registry, {
    method: 'put',
    path: '/kb/articles/:id/translations/:lang',
    summary: 'Create or save one translation (writes a version with author and time)',
    tags,
    action: 'kb.write',
    params: ArticleLangParams,
    body: PutTranslationBody,
    response: KbArticleDto,
    errors: [404, 409, 422],
    handler: async ({ em, params, body, user }) => {
      const { version, ...input } = body;
      await em.transactional(async (tx) => {
        await articleExists(tx, params.id);
        await saveTranslation(tx, { articleId: params.id, lang: params.lang, input, version, userId: user.id, path: 'body' });
      });
      return articleDto(em, params.id);
    },
  });

  defineRoute(r, registry, {
    method: 'delete',
    path: '/kb/articles/:id',
    summary: 'Delete an article with its translations, versions, feedback and view counts',
    tags,
    action: 'kb.write',
    params: IdParams,
    status: 204,
    errors: [404],
    handler: async ({ em, params }) => {
      await articleExists(em, params.id);
      await em.execute('delete from kb_articles where id = ?', [params.id]);
      return undefined;
    },
  });
  return r;
}
