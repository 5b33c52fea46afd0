import { SMTPServer } from 'smtp-server';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { processInbound, type InboundDeps } from './processor';
import { storeFile } from './storage';
import { pgArray } from '@mehrdesk/core/db';

// The embedded inbound mail channel: an SMTP listener that stores every message before it says
// "250 OK", and a BullMQ queue whose worker turns stored messages into tickets or replies.
// Failed jobs stay in Redis (visible and retryable in bull-board); the raw mail stays on disk.

export const INBOUND_QUEUE = 'inbound-email';
const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

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

/** Store a raw message, record it and queue it; returns the inbound id. */
export async function acceptInbound(deps: InboundDeps, queue: Queue, raw: Buffer, envelope: { from: string; to: string[] }, subject: string): Promise<number> {
  const stored = await storeFile(deps.config.STORAGE_DIR, 'mail', raw);
  const messageId = /^message-id:\s*(<[^>\r\n]+>)/im.exec(raw.subarray(0, 64 * 1024).toString('latin1'))?.[1] ?? null;
  const [row] = await deps.orm.em.fork().execute<{ id: number }[]>(
    `insert into inbound_emails (message_id, from_address, envelope_to, subject, raw_path, size, status, created_at)
     values (?, ?, ?::text[], ?, ?, ?, 'received', now()) returning id`,
    [messageId, envelope.from.toLowerCase().slice(0, 254), pgArray(envelope.to.map((t) => t.toLowerCase())), subject.slice(0, 998), stored.path, raw.length],
  );
  await queue.add('process', { inboundId: row!.id }, { jobId: `inbound-${row!.id}` });
  return row!.id;
}

export interface InboundChannel {
  smtpPort: number;
  queue: Queue;
  close(): Promise<void>;
}

export async function startInboundChannel(deps: InboundDeps, opts: { smtpPort: number; host?: string; concurrency?: number }): Promise<InboundChannel> {
  const { queue, close: closeQueue } = inboundQueue(deps.config.REDIS_URL);
  const workerConnection = redisConnection(deps.config.REDIS_URL);
  const worker = new Worker(INBOUND_QUEUE, async (job) => processInbound(deps, Number(job.data.inboundId)), {
    connection: workerConnection,
    concurrency: opts.concurrency ?? 4,
  });
  worker.on('failed', (job, err) => deps.log.warn({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'inbound mail job failed'));

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    size: MAX_MESSAGE_BYTES,
    banner: 'Mehrdesk inbound',
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(Object.assign(new Error('Message exceeds 25 MB'), { responseCode: 552 }));
        const raw = Buffer.concat(chunks);
        const subject = /^subject:\s*(.*)$/im.exec(raw.subarray(0, 64 * 1024).toString('utf8'))?.[1]?.trim() ?? '';
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        acceptInbound(deps, queue, raw, { from, to: session.envelope.rcptTo.map((r) => r.address) }, subject).then(
          () => callback(),
          (err: unknown) => {
            deps.log.error({ err }, 'could not store inbound mail; asking the sender to retry');
            // 451: temporary failure, the sending server keeps the message and retries.
            callback(Object.assign(new Error('Temporary failure, try again later'), { responseCode: 451 }));
          },
        );
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.smtpPort, opts.host ?? '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
  deps.log.info({ port }, 'inbound SMTP listening');
  return {
    smtpPort: port,
    queue,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await worker.close();
      await workerConnection.quit().catch(() => workerConnection.disconnect());
      await closeQueue();
    },
  };
}
