import { z } from 'zod';
import { KB_LANGS, KB_STATUSES, KB_VISIBILITIES } from '@mehrdesk/core/db';
import { bodyId, bodyVersion, pathId } from '../http/params';
import { tagList } from '../tickets/schemas';
import { isSlug, SLUG_MAX } from './slug';

// Request and response shapes of the knowledge-base endpoints (staff and public): validators,
// handler types and OpenAPI components at once. Request bodies are strict.

export const KbLangEnum = z.enum(KB_LANGS);
export const KbStatusEnum = z.enum(KB_STATUSES);
export const KbVisibilityEnum = z.enum(KB_VISIBILITIES);

/** Longest article body accepted (HTML characters, before sanitising); the JSON body limit is 1 MB. */
export const BODY_HTML_MAX = 400_000;

// ---- categories -----------------------------------------------------------------------------

const categoryName = z.string().trim().max(200);
export const KbNamesInput = z
  .object({ en: categoryName.optional(), fa: categoryName.optional() })
  .strict()
  .refine((n) => Boolean(n.en || n.fa), { message: 'Give a name in at least one language (en or fa)' })
  .transform((n) => ({ ...(n.en ? { en: n.en } : {}), ...(n.fa ? { fa: n.fa } : {}) }));

const position = z.number().int().min(0).max(1_000_000);

export const CreateKbCategoryBody = z
  .object({
    names: KbNamesInput,
    parentId: bodyId.nullable().default(null).describe('Parent category; null = top level'),
    position: position.optional().describe('Order among its siblings (ascending); default: after the last one'),
  })
  .strict()
  .meta({ id: 'CreateKbCategoryRequest' });

export const PatchKbCategoryBody = z
  .object({ names: KbNamesInput.optional(), parentId: bodyId.nullable().optional(), position: position.optional() })
  .strict()
  .refine((b) => b.names !== undefined || b.parentId !== undefined || b.position !== undefined, { message: 'Nothing to change: give names, parentId or position' })
  .meta({ id: 'PatchKbCategoryRequest' });

const Names = z.object({ en: z.string().optional(), fa: z.string().optional() });

/** What every category tree node has, staff or public: its place in the tree and its article count. */
interface CategoryNode<Self> {
  id: number;
  parentId: number | null;
  position: number;
  articleCount: number;
  children: Self[];
}
const categoryPlace = { id: z.number().int(), parentId: z.number().int().nullable(), position: z.number().int() };

export interface KbCategoryNode extends CategoryNode<KbCategoryNode> {
  names: { en?: string; fa?: string };
}
export const KbCategoryDto: z.ZodType<KbCategoryNode> = z
  .object({
    ...categoryPlace,
    names: Names,
    articleCount: z.number().int().describe('Articles directly in this category (any status and visibility)'),
    get children() {
      return z.array(KbCategoryDto);
    },
  })
  .meta({ id: 'KbCategory' });

// ---- articles -------------------------------------------------------------------------------

export const slugField = z
  .string()
  .refine(isSlug, `must be 1-${SLUG_MAX} lower-case letters or digits (any script) in runs joined by single hyphens`)
  .describe('Unique per language; generated from the title when omitted');

export const TranslationInput = z
  .object({
    title: z.string().trim().min(1).max(300),
    slug: slugField.optional(),
    bodyHtml: z.string().max(BODY_HTML_MAX).describe('HTML; sanitised before storage (images only from /api/v1/kb/images)'),
    status: KbStatusEnum.describe('draft → published → archived, archived → draft; a new translation starts as draft or published'),
  })
  .strict();

export const CreateKbArticleBody = z
  .object({
    categoryId: bodyId.nullable().default(null),
    visibility: KbVisibilityEnum.default('public'),
    tags: tagList.default([]),
    translations: z
      .object({ en: TranslationInput.optional(), fa: TranslationInput.optional() })
      .strict()
      .refine((t) => t.en !== undefined || t.fa !== undefined, { message: 'Give at least one translation (en or fa)' }),
  })
  .strict()
  .meta({ id: 'CreateKbArticleRequest' });

export const PatchKbArticleBody = z
  .object({
    version: bodyVersion.describe('The article version you read; a stale one is refused with 409'),
    categoryId: bodyId.nullable().optional(),
    visibility: KbVisibilityEnum.optional(),
    tags: tagList.optional().describe('Replaces the whole tag set'),
  })
  .strict()
  .refine((b) => b.categoryId !== undefined || b.visibility !== undefined || b.tags !== undefined, { message: 'Nothing to change: give categoryId, visibility or tags' })
  .meta({ id: 'PatchKbArticleRequest' });

export const PutTranslationBody = TranslationInput.extend({
  version: bodyVersion.optional().describe('The translation version you read: required when the translation exists (stale → 409)'),
}).meta({ id: 'PutKbTranslationRequest' });

const csv = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).min(1).max(5));

