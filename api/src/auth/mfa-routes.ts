import { Router, type Request } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { isStaff } from '@mehrdesk/core/domain';
import { recordAudit } from '@mehrdesk/core/services/audit';
import { verifyPassword } from '@mehrdesk/core/services/passwords';
import { securitySettings } from '@mehrdesk/core/services/security-settings';
import type { AppDeps } from '../deps';
import { auditContext } from '../audit/context';
import { badRequest, conflict, forbidden, HttpError, unauthorized } from '../http/errors';
import { defineRoute } from '../http/route';
import { IdParams } from '../http/params';
import type { AuthUser } from './authenticate';
import { refused, type LoginThrottle } from './login-throttle';
import { LoginResponse, signInFailed, UserDto } from './routes';
import { completeSession } from './session';
import { bearerToken } from './tokens';
import { acceptedStep, decryptTotpSecret, encryptTotpSecret, hashRecoveryCode, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, otpauthUri } from './totp';

// Two-factor sign-in (X1) for staff: set up with an authenticator app (TOTP), turned on by a
// first code, with ten single-use recovery codes for a lost phone. Signing in then takes the
// password (POST /auth/login answers a session at stage `mfa`) and a code (POST
// /auth/mfa/verify). Wrong codes count with wrong passwords toward the address's delay and lock.
// Admins can require it per role (PUT /settings/security): such users' sessions start at stage
// `enrol` until they set it up, and they cannot turn it off.

const TotpCode = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'must be the 6-digit code from the authenticator app');
const CodeOrRecovery = z.string().trim().min(6).max(20).describe('The 6-digit code from the authenticator app, or one of the recovery codes');
const Password = z.string().min(1).max(1024);

const MfaStatus = z
  .object({
    enabled: z.boolean(),
    enabledAt: z.string().nullable(),
    required: z.boolean().describe('Your role must use two-factor sign-in (then it cannot be turned off)'),
    recoveryCodesLeft: z.number().int(),
  })
  .meta({ id: 'MfaStatus' });
const MfaSetup = z.object({ secret: z.string().describe('Base32, for typing into an app by hand'), otpauthUri: z.string().describe('What the QR code carries') }).meta({ id: 'MfaSetup' });
const RecoveryCodes = z
  .object({ recoveryCodes: z.array(z.string()).describe('Shown once: each works once in place of a code'), stage: z.literal('full'), expiresAt: z.string().nullable() })
  .meta({ id: 'MfaRecoveryCodes' });

interface Caller {
  user: AuthUser;
  sessionId: number;
  stage: 'full' | 'mfa' | 'enrol';
}

/** A person's session (not an API key), at one of the allowed stages. */
function caller(req: Request, stages: Caller['stage'][]): Caller {
  const full = req.user && req.user.sessionId !== undefined ? { user: req.user, sessionId: req.user.sessionId, stage: 'full' as const } : null;
  const pending = req.pendingSession ? { user: req.pendingSession.user, sessionId: req.pendingSession.sessionId, stage: req.pendingSession.stage } : null;
  const c = full ?? pending;
  if (!c) throw unauthorized(req.user ? 'Two-factor settings need a signed-in person, not an API key' : undefined);
  if (!stages.includes(c.stage)) throw c.stage === 'mfa' ? forbidden('Send your two-factor code first') : new HttpError(403, 'mfa_enrolment_required', 'Set up two-factor sign-in first');
  return c;
}

interface TotpRow {
  email: string;
  totp_secret: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: string | null;
}

const totpRow = async (em: EntityManager, userId: number, lock = false) =>
  (await em.execute<TotpRow[]>(`select email, totp_secret, totp_enabled_at, totp_last_step from users where id = ?${lock ? ' for update' : ''}`, [userId]))[0]!;

