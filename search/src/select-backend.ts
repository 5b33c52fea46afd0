import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import type { SearchBackend } from './contract';
import { createMeiliBackend } from './meili/backend';
import { createPostgresBackend } from './postgres/backend';

// Which backend answers: Meilisearch when MEILI_HOST is set, otherwise PostgreSQL (the embedded
// default). The choice is logged once, and `backend.name` shows it in /readyz and search answers.

export function createSearchBackend(config: Config, orm: MikroORM, log?: Logger): SearchBackend {
  if (config.MEILI_HOST) {
    // The origin only: credentials in the URL stay out of the logs.
    log?.info({ backend: 'meilisearch', host: new URL(config.MEILI_HOST).origin, indexPrefix: config.MEILI_INDEX_PREFIX }, 'search backend: Meilisearch');
    return createMeiliBackend({ host: config.MEILI_HOST, apiKey: config.MEILI_MASTER_KEY, indexPrefix: config.MEILI_INDEX_PREFIX });
  }
  log?.info({ backend: 'postgres' }, 'search backend: PostgreSQL (MEILI_HOST is not set)');
  return createPostgresBackend(orm);
}

/** Whether a Meilisearch server answers `GET /health` at `host` within `timeoutMs` (tests decide with it whether to run). */
export async function meiliReachable(host: string, timeoutMs = 1500): Promise<boolean> {
  if (!host) return false;
  try {
    const res = await fetch(new URL('health', host.endsWith('/') ? host : `${host}/`), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = (await res.json()) as { status?: unknown };
    return body.status === 'available';
  } catch {
    return false;
  }
}
