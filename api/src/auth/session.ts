import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import { activeUser, type AuthUser } from './authenticate';
import { newToken } from './tokens';

// A signed-in session: a new bearer token for a user, as POST /auth/login and the portal's
// links (verification, reset, magic) answer with.

export interface Session {
  token: string;
  expiresAt: string;
  user: AuthUser;
}

export async function startSession(em: EntityManager, config: Pick<Config, 'TOKEN_TTL_HOURS'>, userId: number): Promise<Session> {
  const { token, hash } = newToken();
  const expiresAt = new Date(Date.now() + config.TOKEN_TTL_HOURS * 3600_000);
  await em.execute('insert into auth_tokens (user_id, token_hash, created_at, expires_at) values (?, ?, now(), ?)', [userId, hash, expiresAt]);
  const user = await activeUser(em, userId);
  if (!user) throw new Error(`user ${userId} is not active`);
  return { token, expiresAt: expiresAt.toISOString(), user };
}
