import { isApiError } from '../api/http';

// What to tell the customer about a failed request: the portal's own words for the answers it
// knows (no connection, too many attempts, signed out, links), the server's message otherwise.

type T = (key: string, values?: Record<string, unknown>) => string;

const BY_CODE: Record<string, string> = {
  network: 'errors.network',
  rate_limited: 'errors.rateLimited',
  signup_closed: 'errors.signupClosed',
  email_domain_not_allowed: 'errors.domainNotAllowed',
  email_unverified: 'errors.unverified',
  link_invalid: 'link.invalid',
  link_expired: 'link.expired',
  link_used: 'link.used',
  account_exists: 'link.accountExists',
  survey_closed: 'survey.closed',
};

export function errorMessage(err: unknown, t: T): string {
  if (!isApiError(err)) return t('errors.unexpected');
  const key = BY_CODE[err.code];
  if (key) return t(key);
  if (err.status === 0) return t('errors.network');
  if (err.status === 429) return t('errors.rateLimited');
  if (err.status === 401) return t('errors.signedOut');
  if (err.status >= 500) return t('errors.server');
  return err.message;
}

/** Field messages by field name (`body.email` → `email`). */
export function fieldErrors(err: unknown): Record<string, string> {
  return isApiError(err) ? err.fieldErrors() : {};
}

/** The message key for a link the server refused (invalid, expired, used…); unknown codes read as invalid. */
export function linkProblemKey(code: string): string {
  return BY_CODE[code]?.startsWith('link.') ? BY_CODE[code]! : 'link.invalid';
}
