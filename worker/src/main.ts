import { Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfig } from '@mehrdesk/core/config';
import { createLogger } from '@mehrdesk/core/logger';
import { openOrm } from '@mehrdesk/core/db';
import { createMailer } from './email/mailer';
import { createTicketWorker } from './create-worker';

// Worker process: runs ticket workflows and their activities until SIGINT/SIGTERM, then drains.
const config = loadConfig();
const log = createLogger('worker', config.LOG_LEVEL);
Runtime.install({
  logger: new DefaultLogger('WARN', (entry) => log[entry.level === 'ERROR' ? 'error' : 'warn']({ ...entry.meta }, entry.message)),
});

const orm = await openOrm(config.DATABASE_URL, { poolMax: config.DB_POOL_MAX });
const mailer = createMailer(config.SMTP_URL);
const { worker, connection } = await createTicketWorker({ config, orm, mailer, log });

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { log.info({ sig }, 'shutting down'); worker.shutdown(); });
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker started');
try {
  await worker.run();
} finally {
  await connection.close();
  mailer.close();
  await orm.close();
  log.info('worker stopped');
}
