import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { LOCALES } from '@mehrdesk/core/domain';
import { hashPassword, verifyPassword } from '@mehrdesk/core/services/passwords';
import type { AppDeps } from '../deps';
import { badRequest } from '../http/errors';
import { defineRoute } from '../http/route';
import { newPassword, userName } from './fields';
import { activeUser } from './authenticate';
import { UserDto } from './routes';
import { bearerToken, hashToken } from './tokens';

// Everyone's self-service profile (customers and staff alike): their name, the language the
// console and every e-mail to them use (saved to the account, not only in the browser), and
// their password. Changing the password signs out every other session of the account.

const ProfileBody = z
  .object({ name: userName, locale: z.enum(LOCALES).describe('Language of the console and of e-mails to this user') })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to change' })
  .meta({ id: 'ProfileRequest' });

const PasswordBody = z
  .object({ currentPassword: z.string().min(1).max(1024), newPassword })
  .strict()
  .refine((b) => b.currentPassword !== b.newPassword, { message: 'must differ from the current password', path: ['newPassword'] })
  .meta({ id: 'PasswordChangeRequest' });

export function profileRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  defineRoute(r, registry, {
    method: 'patch',
    path: '/auth/me',
    summary: 'Change your own name or language',
    tags: ['auth'],
    action: 'auth.session',
    body: ProfileBody,
    response: UserDto,
    handler: async ({ body, em, user }) => {
      const sets: [string, unknown][] = [];
      if (body.name !== undefined) sets.push(['name = ?', body.name]);
      if (body.locale !== undefined) sets.push(['locale = ?', body.locale]);
      await em.execute(`update users set ${sets.map(([c]) => c).join(', ')} where id = ?`, [...sets.map(([, v]) => v), user.id]);
      return (await activeUser(em, user.id))!;
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/me/password',
    summary: 'Change your own password (the current one is required); every other session of the account is signed out',
    tags: ['auth'],
    action: 'auth.session',
    body: PasswordBody,
    status: 204,
    errors: [400],
    handler: async ({ body, em, user, req }) => {
      const [row] = await em.execute<{ password_hash: string | null }[]>('select password_hash from users where id = ?', [user.id]);
      if (!row?.password_hash || !(await verifyPassword(body.currentPassword, row.password_hash)))
        throw badRequest('The current password is wrong', [{ path: 'body.currentPassword', message: 'does not match' }]);
      const hash = await hashPassword(body.newPassword);
      await em.transactional(async (tx) => {
        await tx.execute('update users set password_hash = ? where id = ?', [hash, user.id]);
        await tx.execute('delete from auth_tokens where user_id = ? and token_hash <> ?', [user.id, hashToken(bearerToken(req.headers.authorization) ?? '')]);
      });
      return undefined;
    },
  });
  return r;
}
