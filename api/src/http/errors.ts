import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';

// Typed HTTP errors; one Express 5 error middleware turns them (and zod failures) into JSON
// bodies naming the problem, so every 4xx looks the same to clients.

export interface FieldError {
  path: string;
  message: string;
  /** RFC 6901 pointer into the request body, where a client edits JSON documents (rules). */
  pointer?: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
  ) {
    super(message);
  }
}

export const badRequest = (message: string, fields?: FieldError[]) => new HttpError(400, 'bad_request', message, fields);
export const unauthorized = (message = 'Authentication required') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message = 'You are not allowed to do this') => new HttpError(403, 'forbidden', message);
export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string) => new HttpError(409, code, message);
export const unprocessable = (message: string, fields?: FieldError[]) => new HttpError(422, 'unprocessable', message, fields);
export const unavailable = (message: string) => new HttpError(503, 'unavailable', message);

/** Flatten zod issues into `location.path` entries; unknown keys become one entry per key. */
export function zodFields(err: z.ZodError, location: string): FieldError[] {
  return err.issues.flatMap((issue) => {
    const base = [location, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => ({ path: `${base}.${k}`, message: 'Unknown field' }));
    return [{ path: base, message: issue.message }];
  });
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof HttpError) {
    res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } });
    return;
  }
  // Body parser failures (malformed JSON, too large) come as http-errors with a status.
  const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    const message = err.type === 'entity.parse.failed' ? 'Malformed JSON body' : err.type === 'entity.too.large' ? 'Request body too large' : String(err.message ?? 'Bad request');
    res.status(status).json({ error: { code: err.type ?? 'bad_request', message } });
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).json({ error: { code: 'internal', message: 'Internal server error', requestId: req.id } });
};
