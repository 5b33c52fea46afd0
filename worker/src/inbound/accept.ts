import type { Queue } from 'bullmq';
import { pgArray } from '@mehrdesk/core/db';
import { toStorableText } from '@mehrdesk/core/domain';
import type { InboundDeps } from './processor';
import { storeFile } from '@mehrdesk/core/attachments/storage';

// The step every inbound source shares: store the raw message, record it and queue its
// processing. Once acceptInbound has resolved the message is safe, and only then may a source
// acknowledge it (SMTP answers 250, IMAP marks or moves it). The texts of the row are made
// storable (toStorableText: a NUL in a subject must not make the source refuse the mail forever).

/** Largest raw message a source accepts (SMTP answers 552; IMAP leaves it flagged for a person). */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export interface AcceptOptions {
  /**
   * The message's identity at a source that can deliver it twice (IMAP re-fetches a message
   * when a crash came between accepting and marking it). A second accept with the same key
   * stores nothing new and returns the first row.
   */
  sourceKey?: string;
}

export interface Accepted {
  id: number;
  /** True when the source key was already stored (the message had been accepted before). */
  duplicate: boolean;
}

export async function acceptInbound(deps: InboundDeps, queue: Queue, raw: Buffer, envelope: { from: string; to: string[] }, subject: string, opts: AcceptOptions = {}): Promise<Accepted> {
  const stored = await storeFile(deps.config.STORAGE_DIR, 'mail', raw);
  const messageId = /^message-id:\s*(<[^>\r\n]+>)/im.exec(raw.subarray(0, 64 * 1024).toString('latin1'))?.[1] ?? null;
  const em = deps.orm.em.fork();
  const sourceKey = opts.sourceKey ?? null;
  const [row] = await em.execute<{ id: number }[]>(
    `insert into inbound_emails (message_id, from_address, envelope_to, subject, raw_path, size, status, created_at, source_key)
     values (?, ?, ?::text[], ?, ?, ?, 'received', now(), ?) on conflict (source_key) do nothing returning id`,
    [
      messageId === null ? null : toStorableText(messageId),
      toStorableText(envelope.from.toLowerCase().slice(0, 254)),
      pgArray(envelope.to.map((t) => toStorableText(t.toLowerCase()))),
      toStorableText(subject.slice(0, 998)),
      stored.path,
      raw.length,
      sourceKey,
    ],
  );
  const duplicate = row === undefined;
  const [existing] = duplicate ? await em.execute<{ id: number }[]>('select id from inbound_emails where source_key = ?', [sourceKey]) : [];
  const id = row?.id ?? existing?.id;
  if (id === undefined) throw new Error(`inbound e-mail with source key ${sourceKey} was neither inserted nor found`);
  // Queued again for a duplicate too: the first accept may have stored the row and then failed
  // to queue. The job id makes this a no-op when the job exists; a finished row is skipped.
  await queue.add('process', { inboundId: id }, { jobId: `inbound-${id}` });
  return { id, duplicate };
}
