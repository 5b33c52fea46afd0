import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ApiError } from '@/api/client';
import { categoryName, flattenCategories, kbApi, type KbArticleListQuery, type KbArticleSummary, type KbCategory, type KbLang, type KbStatus, type KbVisibility } from '@/api/kb';
import { useAuthStore } from './auth';
import { useLocaleStore } from './locale';

// The knowledge base in the console: the category tree (every staff member reads it; admins and
// supervisors change it) and the article list with its filters. Each change goes to the server
// and the tree is reloaded from its answer, so positions and counts are always the server's.

export interface ArticleFilters {
  categoryId: number | null;
  status: KbStatus | null;
  lang: KbLang | null;
  visibility: KbVisibility | null;
  q: string;
}

export const emptyArticleFilters = (): ArticleFilters => ({ categoryId: null, status: null, lang: null, visibility: null, q: '' });

const PAGE = 50;

/** The siblings of a category (same parent), in order. */
function siblingsOf(tree: KbCategory[], parentId: number | null): KbCategory[] {
  const list = parentId === null ? tree : (flattenCategories(tree).find((x) => x.category.id === parentId)?.category.children ?? []);
  return [...list].sort((a, b) => a.position - b.position || a.id - b.id);
}

/** Ids of a category and everything below it (a category cannot move under itself). */
export function subtreeIds(c: KbCategory): Set<number> {
  return new Set([c.id, ...(c.children ?? []).flatMap((x) => [...subtreeIds(x)])]);
}

export const useKbStore = defineStore('kb', () => {
  const tree = ref<KbCategory[]>([]);
  const treeLoading = ref(false);
  const treeError = ref<ApiError | null>(null);
  const treeLoaded = ref(false);

  const filters = ref<ArticleFilters>(emptyArticleFilters());
  const articles = ref<KbArticleSummary[]>([]);
  const articlesTotal = ref<number | null>(null);
  const articlesLoading = ref(false);
  const articlesError = ref<ApiError | null>(null);
  const articlesLoaded = ref(false);
  const hasMore = ref(false);
  let generation = 0;

  /** kb.write: admins and supervisors. */
  const canWrite = computed(() => ['admin', 'supervisor'].includes(useAuthStore().user?.role ?? ''));
  const flat = computed(() => flattenCategories(tree.value));
  const byId = computed(() => new Map(flat.value.map((x) => [x.category.id, x.category])));

  /** A category's name in the UI language (the other language when it has none). */
  function nameOf(id: number | null | undefined): string | null {
    if (id == null) return null;
    const c = byId.value.get(id);
    return c ? categoryName(c, useLocaleStore().locale) : `#${id}`;
  }

  /** Options for a category picker, indented by depth. */
  const categoryOptions = computed(() => {
    const lang = useLocaleStore().locale;
    return flat.value.map(({ category, depth }) => ({ value: category.id, title: `${'— '.repeat(depth)}${categoryName(category, lang)}` }));
  });

  async function loadTree(): Promise<void> {
    treeLoading.value = true;
    treeError.value = null;
    try {
      tree.value = await kbApi.categories();
      treeLoaded.value = true;
    } catch (err) {
      treeError.value = err as ApiError;
    } finally {
      treeLoading.value = false;
    }
  }

  /** Load the tree once (pickers and labels); `loadTree` forces a reload. */
  let once: Promise<void> | null = null;
  function ensureTree(): Promise<void> {
    once ??= loadTree();
    return once;
  }

  async function createCategory(names: Partial<Record<KbLang, string>>, parentId: number | null): Promise<KbCategory> {
    const position = siblingsOf(tree.value, parentId).length;
    const created = await kbApi.createCategory({ names, parentId, position });
    await loadTree();
    return created;
  }

  async function renameCategory(id: number, names: Partial<Record<KbLang, string>>): Promise<void> {
    await kbApi.updateCategory(id, { names });
    await loadTree();
  }

  /** Move under another parent (null: top level), as its last child. Cycles are refused by the server (422). */
  async function moveCategory(id: number, parentId: number | null): Promise<void> {
    await kbApi.updateCategory(id, { parentId, position: siblingsOf(tree.value, parentId).filter((c) => c.id !== id).length });
    await loadTree();
  }

  /** Move one place up (-1) or down (+1) among its siblings: positions are renumbered 0…n-1. */
  async function reorderCategory(id: number, delta: -1 | 1): Promise<void> {
    const c = byId.value.get(id);
    if (!c) return;
    const list = siblingsOf(tree.value, c.parentId);
    const from = list.findIndex((x) => x.id === id);
    const to = from + delta;
    if (from === -1 || to < 0 || to >= list.length) return;
    const next = [...list];
    next.splice(from, 1);
    next.splice(to, 0, c);
    try {
      for (const [i, x] of next.entries()) if (x.position !== i) await kbApi.updateCategory(x.id, { position: i });
    } finally {
      await loadTree();
    }
  }

  /** Delete; the server refuses (409) while the category has subcategories or articles. */
  async function deleteCategory(id: number): Promise<void> {
    await kbApi.deleteCategory(id);
    if (filters.value.categoryId === id) filters.value = { ...filters.value, categoryId: null };
    await loadTree();
  }

  function listQuery(offset: number): KbArticleListQuery {
    const f = filters.value;
    return { categoryId: f.categoryId, status: f.status, lang: f.lang, visibility: f.visibility, q: f.q, limit: PAGE, offset };
  }

  async function loadArticles(more = false): Promise<void> {
    const gen = more ? generation : ++generation;
    articlesLoading.value = true;
    articlesError.value = null;
    try {
      const page = await kbApi.articles(listQuery(more ? articles.value.length : 0));
      if (gen !== generation) return;
      articles.value = more ? [...articles.value, ...page.items.filter((a) => !articles.value.some((b) => b.id === a.id))] : page.items;
      articlesTotal.value = page.total;
      hasMore.value = page.total !== null ? articles.value.length < page.total : page.items.length === PAGE;
      articlesLoaded.value = true;
    } catch (err) {
      if (gen === generation) articlesError.value = err as ApiError;
    } finally {
      if (gen === generation) articlesLoading.value = false;
    }
  }

  function setFilters(next: Partial<ArticleFilters>) {
    filters.value = { ...filters.value, ...next };
    return loadArticles();
  }

  return {
    tree,
    treeLoading,
    treeError,
    treeLoaded,
    flat,
    byId,
    canWrite,
    categoryOptions,
    nameOf,
    filters,
    articles,
    articlesTotal,
    articlesLoading,
    articlesError,
    articlesLoaded,
    hasMore,
    loadTree,
    ensureTree,
    createCategory,
    renameCategory,
    moveCategory,
    reorderCategory,
    deleteCategory,
    loadArticles,
    setFilters,
  };
});
