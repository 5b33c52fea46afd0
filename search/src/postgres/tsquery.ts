import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import type { ParsedQuery } from '../query';

// A parsed query as `to_tsquery` text for the `mehrdesk_search` configuration. Words the index
// has never seen are widened with the closest indexed words (pg_trgm candidates, then
// Levenshtein: search_corrections() in the migration), which is how typos still find things.

const MIN_CORRECTABLE = 3;
/** Only letters can be misspelt; numbers and identifiers must match as typed. */
const CORRECTABLE = /^\p{L}+$/u;

const quote = (word: string) => `'${word.replace(/['\\]/g, '')}'`;

async function corrections(em: EntityManager, terms: string[]): Promise<Map<string, string[]>> {
  const candidates = [...new Set(terms.filter((t) => t.length >= MIN_CORRECTABLE && CORRECTABLE.test(t)))];
  const out = new Map<string, string[]>();
  if (candidates.length === 0) return out;
  const rows = await em.execute<{ term: string; corrections: string[] }[]>(
    `select w.term,
            case when w.lexeme is null or exists (select 1 from search_terms s where s.term = w.lexeme) then '{}'::text[]
                 else array(select search_corrections(w.lexeme)) end as corrections
       from (select q.term, (select l from unnest(tsvector_to_array(to_tsvector('mehrdesk_search', q.term))) l limit 1) as lexeme
               from unnest(?::text[]) as q(term)) w`,
    [pgArray(candidates)],
  );
  for (const r of rows) if (r.corrections.length) out.set(r.term, r.corrections);
  return out;
}

/** `to_tsquery` input for the query, or null when nothing searchable is left. */
export async function toTsQuery(em: EntityManager, q: ParsedQuery): Promise<string | null> {
  const fixes = await corrections(em, q.terms);
  const parts: string[] = [];
  q.phrases.forEach((p) => parts.push(`(${p.map(quote).join(' <-> ')})`));
  q.terms.forEach((term, i) => {
    const prefix = q.prefixLast && i === q.terms.length - 1 ? ':*' : '';
    const alternatives = [`${quote(term)}${prefix}`, ...(fixes.get(term) ?? []).map(quote)];
    parts.push(alternatives.length > 1 ? `(${alternatives.join(' | ')})` : alternatives[0]!);
  });
  return parts.length ? parts.join(' & ') : null;
}
