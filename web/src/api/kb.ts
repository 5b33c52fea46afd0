import { api, unwrap } from './client';
import type { components, paths } from './schema';

// The knowledge base's staff API (/api/v1/kb/…, see notes/search-design.md): a category tree,
// articles with an English and a Persian translation, versions, images and feedback.

export const KB_LANGS = ['en', 'fa'] as const;
export type KbLang = (typeof KB_LANGS)[number];
export const KB_STATUSES = ['draft', 'published', 'archived'] as const;
export type KbStatus = (typeof KB_STATUSES)[number];
export const KB_VISIBILITIES = ['public', 'internal'] as const;
export type KbVisibility = (typeof KB_VISIBILITIES)[number];

type Schemas = components['schemas'];

export type KbCategory = Schemas['KbCategory'];
export type KbTranslationSummary = Schemas['KbTranslationSummary'];
export type KbArticleSummary = Schemas['KbArticleSummary'];
export type KbTranslation = Schemas['KbTranslation'];
export type KbArticle = Schemas['KbArticle'];
export type KbVersionSummary = Schemas['KbVersionSummary'];
export type KbVersion = Schemas['KbVersion'];
export type KbFeedback = Schemas['KbFeedbackReport'];
export type KbImage = Schemas['KbImage'];
export type KbTranslationInput = Schemas['PutKbTranslationRequest'];

export interface KbArticleListQuery {
  categoryId?: number | null;
  status?: KbStatus | null;
  visibility?: KbVisibility | null;
  lang?: KbLang | null;
  q?: string;
  limit?: number;
  offset?: number;
}

type ListQuery = NonNullable<paths['/api/v1/kb/articles']['get']['parameters']['query']>;
const path = (id: number) => ({ path: { id: String(id) } });
const versionPath = (id: number, versionId: number) => ({ path: { id: String(id), versionId: String(versionId) } });

export const kbApi = {
  async categories(): Promise<KbCategory[]> {
    return (await unwrap(api.GET('/api/v1/kb/categories'))).items;
  },
  createCategory(body: { names: Partial<Record<KbLang, string>>; parentId: number | null; position?: number }): Promise<KbCategory> {
    return unwrap(api.POST('/api/v1/kb/categories', { body }));
  },
  updateCategory(id: number, body: { names?: Partial<Record<KbLang, string>>; parentId?: number | null; position?: number }): Promise<KbCategory> {
    return unwrap(api.PATCH('/api/v1/kb/categories/{id}', { params: path(id), body }));
  },
  async deleteCategory(id: number): Promise<void> {
    await unwrap(api.DELETE('/api/v1/kb/categories/{id}', { params: path(id) }));
  },
  async articles(q: KbArticleListQuery = {}): Promise<{ items: KbArticleSummary[]; total: number }> {
    const query: ListQuery = {};
    if (q.categoryId != null) query.categoryId = String(q.categoryId);
    if (q.status) query.status = q.status;
    if (q.visibility) query.visibility = q.visibility;
    if (q.lang) query.lang = q.lang;
    if (q.q?.trim()) query.q = q.q.trim();
    if (q.limit !== undefined) query.limit = q.limit;
    if (q.offset) query.offset = q.offset;
    return unwrap(api.GET('/api/v1/kb/articles', { params: { query } }));
  },
  article(id: number): Promise<KbArticle> {
    return unwrap(api.GET('/api/v1/kb/articles/{id}', { params: path(id) }));
  },
  createArticle(body: { categoryId: number | null; visibility: KbVisibility; tags: string[]; translations: Partial<Record<KbLang, Omit<KbTranslationInput, 'version'>>> }): Promise<KbArticle> {
    return unwrap(api.POST('/api/v1/kb/articles', { body }));
  },
  updateArticle(id: number, body: { version: number; categoryId?: number | null; visibility?: KbVisibility; tags?: string[] }): Promise<KbArticle> {
    return unwrap(api.PATCH('/api/v1/kb/articles/{id}', { params: path(id), body }));
  },
  saveTranslation(id: number, lang: KbLang, body: KbTranslationInput): Promise<KbArticle> {
    return unwrap(api.PUT('/api/v1/kb/articles/{id}/translations/{lang}', { params: { path: { id: String(id), lang } }, body }));
  },
  async deleteArticle(id: number): Promise<void> {
    await unwrap(api.DELETE('/api/v1/kb/articles/{id}', { params: path(id) }));
  },
  async versions(id: number, lang: KbLang): Promise<KbVersionSummary[]> {
    return (await unwrap(api.GET('/api/v1/kb/articles/{id}/versions', { params: { ...path(id), query: { lang } } }))).items;
  },
  version(id: number, versionId: number): Promise<KbVersion> {
    return unwrap(api.GET('/api/v1/kb/articles/{id}/versions/{versionId}', { params: versionPath(id, versionId) }));
  },
  restoreVersion(id: number, versionId: number): Promise<KbArticle> {
    return unwrap(api.POST('/api/v1/kb/articles/{id}/versions/{versionId}/restore', { params: versionPath(id, versionId) }));
  },
  feedback(id: number): Promise<KbFeedback> {
    return unwrap(api.GET('/api/v1/kb/articles/{id}/feedback', { params: path(id) }));
  },
  uploadImage(file: File): Promise<KbImage> {
    const form = new FormData();
    form.append('file', file, file.name);
    // openapi-fetch sends FormData as multipart (the browser sets the boundary).
    return unwrap(api.POST('/api/v1/kb/images', { body: form as unknown as { file: string }, bodySerializer: (b) => b as unknown as FormData }));
  },
};

/** A category's name in a language, falling back to the other one. */
export function categoryName(c: Pick<KbCategory, 'names' | 'id'>, lang: KbLang): string {
  const other: KbLang = lang === 'en' ? 'fa' : 'en';
  return c.names[lang]?.trim() || c.names[other]?.trim() || `#${c.id}`;
}

/** The tree flattened depth first, with each category's depth (for lists and pickers). */
export function flattenCategories(tree: KbCategory[], depth = 0): { category: KbCategory; depth: number }[] {
  const sorted = [...tree].sort((a, b) => a.position - b.position || a.id - b.id);
  return sorted.flatMap((c) => [{ category: c, depth }, ...flattenCategories(c.children ?? [], depth + 1)]);
}

/**
 * The address customers can open for a published public article. The customer portal (a later
 * issue) will serve /kb/<lang>/<slug> pages; until then the public API's article is the only
 * public address there is, so that is what a reply links to. Absolute, since replies are mailed.
 */
export function publicArticleUrl(lang: KbLang, slug: string, origin = globalThis.location?.origin ?? ''): string {
  return `${origin}/api/v1/public/kb/articles/${lang}/${encodeURIComponent(slug)}`;
}