export function mfaRoutes(deps: AppDeps, registry: OpenAPIRegistry, throttle: LoginThrottle): Router {
  const r = Router();
  const key = deps.config.MFA_SECRET_KEY;

  /**
   * Checks a TOTP code (once per time step) or a recovery code (once) of an enrolled user, inside
   * `tx` (the row is locked, so two requests cannot both use one code). What was used, or null.
   */
  async function useCode(tx: EntityManager, userId: number, typed: string): Promise<'totp' | 'recovery' | null> {
    const row = await totpRow(tx, userId, true);
    const secret = row.totp_secret && row.totp_enabled_at ? decryptTotpSecret(key, row.totp_secret) : null;
    if (!secret) return null;
    const step = acceptedStep(secret, typed.trim(), row.totp_last_step === null ? null : Number(row.totp_last_step));
    if (step !== null) {
      await tx.execute('update users set totp_last_step = ? where id = ?', [step, userId]);
      return 'totp';
    }
    if (normaliseRecoveryCode(typed) === null) return null;
    const used = await tx.execute<{ id: number }[]>('update user_recovery_codes set used_at = now() where user_id = ? and code_hash = ? and used_at is null returning id', [
      userId,
      hashRecoveryCode(key, typed),
    ]);
    return used.length > 0 ? 'recovery' : null;
  }

  async function replaceRecoveryCodes(tx: EntityManager, userId: number): Promise<string[]> {
    const codes = newRecoveryCodes();
    await tx.execute('delete from user_recovery_codes where user_id = ?', [userId]);
    await tx.execute(`insert into user_recovery_codes (user_id, code_hash) select ?, unnest(?::text[])`, [userId, `{${codes.map((c) => hashRecoveryCode(key, c)).join(',')}}`]);
    return codes;
  }

  const required = async (em: EntityManager, user: AuthUser) => ((await securitySettings(em, deps.config)).mfaRequiredRoles as string[]).includes(user.role);

  defineRoute(r, registry, {
    method: 'get',
    path: '/auth/mfa',
    summary: 'Your two-factor sign-in: on or off, required by your role, recovery codes left',
    tags: ['auth'],
    action: null,
    bearer: true,
    response: MfaStatus,
    errors: [401, 403],
    handler: async ({ req, em }) => {
      const { user } = caller(req, ['full', 'enrol']);
      const [row] = await em.execute<{ enabled_at: Date | null; codes: string }[]>(
        'select totp_enabled_at as enabled_at, (select count(*) from user_recovery_codes c where c.user_id = u.id and c.used_at is null) as codes from users u where u.id = ?',
        [user.id],
      );
      return {
        enabled: row?.enabled_at != null,
        enabledAt: row?.enabled_at ? new Date(row.enabled_at).toISOString() : null,
        required: await required(em, user),
        recoveryCodesLeft: Number(row?.codes ?? 0),
      };
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/mfa/setup',
    summary: 'Start setting up two-factor sign-in: a new secret for the authenticator app (turned on by POST /auth/mfa/enable)',
    tags: ['auth'],
    action: null,
    bearer: true,
    response: MfaSetup,
    errors: [401, 403, 409],
    handler: async ({ req, em }) => {
      const { user } = caller(req, ['full', 'enrol']);
      if (!isStaff(user.role)) throw forbidden('Two-factor sign-in is for staff accounts');
      const row = await totpRow(em, user.id);
      if (row.totp_enabled_at) throw conflict('mfa_enabled', 'Two-factor sign-in is already on; turn it off first to use another app');
      const secret = newTotpSecret();
      await em.execute('update users set totp_secret = ?, totp_last_step = null where id = ? and totp_enabled_at is null', [encryptTotpSecret(key, secret), user.id]);
      return { secret, otpauthUri: otpauthUri(secret, user.email, new URL(deps.config.PUBLIC_URL).hostname === '127.0.0.1' ? 'Mehrdesk' : `Mehrdesk (${new URL(deps.config.PUBLIC_URL).hostname})`) };
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/mfa/enable',
    summary: 'Turn two-factor sign-in on with a first code from the app; answers the recovery codes (shown once)',
    tags: ['auth'],
    action: null,
    bearer: true,
    body: z.object({ code: TotpCode }).strict().meta({ id: 'MfaEnableRequest' }),
    response: RecoveryCodes,
    errors: [401, 403, 409],
    handler: async ({ req, em, body }) => {
      const c = caller(req, ['full', 'enrol']);
      return em.transactional(async (tx) => {
        const row = await totpRow(tx, c.user.id, true);
        if (row.totp_enabled_at) throw conflict('mfa_enabled', 'Two-factor sign-in is already on');
        const secret = row.totp_secret ? decryptTotpSecret(key, row.totp_secret) : null;
        if (!secret) throw conflict('mfa_not_set_up', 'Start with POST /auth/mfa/setup');
        const step = acceptedStep(secret, body.code, null);
        if (step === null) throw badRequest('The code does not match: check the app shows this account and the phone’s clock is right', [{ path: 'body.code', message: 'does not match' }]);
        await tx.execute('update users set totp_enabled_at = now(), totp_last_step = ? where id = ?', [step, c.user.id]);
        const recoveryCodes = await replaceRecoveryCodes(tx, c.user.id);
        // Every other session was signed in with the password alone: end them.
        await tx.execute('delete from auth_tokens where user_id = ? and id <> ?', [c.user.id, c.sessionId]);
        const expiresAt = c.stage === 'enrol' ? await completeSession(tx, deps.config, c.sessionId) : null;
        await recordAudit(tx, { ...auditContext(req), actor: { kind: 'user', id: c.user.id, email: c.user.email }, action: 'mfa.enabled', targetType: 'user', targetId: c.user.id });
        return { recoveryCodes, stage: 'full' as const, expiresAt };
      });
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/mfa/verify',
    summary: 'Finish signing in with the two-factor code (or a recovery code): the session becomes a full one',
    tags: ['auth'],
    action: null,
    bearer: true,
    body: z.object({ code: CodeOrRecovery }).strict().meta({ id: 'MfaVerifyRequest' }),
    response: LoginResponse,
    errors: [401, 403, 429],
    handler: async ({ req, res, em, body }) => {
      const c = caller(req, ['mfa']);
      const refusal = await throttle.refusal(req, c.user.email);
      if (refusal) {
        res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
        throw refused(refusal);
      }
      const used = await em.transactional((tx) => useCode(tx, c.user.id, body.code));
      if (!used) {
        await signInFailed(deps, em, throttle, req, { email: c.user.email, userId: c.user.id, reason: 'wrong_code' });
        throw unauthorized('Wrong code');
      }
      await throttle.succeeded(c.user.email);
      const expiresAt = await completeSession(em, deps.config, c.sessionId);
      const actor = { kind: 'user' as const, id: c.user.id, email: c.user.email };
      await recordAudit(em, { ...auditContext(req), actor, action: used === 'recovery' ? 'mfa.recovery_code_used' : 'mfa.verified', targetType: 'user', targetId: c.user.id });
      return { token: bearerToken(req.headers.authorization)!, expiresAt, stage: 'full' as const, user: UserDto.parse(c.user) };
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/mfa/disable',
    summary: 'Turn two-factor sign-in off (password and a code required; not when your role requires it)',
    tags: ['auth'],
    action: null,
    bearer: true,
    body: z.object({ password: Password, code: CodeOrRecovery }).strict().meta({ id: 'MfaDisableRequest' }),
    status: 204,
    errors: [401, 403, 409],
    handler: async ({ req, em, body }) => {
      const { user } = caller(req, ['full']);
      if (await required(em, user)) throw conflict('mfa_required', 'Your role must use two-factor sign-in');
      await em.transactional(async (tx) => {
        const [row] = await tx.execute<{ password_hash: string | null }[]>('select password_hash from users where id = ?', [user.id]);
        if (!row?.password_hash || !(await verifyPassword(body.password, row.password_hash))) throw badRequest('The password is wrong', [{ path: 'body.password', message: 'does not match' }]);
        if (!(await useCode(tx, user.id, body.code))) throw badRequest('The code does not match', [{ path: 'body.code', message: 'does not match' }]);
        await tx.execute('update users set totp_secret = null, totp_enabled_at = null, totp_last_step = null where id = ?', [user.id]);
        await tx.execute('delete from user_recovery_codes where user_id = ?', [user.id]);
        await recordAudit(tx, { ...auditContext(req), action: 'mfa.disabled', targetType: 'user', targetId: user.id });
      });
      return undefined;
    },
  });

  defineRoute(r, registry, {
    method: 'post',
    path: '/auth/mfa/recovery-codes',
    summary: 'Replace your recovery codes (the old ones stop working); password required',
    tags: ['auth'],
    action: null,
    bearer: true,
    body: z.object({ password: Password }).strict().meta({ id: 'MfaRecoveryCodesRequest' }),
    response: RecoveryCodes,
    errors: [401, 403, 409],
    handler: async ({ req, em, body }) => {
      const { user } = caller(req, ['full']);
      return em.transactional(async (tx) => {
        const [row] = await tx.execute<{ password_hash: string | null; enabled: boolean }[]>('select password_hash, totp_enabled_at is not null as enabled from users where id = ? for update', [
          user.id,
        ]);
        if (!row?.enabled) throw conflict('mfa_off', 'Two-factor sign-in is off');
        if (!row.password_hash || !(await verifyPassword(body.password, row.password_hash))) throw badRequest('The password is wrong', [{ path: 'body.password', message: 'does not match' }]);
        const recoveryCodes = await replaceRecoveryCodes(tx, user.id);
        await recordAudit(tx, { ...auditContext(req), action: 'mfa.recovery_codes_replaced', targetType: 'user', targetId: user.id });
        return { recoveryCodes, stage: 'full' as const, expiresAt: null };
      });
    },
  });

  defineRoute(r, registry, {
    method: 'delete',
    path: '/users/:id/mfa',
    summary: "Turn a user's two-factor sign-in off (a lost phone and no recovery codes); ends their sessions",
    tags: ['users'],
    action: 'admin.manage',
    params: IdParams,
    status: 204,
    errors: [404],
    handler: async ({ req, em, params }) => {
      await em.transactional(async (tx) => {
        const changed = await tx.execute<{ id: number }[]>('update users set totp_secret = null, totp_enabled_at = null, totp_last_step = null where id = ? returning id', [params.id]);
        if (changed.length === 0) throw new HttpError(404, 'not_found', 'User not found');
        await tx.execute('delete from user_recovery_codes where user_id = ?', [params.id]);
        await tx.execute('delete from auth_tokens where user_id = ?', [params.id]);
        await recordAudit(tx, { ...auditContext(req), action: 'mfa.reset_by_admin', targetType: 'user', targetId: params.id });
      });
      return undefined;
    },
  });
  return r;
}
