import { Queue } from 'bullmq';
import { redisConnection } from './inbound-queue';

// The search indexing queues, below the API and the worker: the worker drains the outbox and
// runs rebuilds; the API asks for a rebuild and bull-board shows both.

/** Jobs named `drain`: empty the search outbox into the index (one at a time). */
export const SEARCH_INDEX_QUEUE = 'search-index';
/** Jobs named `rebuild` with `{ rebuildId }`: fill a new index and swap it in. */
export const SEARCH_REBUILD_QUEUE = 'search-rebuild';

export interface SearchQueues {
  index: Queue;
  rebuild: Queue;
  close(): Promise<void>;
}

export function searchQueues(redisUrl: string): SearchQueues {
  const connection = redisConnection(redisUrl);
  const index = new Queue(SEARCH_INDEX_QUEUE, {
    connection,
    defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 200 }, removeOnFail: { count: 1000 } },
  });
  const rebuild = new Queue(SEARCH_REBUILD_QUEUE, {
    connection,
    defaultJobOptions: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
  });
  return {
    index,
    rebuild,
    async close() {
      await index.close();
      await rebuild.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
