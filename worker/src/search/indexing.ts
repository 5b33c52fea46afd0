import pg from 'pg';
import { Worker } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import { redisConnection } from '@mehrdesk/core/queues/inbound-queue';
import { SEARCH_INDEX_QUEUE, SEARCH_REBUILD_QUEUE, searchQueues } from '@mehrdesk/core/queues/search-queues';
import { drainAll, OUTBOX_CHANNEL, runRebuild, type SearchBackend } from '@mehrdesk/search';

// Keeping the search index current. Every searchable write leaves an outbox row and a NOTIFY
// (migration Search); this listens, turns notifications into `drain` jobs, and a single-slot
// BullMQ worker drains the outbox into the backend. A sweep every few seconds covers
// notifications lost while the listener reconnects, and the first drain catches up on whatever
// was written while no worker ran. Rebuilds run on a queue of their own, so indexing continues.

export const SWEEP_EVERY_MS = 5_000;
/** Notifications within this window share one drain job. */
const COALESCE_MS = 25;

export interface SearchIndexing {
  close(): Promise<void>;
}

export interface SearchIndexingDeps {
  config: Config;
  orm: MikroORM;
  log: Logger;
  backend: SearchBackend;
}

export async function startSearchIndexing(deps: SearchIndexingDeps): Promise<SearchIndexing> {
  const { config, orm, log, backend } = deps;
  await backend.prepare();
  const queues = searchQueues(config.REDIS_URL);
  const connections = [redisConnection(config.REDIS_URL), redisConnection(config.REDIS_URL)];
  const drainer = new Worker(SEARCH_INDEX_QUEUE, async () => ({ drained: await drainAll(orm, backend) }), { connection: connections[0]!, concurrency: 1 });
  drainer.on('failed', (job, err) => log.warn({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'search drain failed; the outbox keeps the changes'));
  const rebuilder = new Worker(
    SEARCH_REBUILD_QUEUE,
    async (job) => {
      const id = Number(job.data.rebuildId);
      const status = await runRebuild(orm, backend, id, (p) => void job.updateProgress(p).catch(() => undefined));
      log.info({ rebuild: id, documents: status.done, backend: backend.name }, 'search index rebuilt');
      return status;
    },
    { connection: connections[1]!, concurrency: 1 },
  );
  rebuilder.on('failed', (job, err) => log.error({ err, rebuild: job?.data?.rebuildId }, 'search rebuild failed'));

  let pending: NodeJS.Timeout | null = null;
  const requestDrain = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      queues.index.add('drain', {}).catch((err: unknown) => log.warn({ err }, 'could not queue a search drain'));
    }, COALESCE_MS);
  };

  let listener: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  const listen = async () => {
    const client = new pg.Client({ connectionString: config.DATABASE_URL });
    client.on('notification', requestDrain);
    client.on('error', (err) => {
      log.warn({ err }, 'search outbox listener lost its connection; reconnecting');
      void client.end().catch(() => undefined);
      if (listener === client) listener = null;
      if (!closed) retry = setTimeout(() => void listen().catch(() => undefined), 1000);
    });
    try {
      await client.connect();
      await client.query(`listen ${OUTBOX_CHANNEL}`);
      listener = client;
      requestDrain(); // whatever was written while not listening
    } catch (err) {
      log.warn({ err }, 'search outbox listener could not connect; retrying');
      await client.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void listen().catch(() => undefined), 1000);
    }
  };
  await listen();
  await queues.index.upsertJobScheduler('search-outbox-sweep', { every: SWEEP_EVERY_MS }, { name: 'drain', data: {} });
  log.info({ backend: backend.name }, 'search indexing started');

  return {
    async close() {
      closed = true;
      if (pending) clearTimeout(pending);
      if (retry) clearTimeout(retry);
      await listener?.end().catch(() => undefined);
      await drainer.close();
      await rebuilder.close();
      for (const c of connections) await c.quit().catch(() => c.disconnect());
      await queues.close();
    },
  };
}
