import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useLocaleStore } from '@/stores/locale';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './CsatPage.vue';

// The CSAT results screen against a fake API: the period's figures, each rating with its
// ticket, customer, agent and comment, filters sent as query parameters, paging, and Persian.

const blank = { template: '<div />' };
const item = (id: number, rating: 'good' | 'bad' | number, comment: string | null) => ({
  id,
  ticketId: 100 + id,
  ticketNumber: `TKT-2026-00010${id}`,
  subject: `Subject ${id}`,
  customer: { id: 9, name: 'Cyrus Customer', email: 'cyrus@example.test' },
  agent: id === 2 ? null : { id: 5, name: 'Arash Agent' },
  groupId: 1,
  scale: typeof rating === 'number' ? 'five' : 'binary',
  rating,
  comment,
  ratedAt: '2026-11-20T10:00:00.000Z',
});
const summary = { rated: 3, sent: 4, positive: 2, negative: 1, positiveShare: 2 / 3, averageScore: 4, fiveCount: 1 };

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/admin/csat': (call) =>
      call.query.get('cursor')
        ? { body: { items: [item(4, 'good', null)], nextCursor: null, summary } }
        : { body: { items: [item(1, 'good', 'Quick and kind'), item(2, 'bad', null), item(3, 4, null)], nextCursor: 'c1', summary } },
    'GET /api/v1/groups': { body: { items: [] } },
    'GET /api/v1/users': { body: { items: [], nextCursor: null } },
    ...routes,
  });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: blank },
      { path: '/tickets/:id', name: 'ticket', component: blank },
      { path: '/admin/surveys', name: 'admin-surveys', component: blank },
    ],
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }), { router });
  return api;
}

describe('CSAT results page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it("shows the period's figures and every rating with its ticket, customer, agent and comment", async () => {
    const api = mount();
    expect((await screen.findByTestId('csat-positive')).textContent).toContain('67%');
    expect(screen.getByTestId('csat-rated').textContent).toContain('2 satisfied, 1 not satisfied');
    expect(screen.getByTestId('csat-average').textContent).toContain('4 of 5');
    expect(screen.getByTestId('csat-response').textContent).toContain('75%');
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    expect(within(rows[0]!).getByRole('link', { name: 'TKT-2026-000101' }).getAttribute('href')).toBe('/tickets/101');
    expect(rows[0]!.textContent).toContain('Arash Agent');
    expect(rows[0]!.textContent).toContain('Quick and kind');
    expect(rows[1]!.textContent).toContain('Unassigned');
    expect(screen.getAllByTestId('csat-rating').map((c) => c.textContent?.trim())).toEqual(['Good', 'Bad', '4 of 5']);
    // The last 30 days by default.
    const from = Date.parse(api.calls.find((c) => c.path === '/api/v1/admin/csat')!.query.get('from')!);
    expect(Math.abs(Date.now() - 30 * 86_400_000 - from)).toBeLessThan(60_000);
  });

  it('sends the chosen rating filter, and loads the next page with the cursor', async () => {
    const api = mount();
    await screen.findByTestId('csat-summary');
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(5));
    expect(api.calls.filter((c) => c.path === '/api/v1/admin/csat').map((c) => c.query.get('cursor'))).toEqual([null, 'c1']);

    await userEvent.click(screen.getByRole('combobox', { name: 'Rating' }));
    await userEvent.click(await screen.findByRole('option', { name: /Not satisfied/ }));
    await waitFor(() =>
      expect(
        api.calls
          .filter((c) => c.path === '/api/v1/admin/csat')
          .at(-1)!
          .query.get('rating'),
      ).toBe('bad'),
    );
  });

  it('is in Persian with Persian digits when the console is', async () => {
    mount();
    useLocaleStore().setLocale('fa');
    expect((await screen.findByTestId('csat-average')).textContent).toContain('۴ از ۵');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('نتایج رضایت مشتریان');
  });
});
