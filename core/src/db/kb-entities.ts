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

export const kbEntities = [KbCategory, KbArticle, KbArticleTranslation, KbArticleVersion, KbFeedback, KbArticleView, KbImage];
