import { beforeEach, describe, expect, it, vi } from 'vitest';
import { setToken } from '@/api/client';
import type { SearchHit, SearchResponse } from '@/api/search';
import { fakeApi, freshPinia } from '@/test/helpers';
import { DEBOUNCE_MS, facetChips, groupHits, hitTarget, searchParams, useSearchStore } from './search';

const hit = (type: SearchHit['type'], id: number, over: Partial<SearchHit> = {}): SearchHit => ({ type, id, score: 1, title: `${type} ${id}`, highlights: {}, ...over });

const answer = (hits: SearchHit[], facets: SearchResponse['facets'] = {}): SearchResponse => ({ backend: 'postgres', total: hits.length, exhaustive: true, hits, facets });

describe('search helpers', () => {
  it('groups hits by type in a fixed order, whatever order the server ranked them in', () => {
    const groups = groupHits([hit('article', 1), hit('ticket', 2), hit('customer', 3), hit('ticket', 4)], { type: { ticket: 12, customer: 1, article: 1 } });
    expect(groups.map((g) => g.type)).toEqual(['ticket', 'customer', 'article']);
    expect(groups[0]!.hits.map((h) => h.id)).toEqual([2, 4]);
    expect(groups[0]!.total).toBe(12);
    expect(groupHits([hit('article', 1)]).map((g) => g.type)).toEqual(['article']);
  });

  it('turns facet filters into search parameters (type narrows types)', () => {
    expect(searchParams('  printer ', { type: 'ticket', status: 'open', tag: 'vpn' }, { offset: 40 })).toEqual({ q: 'printer', types: ['ticket'], status: 'open', tag: 'vpn', limit: 20, offset: 40 });
    expect(searchParams('x', {})).toEqual({ q: 'x', limit: 20, offset: 0 });
  });

  it('lists facet chips by count and keeps the selected value even when it has no count', () => {
    const chips = facetChips({ status: { open: 3, pending: 7, closed: 0 }, tag: {} }, { status: 'open', priority: 'urgent' });
    expect(chips.status!.map((c) => [c.value, c.count, c.selected])).toEqual([
      ['pending', 7, false],
      ['open', 3, true],
    ]);
    expect(chips.priority).toEqual([{ key: 'priority', value: 'urgent', count: 0, selected: true }]);
    expect(chips.tag).toBeUndefined();
  });

  it('leads each kind of hit to its page', () => {
    expect(hitTarget(hit('ticket', 5))).toEqual({ name: 'ticket', params: { id: 5 } });
    expect(hitTarget(hit('customer', 9, { title: 'Cyrus' }))).toMatchObject({ name: 'inbox', query: { requesterId: '9', requesterName: 'Cyrus' } });
    expect(hitTarget(hit('article', 31, { article: { articleId: 7, lang: 'fa', slug: 's', status: 'published', visibility: 'public', kbCategoryId: null } }))).toEqual({
      name: 'kb-article',
      params: { id: 7 },
      query: { lang: 'fa' },
    });
  });
});

