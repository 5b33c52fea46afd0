// PostgreSQL down, restarting, out of connections, or too slow (a held lock, a statement over
// its timeout, no pooled connection in time): the request cannot be served now but may be in a
// moment, so it answers 503 with Retry-After rather than 500 — and rather than waiting without
// bound (the pool's acquire, lock and statement timeouts: core/src/db/orm.ts).

/** Connection errors of the driver (Node's socket codes). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
/** SQLSTATEs: class 08 (connection), admin shutdown / crash / cannot connect now, too many connections, statement timeout, lock not available. */
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300|57014|55P03)$/;
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down)/i;

/** Whether `err` (or an error it wraps) says the database is unreachable or too slow right now. */
export function databaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATE.test(code))) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    // MikroORM wraps the driver's error in `previous`; others use `cause`.
    e = (e as { previous?: unknown }).previous ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a client should wait before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
