import type { FacetDistribution, Hit } from 'meilisearch';
import type { DocKey, FacetCounts, FacetName, SearchDocument, SearchHit } from '../contract';
import { FACETS } from '../contract';
import { buildHit, emptyFacets } from '../hits';

// Our documents as Meilisearch stores them, and Meilisearch's answers as our hits and facets.

/** A search document in the index: the contract's fields, a primary key, and time as a number (sortable). */
export type MeiliDocument = Omit<SearchDocument, 'updatedAt'> & {
  key: string;
  /** Milliseconds since the epoch. */
  updatedAt: number;
};

export const docKey = (k: DocKey) => `${k.kind}-${k.id}`;

export function toMeiliDocument(d: SearchDocument): MeiliDocument {
  return { ...d, key: docKey(d), updatedAt: d.updatedAt.getTime() };
}

/** What a hit needs besides its snippets: never the texts themselves (internal notes stay in the index). */
export const RETRIEVED = [
  'kind',
  'id',
  'displayTitle',
  'title',
  'number',
  'status',
  'priority',
  'groupId',
  'categoryId',
  'assigneeId',
  'requesterName',
  'updatedAt',
  'email',
  'organization',
  'articleId',
  'lang',
  'slug',
  'visibility',
  'kbCategoryId',
] as const satisfies readonly (keyof MeiliDocument)[];

export type RetrievedDocument = Pick<MeiliDocument, (typeof RETRIEVED)[number]>;
type Snippets = { title?: unknown; body?: unknown; internal?: unknown };
export type MeiliHit = Hit<RetrievedDocument> & { _formatted?: Snippets };

const snippet = (value: unknown) => (typeof value === 'string' ? value : null);

export function toHit(h: MeiliHit): SearchHit {
  const f = (h._formatted ?? {}) as Snippets;
  return buildHit({ ...h, score: h._rankingScore ?? 0, marked: { title: snippet(f.title), body: snippet(f.body), internal: snippet(f.internal) } });
}

/** Our facet names → the attributes Meilisearch counts. */
export const FACET_ATTRIBUTES: Readonly<Record<FacetName, string>> = {
  type: 'kind',
  status: 'status',
  priority: 'priority',
  groupId: 'groupId',
  categoryId: 'categoryId',
  kbCategoryId: 'kbCategoryId',
  tag: 'tags',
};
/** The tag facet shows the most used tags only, as in the PostgreSQL backend. */
export const TAG_FACET_LIMIT = 50;

export { emptyFacets };

export function toFacetCounts(distribution: FacetDistribution | undefined): FacetCounts {
  const out = emptyFacets();
  for (const name of FACETS) {
    const counts = Object.entries(distribution?.[FACET_ATTRIBUTES[name]] ?? {}).filter(([, n]) => n > 0);
    const kept = name === 'tag' ? counts.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).slice(0, TAG_FACET_LIMIT) : counts;
    out[name] = Object.fromEntries(kept);
  }
  return out;
}
