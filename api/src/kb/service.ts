import type { EntityManager } from '@mikro-orm/postgresql';
import { sanitizeArticleHtml } from '@mehrdesk/core/sanitize';
import type { KbLang, KbStatus } from '@mehrdesk/core/db';
import { conflict, notFound, unprocessable } from '../http/errors';
import type { KbCategoryNode, PublicCategoryNode } from './schemas';
import { freeSlug, slugify } from './slug';

// The knowledge base's queries and writes, shared by the staff and public routers: every
// statement on the kb_* tables lives here (images excepted: images-routes.ts), so "who writes
// kb_article_translations?" is this one file.

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const isoNow = (d: Date | string): string => new Date(d).toISOString();

/**
 * The `set` list of a partial update: the assignments (`column = ?`) whose value is given, and
 * those values in order. A value left undefined leaves its column as it is.
 */
export function assignments(fields: [assignment: string, value: unknown][]): { sql: string; values: unknown[] } {
  const given = fields.filter(([, value]) => value !== undefined);
  return { sql: given.map(([assignment]) => assignment).join(', '), values: given.map(([, value]) => value) };
}

// ---- categories -----------------------------------------------------------------------------

interface CategoryRow {
  id: number;
  parent_id: number | null;
  position: number;
  names: { en?: string; fa?: string };
  articles: string;
}

