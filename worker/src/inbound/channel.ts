import { SMTPServer } from 'smtp-server';
import { Queue, Worker } from 'bullmq';
import { markFailed, processInbound, type InboundDeps } from './processor';
import { acceptInbound, MAX_MESSAGE_BYTES } from './accept';
import { INBOUND_QUEUE, inboundQueue, redisConnection } from '@mehrdesk/core/queues/inbound-queue';
import { startImapSource, type ImapSource, type ImapSourceOptions } from './imap';

// The embedded inbound mail channel: its sources (an SMTP listener that stores every message
// before it says "250 OK", an IMAP mailbox poller), and a BullMQ queue whose worker turns stored
// messages into tickets or replies. Failed jobs stay in Redis (visible and retryable in
// bull-board), and a job's last failed attempt marks its mail 'failed' with the reason, where the
// admins' review list shows it; the raw mail stays on disk.

export { acceptInbound };

export { INBOUND_QUEUE, inboundQueue, redisConnection };

export interface InboundChannel {
  /** Port of the SMTP listener; 0 when the channel runs without one. */
  smtpPort: number;
  /** The IMAP source, when one is configured. */
  imap: ImapSource | null;
  queue: Queue;
  close(): Promise<void>;
}

export interface InboundChannelOptions {
  /** SMTP listener port (0: any free port); no listener when absent. */
  smtpPort?: number;
  host?: string;
  /** IMAP mailbox to poll; none when absent or null. */
  imap?: ImapSourceOptions | null;
  concurrency?: number;
}

export async function startInboundChannel(deps: InboundDeps, opts: InboundChannelOptions): Promise<InboundChannel> {
  const { queue, close: closeQueue } = inboundQueue(deps.config.REDIS_URL);
  const workerConnection = redisConnection(deps.config.REDIS_URL);
  const worker = new Worker(
    INBOUND_QUEUE,
    async (job) => {
      const inboundId = Number(job.data.inboundId);
      try {
        return await processInbound(deps, inboundId);
      } catch (err) {
        const attempts = job.opts.attempts ?? 1;
        if (job.attemptsMade + 1 >= attempts) {
          const reason = `processing failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${err instanceof Error ? err.message : String(err)}`;
          await markFailed(deps, inboundId, reason).catch((e: unknown) => deps.log.error({ err: e, inboundId }, 'could not mark an inbound mail as failed'));
        }
        throw err;
      }
    },
    { connection: workerConnection, concurrency: opts.concurrency ?? 4 },
  );
  worker.on('failed', (job, err) => deps.log.warn({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'inbound mail job failed'));

  const closeProcessing = async () => {
    await worker.close();
    await workerConnection.quit().catch(() => workerConnection.disconnect());
    await closeQueue();
  };
  let smtp: Awaited<ReturnType<typeof startSmtpListener>> | null = null;
  try {
    if (opts.smtpPort !== undefined) smtp = await startSmtpListener(deps, queue, opts.smtpPort, opts.host);
  } catch (err) {
    await closeProcessing();
    throw err;
  }
  const imap = opts.imap ? startImapSource(deps, queue, opts.imap) : null;
  return {
    smtpPort: smtp?.port ?? 0,
    imap,
    queue,
    async close() {
      // Sources first, so nothing is accepted while the queue shuts down.
      await imap?.close();
      await smtp?.close();
      await closeProcessing();
    },
  };
}

async function startSmtpListener(deps: InboundDeps, queue: Queue, smtpPort: number, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
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
    server.listen(smtpPort, host, () => resolve((server.server.address() as { port: number }).port));
  });
  deps.log.info({ port }, 'inbound SMTP listening');
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
