import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

// The inbound mail queue on its own, below the API and the worker: the worker processes it, the
// API (bull-board, the admins' reprocess) adds to it, without either importing the other or
// loading the SMTP and IMAP sources.

export const INBOUND_QUEUE = 'inbound-email';

/** A Redis client for BullMQ (which needs `maxRetriesPerRequest: null` for blocking commands). */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** The inbound queue and a close() that also ends its Redis client (BullMQ leaves given clients open). */
export function inboundQueue(redisUrl: string): { queue: Queue; close(): Promise<void> } {
  const connection = redisConnection(redisUrl);
  const queue = new Queue(INBOUND_QUEUE, {
    connection,
    defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { count: 5000 }, removeOnFail: false },
  });
  return {
    queue,
    async close() {
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
