import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { adminSetting } from './settings';
import { recordTimeline } from './timeline';
import type { Config } from '../config';
import { SURVEY_SCALES } from '../db/survey-entities';
import { checkLink, signLink, type LinkClaims } from './signed-links';

// Satisfaction surveys (CSAT): the settings admins choose, the survey rows (one per resolution
// asked about) and every statement on `ticket_surveys`, shared by the worker (sends them) and
// the API (shows, rates, lists them). A survey is bound to one resolution of its ticket: the
// link carries the resolution's instant, and a reopen (which clears the ticket's resolved_at)
// or a later resolution closes it.

export { SURVEY_SCALES };
export type SurveyScale = (typeof SURVEY_SCALES)[number];
export type SurveyRating = 'good' | 'bad' | 1 | 2 | 3 | 4 | 5;

// --- settings ------------------------------------------------------------------------------

export const SurveySettings = z
  .object({
    enabled: z.boolean(),
    delaySeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .describe('Seconds from the resolution to the survey e-mail (up to 30 days)'),
    scale: z.enum(SURVEY_SCALES).describe('`binary`: good / bad; `five`: 1 (worst) … 5 (best)'),
  })
  .strict();
export type SurveySettings = z.infer<typeof SurveySettings>;

const SETTINGS = adminSetting('surveys', SurveySettings);

/** The survey settings in force, and whether an admin chose them (else SURVEYS_ENABLED, SURVEY_DELAY_SECONDS, SURVEY_SCALE). */
export const surveySettings = (em: Pick<EntityManager, 'execute'>, config: Pick<Config, 'SURVEYS_ENABLED' | 'SURVEY_DELAY_SECONDS' | 'SURVEY_SCALE'>) =>
  SETTINGS.read(em, { enabled: config.SURVEYS_ENABLED, delaySeconds: config.SURVEY_DELAY_SECONDS, scale: config.SURVEY_SCALE });
export const saveSurveySettings = SETTINGS.save;

// --- ratings ------------------------------------------------------------------------------

export const BINARY_RATINGS = ['good', 'bad'] as const;
export const FIVE_RATINGS = [1, 2, 3, 4, 5] as const;

/** The stored score of a rating on a scale (binary: 1 good, 0 bad; five: 1..5), or null when the rating is not on that scale. */
export function scoreOf(scale: SurveyScale, rating: unknown): number | null {
  if (scale === 'binary') return rating === 'good' ? 1 : rating === 'bad' ? 0 : null;
  return typeof rating === 'number' && Number.isInteger(rating) && rating >= 1 && rating <= 5 ? rating : null;
}

export function ratingOf(scale: SurveyScale, score: number): SurveyRating {
  if (scale === 'binary') return score === 1 ? 'good' : 'bad';
  return score as SurveyRating;
}

/** A satisfied customer: good, or 4–5 of five. */
export const isPositive = (scale: SurveyScale, score: number): boolean => (scale === 'binary' ? score === 1 : score >= 4);

/** A rating as rules and e-mail links spell it ('good', 'bad', '1' … '5'). */
export const ratingText = (scale: SurveyScale, score: number): string => String(ratingOf(scale, score));

// --- links --------------------------------------------------------------------------------

/** The link's binding: the resolution asked about, as epoch milliseconds. */
export const surveyBinding = (resolvedAt: Date | number): string => String(new Date(resolvedAt).getTime());

export function signSurveyLink(secret: string, s: { userId: number; ticketId: number; resolvedAt: Date | number; expiresAtSec: number }): string {
  return signLink(secret, { purpose: 'survey', userId: s.userId, ticketId: s.ticketId, binding: surveyBinding(s.resolvedAt), expiresAt: s.expiresAtSec });
}

/** The portal page a survey e-mail points to; with a rating, the one-click link for it. */
export function surveyPageUrl(publicUrl: string, token: string, rating?: SurveyRating): string {
  const u = new URL('/portal/survey', publicUrl);
  u.searchParams.set('token', token);
  if (rating !== undefined) u.searchParams.set('rating', String(rating));
  return u.toString();
}

export type SurveyLinkCheck = { ok: true; claims: LinkClaims & { ticketId: number; binding: string } } | { ok: false; reason: 'invalid' | 'expired' };

