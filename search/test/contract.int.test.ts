import { afterAll } from 'vitest';
import { createPostgresBackend } from '../src/postgres/backend';
import { describeSearchContract } from './contract';
import { freshDatabase, type FreshDatabase } from './fresh-database';

// The contract suite against the PostgreSQL backend (always) — see meili.int.test.ts for
// Meilisearch, which runs when MEILI_HOST is reachable.

let db: FreshDatabase | undefined;
afterAll(() => db?.drop());

describeSearchContract('postgres', async () => {
  db = await freshDatabase('search_contract');
  return { orm: db.orm, backend: createPostgresBackend(db.orm) };
});
