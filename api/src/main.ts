import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { createLogger } from '@mehrdesk/core/logger';
import { openOrm } from '@mehrdesk/core/db';
import { apiDbTimeouts } from './db-timeouts';
import { buildApp } from './app';
import { startReconciler } from './reconciler';
import { startUploadSweeper } from './uploads/sweeper';
import { startPeriodic } from './ops/periodic';
import { purgeExpiredLinkRecords } from '@mehrdesk/core/services/signed-links';
import { purgeExpiredAudit } from '@mehrdesk/core/services/audit';
import { createSearchBackend } from '@mehrdesk/search/select-backend';

const config = loadConfig();
const log = createLogger('api', config.LOG_LEVEL);
const orm = await openOrm(config.DATABASE_URL, { poolMax: config.DB_POOL_MAX, timeouts: apiDbTimeouts(config) });
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
const deps = { config, orm, temporal, log, search: createSearchBackend(config, orm, log) };
const stopReconciler = startReconciler(deps);
const stopUploadSweeper = startUploadSweeper(deps);
const stopLinkPurge = startPeriodic(log, 'expired link purge', 60 * 60_000, async () => {
  const purged = await purgeExpiredLinkRecords(orm.em.fork());
  if (purged.nonces || purged.signups) log.info(purged, 'expired link records deleted');
});
// Audit log retention (the admin's setting, else AUDIT_RETENTION_DAYS); safe on every replica.
const stopAuditRetention = startPeriodic(log, 'audit retention', 60 * 60_000, async () => {
  const deleted = await purgeExpiredAudit(orm.em.fork(), config);
  if (deleted) log.info({ deleted }, 'expired audit log entries deleted');
});

const app = buildApp(deps);
const server = app.listen(config.PORT, () => log.info({ port: config.PORT }, 'api listening'));
server.keepAliveTimeout = 65_000;

async function shutdown(sig: string) {
  log.info({ sig }, 'shutting down');
  stopReconciler();
  stopUploadSweeper();
  stopLinkPurge();
  stopAuditRetention();
  // Ends live event streams (with an `end` event) and closes the LISTEN and Redis connections.
  await (app.locals.close as () => Promise<void>)().catch((err: unknown) => log.warn({ err }, 'closing the app failed'));
  server.close();
  server.closeAllConnections();
  await connection.close();
  await orm.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
