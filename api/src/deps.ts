import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';

/** Everything the API needs, built by main.ts (or a test) and passed in: no module singletons. */
export interface AppDeps {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  log: Logger;
}
