import { loadConfig } from '@mehrdesk/core/config';
import { openOrm } from '@mehrdesk/core/db';

// Diff the entities against a database migrated to the latest committed migration and write
// the next migration file; append it to core/src/db/migrations/index.ts afterwards.
const name = process.argv[2];
if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) {
  console.error('usage: ./mehrdesk migration:create <PascalCaseName>');
  process.exit(2);
}
const orm = await openOrm(loadConfig().DATABASE_URL, { poolMax: 2 });
try {
  const r = await orm.migrator.create(undefined, false, false, name);
  console.log(r.fileName ? `created ${r.fileName}: add it to core/src/db/migrations/index.ts` : 'no schema changes');
} finally {
  await orm.close();
}