function buildTree<T extends { id: number; parentId: number | null; position: number; children: T[] }>(nodes: T[]): T[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const roots: T[] = [];
  for (const n of nodes) (n.parentId !== null && byId.has(n.parentId) ? byId.get(n.parentId)!.children : roots).push(n);
  const sort = (list: T[]) => {
    list.sort((a, b) => a.position - b.position || a.id - b.id);
    list.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

export async function categoryTree(em: EntityManager): Promise<KbCategoryNode[]> {
  const rows = await em.execute<CategoryRow[]>(`select c.id, c.parent_id, c.position, c.names, (select count(*) from kb_articles a where a.category_id = c.id) as articles from kb_categories c`);
  return buildTree(rows.map((r) => ({ id: r.id, parentId: r.parent_id, position: r.position, names: r.names, articleCount: Number(r.articles), children: [] })));
}

/** One category with its subtree; 404 when it does not exist. */
export async function categoryNode(em: EntityManager, id: number): Promise<KbCategoryNode> {
  const find = (list: KbCategoryNode[]): KbCategoryNode | undefined => {
    for (const n of list) {
      if (n.id === id) return n;
      const inner = find(n.children);
      if (inner) return inner;
    }
    return undefined;
  };
  const node = find(await categoryTree(em));
  if (!node) throw notFound(`Category ${id}`);
  return node;
}

export async function categoryExists(em: EntityManager, id: number): Promise<boolean> {
  return (await em.execute('select 1 from kb_categories where id = ?', [id])).length > 0;
}

/** Is `candidate` the category itself or one of its descendants (so it cannot become its parent)? */
export async function isSelfOrDescendant(em: EntityManager, categoryId: number, candidate: number): Promise<boolean> {
  const rows = await em.execute(
    `with recursive sub(id) as (select ?::int union select c.id from kb_categories c join sub on c.parent_id = sub.id)
     select 1 from sub where id = ? limit 1`,
    [categoryId, candidate],
  );
  return rows.length > 0;
}

export async function nextCategoryPosition(em: EntityManager, parentId: number | null): Promise<number> {
  const [row] = await em.execute<{ p: number | null }[]>('select max(position) as p from kb_categories where parent_id is not distinct from ?', [parentId]);
  return Math.min(1_000_000, (row?.p ?? -1) + 1);
}

/**
 * The public tree in one language: only categories with a published public article in that
 * language somewhere below them (an empty or internal-only category is not announced).
 */
export async function publicCategoryTree(em: EntityManager, lang: KbLang): Promise<PublicCategoryNode[]> {
  const rows = await em.execute<(Omit<CategoryRow, 'articles'> & { direct: string })[]>(
    `select c.id, c.parent_id, c.position, c.names,
            (select count(*) from kb_articles a join kb_article_translations t on t.article_id = a.id
              where a.category_id = c.id and a.visibility = 'public' and t.lang = ? and t.status = 'published') as direct
       from kb_categories c`,
    [lang],
  );
  const other: KbLang = lang === 'en' ? 'fa' : 'en';
  const nodes = rows.map((r) => ({
    id: r.id,
    parentId: r.parent_id,
    position: r.position,
    name: r.names[lang] || r.names[other] || '',
    articleCount: Number(r.direct),
    children: [] as PublicCategoryNode[],
  }));
  const total = (n: PublicCategoryNode): number => n.articleCount + n.children.reduce((s, c) => s + total(c), 0);
  const prune = (list: PublicCategoryNode[]): PublicCategoryNode[] =>
    list.flatMap((n) => {
      const count = total(n);
      return count === 0 ? [] : [{ ...n, articleCount: count, children: prune(n.children) }];
    });
  return prune(buildTree(nodes));
}

// ---- articles -------------------------------------------------------------------------------

/** The kb_article_translations columns both the staff and the public queries read. */
interface TranslationColumns {
  id: number;
  article_id: number;
  lang: KbLang;
  title: string;
  slug: string;
  body_html: string;
  published_at: Date | null;
  updated_at: Date;
}

interface TranslationRow extends TranslationColumns {
  status: KbStatus;
  version: number;
  created_at: Date;
  updated_by: number | null;
  updated_by_name: string | null;
}

/** The kb_articles columns the translations share (category, visibility, tags) and its id and version. */
interface ArticleColumns {
  id: number;
  category_id: number | null;
  visibility: 'public' | 'internal';
  tags: string[];
  version: number;
}
const articleShared = (a: ArticleColumns) => ({ id: a.id, categoryId: a.category_id, visibility: a.visibility, tags: a.tags, version: a.version });

interface ArticleRow extends ArticleColumns {
  author_id: number | null;
  author_name: string | null;
  created_at: Date;
  updated_at: Date;
  views: string;
  helpful: string;
  not_helpful: string;
}

export async function articleExists(em: EntityManager, id: number): Promise<void> {
  if ((await em.execute('select 1 from kb_articles where id = ?', [id])).length === 0) throw notFound(`Article ${id}`);
}

export async function articleDto(em: EntityManager, id: number) {
  const [a] = await em.execute<ArticleRow[]>(
    `select a.id, a.category_id, a.visibility, a.tags, a.version, a.author_id, u.name as author_name, a.created_at, a.updated_at,
            (select coalesce(sum(v.views), 0) from kb_article_views v where v.article_id = a.id) as views,
            (select count(*) from kb_feedback f where f.article_id = a.id and f.helpful) as helpful,
            (select count(*) from kb_feedback f where f.article_id = a.id and not f.helpful) as not_helpful
       from kb_articles a left join users u on u.id = a.author_id where a.id = ?`,
    [id],
  );
  if (!a) throw notFound(`Article ${id}`);
  const translations = await em.execute<TranslationRow[]>(
    `select t.id, t.article_id, t.lang, t.title, t.slug, t.body_html, t.status, t.published_at, t.version, t.created_at, t.updated_at, t.updated_by, u.name as updated_by_name
       from kb_article_translations t left join users u on u.id = t.updated_by where t.article_id = ? order by t.lang`,
    [id],
  );
  return {
    ...articleShared(a),
    author: a.author_id === null ? null : { id: a.author_id, name: a.author_name ?? '' },
    createdAt: isoNow(a.created_at),
    updatedAt: isoNow(a.updated_at),
    translations: Object.fromEntries(
      translations.map((t) => [
        t.lang,
        {
          id: t.id,
          title: t.title,
          slug: t.slug,
          bodyHtml: t.body_html,
          status: t.status,
          publishedAt: iso(t.published_at),
          version: t.version,
          createdAt: isoNow(t.created_at),
          updatedAt: isoNow(t.updated_at),
          updatedBy: t.updated_by === null ? null : { id: t.updated_by, name: t.updated_by_name ?? '' },
        },
      ]),
    ) as Partial<
      Record<
        KbLang,
        {
          id: number;
          title: string;
          slug: string;
          bodyHtml: string;
          status: KbStatus;
          publishedAt: string | null;
          version: number;
          createdAt: string;
          updatedAt: string;
          updatedBy: { id: number; name: string } | null;
        }
      >
    >,
    stats: { views: Number(a.views), helpful: Number(a.helpful), notHelpful: Number(a.not_helpful) },
  };
}

export interface ArticleFilter {
  categoryId?: number | 'none';
  status?: KbStatus[];
  visibility?: 'public' | 'internal';
  lang?: KbLang;
  q?: string;
  limit: number;
  offset: number;
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function listArticles(em: EntityManager, f: ArticleFilter) {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.categoryId === 'none') where.push('a.category_id is null');
  else if (f.categoryId !== undefined) {
    where.push('a.category_id = ?');
    params.push(f.categoryId);
  }
  if (f.visibility) {
    where.push('a.visibility = ?');
    params.push(f.visibility);
  }
  // Conditions on one translation: status and lang together, so `lang=fa&status=draft` means a Persian draft.
  const tWhere: string[] = [];
  if (f.lang) {
    tWhere.push('t.lang = ?');
    params.push(f.lang);
  }
  if (f.status) {
    tWhere.push(`t.status in (${f.status.map(() => '?').join(', ')})`);
    params.push(...f.status);
  }
  if (f.q) {
    tWhere.push(`(t.title ilike ? or t.slug ilike ?)`);
    params.push(likePattern(f.q), likePattern(f.q));
  }
  if (tWhere.length) where.push(`exists (select 1 from kb_article_translations t where t.article_id = a.id and ${tWhere.join(' and ')})`);
  const whereSql = where.length ? `where ${where.join(' and ')}` : '';
  const rows = await em.execute<(ArticleColumns & { updated_at: Date; total: string })[]>(
    `select a.id, a.category_id, a.visibility, a.tags, a.version, a.updated_at, count(*) over () as total
       from kb_articles a ${whereSql} order by a.updated_at desc, a.id desc limit ? offset ?`,
    [...params, f.limit, f.offset],
  );
  let total = rows.length ? Number(rows[0]!.total) : 0;
  if (!rows.length && f.offset > 0) {
    const [c] = await em.execute<{ n: string }[]>(`select count(*) as n from kb_articles a ${whereSql}`, params);
    total = Number(c!.n);
  }
  const translations = await translationSummaries(
    em,
    rows.map((r) => r.id),
  );
  return {
    items: rows.map((r) => ({
      ...articleShared(r),
      updatedAt: isoNow(r.updated_at),
      translations: Object.fromEntries(translations.filter((t) => t.article_id === r.id).map((t) => [t.lang, { id: t.id, title: t.title, slug: t.slug, status: t.status }])),
    })),
    total,
  };
}

// ---- translations and versions --------------------------------------------------------------

/** Status changes a translation may make (staying put is always allowed). */
const NEXT_STATUS: Record<KbStatus, readonly KbStatus[]> = {
  draft: ['published'],
  published: ['archived'],
  archived: ['draft'],
};

export function statusProblem(from: KbStatus | null, to: KbStatus): string | null {
  if (from === null) return to === 'archived' ? 'A new translation starts as draft or published' : null;
  if (from === to || NEXT_STATUS[from].includes(to)) return null;
  return `Cannot go from ${from} to ${to} (allowed: ${[from, ...NEXT_STATUS[from]].join(', ')})`;
}

export interface TranslationInput {
  title: string;
  slug?: string;
  bodyHtml: string;
  status: KbStatus;
}

async function slugTaken(em: EntityManager, lang: KbLang, slug: string, exceptTranslationId: number | null): Promise<boolean> {
  const rows = await em.execute('select 1 from kb_article_translations where lang = ? and slug = ? and id is distinct from ?', [lang, slug, exceptTranslationId]);
  return rows.length > 0;
}

/** A unique violation on the slug (a concurrent save took it first) as the same 422 as the check. */
function slugConflict(path: string) {
  return (err: unknown): never => {
    if (err instanceof Error && err.message.includes('kb_article_translations_lang_slug_unique'))
      throw unprocessable('Slug already used', [{ path, message: 'Already used by another article in this language' }]);
    throw err;
  };
}

/** Appends a version row (number = last + 1) with the translation's current content. */
async function writeVersion(tx: EntityManager, translationId: number, authorId: number): Promise<number> {
  const [row] = await tx.execute<{ id: number }[]>(
    `insert into kb_article_versions (translation_id, number, title, slug, body_html, status, author_id, created_at)
     select t.id, coalesce((select max(v.number) from kb_article_versions v where v.translation_id = t.id), 0) + 1, t.title, t.slug, t.body_html, t.status, ?, now()
       from kb_article_translations t where t.id = ? returning id`,
    [authorId, translationId],
  );
  return row!.id;
}

/**
 * Creates or updates the article's translation in `lang` and writes a version row, in the
 * caller's transaction. `path` prefixes field names in errors (`body` or `body.translations.en`).
 * An existing translation needs `version` (409 when missing or stale).
 */
export async function saveTranslation(tx: EntityManager, opts: { articleId: number; lang: KbLang; input: TranslationInput; version?: number; userId: number; path: string }): Promise<void> {
  const { articleId, lang, input, userId, path } = opts;
  const [current] = await tx.execute<{ id: number; status: KbStatus; version: number; slug: string }[]>(
    'select id, status, version, slug from kb_article_translations where article_id = ? and lang = ? for update',
    [articleId, lang],
  );
  const problem = statusProblem(current?.status ?? null, input.status);
  if (problem) throw unprocessable('Illegal status change', [{ path: `${path}.status`, message: problem }]);
  if (current && opts.version === undefined) throw conflict('stale_version', `The ${lang} translation exists (version ${current.version}): send the version you edited`);
  if (current && opts.version !== current.version) throw conflict('stale_version', `The ${lang} translation changed meanwhile (now version ${current.version}, you sent ${opts.version}): reload it`);

  let slug = input.slug ?? current?.slug;
  if (slug !== undefined) {
    if (await slugTaken(tx, lang, slug, current?.id ?? null)) throw unprocessable('Slug already used', [{ path: `${path}.slug`, message: 'Already used by another article in this language' }]);
  } else {
    slug = await freeSlug(slugify(input.title) || 'article', (candidate) => slugTaken(tx, lang, candidate, null));
  }
  const body = sanitizeArticleHtml(input.bodyHtml);
  let translationId: number;
  if (current) {
    await tx
      .execute(
        `update kb_article_translations
            set title = ?, slug = ?, body_html = ?, body_text = ?, status = ?, updated_by = ?, updated_at = now(), version = version + 1,
                published_at = case when ? = 'published' then coalesce(published_at, now()) else published_at end
          where id = ?`,
        [input.title, slug, body.html, body.text, input.status, userId, input.status, current.id],
      )
      .catch(slugConflict(`${path}.slug`));
    translationId = current.id;
  } else {
    const [row] = await tx
      .execute<{ id: number }[]>(
        `insert into kb_article_translations (article_id, lang, title, slug, body_html, body_text, status, published_at, updated_by, created_at, updated_at, version)
         values (?, ?, ?, ?, ?, ?, ?, case when ? = 'published' then now() end, ?, now(), now(), 1) returning id`,
        [articleId, lang, input.title, slug, body.html, body.text, input.status, input.status, userId],
      )
      .catch(slugConflict(`${path}.slug`));
    translationId = row!.id;
  }
  await writeVersion(tx, translationId, userId);
  await tx.execute('update kb_articles set updated_at = now() where id = ?', [articleId]);
}

interface VersionRow {
  id: number;
  lang: KbLang;
  number: number;
  title: string;
  slug: string;
  body_html: string;
  status: KbStatus;
  author_id: number | null;
  author_name: string | null;
  created_at: Date;
  translation_id: number;
}

const VERSION_COLUMNS = `v.id, t.lang, v.number, v.title, v.slug, v.body_html, v.status, v.author_id, u.name as author_name, v.created_at, v.translation_id`;
const versionSummary = (v: VersionRow) => ({
  id: v.id,
  lang: v.lang,
  number: v.number,
  title: v.title,
  status: v.status,
  author: v.author_id === null ? null : { id: v.author_id, name: v.author_name ?? '' },
  createdAt: isoNow(v.created_at),
});

export async function listVersions(em: EntityManager, articleId: number, lang?: KbLang) {
  await articleExists(em, articleId);
  const rows = await em.execute<VersionRow[]>(
    `select ${VERSION_COLUMNS} from kb_article_versions v join kb_article_translations t on t.id = v.translation_id left join users u on u.id = v.author_id
      where t.article_id = ? ${lang ? 'and t.lang = ?' : ''} order by t.lang, v.number desc`,
    lang ? [articleId, lang] : [articleId],
  );
  return rows.map(versionSummary);
}

async function versionRow(em: EntityManager, articleId: number, versionId: number): Promise<VersionRow> {
  const [v] = await em.execute<VersionRow[]>(
    `select ${VERSION_COLUMNS} from kb_article_versions v join kb_article_translations t on t.id = v.translation_id left join users u on u.id = v.author_id
      where t.article_id = ? and v.id = ?`,
    [articleId, versionId],
  );
  if (!v) throw notFound(`Version ${versionId} of article ${articleId}`);
  return v;
}

export async function versionDto(em: EntityManager, articleId: number, versionId: number) {
  const v = await versionRow(em, articleId, versionId);
  return { ...versionSummary(v), slug: v.slug, bodyHtml: v.body_html };
}

/**
 * Restores an old version's title, slug and body as a new version (the translation keeps its
 * current status). 422 naming `slug` when another article has taken the old slug since.
 */
export async function restoreVersion(tx: EntityManager, articleId: number, versionId: number, userId: number): Promise<void> {
  const v = await versionRow(tx, articleId, versionId);
  await tx.execute('select id from kb_article_translations where id = ? for update', [v.translation_id]);
  if (await slugTaken(tx, v.lang, v.slug, v.translation_id))
    throw unprocessable('The slug of that version is now used by another article', [{ path: 'slug', message: `"${v.slug}" is used by another article in this language` }]);
  const body = sanitizeArticleHtml(v.body_html);
  await tx
    .execute(`update kb_article_translations set title = ?, slug = ?, body_html = ?, body_text = ?, updated_by = ?, updated_at = now(), version = version + 1 where id = ?`, [
      v.title,
      v.slug,
      body.html,
      body.text,
      userId,
      v.translation_id,
    ])
    .catch(slugConflict('slug'));
  await writeVersion(tx, v.translation_id, userId);
  await tx.execute('update kb_articles set updated_at = now() where id = ?', [articleId]);
}

// ---- feedback and views ---------------------------------------------------------------------

export const FEEDBACK_SORTS = ['views', 'helpful', 'notHelpful', 'ratio', 'comments', 'lastFeedbackAt'] as const;
export type FeedbackSort = (typeof FEEDBACK_SORTS)[number];
const FEEDBACK_SORT_COLUMNS: Record<FeedbackSort, string> = {
  views: 'views',
  helpful: 'helpful',
  notHelpful: 'not_helpful',
  ratio: 'ratio',
  comments: 'comments',
  lastFeedbackAt: 'last_feedback_at',
};

interface FeedbackStatsRow {
  id: number;
  visibility: 'public' | 'internal';
  views_en: string;
  views_fa: string;
  views: string;
  helpful: string;
  not_helpful: string;
  comments: string;
  last_feedback_at: Date | null;
  ratio: number | null;
  total: string;
}

/**
 * Views per language and reader feedback per article: the one statement behind both the
 * per-article report and the list across articles. `where` and `tail` (order, limit) are SQL
 * of the caller's, with their parameters.
 */
function feedbackStats(em: EntityManager, where: string, tail: string, params: unknown[]): Promise<FeedbackStatsRow[]> {
  return em.execute<FeedbackStatsRow[]>(
    `select a.id, a.visibility, coalesce(v.en, 0) as views_en, coalesce(v.fa, 0) as views_fa, coalesce(v.en, 0) + coalesce(v.fa, 0) as views,
            f.helpful, f.not_helpful, f.comments, f.last_feedback_at,
            case when f.helpful + f.not_helpful > 0 then f.helpful::float8 / (f.helpful + f.not_helpful) end as ratio,
            count(*) over () as total
       from kb_articles a
       cross join lateral (select sum(views) filter (where lang = 'en') as en, sum(views) filter (where lang = 'fa') as fa from kb_article_views where article_id = a.id) v
       cross join lateral (select count(*) filter (where helpful) as helpful, count(*) filter (where not helpful) as not_helpful,
                                  count(comment) as comments, max(created_at) as last_feedback_at
                             from kb_feedback where article_id = a.id) f
      ${where} ${tail}`,
    params,
  );
}

const feedbackCounts = (r: FeedbackStatsRow) => ({
  views: { en: Number(r.views_en), fa: Number(r.views_fa), total: Number(r.views) },
  helpful: Number(r.helpful),
  notHelpful: Number(r.not_helpful),
});

export async function feedbackReport(em: EntityManager, articleId: number) {
  const [stats] = await feedbackStats(em, 'where a.id = ?', '', [articleId]);
  if (!stats) throw notFound(`Article ${articleId}`);
  const items = await em.execute<{ lang: KbLang; helpful: boolean; comment: string | null; created_at: Date }[]>(
    'select lang, helpful, comment, created_at from kb_feedback where article_id = ? order by created_at desc, id desc limit 200',
    [articleId],
  );
  return {
    ...feedbackCounts(stats),
    items: items.map((f) => ({ lang: f.lang, helpful: f.helpful, comment: f.comment, createdAt: isoNow(f.created_at) })),
  };
}

/**
 * Every article's views and feedback counts, one page sorted by a count (`-` first: largest
 * first; articles without votes have no ratio and come last either way), with the titles of
 * its translations.
 */
export async function feedbackList(em: EntityManager, q: { sort: FeedbackSort; descending: boolean; limit: number; offset: number }) {
  const direction = q.descending ? 'desc' : 'asc';
  const rows = await feedbackStats(em, '', `order by ${FEEDBACK_SORT_COLUMNS[q.sort]} ${direction} nulls last, a.id ${direction} limit ? offset ?`, [q.limit, q.offset]);
  let total = rows.length ? Number(rows[0]!.total) : 0;
  if (!rows.length && q.offset > 0) {
    const [c] = await em.execute<{ n: string }[]>('select count(*) as n from kb_articles');
    total = Number(c!.n);
  }
  const translations = await translationSummaries(
    em,
    rows.map((r) => r.id),
  );
  return {
    items: rows.map((r) => ({
      articleId: r.id,
      visibility: r.visibility,
      translations: Object.fromEntries(translations.filter((t) => t.article_id === r.id).map((t) => [t.lang, { id: t.id, title: t.title, slug: t.slug, status: t.status }])),
      ...feedbackCounts(r),
      ratio: r.ratio === null ? null : Number(r.ratio),
      comments: Number(r.comments),
      lastFeedbackAt: iso(r.last_feedback_at),
    })),
    total,
  };
}

// ---- public ---------------------------------------------------------------------------------

/** Only published translations of public articles: the one condition every public query shares. */
export const PUBLIC = `a.visibility = 'public' and t.status = 'published'`;

interface PublicRow extends TranslationColumns {
  body_text: string;
  category_id: number | null;
  tags: string[];
}

/** What the public list and the public article say of a translation. */
const publicSummary = (r: PublicRow) => ({
  id: r.id,
  articleId: r.article_id,
  lang: r.lang,
  title: r.title,
  slug: r.slug,
  publishedAt: iso(r.published_at),
  updatedAt: isoNow(r.updated_at),
  categoryId: r.category_id,
  tags: r.tags,
});

export async function publicArticles(em: EntityManager, q: { lang: KbLang; categoryId?: number; limit: number; offset: number }) {
  const params: unknown[] = [q.lang];
  if (q.categoryId !== undefined) params.push(q.categoryId);
  const rows = await em.execute<(PublicRow & { total: string })[]>(
    `select t.id, t.article_id, t.lang, t.title, t.slug, left(t.body_text, 200) as body_text, t.published_at, t.updated_at, a.category_id, a.tags, count(*) over () as total
       from kb_article_translations t join kb_articles a on a.id = t.article_id
      where ${PUBLIC} and t.lang = ? ${q.categoryId !== undefined ? 'and a.category_id = ?' : ''}
      order by t.published_at desc nulls last, t.id desc limit ? offset ?`,
    [...params, q.limit, q.offset],
  );
  return {
    items: rows.map((r) => ({ ...publicSummary(r), excerpt: r.body_text })),
    total: rows.length ? Number(rows[0]!.total) : 0,
  };
}

/** A published translation of a public article by language and slug; 404 for anything else. */
export async function publicTranslation(em: EntityManager, lang: KbLang, slug: string): Promise<PublicRow> {
  const [row] = await em.execute<PublicRow[]>(
    `select t.id, t.article_id, t.lang, t.title, t.slug, t.body_html, t.body_text, t.published_at, t.updated_at, a.category_id, a.tags
       from kb_article_translations t join kb_articles a on a.id = t.article_id where ${PUBLIC} and t.lang = ? and t.slug = ?`,
    [lang, slug],
  );
  if (!row) throw notFound('Article');
  return row;
}

/** The public article, counting one view of it (today, UTC). */
export async function viewPublicArticle(em: EntityManager, lang: KbLang, slug: string) {
  const t = await publicTranslation(em, lang, slug);
  const alternates = await em.execute<{ lang: KbLang; slug: string }[]>(
    `select t.lang, t.slug from kb_article_translations t join kb_articles a on a.id = t.article_id where ${PUBLIC} and t.article_id = ? order by t.lang`,
    [t.article_id],
  );
  await em.execute(
    `insert into kb_article_views (article_id, lang, day, views) values (?, ?, (now() at time zone 'utc')::date, 1)
     on conflict (article_id, lang, day) do update set views = kb_article_views.views + 1`,
    [t.article_id, lang],
  );
  return {
    ...publicSummary(t),
    bodyHtml: t.body_html,
    alternates: Object.fromEntries(alternates.map((a) => [a.lang, a.slug])) as Partial<Record<KbLang, string>>,
  };
}

export async function addFeedback(em: EntityManager, lang: KbLang, slug: string, input: { helpful: boolean; comment?: string }, clientKey: string): Promise<void> {
  const t = await publicTranslation(em, lang, slug);
  await em.execute('insert into kb_feedback (article_id, lang, helpful, comment, client_key, created_at) values (?, ?, ?, ?, ?, now())', [
    t.article_id,
    lang,
    input.helpful,
    input.comment ?? null,
    clientKey,
  ]);
}

/** Id, language, title, slug and status of every translation of these articles (one query; none for no ids). */
async function translationSummaries(em: EntityManager, articleIds: number[]) {
  if (!articleIds.length) return [];
  return em.execute<{ id: number; article_id: number; lang: KbLang; title: string; slug: string; status: KbStatus }[]>(
    `select id, article_id, lang, title, slug, status from kb_article_translations where article_id in (${articleIds.map(() => '?').join(', ')})`,
    articleIds,
  );
}
