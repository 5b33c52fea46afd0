import type { components, paths } from '@/api/schema';

// The portal insights' shapes (generated from the API's OpenAPI document).
type Schemas = components['schemas'];

export type PortalInsights = Schemas['PortalInsights'];
export type DeflectionDay = PortalInsights['deflections']['byDay'][number];
export type TopArticle = PortalInsights['deflections']['topArticles'][number];
export type MissedSearch = PortalInsights['missedSearches'][number];
export type DeflectionItem = Schemas['DeflectionItem'];
export type KbFeedbackRow = Schemas['KbFeedbackList']['items'][number];
export type KbFeedbackSort = NonNullable<NonNullable<paths['/api/v1/admin/kb-feedback']['get']['parameters']['query']>['sort']>;

/** The periods offered, in days back from now. */
export const PERIODS = ['7', '30', '90', '365'] as const;
export type PeriodDays = (typeof PERIODS)[number];

/** The instant a UTC day (YYYY-MM-DD) is shown as: its noon, the same calendar day in every time zone from UTC-12 to UTC+11. */
export const dayInstant = (day: string) => `${day}T12:00:00Z`;
