import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import busboy from 'busboy';
import { newUploadTempPath, removeFile } from '@mehrdesk/core/attachments/storage';
import { badRequest, HttpError } from '../http/errors';

// Receiving one uploaded file (multipart/form-data, field `file`) without ever holding it in
// memory: busboy parses the body as it arrives and the file's bytes flow through a SHA-256 hash
// into a temporary file under STORAGE_DIR. Limits are enforced while streaming: the file is cut
// at the size limit, and so is the request as a whole (file plus a little multipart overhead),
// whatever Content-Length claims. Any failure (a limit, a malformed body, the client going away
// mid-body) removes the temporary file before the request is answered.

export interface ReceivedUpload {
  tempPath: string;
  sha256: string;
  size: number;
  /** As the client sent it (not yet normalised). */
  filename: string;
  /** The part's Content-Type: a claim, checked against the bytes later. */
  declaredType: string;
}

export const FILE_FIELD = 'body.file';
/** Request bytes allowed besides the file: boundaries, part headers, a few small fields. */
const MULTIPART_OVERHEAD = 64 * 1024;
/**
 * After refusing a request whose body is still arriving, its rest is read and dropped for this
 * long, so the client gets to read the answer (closing at once would reset the connection under
 * it); then the connection is cut.
 */
const LINGER_MS = 5000;

export const fileTooLarge = (maxBytes: number) =>
  new HttpError(413, 'file_too_large', `The file is larger than the limit of ${maxBytes} bytes`, [{ path: FILE_FIELD, message: `At most ${maxBytes} bytes` }]);
const aborted = () => new HttpError(400, 'upload_aborted', 'The upload was interrupted before the whole body arrived', [{ path: FILE_FIELD, message: 'Incomplete' }]);

/** Read and drop what is left of a refused request's body for a while, then cut the connection. */
function linger(req: Request, res: Response): void {
  if (req.complete) return;
  req.resume();
  res.once('finish', () => {
    if (req.complete) return;
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
  });
}

export async function receiveUpload(
  req: Request,
  res: Response,
  opts: { maxFileBytes: number; storageDir: string; /** Told of every chunk received (uploads/reclaim.ts). */ onBytes?: (bytes: number) => void },
): Promise<ReceivedUpload> {
  const { maxFileBytes } = opts;
  if (!req.is('multipart/form-data')) {
    linger(req, res);
    throw new HttpError(415, 'unsupported_media_type', 'Send multipart/form-data with the file in the field `file`', [{ path: FILE_FIELD, message: 'Required (as multipart/form-data)' }]);
  }
  const maxRequestBytes = maxFileBytes + MULTIPART_OVERHEAD;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxRequestBytes) {
    linger(req, res);
    throw fileTooLarge(maxFileBytes);
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Browsers send file names as raw UTF-8 (Persian names stay Persian).
      defParamCharset: 'utf8',
      // busboy signals the limit on reaching it: one byte more lets a file of exactly the limit through.
      limits: { files: 1, fileSize: maxFileBytes + 1, fields: 5, parts: 6, fieldSize: 1024, fieldNameSize: 100, headerPairs: 20 },
    });
  } catch (err) {
    linger(req, res);
    throw badRequest('Malformed multipart request', [{ path: 'headers.content-type', message: err instanceof Error ? err.message : 'Invalid' }]);
  }
  const tempPath = await newUploadTempPath(opts.storageDir);

  return new Promise<ReceivedUpload>((resolve, reject) => {
    let settled = false;
    let source: Readable | null = null;
    let writing: Promise<Omit<ReceivedUpload, 'filename' | 'declaredType'>> | null = null;
    let info: { filename: string; declaredType: string } | null = null;
    let received = 0;

    const fail = (err: HttpError) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      source?.destroy();
      linger(req, res);
      // The temporary file goes before the answer does: a refused upload leaves nothing behind.
      void (writing ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => removeFile(tempPath))
        .catch(() => undefined)
        .then(() => reject(err));
    };

    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxRequestBytes) fail(fileTooLarge(maxFileBytes));
    });
    req.once('error', () => fail(aborted()));
    req.once('close', () => {
      if (!req.complete) fail(aborted());
    });

    parser.on('file', (name, stream, fileInfo) => {
      if (settled) {
        stream.resume();
        return;
      }
      if (name !== 'file') {
        stream.resume();
        fail(badRequest('Unexpected file field', [{ path: `body.${name}`, message: 'Send the file in the field `file`' }]));
        return;
      }
      source = stream;
      info = { filename: fileInfo.filename ?? '', declaredType: fileInfo.mimeType ?? '' };
      stream.once('limit', () => fail(fileTooLarge(maxFileBytes)));
      const hash = createHash('sha256');
      let size = 0;
      writing = pipeline(
        stream,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            opts.onBytes?.(chunk.length);
            yield chunk;
          }
        },
        fs.createWriteStream(tempPath, { flags: 'wx' }),
      ).then(() => ({ tempPath, sha256: hash.digest('hex'), size }));
      writing.catch((err: unknown) => {
        if (!settled) {
          settled = true;
          linger(req, res);
          void removeFile(tempPath).finally(() => reject(err));
        }
      });
    });
    parser.on('field', (name) => fail(badRequest('Unknown field', [{ path: `body.${name}`, message: 'Unknown field: send only the file, in the field `file`' }])));
    parser.on('filesLimit', () => fail(badRequest('One file per upload', [{ path: FILE_FIELD, message: 'Send one file per request' }])));
    parser.on('partsLimit', () => fail(badRequest('Too many parts', [{ path: 'body', message: 'Send only the file, in the field `file`' }])));
    parser.on('fieldsLimit', () => fail(badRequest('Too many fields', [{ path: 'body', message: 'Send only the file, in the field `file`' }])));
    parser.on('error', (err: unknown) => fail(badRequest('Malformed multipart body', [{ path: 'body', message: err instanceof Error ? err.message : 'Malformed' }])));
    parser.on('close', () => {
      if (settled) return;
      if (!writing || !info) {
        fail(badRequest('No file', [{ path: FILE_FIELD, message: 'Required' }]));
        return;
      }
      const named = info;
      writing.then(
        (written) => {
          if (settled) return;
          settled = true;
          resolve({ ...written, ...named });
        },
        () => undefined, // handled where `writing` was made
      );
    });
    req.pipe(parser);
  });
}
