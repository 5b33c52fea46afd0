import { setTimeout as sleep } from 'node:timers/promises';
import type { MikroORM } from '@mehrdesk/core/db';
import type { ManagedProcess } from '../../stack/processes';
import type { CpuMonitor, CpuUsage } from '../lib/cpu';
import { distribution, type Distribution } from '../lib/load';
import { assertRunning } from '../lib/services';
import { planMail, rng, type MailMix, type PlannedMail, type ReplyTarget, type SenderPool } from './mails';
import { doneCount, messageFates, processedTickets, type MessageFate } from './processing';
import { sendOverSmtp, type SentMail } from './smtp-load';

// One measured batch: send the messages over SMTP as fast as the listener accepts them, follow
// them into PostgreSQL until each became a ticket or a reply, then check each one's fate.

export interface RunContext {
  orm: MikroORM;
  monitor: CpuMonitor;
  services: ManagedProcess[];
  smtp: { host: string; port: number };
  run: string;
  senders: SenderPool;
  /** Tickets that exist, with the message that opened them: what replies answer. */
  targets: ReplyTarget[];
  log: (m: string) => void;
}

/** Every second: how many messages were accepted and how many processed so far. */
export interface Progress {
  atS: number;
  accepted: number;
  processed: number;
}

export interface Problem {
  index: number;
  kind: 'new' | 'reply';
  messageId: string;
  what: string;
}

export interface BatchResult {
  count: number;
  /** Messages per second offered (paced batch), or null: as fast as accepted. */
  offeredPerSecond: number | null;
  planned: { new: number; reply: number; attachments: number; repliesWanted: number };
  senders: number;
  smtp: { accepted: number; rejected: Record<string, number>; seconds: number; perSecond: number; acceptLatencyMs: Distribution };
  complete: boolean;
  /** First send → last ticket/message row. */
  endToEndSeconds: number;
  endToEndPerSecond: number;
  /** Send → ticket message row (for a new ticket: written with the ticket row), per kind and for all. */
  latencyMs: { all: Distribution; new: Distribution; reply: Distribution };
  /** Send → inbound_emails.processed_at (the job finished). */
  processedLatencyMs: Distribution;
  statuses: Record<string, number>;
  threadReasons: Record<string, number>;
  problems: Problem[];
  duplicates: number;
  attachmentsStored: number;
  maxQueued: number;
  progress: Progress[];
  cpuSending: CpuUsage;
  cpuAfterSending: CpuUsage;
  cpuAll: CpuUsage;
}

const count = <T>(xs: T[], key: (x: T) => string) => xs.reduce<Record<string, number>>((acc, x) => ((acc[key(x)] = (acc[key(x)] ?? 0) + 1), acc), {});

/** What a message should have become, or why it did not. */
function problemOf(s: SentMail, f: MessageFate | undefined): string | null {
  if (s.error) return `refused over SMTP: ${s.error}`;
  if (!f || f.inboundRows === 0) return 'accepted but not stored';
  if (f.status === 'received' || f.status === 'failed') return `not processed (status ${f.status})`;
  const p = s.plan;
  if (p.kind === 'new' && f.status !== 'ticket_created') return `expected a new ticket, got ${f.status}${f.reason ? ` (${f.reason})` : ''}`;
  if (p.kind === 'reply' && (f.status !== 'replied' || f.ticketId !== p.target!.ticketId))
    return `expected a reply on ticket ${p.target!.ticketId}, got ${f.status} on ${f.ticketId ?? '–'}${f.reason ? ` (${f.reason})` : ''}`;
  if (f.messageRows === 0) return 'processed but no ticket message carries its Message-ID';
  if (p.attachment && f.attachments !== 1) return `attachment expected, ${f.attachments} stored`;
  return null;
}

