import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '@mehrdesk/core/services/passwords';
import { checkLink, consumeLinkNonce, passwordBinding, type LinkClaims, type LinkPurpose } from '@mehrdesk/core/services/signed-links';
import { portalSettings, signupAllowed } from '@mehrdesk/core/services/settings';
import type { Locale } from '@mehrdesk/core/domain';
import { accountEmailWorkflowId, type AccountEmailInput } from '@mehrdesk/workflows/account-email';
import type { CoreDeps } from '../deps';
import { conflict, HttpError } from '../http/errors';
import { startSession, type Session, type SessionOrigin } from '../auth/session';

// Customer accounts from the portal: sign-up confirmed by an e-mail link, password reset by
// e-mail, and magic sign-in from a ticket e-mail. None of the answers to an anonymous caller
// depend on whether an address has an account: the e-mail itself carries the difference (a
// verification link, or "you already have an account"; a reset link, or nothing).

/** Link refusals, the same for every kind of link: the portal shows a page for each code. */
export const linkInvalid = () => new HttpError(403, 'link_invalid', 'This link is not valid: it may be incomplete, altered or meant for something else. Ask for a new one.');
export const linkExpired = () => new HttpError(410, 'link_expired', 'This link has expired. Ask for a new one.');
export const linkUsed = () => conflict('link_used', 'This link has already been used. Sign in, or ask for a new link.');

/** The claims of a genuine, unexpired link for `purpose`, or the refusal to answer with. */
export function claimsOf(secret: string, purpose: LinkPurpose, token: string): LinkClaims {
  const check = checkLink(secret, purpose, token, Math.floor(Date.now() / 1000));
  if (!check.ok) throw check.reason === 'expired' ? linkExpired() : linkInvalid();
  return check.claims;
}

/**
 * Starts the e-mail's workflow after the answer is sent, so the answer takes the same time
 * whether or not there is an e-mail to send. A failure to start is logged (Temporal down).
 */
export function sendLater(deps: CoreDeps, input: Omit<AccountEmailInput, 'nonce'>): void {
  const nonce = randomBytes(16).toString('base64url');
  setImmediate(() => {
    deps.temporal.workflow
      .start('accountEmail', { taskQueue: deps.config.TEMPORAL_TASK_QUEUE, workflowId: accountEmailWorkflowId(nonce), args: [{ ...input, nonce }] })
      .catch((err: unknown) => deps.log.error({ err, kind: input.kind, requestId: input.requestId }, 'could not start the account e-mail workflow'));
  });
}

const hoursFromNow = (hours: number) => Math.floor(Date.now() / 1000 + hours * 3600);

export interface SignupInput {
  name: string;
  email: string;
  password: string;
  locale: Locale;
}

/**
 * A sign-up: checked against the admin's policy, then either a pending sign-up with a
 * verification e-mail, or — when the address already has a usable account — an e-mail saying
 * so. The account is only created (or completed) when the link is followed.
 */
export async function requestSignup(deps: CoreDeps, em: EntityManager, input: SignupInput, requestId: string): Promise<void> {
  const settings = await portalSettings(em);
  const allowed = signupAllowed(settings, input.email);
  if (allowed === 'closed') throw new HttpError(403, 'signup_closed', 'Sign-up is by invitation only; ask the support team for an account');
  if (allowed === 'domain')
    throw new HttpError(422, 'email_domain_not_allowed', 'Sign-up is limited to some e-mail domains', [{ path: 'body.email', message: `Use an address at ${settings.signupDomains.join(', ')}` }]);
  // Hashed whatever happens next, so every path takes about the same time.
  const hash = await hashPassword(input.password);
  const [existing] = await em.execute<{ id: number; usable: boolean; active: boolean }[]>(`select id, active, (password_hash is not null or role <> 'customer') as usable from users where email = ?`, [
    input.email,
  ]);
  if (existing?.usable) {
    if (existing.active) sendLater(deps, { kind: 'account_exists', recipientId: existing.id, expiresAt: hoursFromNow(1), requestId });
    return;
  }
  if (existing && !existing.active) return;
  const expiresAt = hoursFromNow(deps.config.PORTAL_VERIFY_LINK_HOURS);
  const [signup] = await em.execute<{ id: number }[]>(
    `insert into portal_signups (email, name, password_hash, locale, created_at, expires_at) values (?, ?, ?, ?, now(), to_timestamp(?)) returning id`,
    [input.email, input.name, hash, input.locale, expiresAt],
  );
  sendLater(deps, { kind: 'verify', recipientId: signup!.id, expiresAt, requestId });
}

/** A new verification e-mail for the newest pending sign-up of `email` (nothing when there is none). */
export async function resendVerification(deps: CoreDeps, em: EntityManager, email: string, requestId: string): Promise<void> {
  const [signup] = await em.execute<{ id: number }[]>(`select id from portal_signups where email = ? and verified_at is null and expires_at > now() order by created_at desc limit 1`, [email]);
  if (!signup) return;
  const expiresAt = hoursFromNow(deps.config.PORTAL_VERIFY_LINK_HOURS);
  await em.execute('update portal_signups set expires_at = greatest(expires_at, to_timestamp(?)) where id = ?', [expiresAt, signup.id]);
  sendLater(deps, { kind: 'verify', recipientId: signup.id, expiresAt, requestId });
}

