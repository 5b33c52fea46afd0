import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import type { KbArticle, KbCategory } from '@/api/kb';
import { useAuthStore } from '@/stores/auth';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import KbArticlePage from './KbArticlePage.vue';
import KbCategoryTree from './components/KbCategoryTree.vue';

// The KB screens against a fake API: a refused category delete shows the server's 409, the
// article editor shows English and Persian side by side (Persian right to left), saves one
// language at a time, and compares a version with the current text.

const categories: KbCategory[] = [{ id: 1, parentId: null, position: 0, names: { en: 'Network', fa: 'شبکه' }, articleCount: 5, children: [] }];

const article = (over: Partial<KbArticle> = {}): KbArticle => ({
  id: 7,
  categoryId: 1,
  visibility: 'public',
  tags: ['vpn'],
  version: 3,
  author: { id: 1, name: 'Ada Admin' },
  createdAt: '2026-05-01T00:00:00.000Z',
  updatedAt: '2026-05-02T00:00:00.000Z',
  translations: {
    en: {
      id: 70,
      title: 'Reset the VPN',
      slug: 'reset-the-vpn',
      bodyHtml: '<p>Restart the modem twice.</p>',
      status: 'published',
      publishedAt: '2026-05-02T00:00:00.000Z',
      version: 2,
      createdAt: '2026-05-01T00:00:00.000Z',
      updatedAt: '2026-05-02T00:00:00.000Z',
      updatedBy: { id: 1, name: 'Ada Admin' },
    },
  },
  stats: { views: 12, helpful: 3, notHelpful: 1 },
  ...over,
});

async function routerFor(path: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/admin/kb', name: 'kb', component: { template: '<div />' } },
      { path: '/admin/kb/articles/new', name: 'kb-article-new', component: { template: '<div />' } },
      { path: '/admin/kb/articles/:id', name: 'kb-article', component: { template: '<div />' } },
    ],
  });
  await router.push(path);
  return router;
}

let pinia: ReturnType<typeof freshPinia>;

function signIn(role: 'admin' | 'agent') {
  useAuthStore().user = { id: 1, email: 'a@x', name: 'Ada Admin', role, locale: 'en', organizationId: null, groupIds: [] };
}

describe('KB category tree', () => {
  beforeEach(() => {
    setToken('mdk_test');
    pinia = freshPinia();
  });

  it("shows the server's 409 when a category that still has articles is deleted", async () => {
    const api = fakeApi({
      'GET /api/v1/kb/categories': { body: { items: categories } },
      'DELETE /api/v1/kb/categories/1': { status: 409, body: { error: { code: 'conflict', message: 'Category 1 still has 5 articles' } } },
    });
    signIn('admin');
    renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(KbCategoryTree, { modelValue: null })) }), { pinia });
    const { useKbStore } = await import('@/stores/kb');
    await useKbStore().loadTree();
    await userEvent.click(await screen.findByRole('button', { name: 'Actions for Network' }));
    await userEvent.click(await screen.findByText('Delete'));
    await userEvent.click(await screen.findByTestId('form-submit'));
    expect((await screen.findByTestId('form-error')).textContent).toContain('Category 1 still has 5 articles');
    expect(api.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });

  it('offers no changes to staff without kb.write', async () => {
    fakeApi({ 'GET /api/v1/kb/categories': { body: { items: categories } } });
    signIn('agent');
    renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(KbCategoryTree, { modelValue: null })) }), { pinia });
    const { useKbStore } = await import('@/stores/kb');
    await useKbStore().loadTree();
    await screen.findByText('Network');
    expect(screen.queryByRole('button', { name: 'Actions for Network' })).toBeNull();
    expect(screen.queryByTestId('kb-category-new')).toBeNull();
  });
});

