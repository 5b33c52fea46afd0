import { defineStore } from 'pinia';
import { ref } from 'vue';
import { kbApi } from '../api/kb';
import type { KbArticle, KbCategory, PortalLocale, PortalState } from '../api/types';

// The public knowledge base as the portal shows it: the category tree per language (fetched once
// per page load), and the article the server rendered into the first page (api/src/portal/ssr.ts)
// handed to the article page once, so that first view is neither fetched nor counted twice.

export const useKbStore = defineStore('portal-kb', () => {
  const trees = ref<Partial<Record<PortalLocale, KbCategory[]>>>({});
  let initial: PortalState | null = null;

  async function categories(lang: PortalLocale): Promise<KbCategory[]> {
    const cached = trees.value[lang];
    if (cached) return cached;
    const tree = await kbApi.categories(lang);
    trees.value = { ...trees.value, [lang]: tree };
    return tree;
  }

  function setInitialState(state: PortalState | null) {
    initial = state;
  }

  /**
   * The article at lang/slug: the server-rendered one the first time it is asked for, otherwise
   * from the API. `null` when the server already said it does not exist.
   */
  async function article(lang: PortalLocale, slug: string): Promise<KbArticle | null> {
    const state = initial;
    initial = null;
    if (state?.kind === 'article' && state.article.lang === lang && state.article.slug === slug) return state.article;
    if (state?.kind === 'articleMissing' && state.lang === lang && state.slug === slug) return null;
    try {
      return await kbApi.article(lang, slug);
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }

  return { trees, categories, setInitialState, article };
});

/** A category and its ancestors' path in the tree (for breadcrumbs), or [] when it is not there. */
export function categoryPath(tree: KbCategory[], id: number): KbCategory[] {
  for (const c of tree) {
    if (c.id === id) return [c];
    const inner = categoryPath(c.children ?? [], id);
    if (inner.length) return [c, ...inner];
  }
  return [];
}

/** Read the state block the server put in the page (never executed: a JSON data block). */
export function readPortalState(doc: Document = document): PortalState | null {
  const el = doc.getElementById('portal-state');
  if (!el?.textContent) return null;
  try {
    const state = JSON.parse(el.textContent) as PortalState;
    return state && (state.kind === 'article' || state.kind === 'articleMissing') ? state : null;
  } catch {
    return null;
  }
}