/** A genuine, unexpired survey link naming a ticket and a resolution. */
export function checkSurveyLink(secret: string, token: unknown, nowSec: number): SurveyLinkCheck {
  const r = checkLink(secret, 'survey', token, nowSec);
  if (!r.ok) return r;
  const { ticketId, binding } = r.claims;
  if (ticketId === undefined || binding === undefined || !/^\d{1,15}$/.test(binding)) return { ok: false, reason: 'invalid' };
  return { ok: true, claims: { ...r.claims, ticketId, binding } };
}

// --- rows ---------------------------------------------------------------------------------

export interface SurveyRow {
  id: number;
  ticket_id: number;
  resolved_at: Date;
  requester_id: number;
  agent_id: number | null;
  group_id: number | null;
  scale: SurveyScale;
  score: number | null;
  comment: string | null;
  sent_at: Date;
  rated_at: Date | null;
  updated_at: Date | null;
}

/**
 * The survey of one resolution, created on first call from the ticket as it stands (requester,
 * assignee, group) with the scale in force; later calls return the same row.
 */
export async function openSurvey(em: Pick<EntityManager, 'execute'>, ticketId: number, resolvedAt: Date, scale: SurveyScale): Promise<SurveyRow | null> {
  await em.execute(
    `insert into ticket_surveys (ticket_id, resolved_at, requester_id, agent_id, group_id, scale, sent_at)
     select t.id, ?, t.requester_id, t.assignee_id, t.group_id, ?, now() from tickets t where t.id = ?
     on conflict (ticket_id, resolved_at) do nothing`,
    [resolvedAt, scale, ticketId],
  );
  const [row] = await em.execute<SurveyRow[]>('select * from ticket_surveys where ticket_id = ? and resolved_at = ?', [ticketId, resolvedAt]);
  return row ?? null;
}

interface TicketState {
  number: string;
  subject: string;
  status: string;
  resolved_at: Date | null;
  deleted_at: Date | null;
  requester_id: number;
}

/** Whether the ticket still stands at the resolution `resolvedAtMs` (resolved or closed since, not reopened, not deleted). */
export const atResolution = (t: Pick<TicketState, 'status' | 'resolved_at' | 'deleted_at'>, resolvedAtMs: number): boolean =>
  t.deleted_at === null && (t.status === 'resolved' || t.status === 'closed') && t.resolved_at !== null && new Date(t.resolved_at).getTime() === resolvedAtMs;

export interface SurveyView {
  ticketNumber: string;
  subject: string;
  scale: SurveyScale;
  state: 'open' | 'rated';
  rating: SurveyRating | null;
  comment: string | null;
}

export const surveyView = (s: SurveyRow, t: Pick<TicketState, 'number' | 'subject'>): SurveyView => ({
  ticketNumber: t.number,
  subject: t.subject,
  scale: s.scale,
  state: s.score === null ? 'open' : 'rated',
  rating: s.score === null ? null : ratingOf(s.scale, s.score),
  comment: s.comment,
});

export type SurveyLookup = { kind: 'ok'; survey: SurveyRow; ticket: TicketState } | { kind: 'none' } | { kind: 'closed' };

/**
 * The survey of a resolution of a ticket: `closed` when the ticket no longer stands at that
 * resolution (reopened, resolved again, deleted) or the survey is another customer's; `none`
 * when that resolution was never asked about.
 */
export async function surveyAt(em: Pick<EntityManager, 'execute'>, ticketId: number, resolvedAtMs: number, requesterId: number): Promise<SurveyLookup> {
  const [t] = await em.execute<TicketState[]>('select number, subject, status, resolved_at, deleted_at, requester_id from tickets where id = ?', [ticketId]);
  if (!t) return { kind: 'closed' };
  const [s] = await em.execute<SurveyRow[]>('select * from ticket_surveys where ticket_id = ? and resolved_at = ?', [ticketId, new Date(resolvedAtMs)]);
  if (!s) return { kind: atResolution(t, resolvedAtMs) ? 'none' : 'closed' };
  if (s.requester_id !== requesterId || !atResolution(t, resolvedAtMs)) return { kind: 'closed' };
  return { kind: 'ok', survey: s, ticket: t };
}

/** The survey of the ticket's current resolution, if one went out. */
export async function currentSurvey(em: Pick<EntityManager, 'execute'>, ticketId: number): Promise<{ survey: SurveyRow; ticket: TicketState } | null> {
  const [t] = await em.execute<TicketState[]>('select number, subject, status, resolved_at, deleted_at, requester_id from tickets where id = ?', [ticketId]);
  if (!t || t.resolved_at === null) return null;
  const found = await surveyAt(em, ticketId, new Date(t.resolved_at).getTime(), t.requester_id);
  return found.kind === 'ok' ? { survey: found.survey, ticket: found.ticket } : null;
}

