import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../db/sql';
import { removeFile } from './storage';

// Uploaded attachments. A file is uploaded first and waits as a *pending* attachment row (no
// ticket, no message, `uploaded_by` its owner); a new ticket or message then names it among its
// `attachmentIds` and the row is linked in the transaction that writes the message. Pending rows
// nobody used are swept after a while, with their file unless another row shares its bytes.
// One rule for both entry points that write messages (the API's ticket creation, the worker's
// message activity): only the uploader's own pending rows can be linked.

/** Why an `attachmentIds` entry cannot be used, by its index in the list. */
export interface UploadProblem {
  index: number;
  message: string;
}

/**
 * What is wrong with `ids` as attachments of a new message by `ownerId`: too many, repeated, or
 * not a pending upload of theirs. Someone else's upload and a missing one read the same, so
 * nothing is learnt about other people's files.
 */
export async function pendingUploadProblems(em: EntityManager, ownerId: number, ids: readonly number[], maxFiles: number): Promise<UploadProblem[]> {
  const problems: UploadProblem[] = [];
  if (ids.length > maxFiles) problems.push({ index: maxFiles, message: `At most ${maxFiles} files per message` });
  const rows = ids.length ? await em.execute<{ id: number }[]>('select id from attachments where id = any(?::int[]) and uploaded_by = ? and ticket_id is null', [pgArray(ids), ownerId]) : [];
  const usable = new Set(rows.map((r) => r.id));
  const seen = new Set<number>();
  ids.forEach((id, index) => {
    if (seen.has(id)) problems.push({ index, message: `Upload ${id} is listed twice` });
    else if (!usable.has(id)) problems.push({ index, message: `No pending upload ${id} of yours (upload the file first; an upload can be used once)` });
    seen.add(id);
  });
  return problems.sort((a, b) => a.index - b.index);
}

/**
 * Link the owner's pending uploads to a message (run in the transaction that inserts it).
 * Returns how many were linked: fewer than `ids` means some were used or swept meanwhile.
 */
export async function linkUploads(em: EntityManager, link: { ids: readonly number[]; ownerId: number; ticketId: number; messageId: number }): Promise<number> {
  if (link.ids.length === 0) return 0;
  const rows = await em.execute<{ id: number }[]>(
    `update attachments set ticket_id = ?, message_id = ?
      where id = any(?::int[]) and uploaded_by = ? and ticket_id is null returning id`,
    [link.ticketId, link.messageId, pgArray(link.ids), link.ownerId],
  );
  return rows.length;
}

/**
 * Serialises everything that adds or removes a row for one stored file, so a sweep never deletes
 * the bytes a concurrent upload of the same content has just claimed (call inside a transaction).
 */
export async function lockStoredFile(em: EntityManager, sha256: string): Promise<void> {
  await em.execute(`select pg_advisory_xact_lock(hashtextextended('attachments/' || ?, 0))`, [sha256]);
}

/**
 * Delete pending uploads created before `olderThan`, and each one's file when no other attachment
 * row uses the same bytes. Returns the rows and files removed.
 */
export async function sweepPendingUploads(em: EntityManager, storageDir: string, olderThan: Date, batch = 500): Promise<{ rows: number; files: number }> {
  const stale = await em.execute<{ id: number }[]>('select id from attachments where ticket_id is null and created_at < ? order by id limit ?', [olderThan, batch]);
  let rows = 0;
  let files = 0;
  for (const { id } of stale) {
    await em.transactional(async (tx) => {
      const [row] = await tx.execute<{ sha256: string; storage_path: string }[]>('select sha256, storage_path from attachments where id = ? and ticket_id is null', [id]);
      if (!row) return; // linked or swept meanwhile
      await lockStoredFile(tx, row.sha256);
      const [gone] = await tx.execute<{ id: number }[]>('delete from attachments where id = ? and ticket_id is null returning id', [id]);
      if (!gone) return;
      rows++;
      const [shared] = await tx.execute<{ n: number }[]>('select count(*)::int as n from attachments where sha256 = ?', [row.sha256]);
      if (shared!.n > 0) return;
      // Removed under the lock, before commit: no upload can claim these bytes in between.
      await removeFile(path.resolve(storageDir, row.storage_path));
      files++;
    });
  }
  return { rows, files };
}
