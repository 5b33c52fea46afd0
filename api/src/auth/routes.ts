import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { verifyPassword } from '@mehrdesk/core/services/passwords';
import { ROLES, LOCALES } from '@mehrdesk/core/domain';
import { defineRoute } from '../http/route';
import { unauthorized } from '../http/errors';
import { bearerToken, newToken, hashToken } from './tokens';
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

const LoginResponse = z.object({ token: z.string(), expiresAt: z.string(), user: UserDto }).meta({ id: 'LoginResponse' });

// A fixed scrypt hash to verify against when the e-mail is unknown, so response time does not
// reveal which addresses have accounts.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

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
    errors: [401],
    handler: async ({ body, em }) => {
      const [u] = await em.execute<{ id: number; password_hash: string | null }[]>(
        'select id, password_hash from users where email = ? and active',
        [body.email],
      );
      const ok = await verifyPassword(body.password, u?.password_hash ?? DUMMY_HASH);
      if (!u || !ok) throw unauthorized('Wrong e-mail or password');
      const { token, hash } = newToken();
      const expiresAt = new Date(Date.now() + deps.config.TOKEN_TTL_HOURS * 3600_000);
      await em.execute('insert into auth_tokens (user_id, token_hash, created_at, expires_at) values (?, ?, now(), ?)', [u.id, hash, expiresAt]);
      const [me] = await em.execute<z.infer<typeof UserDto>[]>(
        `select u.id, u.email, u.name, u.role, u.locale, u.organization_id as "organizationId",
                array(select group_id from group_members where user_id = u.id order by group_id) as "groupIds"
           from users u where u.id = ?`,
        [u.id],
      );
      return { token, expiresAt: expiresAt.toISOString(), user: me! };
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
