import { Runtime, DefaultLogger } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { createLogger } from '@mehrdesk/core/logger';
import { openOrm } from '@mehrdesk/core/db';
import { createMailer } from './email/mailer';
import { createTicketWorker } from './create-worker';
import { startInboundChannel, type InboundChannel } from './inbound/channel';
import { imapSourceOptions } from './inbound/imap';
import { startSearchIndexing } from './search/indexing';
import { createSearchBackend } from '@mehrdesk/search/select-backend';

// Worker process: runs ticket workflows and their activities until SIGINT/SIGTERM, then drains.
const config = loadConfig();
const log = createLogger('worker', config.LOG_LEVEL);
Runtime.install({
  logger: new DefaultLogger('WARN', (entry) => log[entry.level === 'ERROR' ? 'error' : 'warn']({ ...entry.meta }, entry.message)),
});

const orm = await openOrm(config.DATABASE_URL, { poolMax: config.DB_POOL_MAX });
const mailer = createMailer(config.SMTP_URL);
// A client for what the worker starts or signals itself (webhook deliveries, inbound mail).
const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
const { worker, connection } = await createTicketWorker({ config, orm, mailer, log, temporal });
// Search indexing (outbox → index) runs in every worker; one drain at a time across them.
const searchBackend = createSearchBackend(config, orm, log);
const searchIndexing = await startSearchIndexing({ config, orm, log, backend: searchBackend });

// The inbound mail channel (BullMQ processing) runs here with its sources: the SMTP listener
// when a port is set, the IMAP poller when a mailbox URL is set.
let inbound: InboundChannel | null = null;
const imap = imapSourceOptions(config);
if (config.INBOUND_SMTP_PORT > 0 || imap) {
  const smtp = config.INBOUND_SMTP_PORT > 0 ? { smtpPort: config.INBOUND_SMTP_PORT, host: config.INBOUND_SMTP_HOST } : {};
  inbound = await startInboundChannel({ config, orm, temporal, log }, { ...smtp, imap });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    log.info({ sig }, 'shutting down');
    worker.shutdown();
  });
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker started');
try {
  await worker.run();
} finally {
  await inbound?.close();
  await searchIndexing.close();
  await searchBackend.close();
  await clientConnection.close();
  await connection.close();
  mailer.close();
  await orm.close();
  log.info('worker stopped');
}
