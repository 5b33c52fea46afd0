import { sweepUploadTemp } from '@mehrdesk/core/attachments/storage';
import { sweepPendingUploads } from '@mehrdesk/core/attachments/uploads';
import type { AppDeps } from '../deps';

/** Temporary files untouched this long belong to uploads whose process died. */
const TEMP_IDLE_MS = 60 * 60 * 1000;

/**
 * Delete uploads no ticket or message used within UPLOAD_PENDING_MAX_AGE_HOURS (rows, and files
 * no other row shares) and temporary files of uploads that died with their process. Like the
 * reconciler, every API replica may run it: each row is deleted by one of them, under a lock.
 */
export function startUploadSweeper(deps: Pick<AppDeps, 'config' | 'orm' | 'log'>, everyMs = 15 * 60_000): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const olderThan = new Date(Date.now() - deps.config.UPLOAD_PENDING_MAX_AGE_HOURS * 3600_000);
      const swept = { rows: 0, files: 0 };
      // Batches of 500 until none are left (at most 20 a pass, so one pass stays short).
      for (let round = 0; round < 20; round++) {
        const batch = await sweepPendingUploads(deps.orm.em.fork(), deps.config.STORAGE_DIR, olderThan);
        swept.rows += batch.rows;
        swept.files += batch.files;
        if (batch.rows === 0) break;
      }
      const temp = await sweepUploadTemp(deps.config.STORAGE_DIR, TEMP_IDLE_MS);
      if (swept.rows || temp) deps.log.info({ ...swept, tempFiles: temp }, 'unused uploads deleted');
    } catch (err) {
      deps.log.warn({ err }, 'upload sweep failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
