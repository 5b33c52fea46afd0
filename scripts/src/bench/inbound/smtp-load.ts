import { setTimeout as sleep } from 'node:timers/promises';
import nodemailer from 'nodemailer';
import type { PlannedMail } from './mails';

// Sends the benchmark's messages over real SMTP (nodemailer, a pool of connections, no TLS, as
// a mail server on the same network would hand them over) to the worker's inbound listener.
// Each connection sends its next message as soon as the previous one was accepted (250), so
// the send rate is the rate at which the listener accepts: it stores the raw message, inserts
// the inbound_emails row and queues the job before it answers. With `perSecond`, message i
// goes out at start + i / perSecond instead (a steady stream below capacity).

export interface SentMail {
  plan: PlannedMail;
  /** Date.now() before the message was handed to nodemailer. */
  sentAt: number;
  /** Date.now() when the server accepted it (250), or NaN. */
  acceptedAt: number;
  error: string | null;
}

export async function sendOverSmtp(opts: {
  host: string;
  port: number;
  connections: number;
  count: number;
  /** Decides the next message when it is its turn (so replies can target tickets that exist by then). */
  next: (index: number) => PlannedMail;
  onAccepted?: () => void;
  perSecond?: number;
}): Promise<SentMail[]> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: opts.connections,
    maxMessages: Infinity,
    host: opts.host,
    port: opts.port,
    secure: false,
    ignoreTLS: true,
  });
  const sent: SentMail[] = [];
  let issued = 0;
  const started = performance.now();
  const connection = async () => {
    while (issued < opts.count) {
      const i = issued++;
      if (opts.perSecond) {
        const wait = started + (i * 1000) / opts.perSecond - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const plan = opts.next(i);
      const sentAt = Date.now();
      try {
        await transport.sendMail(plan.mail);
        sent.push({ plan, sentAt, acceptedAt: Date.now(), error: null });
        opts.onAccepted?.();
      } catch (err) {
        sent.push({ plan, sentAt, acceptedAt: NaN, error: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.connections }, connection));
  } finally {
    transport.close();
  }
  return sent.sort((a, b) => a.plan.index - b.plan.index);
}
