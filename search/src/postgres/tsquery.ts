import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import type { ParsedQuery } from '../query';

// A parsed query as `to_tsquery` text for the `mehrdesk_search` configuration. Words the index
// has never seen are widened with the closest indexed words (pg_trgm candidates, then
// Levenshtein: search_corrections() in the migration), which is how typos still find things.
// The same round trip reads how many documents each word was in at the last rebuild
// (search_terms.ndoc), for a guess at how common the whole query is.

const MIN_CORRECTABLE = 3;
/** Only letters can be misspelt; numbers and identifiers must match as typed. */
const CORRECTABLE = /^\p{L}+$/u;

const quote = (word: string) => `'${word.replace(/['\\]/g, '')}'`;

interface TermStats {
  corrections: string[];
  /** Documents having the word (with its corrections, or every word it begins, for a prefix); null when unknown. */
  documents: number | null;
}

async function termStats(em: EntityManager, terms: string[], prefix: string | null): Promise<{ terms: Map<string, TermStats>; documents: number }> {
  const out = new Map<string, TermStats>();
  const words = [...new Set(terms)];
  if (words.length === 0) return { terms: out, documents: 0 };
  // Words with digits or signs are not in the word list (search_terms): their counts are unknown.
  const rows = await em.execute<{ term: string; corrections: string[]; known: boolean; ndoc: string | null; total: number }[]>(
    `select w.term, w.known,
            case when not w.correctable or w.lexeme is null or exists (select 1 from search_terms s where s.term = w.lexeme) then '{}'::text[]
                 else array(select search_corrections(w.lexeme)) end as corrections,
            case when w.known then (select sum(s.ndoc) from search_terms s
                   where s.term = w.lexeme or (w.term = ? and s.term >= w.lexeme and s.term < w.lexeme || chr(1114111))) end as ndoc,
            (select greatest(reltuples, 0)::int from pg_class where oid = 'search_documents'::regclass) as total
       from (select q.term, q.correctable, lexeme, lexeme ~ '^[^0-9_@./~-]{3,40}$' as known
               from unnest(?::text[], ?::boolean[]) as q(term, correctable),
               lateral (select (select l from unnest(tsvector_to_array(to_tsvector('mehrdesk_search', q.term))) l limit 1) as lexeme) x) w`,
    [prefix ?? '', pgArray(words), pgArray(words.map((w) => String(w.length >= MIN_CORRECTABLE && CORRECTABLE.test(w))))],
  );
  let total = 0;
  for (const r of rows) {
    total = r.total;
    out.set(r.term, { corrections: r.corrections, documents: r.known ? Number(r.ndoc ?? 0) : null });
  }
  // A misspelt word matches what its corrections match: at least the most of its own count
  // (a prefix's completions may already hold them) and theirs.
  const fixes = [...new Set(rows.flatMap((r) => r.corrections))];
  if (fixes.length) {
    const counts = await em.execute<{ term: string; ndoc: number }[]>(`select term, ndoc from search_terms where term = any(?::text[])`, [pgArray(fixes)]);
    const byTerm = new Map(counts.map((c) => [c.term, c.ndoc]));
    for (const stats of out.values())
      if (stats.corrections.length && stats.documents !== null)
        stats.documents = Math.max(
          stats.documents,
          stats.corrections.reduce((n, c) => n + (byTerm.get(c) ?? 0), 0),
        );
  }
  return { terms: out, documents: total };
}

export interface TsQuery {
  text: string;
  /** For a query with phrases: the same words without adjacency (answered by the index alone). */
  words: string | null;
  /**
   * Documents expected to match (the rarest word's count, with its corrections or prefix
   * completions) out of all documents, as of the last rebuild; null when no word's count is known.
   */
  estimate: { matches: number; documents: number } | null;
}

/** `to_tsquery` input for the query, or null when nothing searchable is left. */
export async function toTsQuery(em: EntityManager, q: ParsedQuery): Promise<TsQuery | null> {
  const prefixTerm = q.prefixLast ? q.terms[q.terms.length - 1]! : null;
  // Numbers and identifiers (order numbers, BN-2026-100000) are typed whole: as a prefix,
  // their first part (`bn`, every ticket number) would match nearly every document.
  const prefix = prefixTerm !== null && !/\p{N}/u.test(prefixTerm) ? prefixTerm : null;
  const stats = await termStats(em, [...q.phrases.flat(), ...q.terms], prefix);
  const parts: string[] = [];
  const termParts: string[] = [];
  q.phrases.forEach((p) => parts.push(`(${p.map(quote).join(' <-> ')})`));
  q.terms.forEach((term, i) => {
    const star = prefix !== null && i === q.terms.length - 1 ? ':*' : '';
    const fixes = CORRECTABLE.test(term) ? (stats.terms.get(term)?.corrections ?? []) : [];
    const alternatives = [`${quote(term)}${star}`, ...fixes.map(quote)];
    termParts.push(alternatives.length > 1 ? `(${alternatives.join(' | ')})` : alternatives[0]!);
  });
  parts.push(...termParts);
  if (!parts.length) return null;
  const words = q.phrases.length ? [...q.phrases.flat().map(quote), ...termParts].join(' & ') : null;
  const counts = [...stats.terms.values()].map((s) => s.documents).filter((n): n is number => n !== null);
  const estimate = counts.length && stats.documents > 0 ? { matches: Math.min(...counts), documents: stats.documents } : null;
  return { text: parts.join(' & '), words, estimate };
}
