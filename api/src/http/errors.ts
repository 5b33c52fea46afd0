import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import { DomainError, type DomainErrorKind, type FieldProblem } from '@mehrdesk/usecases/errors';
import { OverloadedError } from '@mehrdesk/usecases/tickets/admission';
import { DATABASE_RETRY_AFTER_SECONDS, databaseUnavailable } from './database-unavailable';

// Typed HTTP errors; one Express 5 error middleware turns them, the use cases' domain errors
// and zod failures into JSON bodies naming the problem, so every 4xx looks the same to clients.

export type FieldError = FieldProblem;

/** The HTTP status of each kind of domain error. */
const STATUS_OF_KIND: Record<DomainErrorKind, number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, unprocessable: 422, unavailable: 503, overloaded: 429 };
const KIND_OF_STATUS: Record<number, DomainErrorKind> = { 400: 'invalid', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 422: 'unprocessable', 429: 'overloaded', 503: 'unavailable' };

/** An error the API raises itself: a domain error with the exact status to answer. */
export class HttpError extends DomainError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    fields?: FieldError[],
  ) {
    super(KIND_OF_STATUS[status] ?? 'invalid', code, message, fields);
    this.name = 'HttpError';
  }
}

/** The status a domain error answers with. */
export const httpStatusOf = (err: DomainError): number => (err instanceof HttpError ? err.status : STATUS_OF_KIND[err.kind]);

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
  if (err instanceof DomainError) {
    if (err instanceof OverloadedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    res.status(httpStatusOf(err)).json({ error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } });
    return;
  }
  // Body parser failures (malformed JSON, too large) come as http-errors with a status.
  const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    const message = err.type === 'entity.parse.failed' ? 'Malformed JSON body' : err.type === 'entity.too.large' ? 'Request body too large' : String(err.message ?? 'Bad request');
    res.status(status).json({ error: { code: err.type ?? 'bad_request', message } });
    return;
  }
  if (databaseUnavailable(err)) {
    req.log?.warn({ err }, 'database unavailable or too slow: answered 503');
    res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    res.status(503).json({ error: { code: 'database_unavailable', message: 'The database is unavailable or too slow right now; try again shortly' } });
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).json({ error: { code: 'internal', message: 'Internal server error', requestId: req.id } });
};
