import { createHmac } from 'node:crypto';
import { Router, type Request } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { LOCALES } from '@mehrdesk/core/domain';
import { MAX_LINK_TOKEN_LENGTH } from '@mehrdesk/core/services/signed-links';
import { portalSettings, SIGNUP_MODES } from '@mehrdesk/core/services/settings';
import type { AppDeps } from '../deps';
import { LoginResponse } from '../auth/routes';
import { newPassword, userName } from '../auth/fields';
import { clientKey, type RateLimits } from '../http/rate-limit';
import { defineRoute } from '../http/route';
import { originOf } from '../auth/session';
import { magicSignIn, requestPasswordReset, requestSignup, resendVerification, resetPassword, verifySignup } from './signups';

// The portal's public account endpoints. Each is rate limited per client; those that send an
// e-mail also per target address (an HMAC of it), so nobody can flood a mailbox, and they answer
// 202 whatever the address, so nobody learns which addresses have accounts.

const email = z.string().trim().toLowerCase().email().max(254);
const token = z.string().min(1).max(MAX_LINK_TOKEN_LENGTH).describe('The `token` parameter of the link from the e-mail');

const SignupBody = z
  .object({ name: userName, email, password: newPassword, locale: z.enum(LOCALES).default('en').describe('Language of the portal and of e-mails to the customer') })
  .strict()
  .meta({ id: 'PortalSignupRequest' });
const EmailBody = z.object({ email }).strict().meta({ id: 'PortalEmailRequest' });
const TokenBody = z.object({ token }).strict().meta({ id: 'PortalLinkRequest' });
const ResetBody = z.object({ token, password: newPassword }).strict().meta({ id: 'PortalResetRequest' });
const Accepted = z.object({ status: z.literal('accepted').describe('Done; if an e-mail is due, it is on its way') }).meta({ id: 'PortalAccepted' });
const MagicResponse = LoginResponse.extend({ ticketId: z.number().int().describe('The ticket the link was sent about') }).meta({ id: 'PortalMagicResponse' });
const PortalConfigDto = z.object({ signup: z.enum(SIGNUP_MODES), signupDomains: z.array(z.string()).describe('The allowed domains when signup is "domains"') }).meta({ id: 'PortalConfig' });

export function portalAccountRoutes(deps: AppDeps, registry: OpenAPIRegistry, limits: RateLimits): Router {
  const r = Router();
  const tags = ['portal: accounts'];
  const byClient = (req: Request) => clientKey(deps.config.CLIENT_KEY_SECRET, req);
  const byAddress = (req: Request) => {
    const raw: unknown = (req.body as { email?: unknown } | undefined)?.email;
    return createHmac('sha256', deps.config.CLIENT_KEY_SECRET)
      .update(typeof raw === 'string' ? raw.trim().toLowerCase() : '')
      .digest('hex');
  };
  const perClient = (name: string) => limits.rateLimit({ name: `account-${name}`, points: deps.config.RATE_LIMIT_ACCOUNT_PER_CLIENT_PER_HOUR, durationSeconds: 3600, key: byClient });
  const perAddress = limits.rateLimit({ name: 'account-mail-address', points: deps.config.RATE_LIMIT_ACCOUNT_PER_ADDRESS_PER_HOUR, durationSeconds: 3600, key: byAddress });

  defineRoute(r, registry, {
    method: 'get',
    path: '/portal/config',
    summary: 'What the portal offers anonymous visitors (how sign-up works)',
    tags,
    action: null,
    response: PortalConfigDto,
    handler: async ({ em }) => {
      const s = await portalSettings(em);
      return { signup: s.signup, signupDomains: s.signup === 'domains' ? s.signupDomains : [] };
    },
  });

  r.post('/portal/signup', perClient('signup'), perAddress);
  defineRoute(r, registry, {
    method: 'post',
    path: '/portal/signup',
    summary: 'Sign up as a customer: an e-mail link confirms the address and creates the account (same answer whether or not the address has one)',
    tags,
    action: null,
    body: SignupBody,
    status: 202,
    response: Accepted,
    errors: [403, 422, 429],
    handler: async ({ em, body, requestId }) => {
      await requestSignup(deps, em, body, requestId);
      return { status: 'accepted' as const };
    },
  });

  r.post('/portal/verify/resend', perClient('resend'), perAddress);
  defineRoute(r, registry, {
    method: 'post',
    path: '/portal/verify/resend',
    summary: 'Send the sign-up confirmation link again (same answer whether or not a sign-up waits)',
    tags,
    action: null,
    body: EmailBody,
    status: 202,
    response: Accepted,
    errors: [429],
    handler: async ({ em, body, requestId }) => {
      await resendVerification(deps, em, body.email, requestId);
      return { status: 'accepted' as const };
    },
  });

  r.post('/portal/verify', perClient('link'));
  defineRoute(r, registry, {
    method: 'post',
    path: '/portal/verify',
    summary: 'Follow a sign-up confirmation link: creates the account and signs in (single use)',
    tags,
    action: null,
    body: TokenBody,
    response: LoginResponse,
    errors: [403, 409, 410, 429],
    handler: async ({ em, body, req }) => verifySignup(deps, em, body.token, originOf(req)),
  });

  r.post('/portal/password/forgot', perClient('forgot'), perAddress);
  defineRoute(r, registry, {
    method: 'post',
    path: '/portal/password/forgot',
    summary: 'E-mail a password reset link (same answer whether or not the address has an account)',
    tags,
    action: null,
    body: EmailBody,
    status: 202,
    response: Accepted,
    errors: [429],
    handler: async ({ em, body, requestId }) => {
      await requestPasswordReset(deps, em, body.email, requestId);
      return { status: 'accepted' as const };
    },
  });

  r.post('/portal/password/reset', perClient('link'));
  defineRoute(r, registry, {
    method: 'post',
    path: '/portal/password/reset',
    summary: 'Follow a reset link: sets the new password, ends every other session, signs in (single use)',
    tags,
    action: null,
    body: ResetBody,
    response: LoginResponse,
    errors: [403, 409, 410, 429],
    handler: async ({ em, body, req }) => resetPassword(deps, em, body.token, body.password, originOf(req)),
  });

  r.post('/portal/magic', perClient('link'));
  defineRoute(r, registry, {
    method: 'post',
    path: '/portal/magic',
    summary: 'Follow the sign-in link of a ticket e-mail: signs its customer in (single use, expires)',
    tags,
    action: null,
    body: TokenBody,
    response: MagicResponse,
    errors: [403, 409, 410, 429],
    handler: async ({ em, body, req }) => magicSignIn(deps, em, body.token, originOf(req)),
  });
  return r;
}