describe('search store', () => {
  beforeEach(() => {
    setToken('mdk_t');
    freshPinia();
  });

  it('debounces typing into one request for the last query, and groups the answer', async () => {
    vi.useFakeTimers();
    const api$ = fakeApi({ 'GET /api/v1/search': { body: answer([hit('customer', 3), hit('ticket', 1)], { type: { ticket: 1, customer: 1 } }) } });
    const s = useSearchStore();
    s.setQuery('p');
    s.setQuery('pri');
    s.setQuery('printer');
    expect(api$.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS + 10);
    vi.useRealTimers();
    await vi.waitFor(() => expect(s.loading).toBe(false));
    expect(api$.calls).toHaveLength(1);
    expect(api$.calls[0]!.query.get('q')).toBe('printer');
    expect(s.groups.map((g) => g.type)).toEqual(['ticket', 'customer']);
    expect(s.activeHit?.id).toBe(1);
  });

  it('clearing the query clears the results without asking the server', async () => {
    const api$ = fakeApi({ 'GET /api/v1/search': { body: answer([hit('ticket', 1)]) } });
    const s = useSearchStore();
    await s.load('vpn');
    expect(s.hits).toHaveLength(1);
    s.setQuery('   ');
    expect(s.hits).toHaveLength(0);
    expect(s.empty).toBe(false);
    expect(api$.calls).toHaveLength(1);
  });

  it('a facet chip narrows the search, a second click (or remove) widens it again', async () => {
    const api$ = fakeApi({ 'GET /api/v1/search': { body: answer([hit('ticket', 1)], { status: { open: 1 }, type: { ticket: 1 } }) } });
    const s = useSearchStore();
    await s.load('vpn');
    await s.toggleFacet('status', 'open');
    expect(api$.calls[1]!.query.get('status')).toBe('open');
    expect(s.chips.status![0]!.selected).toBe(true);
    await s.toggleFacet('type', 'ticket');
    expect(api$.calls[2]!.query.get('types')).toBe('ticket');
    await s.toggleFacet('status', 'pending');
    expect(api$.calls[3]!.query.get('status')).toBe('pending');
    await s.toggleFacet('status', 'pending');
    expect(api$.calls[4]!.query.has('status')).toBe(false);
    await s.removeFacet('type');
    expect(api$.calls[5]!.query.has('types')).toBe(false);
    expect(s.hasFilters).toBe(false);
  });

  it('arrow keys walk through the hits group by group and wrap around', async () => {
    fakeApi({ 'GET /api/v1/search': { body: answer([hit('article', 10), hit('ticket', 1), hit('customer', 5), hit('ticket', 2)]) } });
    const s = useSearchStore();
    await s.load('x');
    const seen = [s.activeHit!.id];
    for (let i = 0; i < 4; i++) {
      s.move(1);
      seen.push(s.activeHit!.id);
    }
    expect(seen).toEqual([1, 2, 5, 10, 1]);
    s.move(-1);
    expect(s.activeHit!.id).toBe(10);
    s.setActive(s.flat[1]!);
    expect(s.activeIndex).toBe(1);
  });

  it('drops the answer to an older query that arrives late', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    fakeApi({
      'GET /api/v1/search': async (call) => {
        if (call.query.get('q') === 'old') await slow;
        return { body: answer([hit('ticket', call.query.get('q') === 'old' ? 1 : 2)]) };
      },
    });
    const s = useSearchStore();
    const first = s.load('old');
    await s.load('new');
    release();
    await first;
    expect(s.hits.map((h) => h.id)).toEqual([2]);
  });

  it('shows the server error, and an empty answer as "no results"', async () => {
    fakeApi({ 'GET /api/v1/search': (call) => (call.query.get('q') === 'bad' ? { status: 400, body: { error: { code: 'bad_request', message: 'q is too long' } } } : { body: answer([]) }) });
    const s = useSearchStore();
    await s.load('bad');
    expect(s.error?.message).toBe('q is too long');
    expect(s.empty).toBe(false);
    await s.load('nothing');
    expect(s.error).toBeNull();
    expect(s.empty).toBe(true);
  });

  it('pages through the results', async () => {
    const api$ = fakeApi({ 'GET /api/v1/search': { body: { ...answer([hit('ticket', 1)]), total: 45 } } });
    const s = useSearchStore();
    await s.load('vpn', { status: 'open' }, 2);
    expect(api$.calls[0]!.query.get('offset')).toBe('20');
    expect(s.pageCount).toBe(3);
    await s.goToPage(3);
    expect(api$.calls[1]!.query.get('offset')).toBe('40');
    expect(api$.calls[1]!.query.get('status')).toBe('open');
    expect(s.page).toBe(3);
  });

  it('keeps whether the total is exact: beyond the server limit it is a lower bound, and a new answer resets it', async () => {
    fakeApi({ 'GET /api/v1/search': (call) => ({ body: { ...answer([hit('ticket', 1)]), total: call.query.get('q') === 'email' ? 1000 : 1, exhaustive: call.query.get('q') !== 'email' } }) });
    const s = useSearchStore();
    await s.load('email');
    expect(s.total).toBe(1000);
    expect(s.exhaustive).toBe(false);
    expect(s.pageCount).toBe(50);
    await s.load('kerberos');
    expect(s.exhaustive).toBe(true);
  });
});
