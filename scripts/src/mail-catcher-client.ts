// Tiny HTTP client for the mail catcher, for tests that assert on mail the system sent.
import type { CaughtMail, MailFilter } from './mail-catcher';

export type { CaughtMail, MailFilter };

export interface WaitForMailOptions {
  timeoutMs?: number;
  /** Resolve once at least this many messages match. */
  count?: number;
  /** Narrows the server-side listing polled each round (cheaper on a busy catcher). */
  filter?: MailFilter;
}

const POLL_MS = 100;

/** Newest first, like the API. */
export async function listMail(baseUrl: string, filter: MailFilter = {}): Promise<CaughtMail[]> {
  const q = new URLSearchParams();
  if (filter.to) q.set('to', filter.to);
  if (filter.from) q.set('from', filter.from);
  if (filter.subject) q.set('subject', filter.subject);
  if (filter.limit !== undefined) q.set('limit', String(filter.limit));
  const query = q.size ? `?${q}` : '';
  const res = await fetch(new URL(`/api/messages${query}`, baseUrl));
  if (!res.ok) throw new Error(`mail catcher: GET /api/messages → ${res.status} ${await res.text()}`);
  return (await res.json()) as CaughtMail[];
}

export async function clearMail(baseUrl: string): Promise<void> {
  const res = await fetch(new URL('/api/messages', baseUrl), { method: 'DELETE' });
  if (!res.ok) throw new Error(`mail catcher: DELETE /api/messages → ${res.status}`);
}

/**
 * Polls until `count` messages satisfy `predicate`, then returns every match in arrival
 * order (oldest first), so "the first reply" is `result[0]`.
 */
export async function waitForMail(baseUrl: string, predicate: (m: CaughtMail) => boolean, { timeoutMs = 15_000, count = 1, filter = {} }: WaitForMailOptions = {}): Promise<CaughtMail[]> {
  const deadline = Date.now() + timeoutMs;
  let seen: CaughtMail[] = [];
  let lastError: unknown;
  for (;;) {
    try {
      seen = await listMail(baseUrl, filter);
      lastError = undefined;
      const matches = seen.filter(predicate).reverse();
      if (matches.length >= count) return matches;
    } catch (err) {
      // The catcher may still be starting; keep polling but report it if we time out.
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }

  const matched = seen.filter(predicate).length;
  const listing = seen.length ? seen.map((m) => `  - ${JSON.stringify(m.subject)} → ${m.to.join(', ') || m.envelopeTo.join(', ')}`).join('\n') : '  (none)';
  throw new Error(
    `waitForMail: timed out after ${timeoutMs} ms waiting for ${count} matching message(s), ` +
      `${matched} matched. The catcher at ${baseUrl} had ${seen.length} message(s) (newest first):\n${listing}` +
      (lastError ? `\nLast request failed: ${String(lastError)}` : ''),
  );
}