describe('KB article editor', () => {
  beforeEach(() => {
    setToken('mdk_test');
    pinia = freshPinia();
  });

  it('shows both languages side by side, Persian right to left, and saves one language with its version', async () => {
    let current = article();
    const api = fakeApi({
      'GET /api/v1/kb/categories': { body: { items: categories } },
      'GET /api/v1/kb/articles/7': () => ({ body: current }),
      'GET /api/v1/kb/articles/7/versions': { body: { items: [] } },
      'GET /api/v1/kb/articles/7/feedback': {
        body: { views: { en: 10, fa: 2, total: 12 }, helpful: 3, notHelpful: 1, items: [{ lang: 'fa', helpful: false, comment: 'ناقص است', createdAt: '2026-05-02T00:00:00.000Z' }] },
      },
      'PUT /api/v1/kb/articles/7/translations/fa': (call) => {
        const b = call.body as { title: string; bodyHtml: string; status: 'published' };
        current = article({
          translations: {
            ...current.translations,
            fa: {
              id: 71,
              title: b.title,
              slug: 'vpn-fa',
              bodyHtml: b.bodyHtml,
              status: b.status,
              publishedAt: null,
              version: 1,
              createdAt: '2026-05-03T00:00:00.000Z',
              updatedAt: '2026-05-03T00:00:00.000Z',
              updatedBy: { id: 1, name: 'Ada Admin' },
            },
          },
        });
        return { body: current };
      },
    });
    signIn('admin');
    renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(KbArticlePage, { id: 7 })) }), { pinia, router: await routerFor('/admin/kb/articles/7') });
    const en = await screen.findByTestId('kb-side-en');
    const fa = screen.getByTestId('kb-side-fa');
    await waitFor(() => expect((within(en).getByLabelText('Title') as HTMLInputElement).value).toBe('Reset the VPN'));
    expect(fa.querySelector('.v-card-text')!.getAttribute('dir')).toBe('rtl');
    expect(fa.querySelector('[data-testid="kb-body-fa"]')!.getAttribute('dir')).toBe('rtl');
    expect(en.querySelector('[data-testid="kb-body-en"]')!.getAttribute('dir')).toBe('ltr');
    expect((await screen.findByTestId('kb-views')).textContent).toContain('12 views');

    await userEvent.type(within(fa).getByLabelText('Title'), 'بازنشانی وی‌پی‌ان');
    await userEvent.click(fa.querySelector<HTMLElement>('[data-testid="kb-body-fa"]')!);
    await userEvent.keyboard('مودم را دو بار راه‌اندازی کنید.');
    await userEvent.click(within(fa).getByRole('button', { name: 'Save Persian' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'PUT')).toHaveLength(1));
    const put = api.calls.find((c) => c.method === 'PUT')!;
    expect(put.body).toMatchObject({ title: 'بازنشانی وی‌پی‌ان', status: 'draft' });
    expect((put.body as { bodyHtml: string }).bodyHtml).toContain('مودم را دو بار راه‌اندازی کنید.');
    // The English side was not sent.
    expect(api.calls.some((c) => c.path.endsWith('/translations/en'))).toBe(false);
  });

  it('a new article is created by saving either language, with the settings', async () => {
    const api = fakeApi({
      'GET /api/v1/kb/categories': { body: { items: categories } },
      'POST /api/v1/kb/articles': (call) => ({
        status: 201,
        body: article({ id: 8, translations: { en: { ...article().translations.en!, title: (call.body as { translations: { en: { title: string } } }).translations.en.title } } }),
      }),
      'GET /api/v1/kb/articles/8/versions': { body: { items: [] } },
      'GET /api/v1/kb/articles/8/feedback': { body: { views: { en: 0, fa: 0, total: 0 }, helpful: 0, notHelpful: 0, items: [] } },
    });
    signIn('admin');
    const { router } = renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(KbArticlePage, { id: null })) }), { pinia, router: await routerFor('/admin/kb/articles/new?categoryId=1') });
    const en = await screen.findByTestId('kb-side-en');
    expect((within(en).getByRole('button', { name: 'Save English' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.type(within(en).getByLabelText('Slug'), 'printer-setup');
    await userEvent.click(within(en).getByRole('button', { name: 'Save English' }));
    expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    expect(en.textContent).toContain('A title is required');
    await userEvent.type(within(en).getByLabelText('Title'), 'Printer setup');
    await userEvent.click(within(en).getByRole('button', { name: 'Save English' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(1));
    expect(api.calls.find((c) => c.method === 'POST')!.body).toEqual({
      categoryId: 1,
      visibility: 'public',
      tags: [],
      translations: { en: { title: 'Printer setup', slug: 'printer-setup', bodyHtml: '', status: 'draft' } },
    });
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/admin/kb/articles/8'));
  });

  it('compares a version with the current text, inserted and removed words marked', async () => {
    fakeApi({
      'GET /api/v1/kb/categories': { body: { items: categories } },
      'GET /api/v1/kb/articles/7': { body: article() },
      'GET /api/v1/kb/articles/7/versions': {
        body: {
          items: [
            { id: 501, number: 1, title: 'Reset the VPN', status: 'draft', author: { id: 1, name: 'Ada Admin' }, createdAt: '2026-05-01T00:00:00.000Z' },
            { id: 502, number: 2, title: 'Reset the VPN', status: 'published', author: { id: 1, name: 'Ada Admin' }, createdAt: '2026-05-02T00:00:00.000Z' },
          ],
        },
      },
      'GET /api/v1/kb/articles/7/versions/501': {
        body: {
          id: 501,
          number: 1,
          title: 'Reset the VPN',
          slug: 'reset-the-vpn',
          status: 'draft',
          bodyHtml: '<p>Restart the router twice.</p>',
          author: { id: 1, name: 'Ada Admin' },
          createdAt: '2026-05-01T00:00:00.000Z',
        },
      },
      'GET /api/v1/kb/articles/7/feedback': { body: { views: { en: 0, fa: 0, total: 0 }, helpful: 0, notHelpful: 0, items: [] } },
    });
    signIn('agent');
    renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(KbArticlePage, { id: 7 })) }), { pinia, router: await routerFor('/admin/kb/articles/7') });
    const row = await screen.findByTestId('kb-version-1');
    expect(row.textContent).toContain('Ada Admin');
    // Agents read: no restore, no save.
    expect(within(row).queryByRole('button', { name: /Restore/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save English' })).toBeNull();
    await userEvent.click(within(row).getByRole('button', { name: /Compare/ }));
    const diff = await screen.findByTestId('kb-diff');
    expect([...diff.querySelectorAll('del')].map((e) => e.textContent!.trim())).toEqual(['router']);
    expect([...diff.querySelectorAll('ins')].map((e) => e.textContent!.trim())).toEqual(['modem']);
  });
});
