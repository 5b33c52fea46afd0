import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import { coreEntities } from './entities';
import { automationEntities } from './automation-entities';
import { webhookEntities } from './webhook-entities';
import { inboundEntities } from './inbound-entities';
import { notificationEntities } from './notification-entities';
import { consoleEntities } from './console-entities';
import { opsEntities } from './ops-entities';
import { settingsEntities } from './settings-entities';
import { kbEntities } from './kb-entities';
import { surveyEntities } from './survey-entities';

const entities = [
  ...coreEntities,
  ...automationEntities,
  ...webhookEntities,
  ...inboundEntities,
  ...notificationEntities,
  ...consoleEntities,
  ...opsEntities,
  ...settingsEntities,
  ...kbEntities,
  ...surveyEntities,
];
import { migrationsList } from './migrations';

const migrationsDir = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * How long a process waits on the database before giving up (0 or absent: no limit). The API
 * sets them so a slow or locked database answers 503 instead of piling requests up; the worker's
 * activities retry, so it waits longer.
 */
export interface DbTimeouts {
  /** For a connection from the pool (all in use, or the server not answering). */
  acquireTimeoutMs?: number;
  /** For one statement (`statement_timeout`). */
  statementTimeoutMs?: number;
  /** For one lock (`lock_timeout`). */
  lockTimeoutMs?: number;
}

/** One configuration for api, worker, scripts and tests; only the URL, pool and timeouts differ. */
export function ormConfig(databaseUrl: string, opts: { poolMax?: number; debug?: boolean; timeouts?: DbTimeouts } = {}): Options {
  const t = opts.timeouts ?? {};
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: opts.poolMax ?? 10 },
    // node-postgres's Pool and Client options, passed through unchanged.
    driverOptions: {
      ...(t.acquireTimeoutMs ? { connectionTimeoutMillis: t.acquireTimeoutMs } : {}),
      ...(t.statementTimeoutMs ? { statement_timeout: t.statementTimeoutMs } : {}),
      ...(t.lockTimeoutMs ? { lock_timeout: t.lockTimeoutMs } : {}),
    },
    debug: opts.debug ?? false,
    // Entities are plain objects from defineEntity: discovery needs no reflection.
    discovery: { checkDuplicateFieldNames: true },
    migrations: {
      path: migrationsDir,
      pathTs: migrationsDir,
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      snapshotOnMigrate: false,
      silent: true,
      snapshotName: '.snapshot-mehrdesk',
    },
    // Fail fast instead of silently using the global EntityManager: every request and
    // activity must fork its own.
    allowGlobalContext: false,
  });
}

export async function openOrm(databaseUrl: string, opts: { poolMax?: number; timeouts?: DbTimeouts } = {}): Promise<MikroORM> {
  return MikroORM.init(ormConfig(databaseUrl, opts));
}

export async function migrateUp(orm: MikroORM): Promise<string[]> {
  const done = await orm.migrator.up();
  return done.map((m) => m.name);
}

export type { MikroORM };