export async function runBatch(
  ctx: RunContext,
  opts: { count: number; firstIndex: number; mix: MailMix; connections: number; seed: number; timeoutMs: number; perSecond?: number },
): Promise<BatchResult> {
  const random = rng(opts.seed);
  const pendingOriginals = new Map<string, { sender: string; subject: string }>();
  const planned: PlannedMail[] = [];
  const next = (i: number) => {
    const p = planMail(opts.firstIndex + i, ctx.run, random, opts.mix, ctx.senders, ctx.targets);
    if (p.kind === 'new') pendingOriginals.set(p.messageId, { sender: p.sender, subject: String(p.mail.subject) });
    planned.push(p);
    return p;
  };

  // Follow the messages: originals that became tickets turn into reply targets; a progress series for the queue.
  const t0 = Date.now();
  const progress: Progress[] = [];
  let sending = true;
  let accepted = 0;
  const follower = (async () => {
    while (sending || (progress.at(-1)?.processed ?? 0) < accepted) {
      const ids = [...pendingOriginals.keys()];
      for (const [messageId, ticketId] of await processedTickets(ctx.orm, ids)) {
        const o = pendingOriginals.get(messageId)!;
        pendingOriginals.delete(messageId);
        ctx.targets.push({ ticketId, messageId, sender: o.sender, subject: o.subject });
      }
      const processed = await doneCount(
        ctx.orm,
        planned.map((p) => p.messageId),
      );
      progress.push({ atS: (Date.now() - t0) / 1000, accepted, processed });
      if (!sending && Date.now() - t0 > opts.timeoutMs) break;
      await sleep(1000);
    }
  })();

  const c0 = ctx.monitor.snapshot();
  const sent = await sendOverSmtp({ ...ctx.smtp, connections: opts.connections, count: opts.count, next, onAccepted: () => accepted++, perSecond: opts.perSecond }).finally(() => (sending = false));
  const c1 = ctx.monitor.snapshot();
  const firstSent = Math.min(...sent.map((s) => s.sentAt));
  const lastAccepted = Math.max(...sent.filter((s) => !s.error).map((s) => s.acceptedAt));
  ctx.log(`SMTP: ${accepted}/${opts.count} accepted in ${((lastAccepted - firstSent) / 1000).toFixed(1)} s; waiting until each is processed`);

  // Until every accepted message was processed (the follower's series shows it), or the timeout.
  let lastLog = Date.now();
  while (Date.now() - t0 < opts.timeoutMs) {
    const last = progress.at(-1);
    if (last && last.processed >= accepted && last.accepted === accepted) break;
    if (Date.now() - lastLog > 15_000) {
      ctx.log(`processed ${last?.processed ?? 0}/${accepted}`);
      lastLog = Date.now();
    }
    assertRunning(ctx.services);
    await sleep(500);
  }
  await follower;
  const c2 = ctx.monitor.snapshot();

  const fates = await messageFates(
    ctx.orm,
    sent.map((s) => s.plan.messageId),
  );
  const problems: Problem[] = [];
  for (const s of sent) {
    const what = problemOf(s, fates.get(s.plan.messageId));
    if (what) problems.push({ index: s.plan.index, kind: s.plan.kind, messageId: s.plan.messageId, what });
  }
  const ok = sent.filter((s) => !s.error);
  const fateOf = (s: SentMail) => fates.get(s.plan.messageId);
  const latency = (xs: SentMail[]) => distribution(xs.map((s) => (fateOf(s)?.messageAt ?? NaN) - s.sentAt).filter(Number.isFinite));
  const lastRow = Math.max(...ok.map((s) => fateOf(s)?.messageAt ?? NaN).filter(Number.isFinite));
  const done = ok.filter((s) => Number.isFinite(fateOf(s)?.messageAt));
  const endToEndSeconds = (lastRow - firstSent) / 1000;
  const smtpSeconds = (lastAccepted - firstSent) / 1000;
  const fateList = ok.map(fateOf).filter((f): f is MessageFate => !!f);
  return {
    count: opts.count,
    offeredPerSecond: opts.perSecond ?? null,
    planned: {
      new: planned.filter((p) => p.kind === 'new').length,
      reply: planned.filter((p) => p.kind === 'reply').length,
      attachments: planned.filter((p) => p.attachment).length,
      repliesWanted: planned.filter((p) => p.wantedReply).length,
    },
    senders: ctx.senders.senders,
    smtp: {
      accepted,
      rejected: count(
        sent.filter((s) => s.error),
        (s) => s.error!,
      ),
      seconds: smtpSeconds,
      perSecond: accepted / smtpSeconds,
      acceptLatencyMs: distribution(ok.map((s) => s.acceptedAt - s.sentAt)),
    },
    complete: done.length === ok.length,
    endToEndSeconds,
    endToEndPerSecond: done.length / endToEndSeconds,
    latencyMs: { all: latency(ok), new: latency(ok.filter((s) => s.plan.kind === 'new')), reply: latency(ok.filter((s) => s.plan.kind === 'reply')) },
    processedLatencyMs: distribution(ok.map((s) => (fateOf(s)?.processedAt ?? NaN) - s.sentAt).filter(Number.isFinite)),
    statuses: count(fateList, (f) => f.status ?? 'missing'),
    threadReasons: count(
      fateList.filter((f) => f.status === 'replied'),
      (f) => f.reason ?? 'none',
    ),
    problems,
    duplicates: fateList.filter((f) => f.inboundRows > 1 || f.messageRows > 1).length,
    attachmentsStored: fateList.reduce((a, f) => a + f.attachments, 0),
    maxQueued: Math.max(0, ...progress.map((p) => p.accepted - p.processed)),
    progress,
    cpuSending: ctx.monitor.usage(c0, c1),
    cpuAfterSending: ctx.monitor.usage(c1, c2),
    cpuAll: ctx.monitor.usage(c0, c2),
  };
}
