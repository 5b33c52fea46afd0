import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { normalizeSearchText, rebuildStatus, RebuildAlreadyRunning, requestRebuild, searchViewerOf, type SearchFilters } from '@mehrdesk/search';
import { searchQueues } from '@mehrdesk/core/queues/search-queues';
import type { AppDeps } from '../deps';
import { conflict, notFound } from '../http/errors';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { auditChange } from '../audit/record';
import { RebuildDto, SearchQuery, SearchResultDto } from './schemas';

// Global search (S1): one endpoint for tickets, customers and articles, whatever the backend.
// Who may find what is decided inside the backend's query (search/src/postgres/visibility.ts),
// from the caller's role, groups and id; rebuilding the index is for admins.

export function searchFilters(query: {
  types?: SearchFilters['types'];
  status?: string[];
  priority?: string[];
  groupId?: number[];
  categoryId?: number[];
  kbCategoryId?: number[];
  tag?: string[];
  lang?: SearchFilters['lang'];
}): SearchFilters {
  return {
    types: query.types,
    status: query.status,
    priority: query.priority,
    groupId: query.groupId,
    categoryId: query.categoryId,
    kbCategoryId: query.kbCategoryId,
    tag: query.tag?.map((t) => normalizeSearchText(t).trim()),
    lang: query.lang,
  };
}

export function searchRoutes(deps: AppDeps, registry: OpenAPIRegistry): { router: Router; close(): Promise<void> } {
  const r = Router();
  let queues: ReturnType<typeof searchQueues> | null = null;

  defineRoute(r, registry, {
    method: 'get',
    path: '/search',
    summary: 'Search tickets, customers and knowledge-base articles the caller may see, with highlights and facet counts',
    tags: ['search'],
    action: 'search.use',
    query: SearchQuery,
    response: SearchResultDto,
    handler: async ({ query, user }) => deps.search.search({ q: query.q, filters: searchFilters(query), limit: query.limit, offset: query.offset, facets: query.facets }, searchViewerOf(user)),
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/search/reindex',
    summary: 'Rebuild every search index from PostgreSQL without downtime (a new index, then a swap); progress at GET /search/reindex/{id}',
    tags: ['search'],
    action: 'admin.manage',
    status: 202,
    response: RebuildDto,
    errors: [409],
    handler: async ({ em, req, user, res }) => {
      try {
        const status = await requestRebuild(deps.orm, deps.search, user.id);
        queues ??= searchQueues(deps.config.REDIS_URL);
        await queues.rebuild.add('rebuild', { rebuildId: status.id }, { jobId: `rebuild-${status.id}` });
        await auditChange(em, req, { action: 'search.reindex_started', targetType: 'search_rebuild', targetId: status.id });
        res.location(`/api/v1/search/reindex/${status.id}`);
        return status;
      } catch (err) {
        if (err instanceof RebuildAlreadyRunning) throw conflict('rebuild_running', `${err.message}; follow it at /api/v1/search/reindex/${err.running.id}`);
        throw err;
      }
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/search/reindex/:id',
    summary: 'Progress of a search index rebuild',
    tags: ['search'],
    action: 'admin.manage',
    params: IdParams,
    response: RebuildDto,
    errors: [404],
    handler: async ({ params, em }) => {
      const status = await rebuildStatus(em, params.id);
      if (!status) throw notFound(`Rebuild ${params.id}`);
      return status;
    },
  });

  return { router: r, close: async () => void (await queues?.close()) };
}
