import { beforeEach, describe, expect, it } from 'vitest';
import { setToken } from '@/api/client';
import { flattenCategories, publicArticleUrl, type KbCategory } from '@/api/kb';
import { fakeApi, freshPinia } from '@/test/helpers';
import { useAuthStore } from './auth';
import { subtreeIds, useKbStore } from './kb';

const cat = (id: number, parentId: number | null, position: number, en: string, fa: string, children: KbCategory[] = []): KbCategory => ({
  id,
  parentId,
  position,
  names: { en, fa },
  articleCount: 0,
  children,
});

// Network (1) with VPN (3) and Wi-Fi (4) under it, and Accounts (2).
const tree = () => [cat(2, null, 1, 'Accounts', 'حساب‌ها'), cat(1, null, 0, 'Network', 'شبکه', [cat(4, 1, 1, 'Wi-Fi', 'وای‌فای'), cat(3, 1, 0, 'VPN', '')])];

describe('kb helpers', () => {
  it('flattens the tree depth first in position order', () => {
    expect(flattenCategories(tree()).map((x) => [x.category.id, x.depth])).toEqual([
      [1, 0],
      [3, 1],
      [4, 1],
      [2, 0],
    ]);
    expect([...subtreeIds(tree()[1]!)].sort()).toEqual([1, 3, 4]);
  });

  it('links to the public article by language and slug, escaped', () => {
    expect(publicArticleUrl('fa', 'رمز عبور', 'https://desk.example')).toBe(`https://desk.example/api/v1/public/kb/articles/fa/${encodeURIComponent('رمز عبور')}`);
  });
});

describe('kb store', () => {
  beforeEach(() => {
    setToken('mdk_t');
    freshPinia();
  });

  it('names categories in the UI language, falling back to the other one', async () => {
    fakeApi({ 'GET /api/v1/kb/categories': { body: { items: tree() } } });
    const kb = useKbStore();
    await kb.loadTree();
    expect(kb.nameOf(1)).toBe('Network');
    expect(kb.nameOf(99)).toBe('#99');
    expect(kb.categoryOptions.map((o) => o.title)).toEqual(['Network', '— VPN', '— Wi-Fi', 'Accounts']);
  });

  it('only admins and supervisors may write', () => {
    const auth = useAuthStore();
    const kb = useKbStore();
    for (const [role, can] of [
      ['admin', true],
      ['supervisor', true],
      ['agent', false],
    ] as const) {
      auth.user = { id: 1, email: 'a@x', name: 'A', role, locale: 'en', organizationId: null, groupIds: [] };
      expect(kb.canWrite, role).toBe(can);
    }
  });

  it('reorders a category among its siblings by renumbering their positions', async () => {
    const api$ = fakeApi({ 'GET /api/v1/kb/categories': { body: { items: tree() } }, 'PATCH /api/v1/kb/categories/3': { body: {} }, 'PATCH /api/v1/kb/categories/4': { body: {} } });
    const kb = useKbStore();
    await kb.loadTree();
    await kb.reorderCategory(3, 1);
    expect(api$.calls.filter((c) => c.method === 'PATCH').map((c) => [c.path, c.body])).toEqual([
      ['/api/v1/kb/categories/4', { position: 0 }],
      ['/api/v1/kb/categories/3', { position: 1 }],
    ]);
    await kb.reorderCategory(2, 1); // already last: nothing to do
    expect(api$.calls.filter((c) => c.method === 'PATCH')).toHaveLength(2);
  });

  it('creates a category as the last of its siblings, and moves one under another parent', async () => {
    const api$ = fakeApi({
      'GET /api/v1/kb/categories': { body: { items: tree() } },
      'POST /api/v1/kb/categories': (call) => ({ status: 201, body: { id: 9, ...(call.body as object), articleCount: 0, children: [] } }),
      'PATCH /api/v1/kb/categories/2': { body: {} },
    });
    const kb = useKbStore();
    await kb.loadTree();
    await kb.createCategory({ en: 'Printers', fa: 'چاپگرها' }, 1);
    expect(api$.calls.find((c) => c.method === 'POST')!.body).toEqual({ names: { en: 'Printers', fa: 'چاپگرها' }, parentId: 1, position: 2 });
    await kb.moveCategory(2, 1);
    expect(api$.calls.find((c) => c.method === 'PATCH')!.body).toEqual({ parentId: 1, position: 2 });
  });

  it("a refused delete (409) rejects with the server's message and keeps the tree", async () => {
    fakeApi({
      'GET /api/v1/kb/categories': { body: { items: tree() } },
      'DELETE /api/v1/kb/categories/1': { status: 409, body: { error: { code: 'conflict', message: 'The category has 2 subcategories and 5 articles' } } },
    });
    const kb = useKbStore();
    await kb.loadTree();
    await expect(kb.deleteCategory(1)).rejects.toMatchObject({ status: 409, message: 'The category has 2 subcategories and 5 articles' });
    expect(kb.flat).toHaveLength(4);
  });

  it('lists articles with the filters as query parameters, and pages on', async () => {
    const summary = (id: number) => ({
      id,
      categoryId: 1,
      visibility: 'public',
      tags: [],
      updatedAt: '2026-05-01T00:00:00.000Z',
      translations: { en: { title: `A${id}`, slug: `a${id}`, status: 'draft' } },
    });
    const api$ = fakeApi({
      'GET /api/v1/kb/articles': (call) => ({ body: { items: call.query.get('offset') === '2' ? [summary(3)] : [summary(1), summary(2)], total: 3 } }),
    });
    const kb = useKbStore();
    await kb.setFilters({ categoryId: 1, status: 'published', lang: 'fa', q: ' vpn ' });
    const q = api$.calls[0]!.query;
    expect([q.get('categoryId'), q.get('status'), q.get('lang'), q.get('q'), q.has('visibility')]).toEqual(['1', 'published', 'fa', 'vpn', false]);
    expect(kb.hasMore).toBe(true);
    await kb.loadArticles(true);
    expect(api$.calls[1]!.query.get('offset')).toBe('2');
    expect(kb.articles.map((a) => a.id)).toEqual([1, 2, 3]);
    expect(kb.hasMore).toBe(false);
  });
});
