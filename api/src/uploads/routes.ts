import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { can } from '@mehrdesk/core/domain';
import { contradictedClaim, detectFileContentType, typeAllowed, typeOfFilename } from '@mehrdesk/core/attachments/content-type';
import { normaliseFilename } from '@mehrdesk/core/attachments/filename';
import { placeFile, removeFile, storedPath } from '@mehrdesk/core/attachments/storage';
import { lockStoredFile } from '@mehrdesk/core/attachments/uploads';
import { uploadSettings, type UploadSettings } from '@mehrdesk/core/services/settings';
import type { AppDeps } from '../deps';
import { forbidden, HttpError } from '../http/errors';
import { clientKey, type RateLimits } from '../http/rate-limit';
import { defineRoute } from '../http/route';
import { AttachmentDto } from '../tickets/schemas';
import { FILE_FIELD, receiveUpload, type ReceivedUpload } from './receive';
import { uploadReclaimer } from './reclaim';

// Uploads (issue 10, T3): a customer or agent uploads a file first and gets back a pending
// attachment; a new ticket, reply or note then lists it in `attachmentIds` (see
// core/src/attachments/uploads.ts). The file is stored like inbound mail's attachments:
// content-addressed under STORAGE_DIR, typed by its bytes, served by GET /attachments/{id} with
// the same safe headers, to its uploader while pending and to whoever may see its message after.

const UploadForm = z.object({ file: z.string().meta({ format: 'binary' }).describe('The file; its type is decided by its content') });

export const UploadLimitsDto = z
  .object({
    maxFileBytes: z.number().int().describe('Largest file accepted, in bytes'),
    maxFilesPerMessage: z.number().int().describe('Most files one ticket, reply or note may list in attachmentIds'),
    allowedTypes: z.array(z.string()).describe('Accepted types (MIME types or `type/*`, matched against what the bytes are); empty: any type'),
    pendingHours: z.number().describe('Uploads no ticket or message uses are deleted after this many hours'),
  })
  .meta({ id: 'UploadLimits' });

const unsupported = (code: string, message: string) => new HttpError(415, code, message, [{ path: FILE_FIELD, message }]);

/** Checks the bytes, then moves the file to its content address and records the pending row. */
async function storeUpload(em: EntityManager, storageDir: string, userId: number, file: ReceivedUpload, limits: UploadSettings) {
  if (file.size === 0) throw new HttpError(400, 'empty_file', 'The file is empty', [{ path: FILE_FIELD, message: 'The file is empty' }]);
  const filename = normaliseFilename(file.filename);
  const type = await detectFileContentType(file.declaredType, file.tempPath);
  // Checked against the name as sent: that is what the uploader (and whoever they trick) reads.
  const contradicted = contradictedClaim([file.declaredType, typeOfFilename(filename)], type.sniffed);
  if (contradicted) throw unsupported('file_type_mismatch', `The file claims to be ${contradicted} but its content is ${type.sniffed ?? 'not that format'}`);
  if (!typeAllowed(limits.allowedTypes, type.contentType))
    throw unsupported('file_type_not_allowed', `Files of type ${type.contentType} are not accepted (allowed: ${limits.allowedTypes.join(', ')})`);
  return em.transactional(async (tx) => {
    await lockStoredFile(tx, file.sha256);
    const [row] = await tx.execute<{ id: number }[]>(
      `insert into attachments (ticket_id, message_id, uploaded_by, filename, content_type, size, sha256, storage_path, created_at)
       values (null, null, ?, ?, ?, ?, ?, ?, now()) returning id`,
      [userId, filename, type.contentType, file.size, file.sha256, storedPath('attachments', file.sha256)],
    );
    // Last, so a failure before it leaves no file behind (the row rolls back).
    await placeFile(storageDir, 'attachments', file.tempPath, file.sha256);
    return { id: row!.id, filename, contentType: type.contentType, size: file.size, url: `/api/v1/attachments/${row!.id}` };
  });
}

export function uploadRoutes(deps: AppDeps, registry: OpenAPIRegistry, limits: RateLimits): Router {
  const r = Router();
  const reclaim = uploadReclaimer(deps.config.UPLOAD_RECLAIM_MB);
  const tags = ['uploads'];

  r.post(
    '/uploads',
    limits.rateLimit({
      name: 'uploads',
      points: deps.config.RATE_LIMIT_UPLOADS_PER_MINUTE,
      durationSeconds: 60,
      key: (req) => (req.user ? `user:${req.user.id}` : clientKey(deps.config.CLIENT_KEY_SECRET, req)),
    }),
  );
  defineRoute(r, registry, {
    method: 'post',
    path: '/uploads',
    summary: 'Upload one file (multipart field `file`) to attach to a new ticket, reply or note: answers a pending attachment whose id goes into `attachmentIds`. Limits: GET /uploads/limits',
    tags,
    action: 'auth.session',
    upload: UploadForm,
    status: 201,
    response: AttachmentDto,
    errors: [403, 413, 415, 429],
    handler: async ({ req, res, em, user }) => {
      if (!can(user.role, 'ticket.reply') && !can(user.role, 'ticket.create')) throw forbidden(`Role ${user.role} may not upload files`);
      const settings = await uploadSettings(em, deps.config);
      const file = await receiveUpload(req, res, { maxFileBytes: settings.maxFileBytes, storageDir: deps.config.STORAGE_DIR, onBytes: reclaim });
      try {
        const stored = await storeUpload(em, deps.config.STORAGE_DIR, user.id, file, settings);
        res.setHeader('Location', stored.url);
        return stored;
      } finally {
        await removeFile(file.tempPath); // gone already when it was moved into place
      }
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/uploads/limits',
    summary: 'The upload limits in force (for checking files before sending them)',
    tags,
    action: 'auth.session',
    response: UploadLimitsDto,
    handler: async ({ em }) => {
      const { source: _source, ...settings } = await uploadSettings(em, deps.config);
      return { ...settings, pendingHours: deps.config.UPLOAD_PENDING_MAX_AGE_HOURS };
    },
  });
  return r;
}
