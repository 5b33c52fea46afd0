import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import type { SearchBackend } from '@mehrdesk/search';
import type { ConfigCache } from '@mehrdesk/core/services/config-cache';
import type { StartedMarks } from '@mehrdesk/usecases/tickets/started-marks';
import type { AdmissionGate } from '@mehrdesk/usecases/tickets/admission';

/** Everything the API needs, built by main.ts (or a test) and passed in: no module singletons. */
export interface AppDeps {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  log: Logger;
  /** The search backend (PostgreSQL, or Meilisearch when MEILI_HOST is set). */
  search: SearchBackend;
  /** Configuration kept between requests; buildApp creates it and its LISTEN connection keeps it current. */
  configCache?: ConfigCache;
  /** Batched "workflow started" marks of new tickets (buildApp creates it). */
  startedMarks?: StartedMarks;
  /** Refuses new tickets while the workflow task queue is backed up (buildApp creates it). */
  admission?: AdmissionGate;
}

/** What the ticket use cases need (channels such as inbound e-mail call them without search). */
export type CoreDeps = Omit<AppDeps, 'search'>;
