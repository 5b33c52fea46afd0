import { loadConfig } from '@mehrdesk/core/config';
import { createLogger } from '@mehrdesk/core/logger';
import { openOrm } from '@mehrdesk/core/db';
import { RebuildAlreadyRunning, requestRebuild, runRebuild } from '@mehrdesk/search';
import { createSearchBackend } from '@mehrdesk/search/select-backend';

// `./mehrdesk reindex`: rebuild every search index from PostgreSQL, in this process, while the
// system keeps running (the live index answers until the swap; the worker's drain writes every
// change meanwhile to both). The same work admins start with POST /api/v1/search/reindex.

const config = loadConfig();
const log = createLogger('reindex', config.LOG_LEVEL);
const orm = await openOrm(config.DATABASE_URL, { poolMax: 4 });
const backend = createSearchBackend(config, orm, log);
let code = 0;
try {
  await backend.prepare();
  const started = performance.now();
  const status = await requestRebuild(orm, backend, null);
  let last = 0;
  const done = await runRebuild(orm, backend, status.id, ({ done, total }) => {
    if (performance.now() - last < 1000 && done < total) return;
    last = performance.now();
    process.stdout.write(`\r[reindex] ${done} / ${total} documents (${total ? Math.floor((100 * done) / total) : 100} %)   `);
  });
  const stats = await backend.stats();
  console.log(
    `\n[reindex] ${backend.name}: ${done.done} documents rebuilt in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `the index holds ${stats.documents}${stats.bytes === null ? '' : ` (${(stats.bytes / 1024 / 1024).toFixed(1)} MiB)`}`,
  );
} catch (err) {
  code = 1;
  if (err instanceof RebuildAlreadyRunning) console.error(`[reindex] ${err.message} (started ${err.running.startedAt}); not starting another`);
  else console.error('[reindex] failed:', err);
} finally {
  await backend.close();
  await orm.close();
}
process.exit(code);
