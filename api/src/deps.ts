import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import type { SearchBackend } from '@mehrdesk/search';

/** Everything the API needs, built by main.ts (or a test) and passed in: no module singletons. */
export interface AppDeps {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  log: Logger;
  /** The search backend (PostgreSQL, or Meilisearch when MEILI_HOST is set). */
  search: SearchBackend;
}

/** What the ticket use cases need (channels such as inbound e-mail call them without search). */
export type CoreDeps = Omit<AppDeps, 'search'>;
