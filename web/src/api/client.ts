import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

// The one HTTP client of the console: openapi-fetch typed by schema.d.ts, which is generated
// from the API's OpenAPI document (`npm run api:types`; a test fails when it is stale). A
// middleware adds the bearer token; every failure becomes an ApiError that carries the
// server's message and `error.fields`, so forms can put each message next to its field.

export type ApiPaths = paths;

export interface FieldError {
  path: string;
  message: string;
  pointer?: string;
}

/** An API answer other than 2xx, or no answer at all (status 0, code `network`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The server's message for one request field: `email` matches `body.email`,
   * `query.email` and `email`; nested paths keep their dots (`preferences.0.email`).
   */
  fieldError(field: string): string | undefined {
    return this.fields.find((f) => stripLocation(f.path) === field)?.message;
  }

  /** Messages by field name, for `:error-messages` of every field of a form at once. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.fields) out[stripLocation(f.path)] ??= f.message;
    return out;
  }
}

const stripLocation = (path: string) => path.replace(/^(body|query|params|headers)\./, '');

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** Build an ApiError from a failed response's body (the API's `{ error: { code, message, fields } }`). */
export function apiErrorFrom(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } } | null)?.error;
  if (e && typeof e.message === 'string') {
    const fields = Array.isArray(e.fields) ? (e.fields as FieldError[]).filter((f) => f && typeof f.path === 'string' && typeof f.message === 'string') : [];
    return new ApiError(status, typeof e.code === 'string' ? e.code : 'error', e.message, fields);
  }
  return new ApiError(status, 'http_error', `HTTP ${status}`);
}

// ---- session: the bearer token, shared by this client, the SSE connection and downloads ----

const TOKEN_KEY = 'mehrdesk.token';
let token: string | null = readStoredToken();
const unauthorizedListeners = new Set<() => void>();

function readStoredToken(): string | null {
  try {
    return globalThis.localStorage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return token;
}

export function setToken(value: string | null): void {
  token = value;
  try {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage unavailable (private mode): the session lasts as long as the tab */
  }
}

/** Called when the API answers 401 to a request that carried a token (expired or revoked). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const authMiddleware: Middleware = {
  onRequest({ request }) {
    if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has('authorization')) for (const l of unauthorizedListeners) l();
    return response;
  },
};

function baseUrl(): string {
  const origin = globalThis.location?.origin;
  return origin && origin !== 'null' ? origin : '';
}

export const api = createClient<ApiPaths>({
  baseUrl: baseUrl(),
  // Looked up per call, so tests can stub globalThis.fetch after this module loaded.
  fetch: (request) => globalThis.fetch(request),
});
api.use(authMiddleware);

type Result<T> = { data?: T; error?: unknown; response: Response };

/**
 * Await an openapi-fetch call and return its data, or throw an ApiError with the server's
 * message and fields (network failures become status 0, code `network`).
 */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (!result.response.ok) throw apiErrorFrom(result.response.status, result.error);
  return result.data as T;
}

/**
 * Open an attachment in a new tab. A tab cannot send the bearer token, so the console asks for
 * a one-minute link signed for this user and file, and the browser fetches the file from the
 * server with its sandbox headers (CSP sandbox, nosniff, Content-Disposition). Never a blob:
 * URL: that would show an HTML or SVG file in the console's own origin, scripts and all.
 * With pop-ups blocked, the same link is downloaded instead.
 */
export async function openAttachment(attachment: { id: number; filename: string }): Promise<void> {
  // Opened before the request, while the click still counts as a user gesture for pop-up blockers.
  const win = window.open('', '_blank');
  let link: { url: string };
  try {
    link = await unwrap(api.POST('/api/v1/attachments/{id}/link', { params: { path: { id: String(attachment.id) } } }));
  } catch (err) {
    win?.close();
    throw err;
  }
  const href = new URL(link.url, baseUrl() || globalThis.location.href).href;
  if (win) {
    win.opener = null;
    win.location.href = href;
  } else {
    const a = document.createElement('a');
    a.href = href;
    a.download = attachment.filename;
    a.rel = 'noopener noreferrer';
    a.click();
  }
}
