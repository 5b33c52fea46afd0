import type { SearchParams } from 'meilisearch';
import type { SearchFilters, SearchRequest, SearchViewer } from '../contract';
import { FACETS } from '../contract';
import { MARK_END, MARK_START } from '../highlight';
import { isEmptyQuery, parseQuery } from '../query';
import { buildFilter } from './filters';
import { FACET_ATTRIBUTES, RETRIEVED } from './mapping';
import { PUBLIC_SEARCHABLE, STAFF_SEARCHABLE } from './settings';

// A search request and its viewer as Meilisearch search parameters.

/** Words of context around the matches in body and internal-note snippets. */
export const CROP_WORDS = 30;
const CROP_MARKER = '…';

/**
 * The query text as Meilisearch reads it: the same normalisation and term budget as every
 * backend (parseQuery), phrases in double quotes, and a trailing space when the last word is not
 * a prefix (Meilisearch treats the last word as a prefix unless a separator follows it).
 * Null when nothing searchable is left.
 */
export function queryText(raw: string): string | null {
  const parsed = parseQuery(raw);
  if (isEmptyQuery(parsed)) return null;
  return parsed.prefixLast ? parsed.text : `${parsed.text} `;
}

/** Internal notes are searched, highlighted and cropped for staff only. */
const searchesInternal = (viewer: SearchViewer) => viewer.kind === 'staff';

/**
 * Offset and limit, or the equivalent page when the offset falls on a page boundary: pages make
 * Meilisearch count every match (`totalHits`) instead of estimating (`estimatedTotalHits`).
 */
export function pagination(offset: number, limit: number): Pick<SearchParams, 'offset' | 'limit' | 'page' | 'hitsPerPage'> {
  if (limit === 0) return { page: 1, hitsPerPage: 0 };
  if (offset % limit === 0) return { page: offset / limit + 1, hitsPerPage: limit };
  return { offset, limit };
}

export function searchParams(request: SearchRequest, viewer: SearchViewer): SearchParams {
  const staff = searchesInternal(viewer);
  const texts = staff ? ['body', 'internal'] : ['body'];
  const params: SearchParams = {
    attributesToSearchOn: [...(staff ? STAFF_SEARCHABLE : PUBLIC_SEARCHABLE)],
    // Every word must match (with typo tolerance), as in the PostgreSQL backend.
    matchingStrategy: 'all',
    attributesToRetrieve: [...RETRIEVED],
    attributesToHighlight: ['title', ...texts],
    attributesToCrop: texts,
    cropLength: CROP_WORDS,
    cropMarker: CROP_MARKER,
    highlightPreTag: MARK_START,
    highlightPostTag: MARK_END,
    showRankingScore: true,
    ...pagination(request.offset, request.limit),
  };
  const filter = buildFilter(viewer, request.filters);
  if (filter) params.filter = filter;
  if (request.facets !== false) params.facets = FACETS.map((f) => FACET_ATTRIBUTES[f]);
  return params;
}

/** Ticket ids for the inbox `q` filter: tickets only, no snippets, no facets. */
export function ticketIdParams(viewer: SearchViewer, cap: number, filters?: SearchFilters): SearchParams {
  const params: SearchParams = {
    attributesToSearchOn: [...(searchesInternal(viewer) ? STAFF_SEARCHABLE : PUBLIC_SEARCHABLE)],
    matchingStrategy: 'all',
    attributesToRetrieve: ['id'],
    offset: 0,
    limit: cap,
  };
  params.filter = buildFilter(viewer, { ...filters, types: ['ticket'] })!;
  return params;
}
