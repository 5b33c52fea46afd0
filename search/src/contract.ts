import type { Priority, Role, TicketStatus } from '@mehrdesk/core/domain';

// The search contract: what every backend (PostgreSQL, Meilisearch) must answer, and what the
// API and the indexer may rely on. test/contract.ts holds the suite each backend must pass.

export const DOC_KINDS = ['ticket', 'customer', 'article'] as const;
export type DocKind = (typeof DOC_KINDS)[number];
export const KB_LANGS = ['en', 'fa'] as const;
export type KbLang = (typeof KB_LANGS)[number];

export interface DocKey {
  kind: DocKind;
  id: number;
}

/**
 * One searchable document, as the indexer builds it from PostgreSQL (search/src/documents.ts).
 * Text fields are already normalised (normalize.ts); `joined` holds extra spellings that are
 * searchable but never shown. Visibility fields travel with the document so that every query
 * can filter by them inside the backend.
 */
export interface SearchDocument {
  kind: DocKind;
  id: number;
  /** Microseconds since the epoch when the source rows were read: a later read always wins. */
  version: number;
  /** The title as written (shown in results); `title` is its normal form. */
  displayTitle: string;
  title: string;
  body: string;
  /** Staff-only text (internal notes); empty for customers and articles. */
  internal: string;
  joined: string;
  lang: KbLang | null;
  updatedAt: Date;
  // tickets
  number: string | null;
  requesterId: number | null;
  requesterName: string | null;
  assigneeId: number | null;
  groupId: number | null;
  categoryId: number | null;
  status: string | null;
  priority: Priority | null;
  tags: string[];
  // customers
  email: string | null;
  organization: string | null;
  // articles
  articleId: number | null;
  slug: string | null;
  kbCategoryId: number | null;
  visibility: 'public' | 'internal' | null;
  /** Published and public: the only articles anonymous readers and customers may find. */
  publicVisible: boolean;
}

/** Who is asking: the backend turns this into a filter, never into a post-filter of results. */
export type SearchViewer = { kind: 'staff'; userId: number; role: Exclude<Role, 'customer'>; groupIds: readonly number[] } | { kind: 'customer'; userId: number } | { kind: 'public' };

export interface SearchFilters {
  types?: DocKind[];
  status?: string[];
  priority?: string[];
  groupId?: number[];
  categoryId?: number[];
  kbCategoryId?: number[];
  tag?: string[];
  lang?: KbLang[];
  /** Only these documents (e.g. "does ticket 7 match?"), at most 100. */
  ids?: number[];
}

export interface SearchRequest {
  q: string;
  filters?: SearchFilters;
  limit: number;
  offset: number;
  /** Skip facet counting when the caller shows none (inbox, pickers). */
  facets?: boolean;
}

/**
 * Totals and facets are exact up to this many matches, in every backend (it is Meilisearch's
 * default maxTotalHits, and its index settings say so explicitly); beyond it a search reports
 * this many and `exhaustive: false`. Counting every match of a common word would read every
 * matching document, whatever the page shows.
 */
export const EXHAUSTIVE_LIMIT = 1000;

export const FACETS = ['type', 'status', 'priority', 'groupId', 'categoryId', 'kbCategoryId', 'tag'] as const;
export type FacetName = (typeof FACETS)[number];
export type FacetCounts = Record<FacetName, Record<string, number>>;

export interface SearchHit {
  type: DocKind;
  id: number;
  score: number;
  title: string;
  /** Safe HTML: the text is escaped and only `<mark>` elements wrap the matched words. */
  highlights: { title?: string; body?: string; internal?: string };
  ticket?: { number: string; status: TicketStatus; priority: Priority; groupId: number | null; categoryId: number | null; assigneeId: number | null; requesterName: string; updatedAt: string };
  customer?: { email: string; organization: string | null };
  article?: { articleId: number; lang: KbLang; slug: string; status: string; visibility: 'public' | 'internal'; kbCategoryId: number | null };
}

export interface SearchResult {
  backend: BackendName;
  /** Matches, counted exactly up to EXHAUSTIVE_LIMIT. */
  total: number;
  /**
   * False when there were more matches than EXHAUSTIVE_LIMIT: `total` is then that limit, pages
   * reach no further, and the facets count the most recent of them.
   */
  exhaustive: boolean;
  hits: SearchHit[];
  facets: FacetCounts | null;
}

export type BackendName = 'postgres' | 'meilisearch';

/** An index a rebuild fills while the live one keeps answering; `swap` makes it live. */
export interface RebuildTarget {
  name: string;
}

export interface SearchBackend {
  readonly name: BackendName;
  /** Create indexes and apply settings; idempotent, run at every start. */
  prepare(): Promise<void>;
  search(request: SearchRequest, viewer: SearchViewer): Promise<SearchResult>;
  /** Ids of tickets matching `q` for this viewer (inbox `q` filter), best first, at most `cap`. */
  matchingTicketIds(q: string, viewer: SearchViewer, cap: number, filters?: SearchFilters): Promise<number[]>;
  /** Write documents (newer versions replace older) and remove keys, in the live index or a rebuild target. */
  write(docs: SearchDocument[], removed: DocKey[], target?: RebuildTarget): Promise<void>;
  /** Start a rebuild: a new, empty index that `write` can fill. */
  createRebuildTarget(id: number): Promise<RebuildTarget>;
  /** Finish a filled target before the catch-up (e.g. build its indexes); the live index still answers. */
  seal(target: RebuildTarget): Promise<void>;
  /** Make the rebuilt index live and drop the old one. */
  swap(target: RebuildTarget): Promise<void>;
  /** Drop a rebuild target that failed. */
  dropRebuildTarget(target: RebuildTarget): Promise<void>;
  /** What the live index holds, for tests and the admin view. */
  stats(): Promise<{ documents: number; bytes: number | null }>;
  /** One stored document's version and title, for tests of the indexer (null when absent). */
  peek(key: DocKey): Promise<{ version: number; title: string } | null>;
  close(): Promise<void>;
}