/** Whether `password` is that of a sign-up of `email` still waiting for its link (one scrypt run either way). */
export async function pendingSignupMatches(em: EntityManager, email: string, password: string): Promise<boolean> {
  const [signup] = await em.execute<{ password_hash: string }[]>(
    `select password_hash from portal_signups where email = ? and verified_at is null and expires_at > now() order by created_at desc limit 1`,
    [email],
  );
  const ok = await verifyPassword(password, signup?.password_hash ?? DUMMY_PASSWORD_HASH);
  return ok && signup !== undefined;
}

/** Follows a verification link: creates the customer account (or completes one that inbound e-mail made) and signs in. */
export async function verifySignup(deps: CoreDeps, em: EntityManager, token: string, origin: SessionOrigin): Promise<Session> {
  const claims = claimsOf(deps.config.PORTAL_LINK_SECRET, 'verify', token);
  return em.transactional(async (tx) => {
    const [signup] = await tx.execute<{ email: string; name: string; password_hash: string; locale: Locale; verified_at: Date | null }[]>(
      'select email, name, password_hash, locale, verified_at from portal_signups where id = ? for update',
      [claims.userId],
    );
    if (!signup) throw linkInvalid();
    if (signup.verified_at || !(await consumeLinkNonce(tx, claims))) throw linkUsed();
    // A customer that inbound e-mail created (no password yet) becomes this account; any other
    // existing account is left alone.
    const [user] = await tx.execute<{ id: number }[]>(
      `insert into users (email, name, password_hash, role, locale, active, available, created_at)
            values (?, ?, ?, 'customer', ?, true, true, now())
       on conflict (email) do update set password_hash = excluded.password_hash, name = excluded.name, locale = excluded.locale
            where users.role = 'customer' and users.password_hash is null and users.active
       returning id`,
      [signup.email, signup.name, signup.password_hash, signup.locale],
    );
    if (!user) throw conflict('account_exists', 'This address already has an account: sign in with it, or reset its password');
    await tx.execute('update portal_signups set verified_at = now() where id = ?', [claims.userId]);
    return startSession(tx, deps.config, user.id, origin);
  });
}

/** A password reset e-mail to the active account of `email`, if there is one. */
export async function requestPasswordReset(deps: CoreDeps, em: EntityManager, email: string, requestId: string): Promise<void> {
  const [user] = await em.execute<{ id: number; password_hash: string | null }[]>('select id, password_hash from users where email = ? and active', [email]);
  if (!user) return;
  sendLater(deps, { kind: 'reset', recipientId: user.id, expiresAt: hoursFromNow(deps.config.PORTAL_RESET_LINK_HOURS), binding: passwordBinding(user.password_hash), requestId });
}

/**
 * An admin's invitation: a link to choose a password (a reset link that lives longer), for an
 * account an admin made — how customers get in when sign-up is by invitation only.
 */
export async function sendInvitation(deps: CoreDeps, em: EntityManager, userId: number, requestId: string): Promise<'sent' | 'inactive' | 'missing'> {
  const [user] = await em.execute<{ active: boolean; password_hash: string | null }[]>('select active, password_hash from users where id = ?', [userId]);
  if (!user) return 'missing';
  if (!user.active) return 'inactive';
  sendLater(deps, { kind: 'invite', recipientId: userId, expiresAt: hoursFromNow(deps.config.PORTAL_INVITE_LINK_HOURS), binding: passwordBinding(user.password_hash), requestId });
  return 'sent';
}

/**
 * Follows a reset link: the new password, every other session ended, signed in. The link is
 * bound to the password it was made for, so it also dies when the password changes otherwise.
 * Setting a password this way also proves the address, so a customer inbound e-mail created
 * (no password) can use it to get into the portal.
 */
export async function resetPassword(deps: CoreDeps, em: EntityManager, token: string, password: string, origin: SessionOrigin): Promise<Session> {
  const claims = claimsOf(deps.config.PORTAL_LINK_SECRET, 'reset', token);
  const hash = await hashPassword(password);
  return em.transactional(async (tx) => {
    const [user] = await tx.execute<{ password_hash: string | null }[]>('select password_hash from users where id = ? and active for update', [claims.userId]);
    if (!user) throw linkInvalid();
    if (claims.binding !== passwordBinding(user.password_hash) || !(await consumeLinkNonce(tx, claims))) throw linkUsed();
    await tx.execute('update users set password_hash = ? where id = ?', [hash, claims.userId]);
    await tx.execute('delete from auth_tokens where user_id = ?', [claims.userId]);
    return startSession(tx, deps.config, claims.userId, origin);
  });
}

/** Follows a magic link from a ticket e-mail: signs its customer in, once, while the ticket is still theirs. */
export async function magicSignIn(deps: CoreDeps, em: EntityManager, token: string, origin: SessionOrigin): Promise<Session & { ticketId: number }> {
  const claims = claimsOf(deps.config.PORTAL_LINK_SECRET, 'magic', token);
  const ticketId = claims.ticketId;
  if (ticketId === undefined) throw linkInvalid();
  return em.transactional(async (tx) => {
    const [owner] = await tx.execute<{ id: number }[]>(
      `select u.id from users u join tickets t on t.requester_id = u.id where u.id = ? and t.id = ? and u.active and u.role = 'customer' and t.deleted_at is null`,
      [claims.userId, ticketId],
    );
    if (!owner) throw linkInvalid();
    if (!(await consumeLinkNonce(tx, claims))) throw linkUsed();
    return { ...(await startSession(tx, deps.config, claims.userId, origin)), ticketId };
  });
}
