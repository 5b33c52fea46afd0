import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { MAX_QUERY_LENGTH } from '@mehrdesk/search';
import type { AppDeps } from '../deps';
import { clientKey, type RateLimits } from '../http/rate-limit';
import { defineRoute } from '../http/route';
import { recordMissedSearch } from '../portal/deflections-store';
import { SearchHitDto } from '../search/schemas';
import { FeedbackBody, KbLangEnum, PublicArticleDto, PublicArticlesQuery, PublicArticleSummaryDto, PublicKbCategoryDto, PublicLangQuery, PublicSlugParams } from './schemas';
import { addFeedback, publicArticles, publicCategoryTree, viewPublicArticle } from './service';

// The public knowledge base: no login, and only published translations of public articles,
// whatever is asked for (drafts, archived and internal articles answer 404, the same as ones that
// never existed). Reading an article counts a view; feedback and search are rate limited per client.

export const PUBLIC_FEEDBACK_PATH = '/public/kb/articles/:lang/:slug/feedback';
export const PUBLIC_SEARCH_PATH = '/public/kb/search';

const PublicSearchQuery = z
  .object({
    q: z.string().trim().min(1).max(MAX_QUERY_LENGTH).describe('Words to find; "quoted words" must be adjacent; the last word matches as a prefix'),
    lang: KbLangEnum.optional().describe('Only articles in this language (default: both)'),
    limit: z.coerce.number().int().min(1).max(50).default(10),
    source: z.enum(['search', 'suggest']).default('search').describe('`suggest`: the portal suggesting articles while a ticket is written (searches that find nothing are counted per source)'),
  })
  .strict()
  .meta({ id: 'PublicKbSearchQuery' });
const PublicSearchResultDto = z
  .object({
    backend: z.enum(['postgres', 'meilisearch']),
    total: z.number().int(),
    exhaustive: z.boolean().describe('False when total is the search limit and more articles match'),
    hits: z.array(SearchHitDto).describe('Articles only (type `article`); `id` is the translation id'),
  })
  .meta({ id: 'PublicKbSearchResult' });

export function kbPublicRoutes(deps: AppDeps, registry: OpenAPIRegistry, limits: RateLimits): Router {
  const r = Router();
  const tags = ['public knowledge base'];
  const byClient = (req: Parameters<typeof clientKey>[1]) => clientKey(deps.config.CLIENT_KEY_SECRET, req);

  defineRoute(r, registry, {
    method: 'get',
    path: '/public/kb/categories',
    summary: 'The category tree in one language (only categories with published articles)',
    tags,
    action: null,
    query: PublicLangQuery,
    response: z.object({ items: z.array(PublicKbCategoryDto) }),
    handler: async ({ em, query }) => ({ items: await publicCategoryTree(em, query.lang) }),
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/public/kb/articles',
    summary: 'Published articles in one language (newest first)',
    tags,
    action: null,
    query: PublicArticlesQuery,
    response: z.object({ items: z.array(PublicArticleSummaryDto), total: z.number().int() }).meta({ id: 'PublicKbArticleList' }),
    handler: async ({ em, query }) => publicArticles(em, query),
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/public/kb/articles/:lang/:slug',
    summary: 'A published article by language and slug (counts a view)',
    tags,
    action: null,
    params: PublicSlugParams,
    response: PublicArticleDto,
    errors: [404],
    handler: async ({ em, params, res }) => {
      const article = await viewPublicArticle(em, params.lang, params.slug);
      res.setHeader('Cache-Control', 'no-cache');
      return article;
    },
  });

  // Suggestions follow the customer's typing (a request per pause of a fraction of a second), so
  // they count against a budget of their own rather than eat the searches'.
  const searchLimit = limits.rateLimit({ name: 'public-kb-search', points: deps.config.RATE_LIMIT_PUBLIC_SEARCH_PER_MINUTE, durationSeconds: 60, key: byClient });
  const suggestLimit = limits.rateLimit({ name: 'public-kb-suggest', points: deps.config.RATE_LIMIT_PUBLIC_SUGGEST_PER_MINUTE, durationSeconds: 60, key: byClient });
  r.get(PUBLIC_SEARCH_PATH, (req, res, next) => (req.query.source === 'suggest' ? suggestLimit : searchLimit)(req, res, next));
  defineRoute(r, registry, {
    method: 'get',
    path: PUBLIC_SEARCH_PATH,
    summary: 'Search published public articles, with highlights (rate limited per client)',
    tags,
    action: null,
    query: PublicSearchQuery,
    response: PublicSearchResultDto,
    errors: [429],
    handler: async ({ query }) => {
      // The public viewer: the backend itself restricts the query to published public articles.
      const result = await deps.search.search(
        { q: query.q, filters: { types: ['article'], lang: query.lang ? [query.lang] : undefined }, limit: query.limit, offset: 0, facets: false },
        { kind: 'public' },
      );
      // Counted for the admins' insights without making the reader wait: a failure costs that count only.
      if (result.total === 0)
        void recordMissedSearch(deps.orm.em.fork(), query.q, query.source === 'suggest' ? 'portal_suggest' : 'public_search').catch((err: unknown) =>
          deps.log.warn({ err }, 'could not record a missed knowledge-base search'),
        );
      return { backend: result.backend, total: result.total, exhaustive: result.exhaustive, hits: result.hits };
    },
  });

  r.post(PUBLIC_FEEDBACK_PATH, limits.rateLimit({ name: 'public-kb-feedback', points: deps.config.RATE_LIMIT_PUBLIC_FEEDBACK_PER_HOUR, durationSeconds: 3600, key: byClient }));
  defineRoute(r, registry, {
    method: 'post',
    path: PUBLIC_FEEDBACK_PATH,
    summary: '"Was this helpful?" for a published article (rate limited per client)',
    tags,
    action: null,
    params: PublicSlugParams,
    body: FeedbackBody,
    status: 201,
    errors: [404, 429],
    handler: async ({ em, params, body, req }) => {
      await addFeedback(em, params.lang, params.slug, body, byClient(req));
      return undefined;
    },
  });
  return r;
}