/**
 * Store a rating (and comment) on an open survey, in `em`'s transaction, with its timeline
 * entry: `survey.received` the first time, `survey.changed` when the customer changes it. The
 * row is locked, so two clicks at once give one first rating.
 */
export async function recordRating(
  em: Pick<EntityManager, 'execute'>,
  surveyId: number,
  score: number,
  comment: string | null,
  actorId: number,
): Promise<{ survey: SurveyRow; first: boolean; changed: boolean }> {
  const [before] = await em.execute<SurveyRow[]>('select * from ticket_surveys where id = ? for update', [surveyId]);
  if (!before) throw new Error(`survey ${surveyId} does not exist`);
  const first = before.score === null;
  const changed = !first && (before.score !== score || (before.comment ?? null) !== comment);
  const [after] = await em.execute<SurveyRow[]>(`update ticket_surveys set score = ?, comment = ?, rated_at = coalesce(rated_at, now()), updated_at = now() where id = ? returning *`, [
    score,
    comment,
    surveyId,
  ]);
  if (first || changed) {
    const rating = ratingOf(before.scale, score);
    const from = first ? null : { rating: ratingOf(before.scale, before.score!), comment: before.comment };
    // Keyed by the survey and the row's update instant: one entry per stored change.
    await recordTimeline(em, {
      ticketId: before.ticket_id,
      type: first ? 'survey.received' : 'survey.changed',
      actor: { type: 'user', id: actorId },
      from,
      to: { rating, comment },
      meta: { surveyId, scale: before.scale },
      idempotencyKey: `survey-${surveyId}:${first ? 'received' : `changed:${new Date(after!.updated_at!).getTime()}`}`,
    });
  }
  return { survey: after!, first, changed };
}

/** The latest rating of a ticket (any resolution), for staff views. */
export async function latestRating(em: Pick<EntityManager, 'execute'>, ticketId: number): Promise<{ rating: SurveyRating; scale: SurveyScale; comment: string | null; ratedAt: string } | null> {
  const [s] = await em.execute<SurveyRow[]>('select * from ticket_surveys where ticket_id = ? and score is not null order by rated_at desc, id desc limit 1', [ticketId]);
  return s ? { rating: ratingOf(s.scale, s.score!), scale: s.scale, comment: s.comment, ratedAt: new Date(s.rated_at!).toISOString() } : null;
}

/** A stored survey's facts for rules (`survey.*`, survey.received only). */
export async function surveyFacts(em: Pick<EntityManager, 'execute'>, surveyId: number, ticketId: number): Promise<{ rating: string; positive: boolean; comment: string; scale: SurveyScale } | null> {
  const [s] = await em.execute<SurveyRow[]>('select * from ticket_surveys where id = ? and ticket_id = ? and score is not null', [surveyId, ticketId]);
  return s ? { rating: ratingText(s.scale, s.score!), positive: isPositive(s.scale, s.score!), comment: s.comment ?? '', scale: s.scale } : null;
}

// --- CSAT report ------------------------------------------------------------------------------

export interface CsatFilter {
  from?: Date;
  to?: Date;
  /** `good` = good or 4–5; `bad` = bad or 1–2; `neutral` = 3. */
  rating?: 'good' | 'bad' | 'neutral';
  agentId?: number;
  groupId?: number;
}

export interface CsatItem {
  id: number;
  ticketId: number;
  ticketNumber: string;
  subject: string;
  customer: { id: number; name: string; email: string };
  agent: { id: number; name: string } | null;
  groupId: number | null;
  scale: SurveyScale;
  rating: SurveyRating;
  comment: string | null;
  ratedAt: string;
}

export interface CsatSummary {
  /** Ratings in the filter. */
  rated: number;
  /** Surveys sent in the period (rated or not): the response rate's denominator. */
  sent: number;
  positive: number;
  negative: number;
  /** positive / rated (0..1), null without ratings. */
  positiveShare: number | null;
  /** Mean of the five-point ratings, null without any. */
  averageScore: number | null;
  fiveCount: number;
}

/** SQL conditions and their parameters, built up one condition at a time. */
class Conditions {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, ...params: unknown[]): this {
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }
  get sql(): string {
    return this.parts.join(' and ');
  }
}

