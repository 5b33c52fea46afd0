import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { RouteLocationRaw } from 'vue-router';
import type { ApiError } from '@/api/client';
import { SEARCH_TYPES, search as searchApi, type SearchFacets, type SearchHit, type SearchParams, type SearchType } from '@/api/search';

// The global search (app shell dialog and /search page): the query, the facet filters the user
// narrowed it with, and the server's answer — hits grouped by type, facet counts, and which hit
// the keyboard is on. Typing is debounced; an answer to an older query is dropped.

export const FACET_KEYS = ['type', 'status', 'priority', 'groupId', 'categoryId', 'kbCategoryId', 'tag'] as const;
export type FacetKey = (typeof FACET_KEYS)[number];
export type FacetFilters = Partial<Record<FacetKey, string>>;

export interface HitGroup {
  type: SearchType;
  hits: SearchHit[];
  /** How many hits of this type match in all (the `type` facet), which may exceed those shown. */
  total: number;
}

export interface FacetChip {
  key: FacetKey;
  value: string;
  count: number;
  selected: boolean;
}

export const DEBOUNCE_MS = 250;
export const PAGE_SIZE = 20;
const CHIPS_PER_FACET = 8;

/** Search parameters of a query and its facet filters (`type` narrows `types`). */
export function searchParams(q: string, filters: FacetFilters, page: { limit?: number; offset?: number } = {}): SearchParams {
  const p: SearchParams = { q: q.trim(), limit: page.limit ?? PAGE_SIZE, offset: page.offset ?? 0 };
  const { type, ...rest } = filters;
  if (type && (SEARCH_TYPES as readonly string[]).includes(type)) p.types = [type as SearchType];
  for (const [k, v] of Object.entries(rest)) if (v) (p as unknown as Record<string, string>)[k] = v;
  return p;
}

/** Hits grouped by type, in a fixed order (tickets, customers, articles); empty groups left out. */
export function groupHits(hits: SearchHit[], facets: SearchFacets = {}): HitGroup[] {
  return SEARCH_TYPES.map((type) => {
    const of = hits.filter((h) => h.type === type);
    return { type, hits: of, total: Math.max(facets.type?.[type] ?? 0, of.length) };
  }).filter((g) => g.hits.length > 0);
}

