import type { EntityManager } from '@mikro-orm/postgresql';
import { MISSED_SEARCH_QUERY_MAX, MISSED_SEARCHES_KEPT, type KbLang, type MissedSearchSource } from '@mehrdesk/core/db';
import { parseQuery } from '@mehrdesk/search';
import { PUBLIC } from '../kb/service';

// Every statement on kb_deflections and kb_missed_searches: the customers' "this solved my
// problem" and the public searches that found nothing, written by the portal and public routes
// and read by the admins' insights.

const iso = (d: Date | string): string => new Date(d).toISOString();

export interface DeflectionInput {
  customerId: number;
  translationId: number;
  subject: string;
  description: string;
}

/**
 * Records a deflection onto a published translation of a public article (the only ones a
 * customer's search can show). Null, and nothing written, for any other translation id.
 */
export async function recordDeflection(em: EntityManager, d: DeflectionInput): Promise<number | null> {
  const [row] = await em.execute<{ id: number }[]>(
    `insert into kb_deflections (customer_id, translation_id, subject, description, created_at)
     select ?, t.id, ?, ?, now() from kb_article_translations t join kb_articles a on a.id = t.article_id where t.id = ? and ${PUBLIC}
     returning id`,
    [d.customerId, d.subject, d.description, d.translationId],
  );
  return row?.id ?? null;
}

/**
 * The form a missed search is counted under: the search's own normalisation (what the backend
 * looked for), lower case, at most MISSED_SEARCH_QUERY_MAX characters; null when no word is left.
 */
export function missedSearchKey(q: string): string | null {
  const text = Array.from(parseQuery(q).text.toLowerCase()).slice(0, MISSED_SEARCH_QUERY_MAX).join('').trim();
  return text === '' ? null : text;
}

/**
 * Counts a search that found nothing, in one statement. A new query evicts the least searched
 * (then least recently searched) rows beyond MISSED_SEARCHES_KEPT, so no input can grow the
 * table without bound (concurrent writers may overshoot by one row each until the next insert).
 */
export async function recordMissedSearch(em: EntityManager, q: string, source: MissedSearchSource): Promise<void> {
  const query = missedSearchKey(q);
  if (query === null) return;
  // The delete runs on the snapshot before the insert: it keeps the KEPT - 1 most searched (then
  // most recent) old rows beside the new one, reading the index backwards.
  await em.execute(
    `with hit as (
       insert into kb_missed_searches (query, source, count, first_seen_at, last_seen_at) values (?, ?, 1, now(), now())
       on conflict (source, query) do update set count = least(kb_missed_searches.count, 2147483646) + 1, last_seen_at = now()
       returning (xmax = 0) as inserted
     )
     delete from kb_missed_searches
      where (select inserted from hit)
        and id in (select id from kb_missed_searches order by count desc, last_seen_at desc, id desc offset ?)`,
    [query, source, MISSED_SEARCHES_KEPT - 1],
  );
}

// ---- insights -------------------------------------------------------------------------------

export interface Period {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** Every UTC day the period touches, oldest first. */
export function daysOf(p: Period): string[] {
  const days: string[] = [];
  const last = utcDay(new Date(p.to.getTime() - 1));
  for (let d = new Date(`${utcDay(p.from)}T00:00:00Z`); utcDay(d) <= last; d = new Date(d.getTime() + 86_400_000)) days.push(utcDay(d));
  return days;
}

/** Deflections in the period: the total and the count of every UTC day (zeros included). */
export async function deflectionsByDay(em: EntityManager, p: Period): Promise<{ total: number; byDay: { day: string; count: number }[] }> {
  const rows = await em.execute<{ day: string; n: string }[]>(
    `select to_char(created_at at time zone 'utc', 'YYYY-MM-DD') as day, count(*) as n
       from kb_deflections where created_at >= ? and created_at < ? group by 1`,
    [p.from, p.to],
  );
  const counts = new Map(rows.map((r) => [r.day, Number(r.n)]));
  const byDay = daysOf(p).map((day) => ({ day, count: counts.get(day) ?? 0 }));
  return { total: byDay.reduce((sum, d) => sum + d.count, 0), byDay };
}

/** The translations that deflected most in the period (deleted articles no longer listed). */
export async function topDeflectingArticles(em: EntityManager, p: Period, limit: number) {
  const rows = await em.execute<{ translation_id: number; article_id: number; lang: KbLang; title: string; slug: string; n: string }[]>(
    `select d.translation_id, t.article_id, t.lang, t.title, t.slug, count(*) as n
       from kb_deflections d join kb_article_translations t on t.id = d.translation_id
      where d.created_at >= ? and d.created_at < ?
      group by d.translation_id, t.article_id, t.lang, t.title, t.slug
      order by n desc, d.translation_id
      limit ?`,
    [p.from, p.to, limit],
  );
  return rows.map((r) => ({ articleId: r.article_id, translationId: r.translation_id, lang: r.lang, title: r.title, slug: r.slug, count: Number(r.n) }));
}

/** Queries that found nothing and were last searched in the period, most searched first (counts since first seen). */
export async function missedSearches(em: EntityManager, p: Period, limit: number) {
  const rows = await em.execute<{ query: string; n: string; first_at: Date; last_at: Date; sources: MissedSearchSource[] }[]>(
    `select query, sum(count) as n, min(first_seen_at) as first_at, max(last_seen_at) as last_at, array_agg(source order by source) as sources
       from kb_missed_searches where last_seen_at >= ? and last_seen_at < ?
      group by query order by n desc, last_at desc, query
      limit ?`,
    [p.from, p.to, limit],
  );
  return rows.map((r) => ({ query: r.query, count: Number(r.n), firstAt: iso(r.first_at), lastAt: iso(r.last_at), sources: r.sources }));
}

interface DeflectionRow {
  id: number;
  created_at: Date;
  subject: string;
  description: string;
  customer_id: number | null;
  customer_name: string | null;
  customer_email: string | null;
  translation_id: number | null;
  article_id: number | null;
  lang: KbLang | null;
  title: string | null;
  slug: string | null;
}

/** Deflections newest first, `before` an id (the previous page's last). */
export async function listDeflections(em: EntityManager, q: { before?: number; limit: number }) {
  const rows = await em.execute<DeflectionRow[]>(
    `select d.id, d.created_at, d.subject, d.description, d.customer_id, u.name as customer_name, u.email as customer_email,
            t.id as translation_id, t.article_id, t.lang, t.title, t.slug
       from kb_deflections d
       left join users u on u.id = d.customer_id
       left join kb_article_translations t on t.id = d.translation_id
      ${q.before !== undefined ? 'where d.id < ?' : ''}
      order by d.id desc limit ?`,
    q.before !== undefined ? [q.before, q.limit + 1] : [q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      createdAt: iso(r.created_at),
      customer: r.customer_id === null ? null : { id: r.customer_id, name: r.customer_name ?? '', email: r.customer_email ?? '' },
      article: r.translation_id === null ? null : { articleId: r.article_id!, translationId: r.translation_id, lang: r.lang!, title: r.title ?? '', slug: r.slug ?? '' },
      subject: r.subject,
      description: r.description,
    })),
    nextCursor: rows.length > q.limit ? String(page[page.length - 1]!.id) : null,
  };
}
