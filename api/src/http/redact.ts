// Request logs (pino-http) must never carry credentials: bearer tokens and cookies in headers,
// the signed links' `token` in the query string, and the survey links' token in their path
// (`/public/surveys/<token>`).

export interface SerializedRequest {
  url?: string;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  [key: string]: unknown;
}

const REDACTED = '[redacted]';
const SECRET_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
/** Routes whose path carries a link token. */
const TOKEN_IN_PATH = /(\/public\/surveys\/)[^/?#]+/gi;

export function redactRequest(req: SerializedRequest): SerializedRequest {
  const headers = req.headers && Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, SECRET_HEADERS.includes(k.toLowerCase()) ? REDACTED : v]));
  const query = req.query && 'token' in req.query ? { ...req.query, token: REDACTED } : req.query;
  const url = req.url?.replace(/([?&]token=)[^&#]*/gi, `$1${REDACTED}`).replace(TOKEN_IN_PATH, `$1${REDACTED}`);
  return { ...req, ...(url !== undefined ? { url } : {}), ...(query ? { query } : {}), ...(headers ? { headers } : {}) };
}
