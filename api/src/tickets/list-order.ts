import { unprocessable } from '../http/errors';
import { isRealUtcTimestamp } from '../http/instant';
import { isInt4Id } from '../http/params';

// Sort orders of the ticket list and their keyset cursors. Every order ends with the id as a
// tie-breaker, so paging is stable while tickets are created or changed, and costs O(limit)
// with the matching index (Migration…_LiveConsole). The cursor is opaque to clients:
// base64url of [sort, last key, last id], checked against the sort it is used with.

export const TICKET_SORTS = ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'priority', '-priority', 'dueAt', '-dueAt'] as const;
export type TicketSort = (typeof TICKET_SORTS)[number];

interface SortKey {
  /** SQL of the key (must match the index expression); `t` is the tickets alias. */
  sql: string;
  kind: 'time' | 'rank';
  /** Tickets without a key (no running SLA clock) come last in both directions. */
  nullable: boolean;
}

const KEYS: Record<string, SortKey> = {
  createdAt: { sql: 't.created_at', kind: 'time', nullable: false },
  updatedAt: { sql: 't.updated_at', kind: 'time', nullable: false },
  // Business order (urgent above high), not the alphabetical order of the stored words.
  priority: { sql: `(case t.priority when 'low' then 0 when 'normal' then 1 when 'high' then 2 when 'urgent' then 3 end)`, kind: 'rank', nullable: false },
  // The nearest running SLA deadline.
  dueAt: { sql: 'least(t.first_response_due_at, t.resolution_due_at)', kind: 'time', nullable: true },
};

export interface KeysetOrder {
  /** Selected as `sort_key`: the last row's key goes into the next cursor. */
  keySelect: string;
  orderBy: string;
  /** Rows after the cursor, with its parameters; null without a cursor. */
  after: { sql: string; params: unknown[] } | null;
}

interface Cursor {
  sort: TicketSort;
  key: string | number | null;
  id: number;
}

// Time keys travel as UTC text with microseconds: PostgreSQL keeps them, a JS Date would not,
// and a key rounded to milliseconds would skip rows on the page boundary. A key must also name
// a real instant in range (no 2026-02-30, no year 0), or PostgreSQL's cast would fail.
const TIME_TEXT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
const TIME_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(sort: TicketSort, key: string | number | null, id: number): string {
  return Buffer.from(JSON.stringify([sort, key, id])).toString('base64url');
}

const invalidCursor = (message = 'Not a cursor returned by this API') => unprocessable('Invalid cursor', [{ path: 'query.cursor', message }]);

function decodeCursor(raw: string, sort: TicketSort, key: SortKey): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString());
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalidCursor();
  const [s, k, id] = parsed as [unknown, unknown, unknown];
  if (!(TICKET_SORTS as readonly unknown[]).includes(s) || !isInt4Id(id)) throw invalidCursor();
  if (s !== sort) throw invalidCursor(`This cursor pages sort=${String(s)}; ask again without a cursor to change the order`);
  const keyOk = k === null ? key.nullable : key.kind === 'time' ? typeof k === 'string' && TIME_KEY.test(k) && isRealUtcTimestamp(k) : Number.isInteger(k) && (k as number) >= 0 && (k as number) <= 3;
  if (!keyOk) throw invalidCursor();
  return { sort, key: k as string | number | null, id };
}

export function keysetOrder(sort: TicketSort, cursor: string | undefined): KeysetOrder {
  const desc = sort.startsWith('-');
  const key = KEYS[desc ? sort.slice(1) : sort]!;
  const dir = desc ? 'desc' : 'asc';
  const cmp = desc ? '<' : '>';
  const cast = key.kind === 'time' ? '::timestamptz' : '::int';
  const keySelect = key.kind === 'time' ? `to_char(${key.sql} at time zone 'UTC', ${TIME_TEXT}) as sort_key` : `${key.sql} as sort_key`;
  const orderBy = `${key.sql} ${dir}${key.nullable ? ' nulls last' : ''}, t.id ${dir}`;
  if (cursor === undefined) return { keySelect, orderBy, after: null };
  const c = decodeCursor(cursor, sort, key);
  if (c.key === null) return { keySelect, orderBy, after: { sql: `${key.sql} is null and t.id ${cmp} ?`, params: [c.id] } };
  const rowAfter = `(${key.sql}, t.id) ${cmp} (?${cast}, ?)`;
  return { keySelect, orderBy, after: { sql: key.nullable ? `(${rowAfter} or ${key.sql} is null)` : rowAfter, params: [c.key, c.id] } };
}
