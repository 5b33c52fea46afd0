import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '@mehrdesk/core/services/passwords';
import { ROLES, LOCALES } from '@mehrdesk/core/domain';
import { defineRoute } from '../http/route';
import { HttpError, unauthorized } from '../http/errors';
import { pendingSignupMatches } from '../portal/signups';
import { startSession } from './session';
import { bearerToken, hashToken } from './tokens';
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

export const LoginResponse = z.object({ token: z.string(), expiresAt: z.string(), user: UserDto }).meta({ id: 'LoginResponse' });

export function authRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/login',
    summary: 'Exchange e-mail and password for a bearer token',
    tags: ['auth'],
    action: null,
    body: LoginBody,
    response: LoginResponse,
    errors: [401, 403],
    handler: async ({ body, em }) => {
      const [u] = await em.execute<{ id: number; password_hash: string | null }[]>('select id, password_hash from users where email = ? and active', [body.email]);
      const ok = await verifyPassword(body.password, u?.password_hash ?? DUMMY_PASSWORD_HASH);
      if (u && ok) return startSession(em, deps.config, u.id);
      // Only someone who knows the password of a sign-up still waiting for its link learns that
      // it waits: they made it.
      if (await pendingSignupMatches(em, body.email, body.password))
        throw new HttpError(403, 'email_unverified', 'Confirm your e-mail address first: follow the link we sent you, or ask for a new one');
      throw unauthorized('Wrong e-mail or password');
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/logout',
    summary: 'Revoke the current token',
    tags: ['auth'],
    action: 'auth.session',
    status: 204,
    handler: async ({ req, em }) => {
      await em.execute('delete from auth_tokens where token_hash = ?', [hashToken(bearerToken(req.headers.authorization) ?? '')]);
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
    handler: async ({ user }) => user,
  });
  return r;
}
