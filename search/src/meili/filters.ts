import type { SearchFilters, SearchViewer } from '../contract';

// Who may find what, and the caller's filters, as one Meilisearch `filter` expression: it is
// part of every search request, so nothing a viewer may not see is ever matched, counted in a
// facet or returned. The same rules as postgres/visibility.ts (and core's canSeeTicket): admins
// and supervisors everything, agents tickets of their groups or assigned to them, customers
// their own tickets, anonymous readers and customers only published public articles, customer
// records only for staff.

/** A condition no document satisfies (an empty `IN` list is an empty union). */
export const MATCH_NOTHING = 'id IN []';

/**
 * A string as a filter literal. Inside double quotes Meilisearch reads `\"` as a quote and
 * every other backslash as itself, except that a backslash also swallows the character after it
 * while it looks for the closing quote: a value with a backslash cannot always be written
 * exactly. Such values are refused (null), and the caller treats them as matching nothing.
 */
export function filterString(value: string): string | null {
  if (value.includes('\\')) return null;
  return `"${value.replaceAll('"', '\\"')}"`;
}

/** Ids are integers; anything else cannot match one. */
export function filterNumber(value: number): string | null {
  return Number.isSafeInteger(value) ? String(value) : null;
}

function literal(value: string | number): string | null {
  return typeof value === 'number' ? filterNumber(value) : filterString(value);
}

/** `attr IN [...]` over the values that can be written; none of them left → nothing matches. */
export function inList(attribute: string, values: readonly (string | number)[]): string {
  const literals = values.map(literal).filter((v): v is string => v !== null);
  return literals.length ? `${attribute} IN [${literals.join(', ')}]` : MATCH_NOTHING;
}

function userId(id: number): string {
  const n = filterNumber(id);
  if (n === null) throw new Error(`Not a user id: ${id}`);
  return n;
}

const PUBLIC_ARTICLES = 'kind = "article" AND publicVisible = true';

/** The viewer's scope, or null when it sees every document (admins, supervisors). */
export function viewerFilter(viewer: SearchViewer): string | null {
  switch (viewer.kind) {
    case 'staff': {
      if (viewer.role !== 'agent') return null;
      const own = [`kind != "ticket"`, `assigneeId = ${userId(viewer.userId)}`];
      if (viewer.groupIds.length) own.push(inList('groupId', viewer.groupIds));
      return own.join(' OR ');
    }
    case 'customer':
      return `(kind = "ticket" AND requesterId = ${userId(viewer.userId)}) OR (${PUBLIC_ARTICLES})`;
    case 'public':
      return PUBLIC_ARTICLES;
  }
}

/** One condition per requested filter (values of one filter are alternatives; filters combine with AND). */
export function requestFilters(f: SearchFilters | undefined): string[] {
  if (!f) return [];
  const out: string[] = [];
  const add = (attribute: string, values: readonly (string | number)[] | undefined) => {
    if (values?.length) out.push(inList(attribute, values));
  };
  add('kind', f.types);
  add('status', f.status);
  add('priority', f.priority);
  add('groupId', f.groupId);
  add('categoryId', f.categoryId);
  add('kbCategoryId', f.kbCategoryId);
  add('lang', f.lang);
  add('id', f.ids);
  // A document matches when it carries any of the tags (like `tags && ?` in PostgreSQL).
  add('tags', f.tag);
  return out;
}

/** The whole `filter` parameter: the viewer's scope AND every filter; undefined when there is none. */
export function buildFilter(viewer: SearchViewer, filters?: SearchFilters): string | undefined {
  const parts = [viewerFilter(viewer), ...requestFilters(filters)].filter((p): p is string => p !== null);
  if (parts.length === 0) return undefined;
  return parts.map((p) => `(${p})`).join(' AND ');
}
