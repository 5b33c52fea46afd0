import type { SearchFilters, SearchViewer } from '../contract';

// Tokens: what keeps a search's work bounded however many documents match. Every tsvector
// carries positionless lexemes starting with `~` (search_tokens() in
// Migration20261202100000_SearchRecency; nobody can type one), and a query adds the ones it
// needs to its words, so the GIN index intersects a few posting lists in one scan instead of
// the database checking matches row by row:
// - recency windows: a staff search looks at the newest documents first (every document
//   updated since some day) and widens only while it finds too few. For k = 0…6, `~b<k>_<n>`
//   means the document's UTC day is in the n-th aligned block of 2^k days since 1970-01-01; a
//   window from day `first` to day `last` is at most MAX_BLOCKS tokens of one size, OR-ed;
// - filters and visibility: `~s.open` for a status, `~g.4` for a group, and so on. The SQL
//   conditions on the columns (visibility.ts) are still part of every query: tokens make a
//   query cheap, never decide what a viewer may see.

export const BLOCK_BASE = 2;
export const BLOCK_LEVELS = 13;
/** A GIN scan costs about half a millisecond per OR-ed token: a few, of the finest size that fits. */
export const MAX_BLOCKS = 3;

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 (UTC) of an ISO date (`2026-12-02`). */
export function dayNumber(isoDate: string): number {
  const ms = Date.parse(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`Not a date: ${isoDate}`);
  return Math.floor(ms / DAY_MS);
}

export interface Window {
  /** The OR of block tokens, as `to_tsquery` text. */
  tokens: string[];
  /** The days the blocks cover (a superset of first…last). */
  from: number;
  to: number;
}

/**
 * The fewest blocks of one size covering the days first…last, or null when even the largest
 * blocks need more than MAX_BLOCKS (the window is then the whole index).
 */
export function windowOf(first: number, last: number): Window | null {
  if (!Number.isInteger(first) || !Number.isInteger(last) || first > last) throw new Error(`Bad window ${first}…${last}`);
  for (let k = 0; k < BLOCK_LEVELS; k++) {
    const size = BLOCK_BASE ** k;
    const a = Math.floor(first / size);
    const b = Math.floor(last / size);
    if (b - a + 1 > MAX_BLOCKS) continue;
    const tokens: string[] = [];
    for (let n = a; n <= b; n++) tokens.push(`~b${k}_${n}`);
    return { tokens, from: a * size, to: (b + 1) * size - 1 };
  }
  return null;
}

/** The tokens a document has for its filter values (the names match search_tokens()). */
const FILTER_TOKENS = {
  types: '~k.',
  status: '~s.',
  priority: '~p.',
  groupId: '~g.',
  categoryId: '~c.',
  kbCategoryId: '~kc.',
  lang: '~l.',
} as const satisfies Partial<Record<keyof SearchFilters, string>>;

/** The search_documents column of each filter with tokens. */
export const FILTER_COLUMNS = {
  types: 'kind',
  status: 'status',
  priority: 'priority',
  groupId: 'group_id',
  categoryId: 'category_id',
  kbCategoryId: 'kb_category_id',
  lang: 'lang',
} as const satisfies Record<keyof typeof FILTER_TOKENS, string>;

/** Published public articles. */
const PUBLIC_ARTICLE = '~pub';

/**
 * Each inner list is OR-ed, the lists AND-ed: the viewer's scope, then one list per filter. A
 * token pays when it is selective: a customer's own tickets, public articles, a filter someone
 * chose. An agent's groups hold a large share of all tickets, and OR-ing their long posting
 * lists costs the GIN scan more than checking the group on the rows found.
 */
export function filterTokenGroups(viewer: SearchViewer, filters: SearchFilters | undefined): string[][] {
  const groups: string[][] = [];
  if (viewer.kind === 'customer') groups.push([`~r.${viewer.userId}`, PUBLIC_ARTICLE]);
  else if (viewer.kind === 'public') groups.push([PUBLIC_ARTICLE]);
  for (const [field, prefix] of Object.entries(FILTER_TOKENS) as [keyof typeof FILTER_TOKENS, string][]) {
    const values = filters?.[field];
    if (values?.length) groups.push(values.map((v) => `${prefix}${v}`));
  }
  return groups;
}

/** Token groups (and a window) as tsquery text to AND with the words, or null when there are none. */
export function tokenTsQuery(groups: string[][], window: Window | null): string | null {
  const all = window ? [...groups, window.tokens] : groups;
  if (all.length === 0) return null;
  return all.map((g) => `(${g.map((t) => `'${t.replace(/['\\]/g, '')}'`).join(' | ')})`).join(' & ');
}
