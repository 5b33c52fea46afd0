import type { RequestHandler } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '@mehrdesk/core/domain';
import { bearerToken, hashToken, isApiKey } from './tokens';
import { unauthorized } from '../http/errors';

export interface AuthUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  locale: 'en' | 'fa';
  organizationId: number | null;
  groupIds: number[];
  /** The session (auth_tokens row) the request came with, when it came with one. */
  sessionId?: number;
  /** Set when the caller authenticated with an API key (acting as the key's user, within its scopes). */
  apiKeyId?: number;
  apiKeyScopes?: readonly string[];
  /** The API key's own budget of requests per minute. */
  apiKeyRateLimit?: number;
}

/** A session whose sign-in is not finished (second factor due, or enrolment required): only the two-factor routes accept it. */
export interface PendingSession {
  sessionId: number;
  stage: 'mfa' | 'enrol';
  user: AuthUser;
}

interface Row {
  id: number;
  email: string;
  name: string;
  role: Role;
  locale: 'en' | 'fa';
  organization_id: number | null;
  group_ids: number[] | null;
}

const USER_COLUMNS = `u.id, u.email, u.name, u.role, u.locale, u.organization_id,
            array(select gm.group_id from group_members gm where gm.user_id = u.id order by gm.group_id) as group_ids`;

const toAuthUser = (row: Row): AuthUser => ({ id: row.id, email: row.email, name: row.name, role: row.role, locale: row.locale, organizationId: row.organization_id, groupIds: row.group_ids ?? [] });

/** Last-used times are written at most this often per session or key (one write, not one per request). */
const TOUCH_EVERY_SECONDS = 60;

/**
 * Resolves `Authorization: Bearer <token>` (a session token or an API key) to a user. A missing
 * header leaves the request anonymous (routes decide); a present but invalid, expired or revoked
 * credential is refused outright. A session still waiting for its second factor is not a user:
 * it is `req.pendingSession`, which only the two-factor routes read.
 */
export const authenticate: RequestHandler = async (req, _res, next) => {
  const header = req.headers.authorization;
  if (!header) return next();
  const token = bearerToken(header);
  if (!token) throw unauthorized('Authorization header must be "Bearer <token>"');
  if (isApiKey(token)) {
    const [row] = await req.em.execute<(Row & { key_id: number; scopes: string[]; rate_limit_per_minute: number; stale: boolean })[]>(
      `select ${USER_COLUMNS}, k.id as key_id, k.scopes, k.rate_limit_per_minute,
              (k.last_used_at is null or k.last_used_at < now() - make_interval(secs => ?)) as stale
         from api_keys k join users u on u.id = k.user_id
        where k.key_hash = ? and k.revoked_at is null and (k.expires_at is null or k.expires_at > now()) and u.active`,
      [TOUCH_EVERY_SECONDS, hashToken(token)],
    );
    if (!row) throw unauthorized('Invalid, expired or revoked API key');
    if (row.stale) await req.em.execute('update api_keys set last_used_at = now() where id = ?', [row.key_id]);
    req.user = { ...toAuthUser(row), apiKeyId: row.key_id, apiKeyScopes: row.scopes, apiKeyRateLimit: row.rate_limit_per_minute };
    return next();
  }
  const [row] = await req.em.execute<(Row & { session_id: number; stage: 'full' | 'mfa' | 'enrol'; stale: boolean })[]>(
    `select ${USER_COLUMNS}, t.id as session_id, t.stage,
            (t.last_used_at is null or t.last_used_at < now() - make_interval(secs => ?)) as stale
       from auth_tokens t join users u on u.id = t.user_id
      where t.token_hash = ? and t.expires_at > now() and u.active`,
    [TOUCH_EVERY_SECONDS, hashToken(token)],
  );
  if (!row) throw unauthorized('Invalid or expired token');
  if (row.stale) await req.em.execute('update auth_tokens set last_used_at = now() where id = ?', [row.session_id]);
  const user = { ...toAuthUser(row), sessionId: row.session_id };
  if (row.stage === 'full') req.user = user;
  else req.pendingSession = { sessionId: row.session_id, stage: row.stage, user };
  next();
};

/** An active user by id, as `authenticate` would see them (for credentials other than a bearer token). */
export async function activeUser(em: EntityManager, id: number): Promise<AuthUser | null> {
  const [row] = await em.execute<Row[]>(`select ${USER_COLUMNS} from users u where u.id = ? and u.active`, [id]);
  return row ? toAuthUser(row) : null;
}
