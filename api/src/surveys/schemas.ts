import { z } from 'zod';
import { SURVEY_SCALES, SurveySettings } from '@mehrdesk/core/services/surveys';
import { pathId } from '../http/params';
import { instant } from '../http/instant';
import { MAX_LINK_TOKEN_LENGTH } from '@mehrdesk/core/services/signed-links';

// Request and response shapes of the satisfaction surveys (customer portal, e-mail links,
// console and admin screens).

export const SurveyRatingSchema = z.union([z.enum(['good', 'bad']), z.number().int().min(1).max(5)]).describe('`good` / `bad` on the two-point scale; 1 (worst) … 5 (best) on the five-point scale');

export const SurveyDto = z
  .object({
    ticketNumber: z.string(),
    subject: z.string(),
    scale: z.enum(SURVEY_SCALES),
    state: z.enum(['open', 'rated']).describe('`rated` once a rating was given; it may still be changed while the resolution stands'),
    rating: SurveyRatingSchema.nullable(),
    comment: z.string().nullable(),
  })
  .meta({ id: 'Survey' });

export const RateSurveyBody = z
  .object({
    rating: SurveyRatingSchema,
    comment: z.string().trim().max(2000).nullable().optional().describe('Omitted: the comment given before stays; null or empty: none'),
  })
  .strict()
  .meta({ id: 'RateSurveyRequest' });

export const SurveyTokenParams = z.object({ token: z.string().min(1).max(MAX_LINK_TOKEN_LENGTH).describe('The signed token from the survey e-mail') }).strict();

export const SurveySettingsBody = SurveySettings.meta({ id: 'SurveySettingsRequest' });
export const SurveySettingsDto = SurveySettings.extend({
  source: z.enum(['default', 'admin']).describe('`default`: SURVEYS_ENABLED, SURVEY_DELAY_SECONDS, SURVEY_SCALE; `admin`: stored by an admin'),
}).meta({ id: 'SurveySettings' });

export const SatisfactionDto = z.object({ rating: SurveyRatingSchema, scale: z.enum(SURVEY_SCALES), comment: z.string().nullable(), ratedAt: z.string() }).meta({ id: 'Satisfaction' });

export const CsatQuery = z
  .object({
    from: instant.optional().describe('Rated at or after'),
    to: instant.optional().describe('Rated before'),
    rating: z.enum(['good', 'bad', 'neutral']).optional().describe('`good`: good or 4–5; `bad`: bad or 1–2; `neutral`: 3'),
    agentId: pathId.optional().describe('Who had the ticket when the survey went out'),
    groupId: pathId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(200).optional().describe('nextCursor of the previous page (same filters)'),
  })
  .strict()
  .meta({ id: 'CsatQuery' });

export const CsatItemDto = z
  .object({
    id: z.number().int(),
    ticketId: z.number().int(),
    ticketNumber: z.string(),
    subject: z.string(),
    customer: z.object({ id: z.number().int(), name: z.string(), email: z.string() }),
    agent: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    groupId: z.number().int().nullable(),
    scale: z.enum(SURVEY_SCALES),
    rating: SurveyRatingSchema,
    comment: z.string().nullable(),
    ratedAt: z.string(),
  })
  .meta({ id: 'CsatRating' });

export const CsatSummaryDto = z
  .object({
    rated: z.number().int().describe('Ratings matching the filters'),
    sent: z.number().int().describe('Surveys sent in the period (agent and group filters apply): the response rate is rated / sent'),
    positive: z.number().int().describe('good, or 4–5'),
    negative: z.number().int().describe('bad, or 1–2'),
    positiveShare: z.number().nullable().describe('positive / rated, 0..1; null without ratings'),
    averageScore: z.number().nullable().describe('Mean of the five-point ratings; null without any'),
    fiveCount: z.number().int().describe('How many ratings were on the five-point scale'),
  })
  .meta({ id: 'CsatSummary' });

export const CsatListDto = z.object({ items: z.array(CsatItemDto), nextCursor: z.string().nullable(), summary: CsatSummaryDto }).meta({ id: 'CsatList' });
