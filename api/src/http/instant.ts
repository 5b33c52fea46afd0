import { z } from 'zod';

// Instants clients send (list filters) or get back inside cursors. Accepted: a real calendar
// date and time (zod refuses 2026-02-30, month 13, 24:00) whose instant lies in UTC years
// 1970..9999. Later than that, `toISOString()` writes an expanded year (`+010000-…`) that
// PostgreSQL cannot read, and year 0 does not exist there; nothing in the system predates 1970.

export const MIN_INSTANT_MS = Date.UTC(1970, 0, 1);
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const INSTANT_RANGE_MESSAGE = 'must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';

export const inInstantRange = (ms: number): boolean => Number.isFinite(ms) && ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS;

/** An ISO 8601 date-time with `Z` or an offset, e.g. 2026-03-01T08:00:00+03:30; stays a string. */
export const instant = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with Z or an offset, e.g. 2026-03-01T08:00:00Z', abort: true })
  .refine((s) => inInstantRange(Date.parse(s)), INSTANT_RANGE_MESSAGE);

/**
 * A UTC timestamp written as `YYYY-MM-DDTHH:MM:SS[.fraction]Z` that names a real instant in
 * range: the round trip through Date must give back the same calendar fields (so no
 * 2026-02-30 rolling over to March, and no 24:00).
 */
export function isRealUtcTimestamp(text: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?Z$/.exec(text);
  if (!m) return false;
  const ms = Date.parse(`${m[1]}Z`);
  return inInstantRange(ms) && new Date(ms).toISOString().slice(0, 19) === m[1];
}
