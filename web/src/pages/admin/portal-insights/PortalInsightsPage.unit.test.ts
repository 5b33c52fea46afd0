import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { formatDate } from '@/composables/useFormatters';
import { useLocaleStore } from '@/stores/locale';
import { fakeApi, freshPinia, renderWithApp, type FakeCall } from '@/test/helpers';
import Page from './PortalInsightsPage.vue';
import type { DeflectionItem, KbFeedbackRow, PortalInsights } from './types';

// The portal insights screen against a fake API: the period's total and per-day columns (with
// their numbers in a table on request), the articles that deflect most and the searches that
// found nothing linking to the KB screens, the latest deflections page by page, the feedback
// table sorted and paged by the server, and all of it in Persian (right to left, Jalali dates).

const INSIGHTS: PortalInsights = {
  from: '2026-04-01T00:00:00.000Z',
  to: '2026-04-04T00:00:00.000Z',
  deflections: {
    total: 7,
    byDay: [
      { day: '2026-04-01', count: 2 },
      { day: '2026-04-02', count: 0 },
      { day: '2026-04-03', count: 5 },
    ],
    topArticles: [
      { articleId: 7, translationId: 70, lang: 'en', title: 'Reset the VPN', slug: 'reset-the-vpn', count: 4 },
      { articleId: 7, translationId: 71, lang: 'fa', title: 'بازنشانی وی‌پی‌ان', slug: 'vpn', count: 3 },
    ],
  },
  missedSearches: [{ query: 'printer jam', count: 12, firstAt: '2026-03-01T00:00:00.000Z', lastAt: '2026-04-03T10:00:00.000Z', sources: ['portal_suggest', 'public_search'] }],
};

const deflection = (over: Partial<DeflectionItem> = {}): DeflectionItem => ({
  id: 40,
  createdAt: '2026-04-03T09:00:00.000Z',
  customer: { id: 9, name: 'Cyrus Customer', email: 'cyrus@example.test' },
  article: { articleId: 7, translationId: 70, lang: 'en', title: 'Reset the VPN', slug: 'reset-the-vpn' },
  subject: 'VPN keeps dropping',
  description: 'Since the update\nit drops every hour',
  ...over,
});
const FIRST_PAGE = [deflection(), deflection({ id: 39, customer: null, article: null, subject: '', description: 'وی‌پی‌ان وصل نمی‌شود' })];
const SECOND_PAGE = [deflection({ id: 12, subject: 'Older one', customer: { id: 10, name: 'Dara', email: 'dara@example.test' } })];

const row = (over: Partial<KbFeedbackRow> = {}): KbFeedbackRow => ({
  articleId: 7,
  visibility: 'public',
  translations: { en: { id: 70, title: 'Reset the VPN', slug: 'reset-the-vpn', status: 'published' }, fa: { id: 71, title: 'بازنشانی وی‌پی‌ان', slug: 'vpn', status: 'published' } },
  views: { en: 30, fa: 12, total: 42 },
  helpful: 3,
  notHelpful: 1,
  ratio: 0.75,
  comments: 2,
  lastFeedbackAt: '2026-04-02T10:00:00.000Z',
  ...over,
});
const FEEDBACK = [
  row(),
  row({
    articleId: 8,
    visibility: 'internal',
    translations: { fa: { id: 80, title: 'فقط فارسی', slug: 'only-fa', status: 'draft' } },
    views: { en: 0, fa: 1, total: 1 },
    helpful: 0,
    notHelpful: 0,
    ratio: null,
    comments: 0,
    lastFeedbackAt: null,
  }),
];

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/admin/portal-insights': { body: INSIGHTS },
    'GET /api/v1/admin/deflections': (call) => (call.query.get('cursor') === '39' ? { body: { items: SECOND_PAGE, nextCursor: null } } : { body: { items: FIRST_PAGE, nextCursor: '39' } }),
    'GET /api/v1/admin/kb-feedback': { body: { items: FEEDBACK, total: 60 } },
    ...routes,
  });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: { template: '<div />' } },
      { path: '/admin/kb/articles/new', name: 'kb-article-new', component: { template: '<div />' } },
      { path: '/admin/kb/articles/:id', name: 'kb-article', component: { template: '<div />' } },
    ],
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }), { router });
  return { api, router };
}
const callsTo = (calls: FakeCall[], path: string) => calls.filter((c) => c.method === 'GET' && c.path === path);
const hrefOf = (router: ReturnType<typeof createRouter>, id: number, lang?: string) => router.resolve({ name: 'kb-article', params: { id }, query: lang ? { lang } : {} }).href;

