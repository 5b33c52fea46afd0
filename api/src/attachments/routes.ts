import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router, type Response } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { can } from '@mehrdesk/core/domain';
import { INLINE_TYPES } from '@mehrdesk/core/attachments/content-type';
import type { AppDeps } from '../deps';
import { activeUser, type AuthUser } from '../auth/authenticate';
import { HttpError, notFound } from '../http/errors';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { visibleTicket } from '../tickets/service';
import { checkAttachmentLink, LINK_TTL_SECONDS, signAttachmentLink } from './links';

// Attachment downloads. Whoever may see the message may fetch its files; nobody else learns
// that they exist (404). Files are served so a browser never runs them: only types confirmed by
// their bytes at storage time (core/src/attachments/content-type.ts) are inline, everything else
// is a download, and the response is sandboxed either way. An upload not yet attached to a
// message (pending, api/src/uploads) is its uploader's alone. The console opens files through
// short-lived signed links (./links.ts), so a browser always gets these headers with the file.

/** `filename*` (RFC 6266/5987) keeps Persian and other non-ASCII names intact. */
function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const name = filename.trim() || 'attachment';
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

interface AttachmentRow {
  /** Null while the upload is pending. */
  ticket_id: number | null;
  uploaded_by: number | null;
  filename: string;
  content_type: string;
  size: number;
  storage_path: string;
  message_kind: string | null;
}

/** The attachment, if `user` may see the message it belongs to; 404 otherwise. */
async function visibleAttachment(em: EntityManager, user: AuthUser, id: number): Promise<AttachmentRow> {
  const [a] = await em.execute<AttachmentRow[]>(
    `select a.ticket_id, a.uploaded_by, a.filename, a.content_type, a.size, a.storage_path, m.kind as message_kind
       from attachments a left join messages m on m.id = a.message_id where a.id = ?`,
    [id],
  );
  if (!a || !can(user.role, 'ticket.view')) throw notFound(`Attachment ${id}`);
  if (a.ticket_id === null) {
    if (a.uploaded_by !== user.id) throw notFound(`Attachment ${id}`);
    return a;
  }
  await visibleTicket(em, user, a.ticket_id).catch(() => {
    throw notFound(`Attachment ${id}`);
  });
  if (a.message_kind === 'internal' && !can(user.role, 'ticket.viewInternal')) throw notFound(`Attachment ${id}`);
  return a;
}

async function sendFile(deps: AppDeps, res: Response, id: number, a: AttachmentRow, cacheControl: string): Promise<void> {
  const file = path.resolve(deps.config.STORAGE_DIR, a.storage_path);
  const stream = fs.createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? notFound(`File of attachment ${id}`) : err));
  });
  res.status(200);
  res.setHeader('Content-Type', a.content_type);
  res.setHeader('Content-Length', String(a.size));
  res.setHeader('Content-Disposition', contentDisposition(INLINE_TYPES.has(a.content_type) ? 'inline' : 'attachment', a.filename));
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', cacheControl);
  // A link in a file (a PDF, say) must not hand the address it was opened from to another site.
  res.setHeader('Referrer-Policy', 'no-referrer');
  await pipeline(stream, res);
}

const LinkDto = z
  .object({
    url: z.string().describe('Path of the download, relative to the API origin; works for one minute, for the caller only'),
    expiresAt: z.string(),
  })
  .meta({ id: 'AttachmentLink' });
const DownloadQuery = z.object({ token: z.string().max(200).describe('The token of a link from POST /attachments/{id}/link') }).strict();

export function attachmentRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(router, registry, {
    method: 'get',
    path: '/attachments/:id',
    summary: 'Download an attachment (binary; inline only for verified images and PDFs)',
    tags: ['tickets'],
    action: 'ticket.view',
    params: IdParams,
    errors: [404],
    handler: async ({ em, user, params, res }) => {
      const a = await visibleAttachment(em, user, params.id);
      await sendFile(deps, res, params.id, a, 'private, max-age=3600');
    },
  });
  defineRoute(router, registry, {
    method: 'post',
    path: '/attachments/:id/link',
    summary: 'A one-minute download link for the caller (for opening an attachment in a browser tab, which cannot send a bearer token)',
    tags: ['tickets'],
    action: 'ticket.view',
    params: IdParams,
    response: LinkDto,
    errors: [404],
    handler: async ({ em, user, params, res }) => {
      await visibleAttachment(em, user, params.id);
      const expiresSec = Math.floor(Date.now() / 1000) + LINK_TTL_SECONDS;
      const token = signAttachmentLink(deps.config.ATTACHMENT_LINK_SECRET, params.id, user.id, expiresSec);
      res.setHeader('Cache-Control', 'no-store');
      return { url: `/api/v1/attachments/${params.id}/download?token=${token}`, expiresAt: new Date(expiresSec * 1000).toISOString() };
    },
  });
  defineRoute(router, registry, {
    method: 'get',
    path: '/attachments/:id/download',
    summary: 'Download an attachment through a signed link (no bearer token; the link names the user)',
    tags: ['tickets'],
    action: null,
    params: IdParams,
    query: DownloadQuery,
    errors: [403, 404],
    handler: async ({ em, params, query, res }) => {
      const link = checkAttachmentLink(deps.config.ATTACHMENT_LINK_SECRET, params.id, query.token, Math.floor(Date.now() / 1000));
      if (!link.ok) {
        throw link.reason === 'expired'
          ? new HttpError(403, 'link_expired', 'This download link has expired; open the attachment again from the ticket')
          : new HttpError(403, 'link_invalid', 'This download link is not valid for this attachment');
      }
      // Checked again now: the user may have been deactivated or lost access since the link was made.
      const user = await activeUser(em, link.userId);
      if (!user) throw notFound(`Attachment ${params.id}`);
      const a = await visibleAttachment(em, user, params.id);
      await sendFile(deps, res, params.id, a, 'private, no-store');
    },
  });
  return router;
}
