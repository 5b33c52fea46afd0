import { afterAll, describe, it } from 'vitest';
import { createMeiliBackend } from '../src/meili/backend';
import { meiliReachable } from '../src/select-backend';
import { describeSearchContract } from './contract';
import { freshDatabase, type FreshDatabase } from './fresh-database';

// The same contract suite against Meilisearch, whenever MEILI_HOST answers (docker-compose sets
// it). No Meilisearch binary can be installed on the machines this project is developed on, so
// there the suite reports itself skipped rather than passing vacuously.

const host = process.env.MEILI_HOST ?? '';
const reachable = await meiliReachable(host);
let db: FreshDatabase | undefined;
afterAll(() => db?.drop());

if (reachable) {
  describeSearchContract('meilisearch', async () => {
    db = await freshDatabase('search_meili');
    const prefix = `contract_${Date.now().toString(36)}`;
    return { orm: db.orm, backend: createMeiliBackend({ host, apiKey: process.env.MEILI_MASTER_KEY ?? '', indexPrefix: prefix }) };
  });
} else {
  describe.skip(`search contract: meilisearch (MEILI_HOST ${host ? `${host} unreachable` : 'not set'})`, () => {
    it('runs when a Meilisearch server is reachable', () => undefined);
  });
}
