import { normalizeSearchText } from './normalize';

// What a search box holds, turned into terms every backend can use. Work per query is bounded:
// at most MAX_TERMS words of at most MAX_TERM_LENGTH letters, whatever was pasted in.

export const MAX_QUERY_LENGTH = 200;
export const MAX_TERMS = 8;
export const MAX_TERM_LENGTH = 40;

export interface ParsedQuery {
  /** Single words (normalised), in order. */
  terms: string[];
  /** Quoted phrases: each a list of normalised words that must appear next to each other. */
  phrases: string[][];
  /** The last word is still being typed: match it as a prefix. */
  prefixLast: boolean;
  /** The normalised query, for backends that take a string. */
  text: string;
}

const WORD = /[\p{L}\p{N}]+(?:[-_.@][\p{L}\p{N}]+)*/gu;

function words(s: string): string[] {
  return [...s.matchAll(WORD)].map((m) => m[0].slice(0, MAX_TERM_LENGTH));
}

export function parseQuery(raw: string): ParsedQuery {
  const text = normalizeSearchText(raw.slice(0, MAX_QUERY_LENGTH)).replace(/\s+/g, ' ');
  const phrases: string[][] = [];
  const rest = text.replace(/"([^"]*)"/g, (_m, inner: string) => {
    const ws = words(inner);
    if (ws.length > 1) phrases.push(ws);
    else if (ws.length === 1) return ` ${ws[0]} `;
    return ' ';
  });
  const terms = words(rest);
  // Budget: phrases first (they were asked for explicitly), then single words.
  let budget = MAX_TERMS;
  const keptPhrases = phrases.filter((p) => (budget -= p.length) >= 0);
  const keptTerms = terms.slice(0, Math.max(0, budget));
  const endsInWord = /[\p{L}\p{N}]$/u.test(text) && !text.endsWith('"');
  return {
    terms: keptTerms,
    phrases: keptPhrases,
    prefixLast: endsInWord && keptTerms.length > 0 && keptTerms.length === terms.length,
    text: [...keptPhrases.map((p) => `"${p.join(' ')}"`), ...keptTerms].join(' '),
  };
}

export const isEmptyQuery = (q: ParsedQuery) => q.terms.length === 0 && q.phrases.length === 0;