/** Facet chips: the most frequent values of each facet, selected ones always included. */
export function facetChips(facets: SearchFacets, filters: FacetFilters): Partial<Record<FacetKey, FacetChip[]>> {
  const out: Partial<Record<FacetKey, FacetChip[]>> = {};
  for (const key of FACET_KEYS) {
    const counts = facets[key] ?? {};
    const selected = filters[key];
    let chips = Object.entries(counts)
      .filter(([, count]) => count > 0)
      .map(([value, count]) => ({ key, value, count, selected: value === selected }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
      .slice(0, CHIPS_PER_FACET);
    if (selected && !chips.some((c) => c.value === selected)) chips = [{ key, value: selected, count: counts[selected] ?? 0, selected: true }, ...chips];
    if (chips.length) out[key] = chips;
  }
  return out;
}

/** The DOM id of a hit's option in a result list (SearchResultList), for aria-activedescendant. */
export const hitOptionId = (prefix: string, hit: SearchHit) => `${prefix}-${hit.type}-${hit.id}`;

/** Where a hit leads: the ticket, the customer's tickets in the inbox, or the article's editor. */
export function hitTarget(hit: SearchHit): RouteLocationRaw {
  switch (hit.type) {
    case 'ticket':
      return { name: 'ticket', params: { id: hit.id } };
    case 'customer':
      return { name: 'inbox', params: { view: 'allOpen' }, query: { requesterId: String(hit.id), requesterName: hit.title } };
    case 'article':
      return { name: 'kb-article', params: { id: hit.article?.articleId ?? hit.id }, query: hit.article ? { lang: hit.article.lang } : {} };
  }
}

export const useSearchStore = defineStore('search', () => {
  const query = ref('');
  const filters = ref<FacetFilters>({});
  const hits = ref<SearchHit[]>([]);
  const facets = ref<SearchFacets>({});
  const total = ref(0);
  /** False when more matched than the server counts: total and facet counts are lower bounds. */
  const exhaustive = ref(true);
  const backend = ref<string | null>(null);
  const offset = ref(0);
  const limit = ref(PAGE_SIZE);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  /** The query (and filters) the shown results answer, to tell "no results" from "not searched yet". */
  const answered = ref<string | null>(null);
  const activeIndex = ref(-1);
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const groups = computed(() => groupHits(hits.value, facets.value));
  /** Hits in the order they are shown (group by group): what the arrow keys walk through. */
  const flat = computed(() => groups.value.flatMap((g) => g.hits));
  const activeHit = computed(() => flat.value[activeIndex.value] ?? null);
  const chips = computed(() => facetChips(facets.value, filters.value));
  const hasFilters = computed(() => Object.values(filters.value).some(Boolean));
  /** The API needs words to search for; facets only narrow them. */
  const canSearch = computed(() => query.value.trim().length > 0);
  const empty = computed(() => answered.value !== null && !loading.value && !error.value && hits.value.length === 0);
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / limit.value)));
  const page = computed(() => Math.floor(offset.value / limit.value) + 1);

  function cancelPending() {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function clearResults() {
    hits.value = [];
    facets.value = {};
    total.value = 0;
    exhaustive.value = true;
    answered.value = null;
    activeIndex.value = -1;
    error.value = null;
  }

  /** Ask the server now (the current query, filters and page). */
  async function run(): Promise<void> {
    cancelPending();
    const gen = ++generation;
    if (!canSearch.value) {
      clearResults();
      loading.value = false;
      return;
    }
    loading.value = true;
    error.value = null;
    try {
      const res = await searchApi(searchParams(query.value, filters.value, { limit: limit.value, offset: offset.value }));
      if (gen !== generation) return;
      hits.value = res.hits;
      facets.value = res.facets;
      total.value = res.total;
      exhaustive.value = res.exhaustive;
      backend.value = res.backend;
      answered.value = query.value;
      activeIndex.value = flat.value.length ? 0 : -1;
    } catch (err) {
      if (gen === generation) error.value = err as ApiError;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** The user typed: search after a short pause (the first page). */
  function setQuery(q: string) {
    query.value = q;
    offset.value = 0;
    cancelPending();
    if (!canSearch.value) {
      generation++;
      clearResults();
      loading.value = false;
      return;
    }
    timer = setTimeout(() => void run(), DEBOUNCE_MS);
  }

  /** Click on a facet chip: narrow to that value, or (when it is the selected one) widen again. */
  function toggleFacet(key: FacetKey, value: string) {
    const next = { ...filters.value };
    if (next[key] === value) delete next[key];
    else next[key] = value;
    filters.value = next;
    offset.value = 0;
    return run();
  }

  function removeFacet(key: FacetKey) {
    if (!filters.value[key]) return Promise.resolve();
    const next = { ...filters.value };
    delete next[key];
    filters.value = next;
    offset.value = 0;
    return run();
  }

  /** Show another page (the search page's pager); 1-based. */
  function goToPage(n: number) {
    offset.value = Math.max(0, (Math.min(n, pageCount.value) - 1) * limit.value);
    return run();
  }

  /** Move the keyboard selection by `delta` hits, wrapping around at either end. */
  function move(delta: number) {
    const n = flat.value.length;
    if (n === 0) {
      activeIndex.value = -1;
      return;
    }
    const from = activeIndex.value < 0 ? (delta > 0 ? -1 : 0) : activeIndex.value;
    activeIndex.value = (((from + delta) % n) + n) % n;
  }

  function setActive(hit: SearchHit) {
    const i = flat.value.indexOf(hit);
    if (i !== -1) activeIndex.value = i;
  }

  /** Start over with a query and filters (from the /search page's address). */
  function load(q: string, f: FacetFilters = {}, pageNumber = 1) {
    query.value = q;
    filters.value = Object.fromEntries(Object.entries(f).filter(([k, v]) => v && (FACET_KEYS as readonly string[]).includes(k)));
    offset.value = (Math.max(1, pageNumber) - 1) * limit.value;
    return run();
  }

  function reset() {
    cancelPending();
    generation++;
    query.value = '';
    filters.value = {};
    offset.value = 0;
    loading.value = false;
    clearResults();
  }

  return {
    query,
    filters,
    hits,
    facets,
    total,
    exhaustive,
    backend,
    offset,
    limit,
    loading,
    error,
    answered,
    activeIndex,
    groups,
    flat,
    activeHit,
    chips,
    hasFilters,
    canSearch,
    empty,
    pageCount,
    page,
    run,
    setQuery,
    toggleFacet,
    removeFacet,
    goToPage,
    move,
    setActive,
    load,
    reset,
  };
});
