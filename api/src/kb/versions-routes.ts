import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { KbArticleDto, KbVersionDto, KbVersionSummaryDto, VersionParams, VersionsQuery } from './schemas';
import { articleDto, listVersions, restoreVersion, versionDto } from './service';

// Every save of a translation is a version (number, author, time). The console diffs two of
// them from their full texts; restoring one saves its title, slug and body again as a new version.

export function kbVersionRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['knowledge base'];

  defineRoute(r, registry, {
    method: 'get',
    path: '/kb/articles/:id/versions',
    summary: 'Versions of the article’s translations (per language, newest first)',
    tags,
    action: 'kb.read',
    params: IdParams,
    query: VersionsQuery,
    response: z.object({ items: z.array(KbVersionSummaryDto) }),
    errors: [404],
    handler: async ({ em, params, query }) => ({ items: await listVersions(em, params.id, query.lang) }),
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/kb/articles/:id/versions/:versionId',
    summary: 'One version in full (title, slug, body)',
    tags,
    action: 'kb.read',
    params: VersionParams,
    response: KbVersionDto,
    errors: [404],
    handler: async ({ em, params }) => versionDto(em, params.id, params.versionId),
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/kb/articles/:id/versions/:versionId/restore',
    summary: 'Restore a version’s title, slug and body as a new version (status unchanged)',
    tags,
    action: 'kb.write',
    params: VersionParams,
    response: KbArticleDto,
    errors: [404, 422],
    handler: async ({ em, params, user }) => {
      await em.transactional((tx) => restoreVersion(tx, params.id, params.versionId, user.id));
      return articleDto(em, params.id);
    },
  });
  return r;
}
