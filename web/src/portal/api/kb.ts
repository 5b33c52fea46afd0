import { http } from './http';
import type { KbArticle, KbArticleSummary, KbCategory, PortalLocale, SearchHit } from './types';

// The public knowledge base (/api/v1/public/kb/…): no session needed.

const enc = encodeURIComponent;

export const kbApi = {
  async categories(lang: PortalLocale): Promise<KbCategory[]> {
    return (await http.get<{ items: KbCategory[] }>('/api/v1/public/kb/categories', { query: { lang } })).items;
  },
  articles(q: { lang: PortalLocale; categoryId?: number; limit?: number; offset?: number }): Promise<{ items: KbArticleSummary[]; total: number }> {
    return http.get('/api/v1/public/kb/articles', { query: q });
  },
  /** Reading an article counts a view (a page the server rendered was counted there and is not fetched again). */
  article(lang: PortalLocale, slug: string): Promise<KbArticle> {
    return http.get(`/api/v1/public/kb/articles/${lang}/${enc(slug)}`);
  },
  /** `source: 'suggest'` marks the suggestions shown while a ticket is written (searches that find nothing are counted per source). */
  search(q: string, opts: { lang?: PortalLocale; limit?: number; signal?: AbortSignal; source?: 'search' | 'suggest' } = {}): Promise<{ total: number; exhaustive: boolean; hits: SearchHit[] }> {
    return http.get('/api/v1/public/kb/search', { query: { q, lang: opts.lang, limit: opts.limit, source: opts.source }, signal: opts.signal });
  },
  async feedback(lang: PortalLocale, slug: string, body: { helpful: boolean; comment?: string }): Promise<void> {
    await http.post(`/api/v1/public/kb/articles/${lang}/${enc(slug)}/feedback`, body);
  },
};

/** The portal's address of an article. */
export const articlePath = (lang: string, slug: string) => `/kb/${lang}/${enc(slug)}`;
