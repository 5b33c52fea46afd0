import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { can } from '@mehrdesk/core/domain';
import { INLINE_TYPES } from '@mehrdesk/worker/inbound/content-type';
import type { AppDeps } from '../deps';
import { notFound } from '../http/errors';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { visibleTicket } from '../tickets/service';

// Attachment downloads. Whoever may see the message may fetch its files; nobody else learns
// that they exist (404). Files are served so a browser never runs them: only types confirmed by
// their bytes at storage time (worker/src/inbound/content-type.ts) are inline, everything else
// is a download, and the response is sandboxed either way.

/** `filename*` (RFC 6266/5987) keeps Persian and other non-ASCII names intact. */
function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const name = filename.trim() || 'attachment';
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

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
      const [a] = await em.execute<{ ticket_id: number; filename: string; content_type: string; size: number; storage_path: string; message_kind: string | null }[]>(
        `select a.ticket_id, a.filename, a.content_type, a.size, a.storage_path, m.kind as message_kind
           from attachments a left join messages m on m.id = a.message_id where a.id = ?`,
        [params.id],
      );
      if (!a) throw notFound(`Attachment ${params.id}`);
      await visibleTicket(em, user, a.ticket_id).catch(() => {
        throw notFound(`Attachment ${params.id}`);
      });
      if (a.message_kind === 'internal' && !can(user.role, 'ticket.viewInternal')) throw notFound(`Attachment ${params.id}`);
      const file = path.resolve(deps.config.STORAGE_DIR, a.storage_path);
      const stream = fs.createReadStream(file);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (err) => reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? notFound(`File of attachment ${params.id}`) : err));
      });
      res.status(200);
      res.setHeader('Content-Type', a.content_type);
      res.setHeader('Content-Length', String(a.size));
      res.setHeader('Content-Disposition', contentDisposition(INLINE_TYPES.has(a.content_type) ? 'inline' : 'attachment', a.filename));
      res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'");
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'private, max-age=3600');
      await pipeline(stream, res);
    },
  });
  return router;
}
