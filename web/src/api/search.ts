import { api, unwrap } from './client';
import type { components, paths } from './schema';

type Schemas = components['schemas'];

// GET /api/v1/search: one query over tickets, customers and KB articles, with facet counts and
// highlights (see notes/search-design.md). Highlights are safe HTML from the server (text
// escaped, matches in <mark>); the console still sanitises them before showing them.

export const SEARCH_TYPES = ['ticket', 'customer', 'article'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

export type SearchHit = Schemas['SearchHit'];
export type SearchHighlights = SearchHit['highlights'];
/** Facet name → value → count. `type` counts hits per kind. */
export type SearchFacets = NonNullable<Schemas['SearchResult']['facets']>;
export type SearchResponse = Omit<Schemas['SearchResult'], 'facets'> & { facets: SearchFacets };

export interface SearchParams {
  q: string;
  types?: SearchType[];
  status?: string;
  priority?: string;
  groupId?: string;
  categoryId?: string;
  kbCategoryId?: string;
  tag?: string;
  lang?: 'en' | 'fa';
  limit?: number;
  offset?: number;
}

type SearchApiQuery = NonNullable<paths['/api/v1/search']['get']['parameters']['query']>;

/** The query string of GET /api/v1/search (empty values left out, types comma separated). */
export function searchQuery(p: SearchParams): SearchApiQuery {
  const out: SearchApiQuery = { q: p.q };
  if (p.types?.length) out.types = p.types.join(',');
  for (const key of ['status', 'priority', 'groupId', 'categoryId', 'kbCategoryId', 'tag', 'lang'] as const) {
    const v = p[key];
    if (v) out[key] = v;
  }
  if (p.limit !== undefined) out.limit = p.limit;
  if (p.offset) out.offset = p.offset;
  return out;
}

export async function search(p: SearchParams): Promise<SearchResponse> {
  const res = await unwrap(api.GET('/api/v1/search', { params: { query: searchQuery(p) } }));
  return { backend: res.backend, total: res.total ?? 0, exhaustive: res.exhaustive ?? true, hits: res.hits ?? [], facets: res.facets ?? {} };
}
