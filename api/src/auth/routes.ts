import { Router, type Request } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '@mehrdesk/core/services/passwords';
import { ROLES, LOCALES } from '@mehrdesk/core/domain';
import { defineRoute } from '../http/route';
import { HttpError, unauthorized } from '../http/errors';
import { recordAudit } from '@mehrdesk/core/services/audit';
import { auditContext } from '../audit/context';
import { pendingSignupMatches, sendLater } from '../portal/signups';
import { originOf, SESSION_STAGES, startSession } from './session';
import { refused, type LoginThrottle } from './login-throttle';
import type { AppDeps } from '../deps';

export const UserDto = z
  .object({
    id: z.number().int(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    locale: z.enum(LOCALES),
    organizationId: z.number().int().nullable(),
    groupIds: z.array(z.number().int()),
  })
  .meta({ id: 'User' });

const LoginBody = z
  .object({
    email: z.string().trim().toLowerCase().email().max(254),
    password: z.string().min(1).max(1024),
  })
  .strict()
  .meta({ id: 'LoginRequest' });

export const LoginResponse = z
  .object({
    token: z.string(),
    expiresAt: z.string(),
    stage: z
      .enum(SESSION_STAGES)
      .describe('`full`: signed in. `mfa`: send the two-factor code (POST /auth/mfa/verify). `enrol`: your role requires two-factor sign-in; set it up (POST /auth/mfa/setup) first'),
    user: UserDto,
  })
  .meta({ id: 'LoginResponse' });

export function authRoutes(deps: AppDeps, registry: OpenAPIRegistry, throttle: LoginThrottle): Router {
  const r = Router();
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/login',
    summary: 'Exchange e-mail and password for a bearer token (throttled: repeated wrong passwords delay, then lock the account for a while)',
    tags: ['auth'],
    action: null,
    body: LoginBody,
    response: LoginResponse,
    errors: [401, 403, 429],
    handler: async ({ body, em, req, res }) => {
      const audit = auditContext(req);
      const refusal = await throttle.refusal(req, body.email);
      if (refusal) {
        res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
        throw refused(refusal);
      }
      const [u] = await em.execute<{ id: number; password_hash: string | null; name: string }[]>('select id, password_hash, name from users where email = ? and active', [body.email]);
      const ok = await verifyPassword(body.password, u?.password_hash ?? DUMMY_PASSWORD_HASH);
      if (u && ok) {
        const session = await startSession(em, deps.config, u.id, originOf(req));
        // With a second factor due, the series of failures ends only when it is given: otherwise
        // someone holding the password could reset the count between guesses of the code.
        if (session.stage !== 'mfa') await throttle.succeeded(body.email);
        await recordAudit(em, { ...audit, actor: { kind: 'user', id: u.id, email: body.email }, action: 'auth.login_succeeded', targetType: 'user', targetId: u.id, detail: { stage: session.stage } });
        return session;
      }
      // Only someone who knows the password of a sign-up still waiting for its link learns that
      // it waits: they made it.
      if (await pendingSignupMatches(em, body.email, body.password))
        throw new HttpError(403, 'email_unverified', 'Confirm your e-mail address first: follow the link we sent you, or ask for a new one');
      await signInFailed(deps, em, throttle, req, { email: body.email, userId: u?.id ?? null, reason: 'wrong_password' });
      throw unauthorized('Wrong e-mail or password');
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/logout',
    summary: 'Revoke the current token (also a session still waiting for its second factor)',
    tags: ['auth'],
    action: null,
    bearer: true,
    status: 204,
    handler: async ({ req, em }) => {
      const session = req.user?.sessionId ?? req.pendingSession?.sessionId;
      if (session === undefined) throw unauthorized();
      await em.execute('delete from auth_tokens where id = ?', [session]);
      return undefined;
    },
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/auth/me',
    summary: 'The authenticated user',
    tags: ['auth'],
    action: 'auth.session',
    response: UserDto,
    handler: async ({ user }) => UserDto.parse(user),
  });
  return r;
}

/**
 * A wrong password or second-factor code: audited, counted (which may delay or lock the
 * address), and when it locks the account, its owner is told by e-mail.
 */
export async function signInFailed(
  deps: AppDeps,
  em: EntityManager,
  throttle: LoginThrottle,
  req: Request,
  attempt: { email: string; userId: number | null; reason: 'wrong_password' | 'wrong_code' },
): Promise<void> {
  const audit = auditContext(req);
  const { failures, locked } = await throttle.failed(req, attempt.email);
  const actor = { kind: 'anonymous' as const, id: attempt.userId, email: attempt.email };
  await recordAudit(em, { ...audit, actor, action: 'auth.login_failed', targetType: 'user', targetId: attempt.userId, detail: { reason: attempt.reason, failuresInARow: failures } });
  if (!locked) return;
  await recordAudit(em, { ...audit, actor, action: 'auth.account_locked', targetType: 'user', targetId: attempt.userId, detail: { minutes: deps.config.LOGIN_LOCK_MINUTES, failures } });
  if (attempt.userId !== null)
    sendLater(deps, {
      kind: 'account_locked',
      recipientId: attempt.userId,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      lock: { minutes: deps.config.LOGIN_LOCK_MINUTES, failures, clientAddress: audit.clientAddress ?? 'unknown' },
      requestId: audit.requestId ?? '',
    });
}
