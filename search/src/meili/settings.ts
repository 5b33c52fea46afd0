import { EXHAUSTIVE_LIMIT } from '../contract';
import type { Settings } from 'meilisearch';

// The one Meilisearch index (all kinds, told apart by `kind`), its names, and the settings
// every copy of it gets: the live index at every start (prepare) and a rebuild's new index
// before it is filled and again when it is sealed. Applying the same settings twice is a no-op
// for Meilisearch, so this is safe to run at every start.
//
// Needs Meilisearch v1.18 or later (index swap with the `rename` field, typo tolerance
// `disableOnNumbers`, `attributesToSearchOn`); docker-compose pins a version that has them.

/** Primary key: `${kind}-${id}` (ids repeat across kinds). */
export const PRIMARY_KEY = 'key';

export const liveIndexName = (prefix: string) => `${prefix}_documents`;
export const rebuildIndexName = (prefix: string, id: number) => `${prefix}_documents_r${id}`;

/** Only names this backend creates may be written to, swapped or dropped. */
export function isRebuildIndexName(prefix: string, name: string): boolean {
  const live = liveIndexName(prefix);
  return name.startsWith(`${live}_r`) && /^\d+$/.test(name.slice(live.length + 2));
}

/** Searched for everyone, best field first (the `attribute` ranking rule follows this order). */
export const PUBLIC_SEARCHABLE = ['title', 'body', 'joined'] as const;
/** Internal notes: searched only when the viewer is staff (`attributesToSearchOn` per request). */
export const STAFF_SEARCHABLE = [...PUBLIC_SEARCHABLE, 'internal'] as const;

export const FILTERABLE = ['kind', 'id', 'requesterId', 'assigneeId', 'groupId', 'categoryId', 'kbCategoryId', 'status', 'priority', 'tags', 'lang', 'publicVisible'] as const;

/** Persian and Arabic punctuation and ZWNJ: the normaliser already turns them into spaces; this keeps documents written by older normalisers tokenised the same way. */
export const PERSIAN_SEPARATORS = ['\u060c', '\u061b', '\u061f', '\u066a', '\u066b', '\u066c', '\u066d', '\u06d4', '\u00ab', '\u00bb', '\u200c'];

/** Facet values returned per facet; the tag facet is cut to the same 50 as the PostgreSQL backend. */
export const MAX_VALUES_PER_FACET = 100;
/** Upper bound of `total` and of how far one can page: the contract's, as in the PostgreSQL backend. */
export const MAX_TOTAL_HITS = EXHAUSTIVE_LIMIT;

export const INDEX_SETTINGS: Settings = {
  searchableAttributes: [...STAFF_SEARCHABLE],
  filterableAttributes: [...FILTERABLE],
  sortableAttributes: ['updatedAt'],
  // Relevance first; among equally good matches the most recently updated document wins.
  rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness', 'updatedAt:desc'],
  typoTolerance: {
    enabled: true,
    // `عبر` finds `عبور` (3 letters: one typo), `pasword` finds password; two typos from 7 letters.
    minWordSizeForTypos: { oneTypo: 3, twoTypos: 7 },
    // Numbers (invoice 4521, ticket sequence numbers) match as typed, like the PostgreSQL backend.
    disableOnNumbers: true,
  },
  separatorTokens: PERSIAN_SEPARATORS,
  nonSeparatorTokens: [],
  stopWords: [],
  faceting: { maxValuesPerFacet: MAX_VALUES_PER_FACET, sortFacetValuesBy: { '*': 'count' } },
  pagination: { maxTotalHits: MAX_TOTAL_HITS },
};
