import { defineEntity, p } from '@mikro-orm/core';
import { User } from './entities';

// Knowledge base (issue 9): a category tree, articles with one translation per language (each
// its own title, slug, body and status), a version row for every save of a translation, the
// readers' "was this helpful?" feedback, daily view counters and the images embedded in bodies.
// The search module indexes translations (one document per translation) through triggers its
// own migration adds on these tables: keep their names and columns stable.

const now = () => new Date();

export const KB_LANGS = ['en', 'fa'] as const;
export type KbLang = (typeof KB_LANGS)[number];
export const KB_VISIBILITIES = ['public', 'internal'] as const;
export type KbVisibility = (typeof KB_VISIBILITIES)[number];
export const KB_STATUSES = ['draft', 'published', 'archived'] as const;
export type KbStatus = (typeof KB_STATUSES)[number];
/** Category names per language; at least one is non-empty (checked by the API). */
export type KbNames = Partial<Record<KbLang, string>>;

export const KbCategory = defineEntity({
  name: 'KbCategory',
  tableName: 'kb_categories',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** A category with children cannot be deleted (restrict): move or delete them first. */
    parentId: () => p.manyToOne(KbCategory).mapToPk().nullable().fieldName('parent_id').deleteRule('restrict').index(),
    position: p.integer().default(0),
    names: p.json<KbNames>(),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export const KbArticle = defineEntity({
  name: 'KbArticle',
  tableName: 'kb_articles',
  properties: {
    id: p.integer().primary().autoincrement(),
    categoryId: () => p.manyToOne(KbCategory).mapToPk().nullable().fieldName('category_id').deleteRule('set null').index(),
    visibility: p.enum(KB_VISIBILITIES).default('public'),
    tags: p.array().defaultRaw(`'{}'`),
    authorId: () => p.manyToOne(User).mapToPk().nullable().fieldName('author_id').deleteRule('set null'),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
    version: p.integer().version(),
  },
});

export const KbArticleTranslation = defineEntity({
  name: 'KbArticleTranslation',
  tableName: 'kb_article_translations',
  uniques: [
    { name: 'kb_article_translations_article_id_lang_unique', properties: ['articleId', 'lang'] },
    { name: 'kb_article_translations_lang_slug_unique', properties: ['lang', 'slug'] },
  ],
  properties: {
    id: p.integer().primary().autoincrement(),
    articleId: () => p.manyToOne(KbArticle).mapToPk().fieldName('article_id').deleteRule('cascade'),
    lang: p.enum(KB_LANGS),
    title: p.string().length(300),
    slug: p.string().length(200),
    /** Sanitised rich text (core/src/sanitize.ts sanitizeArticleHtml). */
    bodyHtml: p.text(),
    /** Plain-text rendering of the body, for search and snippets. */
    bodyText: p.text(),
    status: p.enum(KB_STATUSES).default('draft'),
    /** When the translation was first published (kept through later archive/republish). */
    publishedAt: p.datetime().nullable(),
    updatedBy: () => p.manyToOne(User).mapToPk().nullable().fieldName('updated_by').deleteRule('set null'),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
    version: p.integer().version(),
  },
});

export const KbArticleVersion = defineEntity({
  name: 'KbArticleVersion',
  tableName: 'kb_article_versions',
  uniques: [{ name: 'kb_article_versions_translation_id_number_unique', properties: ['translationId', 'number'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    translationId: () => p.manyToOne(KbArticleTranslation).mapToPk().fieldName('translation_id').deleteRule('cascade'),
    /** 1, 2, 3… per translation. */
    number: p.integer(),
    title: p.string().length(300),
    slug: p.string().length(200),
    bodyHtml: p.text(),
    status: p.enum(KB_STATUSES),
    authorId: () => p.manyToOne(User).mapToPk().nullable().fieldName('author_id').deleteRule('set null'),
    createdAt: p.datetime().onCreate(now),
  },
});

export const KbFeedback = defineEntity({
  name: 'KbFeedback',
  tableName: 'kb_feedback',
  indexes: [{ name: 'kb_feedback_article_id_created_at_index', properties: ['articleId', 'createdAt'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    articleId: () => p.manyToOne(KbArticle).mapToPk().fieldName('article_id').deleteRule('cascade'),
    lang: p.enum(KB_LANGS),
    helpful: p.boolean(),
    /** At most 2000 characters (checked by the API). */
    comment: p.text().nullable(),
    /** HMAC-SHA256 (hex) of the client's address: no address is stored. */
    clientKey: p.string().length(64),
    createdAt: p.datetime().onCreate(now),
  },
});

export const KbArticleView = defineEntity({
  name: 'KbArticleView',
  tableName: 'kb_article_views',
  properties: {
    articleId: () => p.manyToOne(KbArticle).mapToPk().primary().fieldName('article_id').deleteRule('cascade'),
    lang: p.enum(KB_LANGS).primary(),
    /** UTC day of the views. */
    day: p.date().primary(),
    views: p.integer().default(0),
  },
});

export const KbImage = defineEntity({
  name: 'KbImage',
  tableName: 'kb_images',
  properties: {
    id: p.integer().primary().autoincrement(),
    filename: p.string().length(255),
    /** Detected from the bytes: image/png, image/jpeg, image/gif or image/webp. */
    contentType: p.string().length(100),
    size: p.integer(),
    /** Relative to STORAGE_DIR (content-addressed, like attachments). */
    storagePath: p.string().length(500),
    sha256: p.string().length(64),
    uploadedBy: () => p.manyToOne(User).mapToPk().nullable().fieldName('uploaded_by').deleteRule('set null'),
    createdAt: p.datetime().onCreate(now),
  },
});

// ---- ticket deflection (issue 10) -------------------------------------------------------------

/** The longest subject and description a deflection keeps (a ticket's subject is at most 300 too). */
export const DEFLECTION_SUBJECT_MAX = 300;
export const DEFLECTION_DESCRIPTION_MAX = 4000;

/**
 * A customer who ended a new ticket at a suggested article ("This solved my problem"), with the
 * text typed so far (plain, as typed). It outlives the article and the customer (set null): the
 * ticket it saved stays saved, so the totals do not shrink when an article is deleted.
 */
export const KbDeflection = defineEntity({
  name: 'KbDeflection',
  tableName: 'kb_deflections',
  properties: {
    id: p.integer().primary().autoincrement(),
    customerId: () => p.manyToOne(User).mapToPk().nullable().fieldName('customer_id').deleteRule('set null'),
    /** The translation the customer read (a search hit's id). */
    translationId: () => p.manyToOne(KbArticleTranslation).mapToPk().nullable().fieldName('translation_id').deleteRule('set null').index(),
    subject: p.string().length(DEFLECTION_SUBJECT_MAX),
    /** At most DEFLECTION_DESCRIPTION_MAX characters (a check constraint). */
    description: p.text(),
    createdAt: p.datetime().onCreate(now).index(),
  },
});

export const MISSED_SEARCH_SOURCES = ['portal_suggest', 'public_search'] as const;
export type MissedSearchSource = (typeof MISSED_SEARCH_SOURCES)[number];
/** Longest query kept (normalised; the public search accepts no longer one). */
export const MISSED_SEARCH_QUERY_MAX = 200;
/** Distinct missed searches kept: beyond this the least searched (then least recent) rows go. */
export const MISSED_SEARCHES_KEPT = 10_000;

/** A public knowledge-base search that found nothing, counted per normalised query and source. */
export const KbMissedSearch = defineEntity({
  name: 'KbMissedSearch',
  tableName: 'kb_missed_searches',
  uniques: [{ name: 'kb_missed_searches_source_query_unique', properties: ['source', 'query'] }],
  indexes: [{ name: 'kb_missed_searches_count_last_seen_at_id_index', properties: ['count', 'lastSeenAt', 'id'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    query: p.string().length(MISSED_SEARCH_QUERY_MAX),
    source: p.enum(MISSED_SEARCH_SOURCES),
    count: p.integer().default(1),
    firstSeenAt: p.datetime().onCreate(now),
    lastSeenAt: p.datetime().onCreate(now),
  },
});

export const kbEntities = [KbCategory, KbArticle, KbArticleTranslation, KbArticleVersion, KbFeedback, KbArticleView, KbImage, KbDeflection, KbMissedSearch];
