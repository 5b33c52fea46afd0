import type { Config } from '@mehrdesk/core/config';
import type { DbTimeouts } from '@mehrdesk/core/db';

/** The API's limits on waiting for PostgreSQL (API_DB_*), for its ORM (main.ts, and the test harness's in-process API). */
export const apiDbTimeouts = (c: Pick<Config, 'API_DB_ACQUIRE_TIMEOUT_MS' | 'API_DB_STATEMENT_TIMEOUT_MS' | 'API_DB_LOCK_TIMEOUT_MS'>): DbTimeouts => ({
  acquireTimeoutMs: c.API_DB_ACQUIRE_TIMEOUT_MS,
  statementTimeoutMs: c.API_DB_STATEMENT_TIMEOUT_MS,
  lockTimeoutMs: c.API_DB_LOCK_TIMEOUT_MS,
});
