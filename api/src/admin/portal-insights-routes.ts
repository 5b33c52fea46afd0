import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { KB_LANGS, MISSED_SEARCH_SOURCES } from '@mehrdesk/core/db';
import type { AppDeps } from '../deps';
import { badRequest } from '../http/errors';
import { instant } from '../http/instant';
import { pathId } from '../http/params';
import { defineRoute } from '../http/route';
import { FEEDBACK_SORTS, feedbackList, type FeedbackSort } from '../kb/service';
import { KbTranslationSummaryDto } from '../kb/schemas';
import { deflectionsByDay, listDeflections, missedSearches, topDeflectingArticles, type Period } from '../portal/deflections-store';

// What the portal's self-service achieves, for admins: tickets deflected by articles (how many,
// per day, by which articles), the public searches that found nothing (articles to write), the
// deflections themselves with the text customers typed, and every article's reader feedback.

const DAY_MS = 86_400_000;
/** The default period: the last 30 days. */
const DEFAULT_DAYS = 30;
/** The longest period (a year and a bit), which bounds `byDay`. */
export const MAX_PERIOD_DAYS = 400;

const tags = ['admin: portal insights'];
const LangEnum = z.enum(KB_LANGS);

const InsightsQuery = z
  .object({
    from: instant.optional().describe('Start of the period (inclusive); default: 30 days before `to`'),
    to: instant.optional().describe('End of the period (exclusive); default: now'),
    limit: z.coerce.number().int().min(1).max(100).default(10).describe('Length of `topArticles` and of `missedSearches`'),
  })
  .strict()
  .meta({ id: 'PortalInsightsQuery' });

const ArticleRefDto = z.object({ articleId: z.number().int(), translationId: z.number().int(), lang: LangEnum, title: z.string(), slug: z.string() }).meta({ id: 'DeflectionArticle' });

const InsightsDto = z
  .object({
    from: z.string(),
    to: z.string(),
    deflections: z.object({
      total: z.number().int().describe('Deflections in the period (those of deleted articles included)'),
      byDay: z.array(z.object({ day: z.string().describe('YYYY-MM-DD (UTC)'), count: z.number().int() })).describe('Every UTC day of the period, oldest first'),
      topArticles: z.array(ArticleRefDto.extend({ count: z.number().int() })).describe('Translations that deflected most in the period'),
    }),
    missedSearches: z
      .array(
        z.object({
          query: z.string().describe('Normalised (lower case, punctuation and letter variants folded)'),
          count: z.number().int().describe('Searches since first seen'),
          firstAt: z.string(),
          lastAt: z.string(),
          sources: z.array(z.enum(MISSED_SEARCH_SOURCES)).describe('`portal_suggest`: suggestions while writing a ticket; `public_search`: the knowledge base search'),
        }),
      )
      .describe('Public searches that found nothing, last searched in the period, most searched first'),
  })
  .meta({ id: 'PortalInsights' });

const DeflectionListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: pathId.optional().describe('nextCursor of the previous page'),
  })
  .strict()
  .meta({ id: 'ListDeflectionsQuery' });

const DeflectionItemDto = z
  .object({
    id: z.number().int(),
    createdAt: z.string(),
    customer: z.object({ id: z.number().int(), name: z.string(), email: z.string() }).nullable().describe('Null once the account is deleted'),
    article: ArticleRefDto.nullable().describe('Null once the article is deleted'),
    subject: z.string().describe('As typed'),
    description: z.string().describe('As typed (plain text)'),
  })
  .meta({ id: 'DeflectionItem' });
const DeflectionListDto = z.object({ items: z.array(DeflectionItemDto), nextCursor: z.string().nullable() }).meta({ id: 'DeflectionList' });

const SORTS = FEEDBACK_SORTS.flatMap((s) => [s, `-${s}`] as const);
const KbFeedbackListQuery = z
  .object({
    sort: z.enum(SORTS).default('-views').describe('A count to sort by; `-` first for largest first. Articles without votes have no ratio and come last'),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict()
  .meta({ id: 'ListKbFeedbackQuery' });

const KbFeedbackListDto = z
  .object({
    items: z.array(
      z.object({
        articleId: z.number().int(),
        visibility: z.enum(['public', 'internal']),
        translations: z.object({ en: KbTranslationSummaryDto.optional(), fa: KbTranslationSummaryDto.optional() }),
        views: z.object({ en: z.number().int(), fa: z.number().int(), total: z.number().int() }),
        helpful: z.number().int(),
        notHelpful: z.number().int(),
        ratio: z.number().nullable().describe('helpful / (helpful + notHelpful); null without votes'),
        comments: z.number().int().describe('Feedback answers with a comment'),
        lastFeedbackAt: z.string().nullable(),
      }),
    ),
    total: z.number().int(),
  })
  .meta({ id: 'KbFeedbackList' });

/** The period asked for, with its defaults; 400 naming the field when it is empty, reversed or too long. */
function periodOf(q: { from?: string; to?: string }): Period {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - DEFAULT_DAYS * DAY_MS);
  // Only a given `from` can be late: the default one is 30 days before `to`.
  if (from >= to) throw badRequest('Invalid query', [{ path: 'query.from', message: 'must be before `to` (default: now)' }]);
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY_MS) throw badRequest('Invalid query', [{ path: 'query.from', message: `the period may span at most ${MAX_PERIOD_DAYS} days` }]);
  return { from, to };
}

export function portalInsightsRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();

  defineRoute(r, registry, {
    method: 'get',
    path: '/admin/portal-insights',
    summary: 'Deflections in a period (total, per day, top articles) and the public searches that found nothing',
    tags,
    action: 'admin.manage',
    query: InsightsQuery,
    response: InsightsDto,
    handler: async ({ em, query }) => {
      const period = periodOf(query);
      const { total, byDay } = await deflectionsByDay(em, period);
      return {
        from: period.from.toISOString(),
        to: period.to.toISOString(),
        deflections: { total, byDay, topArticles: await topDeflectingArticles(em, period, query.limit) },
        missedSearches: await missedSearches(em, period, query.limit),
      };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/admin/deflections',
    summary: 'Deflections newest first: the customer, the article and the text they had typed',
    tags,
    action: 'admin.manage',
    query: DeflectionListQuery,
    response: DeflectionListDto,
    handler: async ({ em, query }) => listDeflections(em, { before: query.cursor, limit: query.limit }),
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/admin/kb-feedback',
    summary: "Every article's views and reader feedback (helpful, not helpful, ratio, comments), sorted",
    tags,
    action: 'admin.manage',
    query: KbFeedbackListQuery,
    response: KbFeedbackListDto,
    handler: async ({ em, query }) => {
      const descending = query.sort.startsWith('-');
      return feedbackList(em, { sort: query.sort.replace(/^-/, '') as FeedbackSort, descending, limit: query.limit, offset: query.offset });
    },
  });

  return r;
}
