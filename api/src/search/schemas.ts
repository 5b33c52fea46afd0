import { z } from 'zod';
import { DOC_KINDS, EXHAUSTIVE_LIMIT, FACETS, KB_LANGS, MAX_QUERY_LENGTH } from '@mehrdesk/search';
import { PRIORITIES, STATUSES } from '@mehrdesk/core/domain';
import { pathId } from '../http/params';

// The search API's request and answer, shared by the console's global search, the inbox and
// the public knowledge-base search.

const csv = <T extends z.ZodType<unknown, string>>(item: T, max = 20) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).min(1).max(max));
const id = pathId;

export const SearchQuery = z
  .object({
    q: z.string().trim().min(1).max(MAX_QUERY_LENGTH).describe('Words to find; "quoted words" must be adjacent; the last word matches as a prefix'),
    types: csv(z.enum(DOC_KINDS)).optional(),
    status: csv(z.enum([...STATUSES, 'draft', 'published', 'archived'])).optional(),
    priority: csv(z.enum(PRIORITIES)).optional(),
    groupId: csv(id).optional(),
    categoryId: csv(id).optional(),
    kbCategoryId: csv(id).optional(),
    tag: csv(z.string().min(1).max(64)).optional(),
    lang: csv(z.enum(KB_LANGS)).optional(),
    limit: z.coerce.number().int().min(1).max(50).default(20),
    offset: z.coerce.number().int().min(0).max(1000).default(0),
    facets: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true')
      .describe('Count facets (default true)'),
  })
  .strict()
  .meta({ id: 'SearchQuery' });

const Highlights = z.object({ title: z.string().optional(), body: z.string().optional(), internal: z.string().optional() });

export const SearchHitDto = z
  .object({
    type: z.enum(DOC_KINDS),
    id: z.number().int(),
    score: z.number(),
    title: z.string(),
    highlights: Highlights.describe('Safe HTML: escaped text, matched words in <mark>'),
    ticket: z
      .object({
        number: z.string(),
        status: z.enum(STATUSES),
        priority: z.enum(PRIORITIES),
        groupId: z.number().int().nullable(),
        categoryId: z.number().int().nullable(),
        assigneeId: z.number().int().nullable(),
        requesterName: z.string(),
        updatedAt: z.string(),
      })
      .optional(),
    customer: z.object({ email: z.string(), organization: z.string().nullable() }).optional(),
    article: z
      .object({ articleId: z.number().int(), lang: z.enum(KB_LANGS), slug: z.string(), status: z.string(), visibility: z.enum(['public', 'internal']), kbCategoryId: z.number().int().nullable() })
      .optional(),
  })
  .meta({ id: 'SearchHit' });

export const SearchResultDto = z
  .object({
    backend: z.enum(['postgres', 'meilisearch']),
    total: z.number().int().describe(`Matches, counted exactly up to ${EXHAUSTIVE_LIMIT}`),
    exhaustive: z
      .boolean()
      .describe(`False when more than ${EXHAUSTIVE_LIMIT} documents match: total is then ${EXHAUSTIVE_LIMIT}, pages reach no further, and facets count the most recent ${EXHAUSTIVE_LIMIT}`),
    hits: z.array(SearchHitDto),
    facets: z.record(z.enum(FACETS), z.record(z.string(), z.number().int())).nullable(),
  })
  .meta({ id: 'SearchResult' });

export const RebuildDto = z
  .object({
    id: z.number().int(),
    backend: z.string(),
    status: z.enum(['running', 'done', 'failed']),
    total: z.number().int(),
    done: z.number().int(),
    error: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'SearchRebuild' });
