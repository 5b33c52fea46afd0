import type { DocKind, FacetCounts, KbLang, SearchHit } from './contract';
import { FACETS } from './contract';
import { hasMark, markedToHtml, markOriginal } from './highlight';

// One way to turn what a backend found into the contract's hit, whichever backend found it.

export interface HitSource {
  kind: DocKind;
  id: number;
  score: number;
  displayTitle: string;
  /** The backend's snippets of the normalised texts, matches between MARK_START and MARK_END. */
  marked: { title: string | null; body: string | null; internal: string | null };
  number: string | null;
  status: string | null;
  priority: string | null;
  groupId: number | null;
  categoryId: number | null;
  assigneeId: number | null;
  requesterName: string | null;
  updatedAt: Date | string | number;
  email: string | null;
  organization: string | null;
  articleId: number | null;
  lang: KbLang | null;
  slug: string | null;
  visibility: 'public' | 'internal' | null;
  kbCategoryId: number | null;
}

export function buildHit(s: HitSource): SearchHit {
  // Titles are shown as written; body snippets come from the normalised text (see docs/search.md).
  const highlights: SearchHit['highlights'] = { title: markOriginal(s.displayTitle, s.marked.title ?? '') };
  if (s.marked.body && hasMark(s.marked.body)) highlights.body = markedToHtml(s.marked.body);
  if (s.marked.internal && hasMark(s.marked.internal)) highlights.internal = markedToHtml(s.marked.internal);
  const hit: SearchHit = { type: s.kind, id: s.id, score: s.score, title: s.displayTitle, highlights };
  if (s.kind === 'ticket')
    hit.ticket = {
      number: s.number ?? '',
      status: s.status as never,
      priority: s.priority as never,
      groupId: s.groupId,
      categoryId: s.categoryId,
      assigneeId: s.assigneeId,
      requesterName: s.requesterName ?? '',
      updatedAt: new Date(s.updatedAt).toISOString(),
    };
  if (s.kind === 'customer') hit.customer = { email: s.email ?? '', organization: s.organization };
  if (s.kind === 'article')
    hit.article = { articleId: s.articleId ?? 0, lang: s.lang ?? 'en', slug: s.slug ?? '', status: s.status ?? 'draft', visibility: s.visibility ?? 'internal', kbCategoryId: s.kbCategoryId };
  return hit;
}

export const emptyFacets = (): FacetCounts => Object.fromEntries(FACETS.map((f) => [f, {}])) as FacetCounts;
