import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import { api, isApiError, unwrap, type ApiError } from '@/api/client';
import type { BulkResult, TicketFieldChanges as BulkSet } from '@/api/types';
import { OPEN_STATUSES, type Priority, type SlaState, type Ticket, type TicketStatus } from '@/api/types';
import type { paths } from '@/api/schema';
import { useLiveStore } from './live';

// The inbox: a view (a preset of filters and sort), the filters the agent refines it with, and
// the tickets loaded so far, page by page with the API's cursor. Rows stay in one array that
// the virtual table renders, so 10,000 loaded tickets cost 10,000 objects, not DOM rows. Live
// events patch rows in place, add new tickets that match, and a reconnection reloads.

export const VIEW_IDS = ['mine', 'unassigned', 'allOpen', 'atRisk', 'pending', 'recent'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

export const SORT_VALUES = ['updatedAt', '-updatedAt', 'createdAt', '-createdAt', 'priority', '-priority', 'dueAt', '-dueAt'] as const;
export type SortValue = (typeof SORT_VALUES)[number];
export type SortKey = 'updatedAt' | 'createdAt' | 'priority' | 'dueAt';

export type AssigneeFilter = 'me' | 'none' | number | null;

export interface InboxFilters {
  status: TicketStatus[];
  priority: Priority[];
  slaState: SlaState[];
  groupId: number | null;
  assignee: AssigneeFilter;
  tag: string | null;
  requester: { id: number; name: string } | null;
  /** Calendar days (local), inclusive: yyyy-mm-dd. */
  createdFrom: string | null;
  createdTo: string | null;
  /** ISO instant: only tickets updated since (the "recently updated" view). */
  updatedFrom: string | null;
  q: string;
}

export const emptyFilters = (): InboxFilters => ({
  status: [],
  priority: [],
  slaState: [],
  groupId: null,
  assignee: null,
  tag: null,
  requester: null,
  createdFrom: null,
  createdTo: null,
  updatedFrom: null,
  q: '',
});

const RECENT_HOURS = 24;

/** Each view as filters and a sort; the agent refines the filters from there. */
export function viewPreset(view: ViewId, now = Date.now()): { filters: InboxFilters; sort: SortValue } {
  const f = emptyFilters();
  const open = [...OPEN_STATUSES];
  switch (view) {
    case 'mine':
      return { filters: { ...f, assignee: 'me', status: open }, sort: 'dueAt' };
    case 'unassigned':
      // For agents the API already limits every list to their groups.
      return { filters: { ...f, assignee: 'none', status: open }, sort: 'dueAt' };
    case 'allOpen':
      return { filters: { ...f, status: open }, sort: '-updatedAt' };
    case 'atRisk':
      return { filters: { ...f, status: open, slaState: ['warning', 'breached'] }, sort: 'dueAt' };
    case 'pending':
      return { filters: { ...f, status: ['pending'] }, sort: '-updatedAt' };
    case 'recent':
      return { filters: { ...f, updatedFrom: new Date(now - RECENT_HOURS * 3600_000).toISOString() }, sort: '-updatedAt' };
  }
}

type GeneratedQuery = NonNullable<paths['/api/v1/tickets']['get']['parameters']['query']>;
export type TicketListQuery = GeneratedQuery;

const startOfDayIso = (day: string) => new Date(`${day}T00:00:00`).toISOString();
const endOfDayIso = (day: string) => new Date(`${day}T23:59:59.999`).toISOString();

/** Filters and sort as GET /api/v1/tickets query parameters (empty filters are left out). */
export function buildTicketQuery(filters: InboxFilters, sort: SortValue, page: { limit?: number; cursor?: string | null } = {}): TicketListQuery {
  const q: TicketListQuery = { limit: page.limit ?? 100 };
  if (filters.status.length) q.status = [...filters.status];
  if (filters.priority.length) q.priority = [...filters.priority];
  if (filters.slaState.length) q.slaState = [...filters.slaState];
  if (filters.groupId !== null) q.groupId = String(filters.groupId);
  if (filters.assignee !== null) q.assigneeId = String(filters.assignee);
  if (filters.tag) q.tag = filters.tag;
  if (filters.requester) q.requesterId = String(filters.requester.id);
  if (filters.createdFrom) q.createdFrom = startOfDayIso(filters.createdFrom);
  if (filters.createdTo) q.createdTo = endOfDayIso(filters.createdTo);
  if (filters.updatedFrom) q.updatedFrom = filters.updatedFrom;
  if (filters.q.trim()) q.q = filters.q.trim();
  q.sort = sort;
  if (page.cursor) q.cursor = page.cursor;
  return q;
}

const PRIORITY_RANK: Record<Priority, number> = { low: 0, normal: 1, high: 2, urgent: 3 };

/** The sort's comparison, to place a live-added ticket where the server would have. */
export function compareTickets(sort: SortValue): (a: Ticket, b: Ticket) => number {
  const desc = sort.startsWith('-');
  const key = (desc ? sort.slice(1) : sort) as SortKey;
  const value = (t: Ticket): number | string => {
    if (key === 'priority') return PRIORITY_RANK[t.priority];
    if (key === 'dueAt') return t.firstRespondedAt === null && t.firstResponseDueAt ? t.firstResponseDueAt : (t.resolutionDueAt ?? '9999');
    return t[key];
  };
  return (a, b) => {
    const va = value(a);
    const vb = value(b);
    const c = va < vb ? -1 : va > vb ? 1 : 0;
    return desc ? -c : c;
  };
}

/** List parameters an older API does not know (it answers "Unknown field"): dropped then. */
const OPTIONAL_PARAMS = ['sort', 'q', 'updatedFrom'] as const;

/** The list endpoint's limit on `ids`. */
const IDS_PER_REQUEST = 100;

/** Fields of the Ticket DTO a live `ticket.updated` may carry new values for. */
const PATCHABLE: readonly (keyof Ticket)[] = [
  'subject',
  'status',
  'priority',
  'groupId',
  'assigneeId',
  'tags',
  'slaState',
  'categoryId',
  'organizationId',
  'firstResponseDueAt',
  'resolutionDueAt',
  'updatedAt',
  'firstRespondedAt',
  'resolvedAt',
  'closedAt',
];

export const useInboxStore = defineStore('inbox', () => {
  const view = ref<ViewId>('mine');
  const filters = ref<InboxFilters>(viewPreset('mine').filters);
  const sort = ref<SortValue>(viewPreset('mine').sort);
  /** Rows in display order; shallow, so 10,000 tickets are not made deeply reactive. */
  const items = shallowRef<Ticket[]>([]);
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const loadingMore = ref(false);
  const error = ref<ApiError | null>(null);
  const loadedOnce = ref(false);
  /** New tickets announced live that match but were not inserted (another sort): "N new · Show". */
  const newSinceLoad = ref(0);
  const unsupported = ref(new Set<string>());
  let generation = 0;

  const hasMore = computed(() => nextCursor.value !== null);
  const activeFilterCount = computed(() => {
    const f = filters.value;
    return [f.status.length, f.priority.length, f.slaState.length, f.groupId !== null, f.assignee !== null, f.tag, f.requester, f.createdFrom, f.createdTo, f.updatedFrom].filter(Boolean).length;
  });
  const searchSupported = computed(() => !unsupported.value.has('q'));

  function query(cursor: string | null): TicketListQuery {
    const q = buildTicketQuery(filters.value, sort.value, { limit: 100, cursor });
    for (const p of unsupported.value) delete q[p as keyof TicketListQuery];
    return q;
  }

  /** Drop list parameters the API refused as unknown; true when something was dropped. */
  function learnUnsupported(err: unknown): boolean {
    if (!isApiError(err) || err.status !== 400) return false;
    const unknown = err.fields.filter((f) => f.message === 'Unknown field').map((f) => f.path.replace(/^query\./, ''));
    const optional = unknown.filter((p) => (OPTIONAL_PARAMS as readonly string[]).includes(p) && !unsupported.value.has(p));
    if (optional.length === 0 || optional.length !== unknown.length) return false;
    unsupported.value = new Set([...unsupported.value, ...optional]);
    return true;
  }

  async function fetchPage(cursor: string | null) {
    for (;;) {
      try {
        return await unwrap(api.GET('/api/v1/tickets', { params: { query: query(cursor) } }));
      } catch (err) {
        if (!learnUnsupported(err)) throw err;
      }
    }
  }

  /** Load the first page again (view, filter or sort changed; reconnection). */
  async function refresh(): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const page = await fetchPage(null);
      if (gen !== generation) return;
      items.value = page.items;
      nextCursor.value = page.nextCursor;
      newSinceLoad.value = 0;
      loadedOnce.value = true;
    } catch (err) {
      if (gen === generation) error.value = err as ApiError;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** Append the next page (virtual scroll reached the end). */
  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value || loading.value) return;
    const gen = generation;
    loadingMore.value = true;
    try {
      const page = await fetchPage(nextCursor.value);
      if (gen !== generation) return;
      const seen = new Set(items.value.map((t) => t.id));
      items.value = [...items.value, ...page.items.filter((t) => !seen.has(t.id))];
      nextCursor.value = page.nextCursor;
    } catch (err) {
      if (gen === generation) error.value = err as ApiError;
    } finally {
      loadingMore.value = false;
    }
  }

  /** Show a view; `over` replaces some of its filters (a customer's tickets from the search). */
  function selectView(v: ViewId, over: Partial<InboxFilters> = {}) {
    view.value = v;
    const preset = viewPreset(v);
    filters.value = { ...preset.filters, ...over };
    sort.value = preset.sort;
    return refresh();
  }

  function setFilters(next: Partial<InboxFilters>) {
    filters.value = { ...filters.value, ...next };
    return refresh();
  }

  function clearFilters() {
    filters.value = { ...emptyFilters(), q: filters.value.q };
    return refresh();
  }

  function setSort(next: SortValue) {
    sort.value = next;
    return refresh();
  }

  /** Replace rows by fresh copies (after a change here or elsewhere). */
  function upsert(tickets: Ticket[]) {
    if (tickets.length === 0) return;
    const byId = new Map(tickets.map((t) => [t.id, t]));
    let changed = false;
    const next = items.value.map((row) => {
      const fresh = byId.get(row.id);
      if (fresh && fresh.version >= row.version) {
        changed = true;
        return fresh;
      }
      return row;
    });
    if (changed) items.value = next;
  }

  /** Apply a live change to a loaded row; false when the row must be fetched instead. */
  function patchRow(ticketId: number, version: number, values: Record<string, unknown> | undefined, fields: string[]): boolean {
    const i = items.value.findIndex((t) => t.id === ticketId);
    if (i === -1) return true;
    const row = items.value[i]!;
    if (row.version >= version) return true;
    if (!values || fields.some((f) => !(f in values) || !(PATCHABLE as readonly string[]).includes(f))) return false;
    const patched = { ...row, version } as Record<string, unknown>;
    for (const f of fields) patched[f] = values[f];
    items.value[i] = patched as unknown as Ticket;
    triggerRef(items);
    return true;
  }

  // ---- live updates: fetch what cannot be patched, a few at a time ----
  const toFetch = new Set<number>();
  let flushTimer: ReturnType<typeof setTimeout> | null = null;

  function scheduleFetch(id: number) {
    toFetch.add(id);
    flushTimer ??= setTimeout(() => void flush(), 150);
  }

  /**
   * Which of these tickets the current filters and search text match, by the server's answer
   * (the list endpoint narrowed to `ids`, at most 100 a request); null when it cannot say.
   */
  async function matchingOnServer(ids: number[]): Promise<Ticket[] | null> {
    const gen = generation;
    const out: Ticket[] = [];
    try {
      for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
        const chunk = ids.slice(i, i + IDS_PER_REQUEST);
        const q: TicketListQuery = { ...query(null), ids: chunk.join(','), limit: chunk.length };
        const page = await unwrap(api.GET('/api/v1/tickets', { params: { query: q } }));
        out.push(...page.items);
      }
    } catch {
      return null;
    }
    // A reload since then lists whatever matches now.
    return gen === generation ? out : [];
  }

  async function flush() {
    flushTimer = null;
    const ids = [...toFetch];
    toFetch.clear();
    const loaded = new Set(items.value.map((t) => t.id));
    // Loaded rows are refreshed one by one; tickets not in the list are asked about in one
    // batch: the server applies every filter and the search text, so the list never disagrees
    // with what a reload would show (there is no second copy of the filter rules here).
    const toGet = ids.filter((id) => loaded.has(id));
    const toAsk = ids.filter((id) => !loaded.has(id));
    const [fetched, matched] = await Promise.all([
      Promise.all(toGet.map((id) => unwrap(api.GET('/api/v1/tickets/{id}', { params: { path: { id: String(id) } } })).catch(() => null))),
      toAsk.length ? matchingOnServer(toAsk) : Promise.resolve([] as Ticket[]),
    ]);
    const fresh = fetched.filter((t): t is Ticket => t !== null);
    upsert(fresh);
    if (matched === null) {
      // The server could not answer: offer a reload instead of guessing.
      newSinceLoad.value += toAsk.length;
      return;
    }
    const present = new Set(items.value.map((t) => t.id));
    const cmp = compareTickets(sort.value);
    let list = items.value;
    for (const t of matched) {
      if (present.has(t.id)) continue;
      // Insert where the server would list it, unless that is beyond what is loaded.
      const at = list.findIndex((row) => cmp(t, row) < 0);
      if (at === -1 && nextCursor.value !== null) {
        newSinceLoad.value++;
        continue;
      }
      list = at === -1 ? [...list, t] : [...list.slice(0, at), t, ...list.slice(at)];
    }
    if (list !== items.value) items.value = list;
  }

  let detach: (() => void) | null = null;
  /** Follow live events while the inbox is shown. */
  function attachLive() {
    if (detach) return;
    const live = useLiveStore();
    const offs = [
      live.on('ticket.updated', (e) => {
        const known = items.value.some((t) => t.id === e.ticketId);
        if (!known || e.truncated || !patchRow(e.ticketId, e.version, e.values, e.fields)) scheduleFetch(e.ticketId);
      }),
      live.on('ticket.created', (e) => scheduleFetch(e.ticketId)),
      live.on('sla.changed', (e) => {
        const row = items.value.find((t) => t.id === e.ticketId);
        if (!row) return;
        const i = items.value.indexOf(row);
        items.value[i] = {
          ...row,
          slaState: e.state as SlaState,
          ...(e.firstResponseDueAt !== undefined ? { firstResponseDueAt: e.firstResponseDueAt } : {}),
          ...(e.resolutionDueAt !== undefined ? { resolutionDueAt: e.resolutionDueAt } : {}),
        };
        triggerRef(items);
      }),
      live.onReconnect(() => void refresh()),
    ];
    detach = () => {
      offs.forEach((off) => off());
      detach = null;
    };
  }

  function detachLive() {
    detach?.();
  }

  // ---- bulk actions ----
  async function bulkUpdate(ids: number[], set: BulkSet): Promise<BulkResult[]> {
    const { results } = await unwrap(api.POST('/api/v1/tickets/bulk', { body: { ids, set } }));
    upsert(results.flatMap((r) => (r.ok ? [r.ticket] : [])));
    return results;
  }

  return {
    view,
    filters,
    sort,
    items,
    nextCursor,
    loading,
    loadingMore,
    error,
    loadedOnce,
    newSinceLoad,
    hasMore,
    activeFilterCount,
    searchSupported,
    refresh,
    loadMore,
    selectView,
    setFilters,
    clearFilters,
    setSort,
    upsert,
    patchRow,
    attachLive,
    detachLive,
    bulkUpdate,
    /** For tests: run pending live fetches now. */
    flushLive: flush,
  };
});
