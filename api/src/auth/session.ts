import type { Request } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import { securitySettings } from '@mehrdesk/core/services/security-settings';
import { clientAddress } from '../http/client-address';
import { activeUser, type AuthUser } from './authenticate';
import { newToken } from './tokens';

// A signed-in session: a new bearer token for a user, as POST /auth/login and the portal's
// links (verification, reset, magic) answer with. Every way in goes through here, so none
// skips the second factor: a user with two-factor sign-in gets a session at stage `mfa` (it can
// only send the code), a user whose role requires it but has none set up gets `enrol` (it can
// only set it up); both last minutes, and become `full` sessions in place (mfa-routes.ts).

export const SESSION_STAGES = ['full', 'mfa', 'enrol'] as const;
export type SessionStage = (typeof SESSION_STAGES)[number];

/** How long a session waiting for its second factor (or for enrolment) stays usable. */
export const PENDING_SESSION_MINUTES = 15;

export interface Session {
  token: string;
  expiresAt: string;
  stage: SessionStage;
  user: AuthUser;
}

/** Where a session was started from, as the user's session list shows it. */
export interface SessionOrigin {
  clientAddress: string | null;
  userAgent: string | null;
}

export const originOf = (req: Request): SessionOrigin => ({
  clientAddress: clientAddress(req),
  // Control characters would only garble the session list.
  userAgent: (req.headers['user-agent'] ?? '').replace(/[\p{Cc}]/gu, '').slice(0, 300) || null,
});

/** The stage a new session of this user starts at. */
export async function stageFor(em: EntityManager, config: Pick<Config, 'MFA_REQUIRED_ROLES'>, user: AuthUser): Promise<SessionStage> {
  const [row] = await em.execute<{ enrolled: boolean }[]>('select totp_enabled_at is not null as enrolled from users where id = ?', [user.id]);
  if (row?.enrolled) return 'mfa';
  if (user.role === 'customer') return 'full';
  const { mfaRequiredRoles } = await securitySettings(em, config);
  return (mfaRequiredRoles as string[]).includes(user.role) ? 'enrol' : 'full';
}

export async function startSession(em: EntityManager, config: Pick<Config, 'TOKEN_TTL_HOURS' | 'MFA_REQUIRED_ROLES'>, userId: number, origin: SessionOrigin): Promise<Session> {
  const user = await activeUser(em, userId);
  if (!user) throw new Error(`user ${userId} is not active`);
  const stage = await stageFor(em, config, user);
  const { token, hash } = newToken();
  const expiresAt = new Date(Date.now() + (stage === 'full' ? config.TOKEN_TTL_HOURS * 3600_000 : PENDING_SESSION_MINUTES * 60_000));
  await em.execute(
    `insert into auth_tokens (user_id, token_hash, created_at, expires_at, last_used_at, client_address, user_agent, stage)
     values (?, ?, now(), ?, now(), ?, ?, ?)`,
    [userId, hash, expiresAt, origin.clientAddress, origin.userAgent, stage],
  );
  return { token, expiresAt: expiresAt.toISOString(), stage, user };
}

/** A pending session, its second factor done: a full session from now on, under the same token. */
export async function completeSession(em: EntityManager, config: Pick<Config, 'TOKEN_TTL_HOURS'>, tokenId: number): Promise<string> {
  const expiresAt = new Date(Date.now() + config.TOKEN_TTL_HOURS * 3600_000);
  await em.execute(`update auth_tokens set stage = 'full', expires_at = ?, last_used_at = now() where id = ?`, [expiresAt, tokenId]);
  return expiresAt.toISOString();
}