export const ListKbArticlesQuery = z
  .object({
    categoryId: z
      .union([z.literal('none'), pathId])
      .optional()
      .describe('A category id, or `none` for articles without a category'),
    status: csv(KbStatusEnum).optional().describe('Articles with a translation in one of these statuses (in `lang`, when given)'),
    visibility: KbVisibilityEnum.optional(),
    lang: KbLangEnum.optional().describe('Articles with a translation in this language'),
    q: z.string().trim().min(1).max(200).optional().describe('Text in a title or slug (case-insensitive substring)'),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict()
  .meta({ id: 'ListKbArticlesQuery' });

const UserRef = z.object({ id: z.number().int(), name: z.string() }).meta({ id: 'KbUserRef' });

export const KbTranslationSummaryDto = z.object({ id: z.number().int(), title: z.string(), slug: z.string(), status: KbStatusEnum }).meta({ id: 'KbTranslationSummary' });
/** What the translations of an article share, in the list and in the article itself. */
const articleShared = {
  id: z.number().int(),
  categoryId: z.number().int().nullable(),
  visibility: KbVisibilityEnum,
  tags: z.array(z.string()),
  version: z.number().int(),
};
export const KbArticleSummaryDto = z
  .object({
    ...articleShared,
    updatedAt: z.string(),
    translations: z.object({ en: KbTranslationSummaryDto.optional(), fa: KbTranslationSummaryDto.optional() }),
  })
  .meta({ id: 'KbArticleSummary' });
export const KbArticleListDto = z.object({ items: z.array(KbArticleSummaryDto), total: z.number().int() }).meta({ id: 'KbArticleList' });

export const KbTranslationDto = z
  .object({
    id: z.number().int(),
    title: z.string(),
    slug: z.string(),
    bodyHtml: z.string(),
    status: KbStatusEnum,
    publishedAt: z.string().nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    updatedBy: UserRef.nullable(),
  })
  .meta({ id: 'KbTranslation' });
export const KbArticleDto = z
  .object({
    ...articleShared,
    author: UserRef.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    translations: z.object({ en: KbTranslationDto.optional(), fa: KbTranslationDto.optional() }),
    stats: z.object({ views: z.number().int(), helpful: z.number().int(), notHelpful: z.number().int() }),
  })
  .meta({ id: 'KbArticle' });

export const ArticleLangParams = z.object({ id: pathId, lang: KbLangEnum }).strict();
export const VersionParams = z.object({ id: pathId, versionId: pathId }).strict();
export const VersionsQuery = z.object({ lang: KbLangEnum.optional().describe('Only this translation’s versions') }).strict();

export const KbVersionSummaryDto = z
  .object({ id: z.number().int(), lang: KbLangEnum, number: z.number().int(), title: z.string(), status: KbStatusEnum, author: UserRef.nullable(), createdAt: z.string() })
  .meta({ id: 'KbVersionSummary' });
export const KbVersionDto = KbVersionSummaryDto.extend({ slug: z.string(), bodyHtml: z.string() }).meta({ id: 'KbVersion' });

export const KbFeedbackReportDto = z
  .object({
    views: z.object({ en: z.number().int(), fa: z.number().int(), total: z.number().int() }),
    helpful: z.number().int(),
    notHelpful: z.number().int(),
    items: z.array(z.object({ lang: KbLangEnum, helpful: z.boolean(), comment: z.string().nullable(), createdAt: z.string() })).describe('The latest 200'),
  })
  .meta({ id: 'KbFeedbackReport' });

export const KbImageDto = z
  .object({
    id: z.number().int(),
    url: z.string().describe('Path to embed in an article body (<img src>)'),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
  })
  .meta({ id: 'KbImage' });

// ---- public ---------------------------------------------------------------------------------

export const PublicLangQuery = z.object({ lang: KbLangEnum.default('en') }).strict();

export interface PublicCategoryNode extends CategoryNode<PublicCategoryNode> {
  name: string;
}
export const PublicKbCategoryDto: z.ZodType<PublicCategoryNode> = z
  .object({
    ...categoryPlace,
    name: z.string().describe('In the requested language (the other one when it has none)'),
    articleCount: z.number().int().describe('Published articles in this category and below, in the requested language'),
    get children() {
      return z.array(PublicKbCategoryDto);
    },
  })
  .meta({ id: 'PublicKbCategory' });

export const PublicArticlesQuery = z
  .object({
    lang: KbLangEnum.default('en'),
    categoryId: pathId.optional().describe('Only articles directly in this category'),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict();

export const PublicArticleSummaryDto = z
  .object({
    id: z.number().int().describe('Translation id'),
    articleId: z.number().int(),
    lang: KbLangEnum,
    title: z.string(),
    slug: z.string(),
    excerpt: z.string().describe('The first 200 characters of the plain text'),
    publishedAt: z.string().nullable(),
    updatedAt: z.string(),
    categoryId: z.number().int().nullable(),
    tags: z.array(z.string()),
  })
  .meta({ id: 'PublicKbArticleSummary' });

export const PublicArticleDto = PublicArticleSummaryDto.omit({ excerpt: true })
  .extend({
    bodyHtml: z.string(),
    alternates: z.object({ en: z.string().optional(), fa: z.string().optional() }).describe('Slugs of the published translations, this one included'),
  })
  .meta({ id: 'PublicKbArticle' });

export const PublicSlugParams = z.object({ lang: KbLangEnum, slug: z.string().min(1).max(SLUG_MAX) }).strict();

export const FeedbackBody = z
  .object({
    helpful: z.boolean(),
    comment: z
      .string()
      .trim()
      .max(2000)
      .optional()
      .transform((c) => (c ? c : undefined)),
  })
  .strict()
  .meta({ id: 'KbFeedbackRequest' });
