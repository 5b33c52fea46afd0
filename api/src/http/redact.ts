// Request logs (pino-http) must never carry credentials: bearer tokens and cookies in headers,
// and the signed attachment links' `token` in the query string.

export interface SerializedRequest {
  url?: string;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  [key: string]: unknown;
}

const REDACTED = '[redacted]';
const SECRET_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export function redactRequest(req: SerializedRequest): SerializedRequest {
  const headers = req.headers && Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, SECRET_HEADERS.includes(k.toLowerCase()) ? REDACTED : v]));
  const query = req.query && 'token' in req.query ? { ...req.query, token: REDACTED } : req.query;
  return { ...req, ...(req.url !== undefined ? { url: req.url.replace(/([?&]token=)[^&#]*/gi, `$1${REDACTED}`) } : {}), ...(query ? { query } : {}), ...(headers ? { headers } : {}) };
}
