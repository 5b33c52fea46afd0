import type { RequestHandler } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '@mehrdesk/core/domain';
import { bearerToken, hashToken } from './tokens';
import { unauthorized } from '../http/errors';

export interface AuthUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  locale: 'en' | 'fa';
  organizationId: number | null;
  groupIds: number[];
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

/**
 * Resolves `Authorization: Bearer <token>` to a user. A missing header leaves the request
 * anonymous (routes decide); a present but invalid/expired token is refused outright.
 */
export const authenticate: RequestHandler = async (req, _res, next) => {
  const header = req.headers.authorization;
  if (!header) return next();
  const token = bearerToken(header);
  if (!token) throw unauthorized('Authorization header must be "Bearer <token>"');
  const [row] = await req.em.execute<Row[]>(
    `select ${USER_COLUMNS}
       from auth_tokens t join users u on u.id = t.user_id
      where t.token_hash = ? and t.expires_at > now() and u.active`,
    [hashToken(token)],
  );
  if (!row) throw unauthorized('Invalid or expired token');
  req.user = toAuthUser(row);
  next();
};

/** An active user by id, as `authenticate` would see them (for credentials other than a bearer token). */
export async function activeUser(em: EntityManager, id: number): Promise<AuthUser | null> {
  const [row] = await em.execute<Row[]>(`select ${USER_COLUMNS} from users u where u.id = ? and u.active`, [id]);
  return row ? toAuthUser(row) : null;
}