describe('portal insights page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
    useLocaleStore().setLocale('en');
  });

  it('asks for the last 30 days and shows their total and one column per day, described for screen readers', async () => {
    const { api } = mount();
    await waitFor(() => expect(screen.getByTestId('deflection-total').textContent).toBe('7'));
    const [call] = callsTo(api.calls, '/api/v1/admin/portal-insights');
    const span = Date.parse(call!.query.get('to')!) - Date.parse(call!.query.get('from')!);
    expect(span).toBe(30 * 86_400_000);
    expect(Math.abs(Date.parse(call!.query.get('to')!) - Date.now())).toBeLessThan(10_000);
    const chart = screen.getByRole('img', { name: /^7 deflections from April 1, 2026 to April 3, 2026; the busiest day was April 3, 2026 with 5\.$/ });
    const columns = chart.querySelectorAll('.column');
    expect([...columns].map((c) => c.getAttribute('title'))).toEqual(['April 1, 2026: 2', 'April 2, 2026: 0', 'April 3, 2026: 5']);
    expect([...chart.querySelectorAll<HTMLElement>('.bar')].map((b) => b.style.blockSize)).toEqual(['40%', '0%', '100%']);
  });

  it('shows the numbers per day as a table on request', async () => {
    mount();
    const toggle = await screen.findByRole('button', { name: 'Show as a table' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    const table = document.getElementById(toggle.getAttribute('aria-controls')!)!;
    expect(table.style.display).toBe('none');
    await userEvent.click(toggle);
    expect(screen.getByRole('button', { name: 'Hide the table' }).getAttribute('aria-expanded')).toBe('true');
    expect(table.style.display).toBe('');
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent?.trim()),
      );
    expect(rows).toEqual([
      ['April 1, 2026', '2'],
      ['April 2, 2026', '0'],
      ['April 3, 2026', '5'],
    ]);
  });

  it('asks for another period when one is chosen', async () => {
    const { api } = mount();
    await screen.findByTestId('deflection-total');
    await userEvent.click(within(screen.getByRole('group', { name: 'Period' })).getByRole('button', { name: 'Last 7 days' }));
    await waitFor(() => expect(callsTo(api.calls, '/api/v1/admin/portal-insights')).toHaveLength(2));
    const call = callsTo(api.calls, '/api/v1/admin/portal-insights')[1]!;
    expect(Date.parse(call.query.get('to')!) - Date.parse(call.query.get('from')!)).toBe(7 * 86_400_000);
  });

  it('links the articles that deflect most to their KB pages and lists the searches that found nothing', async () => {
    const { router } = mount();
    const top = (await screen.findByRole('heading', { name: 'Articles that deflect most' })).closest('section')!;
    const en = await within(top).findByRole('link', { name: 'Reset the VPN' });
    expect(en.getAttribute('href')).toBe(hrefOf(router, 7, 'en'));
    const fa = within(top).getByRole('link', { name: 'بازنشانی وی‌پی‌ان' });
    expect(fa.getAttribute('dir')).toBe('rtl');
    expect(fa.getAttribute('href')).toBe(hrefOf(router, 7, 'fa'));
    expect(within(en.closest('tr')!).getByText('4')).toBeInstanceOf(HTMLElement);

    const missed = screen.getByRole('heading', { name: 'Searches that found nothing' }).closest('section')!;
    const line = within(missed).getByText('printer jam').closest('tr')!;
    expect(within(line).getByText('12')).toBeInstanceOf(HTMLElement);
    expect(within(line).getByText('New-ticket suggestions')).toBeInstanceOf(HTMLElement);
    expect(within(line).getByText('Knowledge base search')).toBeInstanceOf(HTMLElement);
    expect(within(missed).getByRole('link', { name: 'Write an article' }).getAttribute('href')).toBe(router.resolve({ name: 'kb-article-new' }).href);
  });

  it('lists the latest deflections with what was typed, and loads older ones with the cursor', async () => {
    const { api } = mount();
    const table = await screen.findByTestId('recent-deflections');
    const first = within(table).getByText('VPN keeps dropping').closest('tr')!;
    expect(within(first).getByText('Cyrus Customer')).toBeInstanceOf(HTMLElement);
    expect(within(first).getByText('cyrus@example.test')).toBeInstanceOf(HTMLElement);
    expect(within(first).getByText(/Since the update/).textContent).toBe('Since the update\nit drops every hour');
    expect(within(first).getByRole('link', { name: 'Reset the VPN' })).toBeInstanceOf(HTMLElement);
    const gone = within(table).getByText('وی‌پی‌ان وصل نمی‌شود').closest('tr')!;
    expect(within(gone).getByText('(no subject)')).toBeInstanceOf(HTMLElement);
    expect(within(gone).getByText('Deleted account')).toBeInstanceOf(HTMLElement);
    expect(within(gone).getByText('Deleted article')).toBeInstanceOf(HTMLElement);
    expect(within(gone).getByText('وی‌پی‌ان وصل نمی‌شود').getAttribute('dir')).toBe('auto');

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await within(table).findByText('Older one')).toBeInstanceOf(HTMLElement);
    expect(callsTo(api.calls, '/api/v1/admin/deflections').map((c) => c.query.get('cursor'))).toEqual([null, '39']);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull());
  });

  it('shows every article’s feedback, linked to its page, and asks the server for another sort', async () => {
    const { api, router } = mount();
    const table = await screen.findByTestId('kb-feedback-table');
    const first = (await within(table).findByRole('link', { name: 'Reset the VPN' })).closest('tr')!;
    expect(within(first).getByRole('link', { name: 'Reset the VPN' }).getAttribute('href')).toBe(hrefOf(router, 7));
    expect(
      within(first)
        .getAllByRole('cell')
        .map((c) => c.textContent?.trim())
        .slice(1, 6),
    ).toEqual(['42', '3', '1', '75%', '2']);
    const other = within(table).getByRole('link', { name: 'فقط فارسی' }).closest('tr')!;
    expect(within(other).getByText('No votes')).toBeInstanceOf(HTMLElement);
    expect(within(other).getByText('Internal (staff only)')).toBeInstanceOf(HTMLElement);
    expect(callsTo(api.calls, '/api/v1/admin/kb-feedback')[0]!.query.get('sort')).toBe('-views');

    await userEvent.click(within(table).getByText('Not helpful'));
    await waitFor(() => expect(callsTo(api.calls, '/api/v1/admin/kb-feedback').map((c) => c.query.get('sort'))).toEqual(['-views', 'notHelpful']));
    await userEvent.click(within(table).getByText('Not helpful'));
    await waitFor(() => expect(callsTo(api.calls, '/api/v1/admin/kb-feedback').at(-1)!.query.get('sort')).toBe('-notHelpful'));
    await userEvent.click(within(table).getByRole('button', { name: /next page/i }));
    await waitFor(() => expect(callsTo(api.calls, '/api/v1/admin/kb-feedback').at(-1)!.query.get('offset')).toBe('25'));
  });

  it("shows the server's error with a retry", async () => {
    mount({ 'GET /api/v1/admin/portal-insights': { status: 403, body: { error: { code: 'forbidden', message: 'Role supervisor may not admin.manage' } } } });
    // (Vuetify's transition stub repeats the alert role in tests: the first is the alert itself.)
    await waitFor(() => expect(screen.getAllByRole('alert')[0]!.textContent).toContain('Role supervisor may not admin.manage'));
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInstanceOf(HTMLElement);
  });

  it('is right to left in Persian, with Jalali dates and Persian digits', async () => {
    useLocaleStore().setLocale('fa');
    mount();
    await waitFor(() => expect(screen.getByTestId('deflection-total').textContent).toBe('۷'));
    expect(document.documentElement.getAttribute('dir')).toBe('rtl');
    const chart = screen.getByRole('img', { name: /^۷ پیشگیری از .*۱۴۰۵.*$/ });
    expect(chart.getAttribute('aria-label')).toContain(formatDate('2026-04-03T12:00:00Z', 'fa', 'date'));
    expect(screen.getByRole('heading', { name: 'جست‌وجوهای بی‌نتیجه' })).toBeInstanceOf(HTMLElement);
    expect((await screen.findAllByText(formatDate('2026-04-03T09:00:00.000Z', 'fa'))).length).toBe(2);
    expect(
      within(screen.getByRole('group', { name: 'بازهٔ زمانی' }))
        .getByRole('button', { name: '۳۰ روز گذشته' })
        .getAttribute('aria-pressed'),
    ).toBe('true');
    const feedback = await screen.findByTestId('kb-feedback-table');
    // Titles in the UI language: the Persian one where there is one.
    expect(await within(feedback).findByRole('link', { name: 'بازنشانی وی‌پی‌ان' })).toBeInstanceOf(HTMLElement);
    expect(within(feedback).getByText('۷۵٪')).toBeInstanceOf(HTMLElement);
  });
});