const POSITIVE = `((s.scale = 'binary' and s.score = 1) or (s.scale = 'five' and s.score >= 4))`;
const NEGATIVE = `((s.scale = 'binary' and s.score = 0) or (s.scale = 'five' and s.score <= 2))`;

/** The filter's agent, group and (unless left out) rating conditions on `ticket_surveys s`. */
function csatWhere(f: CsatFilter, withRating = true): Conditions {
  const c = new Conditions();
  if (f.agentId !== undefined) c.add('s.agent_id = ?', f.agentId);
  if (f.groupId !== undefined) c.add('s.group_id = ?', f.groupId);
  if (withRating && f.rating === 'good') c.add(POSITIVE);
  if (withRating && f.rating === 'bad') c.add(NEGATIVE);
  if (withRating && f.rating === 'neutral') c.add(`(s.scale = 'five' and s.score = 3)`);
  return c;
}

/** The period on one column (`rated_at` or `sent_at`). */
function period(c: Conditions, f: CsatFilter, column: 'rated_at' | 'sent_at'): Conditions {
  if (f.from) c.add(`s.${column} >= ?`, f.from);
  if (f.to) c.add(`s.${column} < ?`, f.to);
  return c;
}

/** Ratings, newest first, after the (ratedAt, id) cursor. */
export async function csatPage(
  em: Pick<EntityManager, 'execute'>,
  f: CsatFilter,
  limit: number,
  after: { ratedAt: Date; id: number } | null,
): Promise<{ items: CsatItem[]; next: { ratedAt: Date; id: number } | null }> {
  const w = period(csatWhere(f).add('s.score is not null'), f, 'rated_at');
  if (after) w.add('(s.rated_at, s.id) < (?, ?)', after.ratedAt, after.id);
  const rows = await em.execute<(SurveyRow & { number: string; subject: string; c_name: string; c_email: string; a_name: string | null })[]>(
    `select s.*, t.number, t.subject, c.name as c_name, c.email as c_email, a.name as a_name
       from ticket_surveys s join tickets t on t.id = s.ticket_id join users c on c.id = s.requester_id left join users a on a.id = s.agent_id
      where ${w.sql}
      order by s.rated_at desc, s.id desc limit ?`,
    [...w.params, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      ticketId: r.ticket_id,
      ticketNumber: r.number,
      subject: r.subject,
      customer: { id: r.requester_id, name: r.c_name, email: r.c_email },
      agent: r.agent_id === null ? null : { id: r.agent_id, name: r.a_name ?? '' },
      groupId: r.group_id,
      scale: r.scale,
      rating: ratingOf(r.scale, r.score!),
      comment: r.comment,
      ratedAt: new Date(r.rated_at!).toISOString(),
    })),
    next: rows.length > limit && last ? { ratedAt: new Date(last.rated_at!), id: last.id } : null,
  };
}

/** The figures of a period: ratings by kind, share of satisfied, mean five-point score, surveys sent. */
export async function csatSummary(em: Pick<EntityManager, 'execute'>, f: CsatFilter): Promise<CsatSummary> {
  const rated = period(csatWhere(f).add('s.score is not null'), f, 'rated_at');
  const [r] = await em.execute<{ rated: string; positive: string; negative: string; five_count: string; five_avg: string | null }[]>(
    `select count(*) as rated,
            count(*) filter (where ${POSITIVE}) as positive,
            count(*) filter (where ${NEGATIVE}) as negative,
            count(*) filter (where s.scale = 'five') as five_count,
            avg(s.score) filter (where s.scale = 'five') as five_avg
       from ticket_surveys s where ${rated.sql}`,
    rated.params,
  );
  // The response rate counts every survey sent in the period, whatever its rating.
  const sentIn = period(csatWhere(f, false).add('true'), f, 'sent_at');
  const [sent] = await em.execute<{ n: string }[]>(`select count(*) as n from ticket_surveys s where ${sentIn.sql}`, sentIn.params);
  const ratedN = Number(r!.rated);
  const positive = Number(r!.positive);
  return {
    rated: ratedN,
    sent: Number(sent!.n),
    positive,
    negative: Number(r!.negative),
    positiveShare: ratedN ? positive / ratedN : null,
    averageScore: r!.five_avg === null ? null : Math.round(Number(r!.five_avg) * 100) / 100,
    fiveCount: Number(r!.five_count),
  };
}
