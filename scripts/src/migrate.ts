import { loadConfig } from '@mehrdesk/core/config';
import { migrateUp, openOrm } from '@mehrdesk/core/db';
import { seedDemo } from '@mehrdesk/core/db/seed';

// Apply pending migrations (and, with --seed, the demo data). Used by the launcher and by the
// docker-compose `migrate` service.
const config = loadConfig();
const orm = await openOrm(config.DATABASE_URL, { poolMax: 2 });
try {
  const applied = await migrateUp(orm);
  console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: up to date');
  if (process.argv.includes('--seed')) console.log((await seedDemo(orm.em.fork())) ? 'demo data seeded' : 'demo data already present');
} finally {
  await orm.close();
}
