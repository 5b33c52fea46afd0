import { randomBytes } from 'node:crypto';
import { migrateUp, openOrm, type MikroORM } from '@mehrdesk/core/db';
import { requireEnv } from '@mehrdesk/scripts/testing/harness';

// A database of its own, migrated, for tests that count everything an index holds: the
// shared test database has every other file's tickets in it.

export interface FreshDatabase {
  url: string;
  orm: MikroORM;
  drop(): Promise<void>;
}

export async function freshDatabase(prefix: string): Promise<FreshDatabase> {
  const base = new URL(requireEnv('DATABASE_URL'));
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = await openOrm(base.toString(), { poolMax: 1 });
  await admin.em.fork().execute(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const orm = await openOrm(url.toString(), { poolMax: 10 });
  await migrateUp(orm);
  return {
    url: url.toString(),
    orm,
    async drop() {
      await orm.close();
      await admin.em.fork().execute(`drop database if exists ${name} with (force)`);
      await admin.close();
    },
  };
}
