import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import { pendingUploadProblems } from '@mehrdesk/core/attachments/uploads';
import { uploadSettings } from '@mehrdesk/core/services/settings';
import { cannotProcess } from '../errors';

/** Refuses (unprocessable) naming each unusable `attachmentIds` entry (`body.attachmentIds.2`): too many, repeated, or not the caller's pending upload. */
export async function checkAttachmentIds(em: EntityManager, config: Config, userId: number, ids: readonly number[] | undefined): Promise<void> {
  if (!ids?.length) return;
  const { maxFilesPerMessage } = await uploadSettings(em, config);
  const problems = await pendingUploadProblems(em, userId, ids, maxFilesPerMessage);
  if (problems.length)
    throw cannotProcess(
      'unprocessable',
      'Some attachments cannot be used',
      problems.map((p) => ({ path: `body.attachmentIds.${p.index}`, message: p.message })),
    );
}

/** The refusal for uploads that were listed but could no longer be linked (used or deleted meanwhile). */
export const uploadsGone = () =>
  cannotProcess('unprocessable', 'Some attachments were used or deleted meanwhile; upload them again', [{ path: 'body.attachmentIds', message: 'No longer pending uploads of yours' }]);
