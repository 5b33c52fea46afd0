import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h, ref } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import type { SearchHit } from '@/api/search';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import GlobalSearchDialog from './GlobalSearchDialog.vue';

// The global search dialog against a fake API: results grouped by type with highlights that
// keep only <mark>, facet chips that narrow (and a filter chip that widens again), the arrow
// keys and Enter, and "see all results".

const hits: SearchHit[] = [
  {
    type: 'article',
    id: 31,
    score: 0.5,
    title: 'Reset your VPN password',
    highlights: { title: 'Reset your <mark>VPN</mark> password' },
    article: { articleId: 7, lang: 'en', slug: 'reset-vpn', status: 'published', visibility: 'public', kbCategoryId: null },
  },
  {
    type: 'ticket',
    id: 5,
    score: 0.9,
    title: 'Cannot connect',
    highlights: { body: 'the <mark>vpn</mark> drops <img src=x onerror="alert(1)"><script>alert(2)</script>' },
    ticket: { number: 'TKT-2026-000005', status: 'open', priority: 'high', groupId: 1, categoryId: null, assigneeId: null, requesterName: 'Cyrus', updatedAt: '2026-05-01T08:00:00.000Z' },
  },
  { type: 'customer', id: 9, score: 0.4, title: 'Vida VPN-user', highlights: { title: 'Vida <mark>VPN</mark>-user' }, customer: { email: 'vida@example.test', organization: null } },
];

function mount(beyondLimit = false) {
  const api = fakeApi({
    'GET /api/v1/search': (call) => ({
      body: beyondLimit
        ? {
            backend: 'postgres',
            total: 1000,
            exhaustive: false,
            hits: hits.filter((x) => x.type === 'ticket'),
            facets: { type: { ticket: 1000 }, status: { open: 700, closed: 300 } },
          }
        : {
            backend: 'postgres',
            exhaustive: true,
            total: call.query.get('status') ? 1 : 3,
            hits: call.query.get('status') ? hits.filter((x) => x.type === 'ticket') : hits,
            facets: { type: { ticket: 1, customer: 1, article: 1 }, status: { open: 1 } },
          },
    }),
    'GET /api/v1/categories': { body: { items: [] } },
    'GET /api/v1/kb/categories': { body: { items: [] } },
  });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: { template: '<div />' } },
      { path: '/tickets/:id', name: 'ticket', component: { template: '<div />' } },
      { path: '/inbox/:view?', name: 'inbox', component: { template: '<div />' } },
      { path: '/admin/kb/articles/:id', name: 'kb-article', component: { template: '<div />' } },
      { path: '/search', name: 'search', component: { template: '<div />' } },
    ],
  });
  const open = ref(true);
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(GlobalSearchDialog, { modelValue: open.value, 'onUpdate:modelValue': (v: boolean) => (open.value = v) })) }), { router });
  return { api, router, open };
}

const input = () => screen.findByRole('combobox', { name: /Search tickets, customers and articles/ });

describe('global search dialog', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('groups hits by type, shows only <mark> from the highlights, and offers facet chips', async () => {
    const { api } = mount();
    await userEvent.type(await input(), 'vpn');
    await screen.findByTestId('search-hit-ticket-5');
    expect(api.calls.filter((c) => c.path === '/api/v1/search').map((c) => c.query.get('q'))).toEqual(['vpn']);
    const groups = [...document.querySelectorAll('[data-testid^="search-group-"]')].map((g) => g.getAttribute('data-testid'));
    expect(groups).toEqual(['search-group-ticket', 'search-group-customer', 'search-group-article']);
    const snippet = screen.getByTestId('search-hit-ticket-5').querySelector('.search-hit__snippet')!;
    expect(snippet.querySelectorAll('mark')).toHaveLength(1);
    expect(snippet.querySelector('img, script')).toBeNull();
    expect(screen.getByTestId('search-hit-article-31').querySelector('mark')?.textContent).toBe('VPN');
    expect(screen.getByTestId('facet-status-open').textContent).toContain('Open');
  });

  it('a facet chip narrows the search, the filter chip widens it again', async () => {
    const { api } = mount();
    await userEvent.type(await input(), 'vpn');
    await userEvent.click(await screen.findByTestId('facet-status-open'));
    await waitFor(() => expect(api.calls.at(-1)!.query.get('status')).toBe('open'));
    await waitFor(() => expect(screen.queryByTestId('search-hit-article-31')).toBeNull());
    const filter = await screen.findByTestId('search-filter-status');
    await userEvent.click(filter.querySelector('.v-chip__close')!);
    await waitFor(() => expect(api.calls.at(-1)!.query.has('status')).toBe(false));
    await screen.findByTestId('search-hit-article-31');
  });

  it('arrow keys move through the hits in their shown order, Enter opens the active one', async () => {
    const { router, open } = mount();
    const field = await input();
    await userEvent.type(field, 'vpn');
    await screen.findByTestId('search-hit-ticket-5');
    const active = () => document.querySelector('[role="option"][aria-selected="true"]')?.getAttribute('data-testid');
    expect(active()).toBe('search-hit-ticket-5');
    await userEvent.keyboard('{ArrowDown}');
    expect(active()).toBe('search-hit-customer-9');
    expect(field.getAttribute('aria-activedescendant')).toMatch(/customer-9$/);
    await userEvent.keyboard('{ArrowDown}{ArrowDown}');
    expect(active()).toBe('search-hit-ticket-5');
    await userEvent.keyboard('{ArrowUp}');
    expect(active()).toBe('search-hit-article-31');
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/admin/kb/articles/7?lang=en'));
    expect(open.value).toBe(false);
  });

  it('marks counts as lower bounds when more matched than the server counts', async () => {
    mount(true);
    await userEvent.type(await input(), 'email');
    expect((await screen.findByTestId('search-see-all')).textContent).toContain('(1,000+)');
    expect(screen.getByTestId('facet-status-open').textContent).toContain('700+');
    expect(screen.getByText(/Tickets · 1,000\+/).textContent).toMatch(/Tickets · 1,000\+/);
  });

  it('"see all results" leads to the search page with the query and filters', async () => {
    const { router } = mount();
    await userEvent.type(await input(), 'vpn');
    await userEvent.click(await screen.findByTestId('facet-status-open'));
    await userEvent.click(await screen.findByTestId('search-see-all'));
    await waitFor(() => expect(router.currentRoute.value.name).toBe('search'));
    expect(router.currentRoute.value.query).toEqual({ q: 'vpn', status: 'open' });
  });

  it('shows the server error and "no results"', async () => {
    fakeApi({
      'GET /api/v1/search': (call) =>
        call.query.get('q') === 'boom'
          ? { status: 503, body: { error: { code: 'unavailable', message: 'Search backend unavailable' } } }
          : { body: { backend: 'postgres', total: 0, hits: [], facets: {} } },
      'GET /api/v1/categories': { body: { items: [] } },
      'GET /api/v1/kb/categories': { body: { items: [] } },
    });
    const open = ref(true);
    renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(GlobalSearchDialog, { modelValue: open.value })) }));
    const field = await input();
    await userEvent.type(field, 'boom');
    await waitFor(() =>
      expect(
        screen
          .getAllByRole('alert')
          .map((a) => a.textContent)
          .join(' '),
      ).toContain('Search backend unavailable'),
    );
    await userEvent.clear(field);
    await userEvent.type(field, 'zzz');
    expect((await screen.findByTestId('search-empty')).textContent).toContain('No results for “zzz”');
  });
});
