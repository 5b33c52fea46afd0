import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { fileTypeFromBuffer } from 'file-type';
import multer from 'multer';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { badRequest, HttpError, notFound } from '../http/errors';
import { pathId } from '../http/params';
import { defineRoute } from '../http/route';
import { KbImageDto } from './schemas';

// Images embedded in knowledge-base articles. Uploaded by editors as multipart/form-data (field
// `file`), accepted only when the bytes are a PNG, JPEG, GIF or WebP image whatever the name or
// the declared type says, stored content-addressed under STORAGE_DIR like ticket attachments,
// and served to anyone (public articles embed them) with a type nobody can talk the browser out of.

export const KB_IMAGE_TYPES: Readonly<Record<string, string>> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' };
const STORAGE_KIND = 'kb-images';

/** A safe display name: the client's base name without path, control or URL-special characters, with the detected type's extension. */
export function imageFilename(original: string, ext: string): string {
  const base = (original.split(/[\\/]/).pop() ?? '')
    .normalize('NFC')
    .replace(/\.[^.]*$/, '')
    .replace(/[\p{C}\s"'<>?#%&\\/:*|+]+/gu, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 100);
  return `${base || 'image'}.${ext}`;
}

export const imageUrl = (id: number, filename: string) => `/api/v1/kb/images/${id}/${encodeURIComponent(filename)}`;

async function storeImage(storageDir: string, bytes: Uint8Array): Promise<{ path: string; sha256: string }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const rel = path.join(STORAGE_KIND, sha256.slice(0, 2), sha256);
  const abs = path.resolve(storageDir, rel);
  await fsp.mkdir(path.dirname(abs), { recursive: true });
  try {
    await fsp.writeFile(abs, bytes, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return { path: rel, sha256 };
}

const FILE = 'body.file';
const unsupported = (message: string, fieldMessage: string) => new HttpError(415, 'unsupported_media_type', message, [{ path: FILE, message: fieldMessage }]);

/** Parses the multipart body into req.file (memory), mapping every parser complaint to a 4xx naming the field. */
function parseUpload(maxBytes: number, req: Request, res: Response): Promise<void> {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6, fieldSize: 10_000, fieldNameSize: 100 },
    // Browsers send file names as raw UTF-8 (Persian names stay Persian).
    defParamCharset: 'utf8',
  } as multer.Options).single('file');
  return new Promise<void>((resolve, reject) => {
    upload(req, res, (err: unknown) => {
      if (!err) return resolve();
      if (err instanceof multer.MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE')
          return reject(new HttpError(413, 'payload_too_large', `The image is larger than ${maxBytes} bytes`, [{ path: FILE, message: `At most ${maxBytes} bytes` }]));
        if (err.code === 'LIMIT_UNEXPECTED_FILE') return reject(badRequest('Unexpected file field', [{ path: `body.${err.field ?? 'file'}`, message: 'Send one image, in the field `file`' }]));
        return reject(badRequest(`Invalid multipart body: ${err.message}`, [{ path: err.field ? `body.${err.field}` : 'body', message: err.message }]));
      }
      reject(badRequest('Malformed multipart body', [{ path: 'body', message: err instanceof Error ? err.message : 'Malformed multipart body' }]));
    });
  });
}

const ImageParams = z.object({ id: pathId, name: z.string().min(1).max(255) }).strict();
const UploadForm = z.object({ file: z.string().meta({ format: 'binary' }).describe('A PNG, JPEG, GIF or WebP image (checked by its content)') });

export function kbImageRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['knowledge base'];
  const maxBytes = deps.config.KB_IMAGE_MAX_BYTES;

  defineRoute(r, registry, {
    method: 'post',
    path: '/kb/images',
    summary: `Upload an image for articles (multipart field \`file\`, at most ${maxBytes} bytes)`,
    tags,
    action: 'kb.write',
    upload: UploadForm,
    status: 201,
    response: KbImageDto,
    handler: async ({ req, res, em, user }) => {
      if (!req.is('multipart/form-data')) throw unsupported('Send multipart/form-data with the image in the field `file`', 'Required (as multipart/form-data)');
      await parseUpload(maxBytes, req, res);
      const file = req.file;
      if (!file) throw badRequest('No image', [{ path: FILE, message: 'Required' }]);
      if (file.size === 0) throw badRequest('Empty file', [{ path: FILE, message: 'The file is empty' }]);
      const sniffed = await fileTypeFromBuffer(file.buffer);
      const ext = sniffed ? KB_IMAGE_TYPES[sniffed.mime] : undefined;
      if (!sniffed || !ext) throw unsupported('Only PNG, JPEG, GIF and WebP images are accepted', `Not a PNG, JPEG, GIF or WebP image (the content is ${sniffed?.mime ?? 'unrecognised'})`);
      const stored = await storeImage(deps.config.STORAGE_DIR, file.buffer);
      const filename = imageFilename(file.originalname, ext);
      const [row] = await em.execute<{ id: number }[]>(
        `insert into kb_images (filename, content_type, size, storage_path, sha256, uploaded_by, created_at) values (?, ?, ?, ?, ?, ?, now()) returning id`,
        [filename, sniffed.mime, file.size, stored.path, stored.sha256, user.id],
      );
      const url = imageUrl(row!.id, filename);
      res.setHeader('Location', url);
      return { id: row!.id, url, filename, contentType: sniffed.mime, size: file.size };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/kb/images/:id/:name',
    summary: 'An article image (binary; public, cached for a year: an image never changes)',
    tags,
    action: null,
    params: ImageParams,
    errors: [404],
    handler: async ({ em, params, req, res }) => {
      const [img] = await em.execute<{ filename: string; content_type: string; size: number; storage_path: string; sha256: string }[]>(
        'select filename, content_type, size, storage_path, sha256 from kb_images where id = ?',
        [params.id],
      );
      if (!img || img.filename !== params.name || !(img.content_type in KB_IMAGE_TYPES)) throw notFound(`Image ${params.id}`);
      const etag = `"${img.sha256}"`;
      const cacheHeaders = () => {
        res.setHeader('ETag', etag);
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
        // Public articles may be shown on other sites (a company web page): let them embed the image.
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      };
      if (req.headers['if-none-match'] === etag) {
        cacheHeaders();
        res.status(304).end();
        return;
      }
      const stream = fs.createReadStream(path.resolve(deps.config.STORAGE_DIR, img.storage_path));
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (err) => reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? notFound(`File of image ${params.id}`) : err));
      });
      cacheHeaders();
      res.status(200);
      res.setHeader('Content-Type', img.content_type);
      res.setHeader('Content-Length', String(img.size));
      res.setHeader('Content-Disposition', `inline; filename="${img.filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(img.filename)}`);
      await pipeline(stream, res);
    },
  });
  return r;
}
