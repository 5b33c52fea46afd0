import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { waitForMail, listMail, type CaughtMail } from '@mehrdesk/scripts/mail-catcher-client';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { purgeExpiredLinkRecords, signLink } from '@mehrdesk/core/services/signed-links';

// Customer accounts from the portal against the real stack (PostgreSQL, Temporal running the
// account e-mail workflows, the SMTP catcher): sign-up confirmed by the e-mailed link, password
// reset, magic sign-in from a ticket e-mail, the admin's sign-up policy, and that no answer
// tells an anonymous caller whether an address has an account.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    worker: true,
    env: { CLIENT_KEY_SECRET: `accounts-${randomBytes(16).toString('hex')}`, RATE_LIMIT_ACCOUNT_PER_CLIENT_PER_HOUR: '1000', RATE_LIMIT_ACCOUNT_PER_ADDRESS_PER_HOUR: '50' },
  });
});
afterAll(async () => {
  await h?.orm.em.fork().execute(`delete from settings where key = 'portal'`);
  await h?.close();
});

const address = (what: string) => `${what}-${randomBytes(4).toString('hex')}@portal.example.test`;
const tokenIn = (mail: CaughtMail, page: string) => {
  const m = new RegExp(`/portal/${page}\\?token=([\\w.-]+)`).exec(mail.text ?? '');
  if (!m) throw new Error(`no /portal/${page} link in: ${mail.text}`);
  return m[1]!;
};
const mailTo = async (to: string, subject: string) => (await waitForMail(h.mailUrl, (m) => m.to.includes(to) && m.subject.includes(subject), { filter: { to } }))[0]!;
const fieldPaths = (body: any) => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);
const setPolicy = async (value: unknown) => {
  const admin = await h.login(h.fx.users.admin.email);
  return h.call(admin, 'PUT', '/api/v1/settings/portal', value);
};

describe('sign-up', () => {
  it('creates the account only once the e-mailed link is followed, and the link works once', async () => {
    const email = address('new');
    const r = await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Leila Karimi', email: `  ${email.toUpperCase()} `, password: 'a long enough secret', locale: 'fa' });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toEqual({ status: 'accepted' });
    const [before] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from users where email = ?', [email]);
    expect(Number(before!.n)).toBe(0);

    // The password is right, but the address is not confirmed yet; a wrong one says nothing more.
    const early = await h.call(null, 'POST', '/api/v1/auth/login', { email, password: 'a long enough secret' });
    expect(early.status).toBe(403);
    expect(early.body.error.code).toBe('email_unverified');
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email, password: 'not the password' })).status).toBe(401);

    const mail = await mailTo(email, 'نشانی ایمیل');
    expect(mail.html).toContain('dir="rtl"');
    const token = tokenIn(mail, 'verify');
    const verified = await h.call(null, 'POST', '/api/v1/portal/verify', { token });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body.user).toMatchObject({ email, name: 'Leila Karimi', role: 'customer', locale: 'fa' });
    expect((await h.call(verified.body.token, 'GET', '/api/v1/auth/me')).body.email).toBe(email);

    const again = await h.call(null, 'POST', '/api/v1/portal/verify', { token });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('link_used');
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email, password: 'a long enough secret' })).status).toBe(200);
  });

  it('answers the same for an address that has an account, and mails its owner instead of changing anything', async () => {
    const email = h.fx.users.customer2.email;
    const known = await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Impostor', email, password: 'another long secret' });
    const unknown = await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Someone', email: address('fresh'), password: 'another long secret' });
    expect(known.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    expect(known.headers.get('content-length')).toBe(unknown.headers.get('content-length'));
    const mail = await mailTo(email, 'You already have a support account');
    expect(mail.text).toContain('/portal/login');
    expect(mail.text).not.toContain('token=');
    const [pending] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from portal_signups where email = ?', [email]);
    expect(Number(pending!.n)).toBe(0);
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email, password: 'another long secret' })).status).toBe(401);
  });

  it('completes the customer that inbound e-mail created (same id, its tickets stay theirs)', async () => {
    const email = address('inbound');
    const [made] = await h.orm.em
      .fork()
      .execute<{ id: number }[]>(`insert into users (email, name, role, locale, active, available, created_at) values (?, 'From Mail', 'customer', 'en', true, true, now()) returning id`, [email]);
    expect((await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Now With Password', email, password: 'portal password 1' })).status).toBe(202);
    const verified = await h.call(null, 'POST', '/api/v1/portal/verify', { token: tokenIn(await mailTo(email, 'Confirm your e-mail'), 'verify') });
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ id: made!.id, name: 'Now With Password', role: 'customer' });
  });

  it('refuses staff addresses quietly: the owner is told, the account is untouched', async () => {
    const admin = h.fx.users.admin.email;
    expect((await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Admin?', email: admin, password: 'become a customer' })).status).toBe(202);
    await mailTo(admin, 'You already have a support account');
    const [row] = await h.orm.em.fork().execute<{ role: string }[]>('select role from users where email = ?', [admin]);
    expect(row!.role).toBe('admin');
  });

  it('resends the link for a waiting sign-up, and nothing for any other address', async () => {
    const email = address('resend');
    await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Resend Me', email, password: 'resend password' });
    await mailTo(email, 'Confirm your e-mail');
    const none = address('nobody');
    expect((await h.call(null, 'POST', '/api/v1/portal/verify/resend', { email: none })).status).toBe(202);
    expect((await h.call(null, 'POST', '/api/v1/portal/verify/resend', { email })).status).toBe(202);
    const both = await waitForMail(h.mailUrl, (m) => m.to.includes(email) && m.subject.includes('Confirm'), { count: 2, filter: { to: email } });
    expect(new Set(both.map((m) => tokenIn(m, 'verify'))).size).toBe(2);
    // Either link works, once for the sign-up.
    expect((await h.call(null, 'POST', '/api/v1/portal/verify', { token: tokenIn(both[1]!, 'verify') })).status).toBe(200);
    expect((await h.call(null, 'POST', '/api/v1/portal/verify', { token: tokenIn(both[0]!, 'verify') })).body.error.code).toBe('link_used');
    await new Promise((r) => setTimeout(r, 500));
    expect(await listMail(h.mailUrl, { to: none })).toEqual([]);
  });

  it('follows the admin policy: invite-only, and an allow-list of domains', async () => {
    const customer = await h.login(h.fx.users.customer.email);
    expect((await h.call(customer, 'PUT', '/api/v1/settings/portal', { signup: 'invite', signupDomains: [] })).status).toBe(403);
    const bad = await setPolicy({ signup: 'domains', signupDomains: [] });
    expect(bad.status).toBe(400);
    expect(fieldPaths(bad.body)).toContain('body.signupDomains');
    expect(fieldPaths((await setPolicy({ signup: 'domains', signupDomains: ['not a domain'] })).body)).toContain('body.signupDomains.0');

    expect((await setPolicy({ signup: 'invite', signupDomains: [] })).body).toMatchObject({ signup: 'invite', source: 'admin' });
    expect((await h.call(null, 'GET', '/api/v1/portal/config')).body).toEqual({ signup: 'invite', signupDomains: [] });
    const closed = await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Closed', email: address('closed'), password: 'long password 1' });
    expect(closed.status).toBe(403);
    expect(closed.body.error.code).toBe('signup_closed');

    expect((await setPolicy({ signup: 'domains', signupDomains: ['Example.ORG', 'portal.example.test'] })).body.signupDomains).toEqual(['example.org', 'portal.example.test']);
    expect((await h.call(null, 'GET', '/api/v1/portal/config')).body).toEqual({ signup: 'domains', signupDomains: ['example.org', 'portal.example.test'] });
    const elsewhere = await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Other', email: 'someone@elsewhere.test', password: 'long password 1' });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.error.code).toBe('email_domain_not_allowed');
    expect(fieldPaths(elsewhere.body)).toEqual(['body.email']);
    // A subdomain is another domain.
    expect((await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Sub', email: 'a@sub.example.org', password: 'long password 1' })).status).toBe(422);
    expect((await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Allowed', email: address('allowed'), password: 'long password 1' })).status).toBe(202);

    await setPolicy({ signup: 'open', signupDomains: [] });
  });

  it('refuses bad input naming the field, never a 5xx', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'a\u0000b', email: address('nul'), password: 'long password 1' }, 'body.name'],
      [{ name: 'X', email: 'not-an-address', password: 'long password 1' }, 'body.email'],
      [{ name: 'X', email: address('short'), password: 'short' }, 'body.password'],
      [{ name: 'X', email: address('common'), password: 'qwertyuiop' }, 'body.password'],
      [{ name: 'X', email: address('lang'), password: 'long password 1', locale: 'de' }, 'body.locale'],
      [{ name: 'X', email: address('role'), password: 'long password 1', role: 'admin' }, 'body.role'],
    ];
    for (const [body, path] of cases) {
      const r = await h.call(null, 'POST', '/api/v1/portal/signup', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(fieldPaths(r.body)).toContain(path);
    }
    const long = await h.call(null, 'POST', '/api/v1/portal/verify', { token: 'a'.repeat(5000) });
    expect(long.status).toBe(400);
    expect(fieldPaths(long.body)).toEqual(['body.token']);
  });
});

describe('links', () => {
  const secret = () => h.config.PORTAL_LINK_SECRET;
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses tampered, foreign, expired and other-purpose links with a clear code and changes nothing', async () => {
    const email = address('links');
    await h.call(null, 'POST', '/api/v1/portal/signup', { name: 'Links', email, password: 'link password 1' });
    const token = tokenIn(await mailTo(email, 'Confirm your e-mail'), 'verify');
    const [payload, mac] = token.split('.') as [string, string];
    const flipped = `${payload}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const otherUser = `${Buffer.from(JSON.stringify({ ...claims, u: claims.u + 1 })).toString('base64url')}.${mac}`;
    const cases: [string, string, unknown, number, string][] = [
      ['mac altered', '/api/v1/portal/verify', { token: flipped }, 403, 'link_invalid'],
      ['payload altered', '/api/v1/portal/verify', { token: otherUser }, 403, 'link_invalid'],
      ['verify link used to sign in', '/api/v1/portal/magic', { token }, 403, 'link_invalid'],
      ['verify link used to reset', '/api/v1/portal/password/reset', { token, password: 'whatever password' }, 403, 'link_invalid'],
      ['garbage', '/api/v1/portal/verify', { token: 'not.a-token' }, 403, 'link_invalid'],
      ['signed with another secret', '/api/v1/portal/verify', { token: signLink('x'.repeat(40), { purpose: 'verify', userId: claims.u, expiresAt: now() + 600 }) }, 403, 'link_invalid'],
      ['expired', '/api/v1/portal/verify', { token: signLink(secret(), { purpose: 'verify', userId: claims.u, expiresAt: now() - 1 }) }, 410, 'link_expired'],
    ];
    for (const [what, path, body, status, code] of cases) {
      const r = await h.call(null, 'POST', path, body);
      expect(r.status, what).toBe(status);
      expect(r.body.error.code, what).toBe(code);
    }
    const [users] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from users where email = ?', [email]);
    expect(Number(users!.n)).toBe(0);
    // The genuine link still works after all that.
    expect((await h.call(null, 'POST', '/api/v1/portal/verify', { token })).status).toBe(200);
  });

  it('property: any token string is refused with a 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 700 }), fc.stringMatching(/^[\w-]{1,80}\.[\w-]{43}$/)), async (token) => {
        for (const path of ['/api/v1/portal/verify', '/api/v1/portal/magic']) {
          const r = await h.call(null, 'POST', path, { token });
          expect(r.status).toBeGreaterThanOrEqual(400);
          expect(r.status).toBeLessThan(500);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('password reset', () => {
  it('resets by the e-mailed link once, ends the other sessions, and says nothing about unknown addresses', async () => {
    const who = h.fx.users.customer;
    const session = await h.login(who.email);
    const unknown = address('ghost');
    const a = await h.call(null, 'POST', '/api/v1/portal/password/forgot', { email: unknown });
    const b = await h.call(null, 'POST', '/api/v1/portal/password/forgot', { email: who.email });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body).toEqual(b.body);
    const first = tokenIn(await mailTo(who.email, 'Reset your password'), 'reset');
    await h.call(null, 'POST', '/api/v1/portal/password/forgot', { email: who.email });
    const both = await waitForMail(h.mailUrl, (m) => m.to.includes(who.email) && m.subject.includes('Reset your password'), { count: 2, filter: { to: who.email } });
    const second = tokenIn(both[1]!, 'reset');
    expect(second).not.toBe(first);

    const weak = await h.call(null, 'POST', '/api/v1/portal/password/reset', { token: first, password: 'short' });
    expect(weak.status).toBe(400);
    expect(fieldPaths(weak.body)).toEqual(['body.password']);
    const common = await h.call(null, 'POST', '/api/v1/portal/password/reset', { token: first, password: '1234567890' });
    expect(common.status).toBe(400);
    expect(fieldPaths(common.body)).toEqual(['body.password']);
    expect(JSON.stringify(common.body)).toMatch(/most common passwords/);

    const done = await h.call(null, 'POST', '/api/v1/portal/password/reset', { token: first, password: 'brand new password' });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.user.id).toBe(who.id);
    expect((await h.call(session, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await h.call(done.body.token, 'GET', '/api/v1/auth/me')).status).toBe(200);
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email: who.email, password: PASSWORD })).status).toBe(401);

    // The same link again, and the older-password link made before: both spent.
    for (const token of [first, second]) {
      const r = await h.call(null, 'POST', '/api/v1/portal/password/reset', { token, password: 'yet another password' });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('link_used');
    }
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email: who.email, password: 'brand new password' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await listMail(h.mailUrl, { to: unknown })).toEqual([]);
    // Back to the fixture password for the other tests.
    await h.call(done.body.token, 'POST', '/api/v1/auth/me/password', { currentPassword: 'brand new password', newPassword: PASSWORD });
  });
});

describe('invitations', () => {
  it('an admin invites a customer they created; the link sets the password once; others may not invite', async () => {
    const admin = await h.login(h.fx.users.admin.email);
    const email = address('invited');
    const made = await h.call(admin, 'POST', '/api/v1/users', { email, name: 'Invited Customer', role: 'customer', locale: 'en' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const r = await h.call(admin, 'POST', `/api/v1/users/${made.body.id}/invite`);
    expect(r.status).toBe(202);
    const mail = await mailTo(email, 'You are invited');
    const token = tokenIn(mail, 'reset');
    const done = await h.call(null, 'POST', '/api/v1/portal/password/reset', { token, password: 'my chosen password' });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.user).toMatchObject({ id: made.body.id, role: 'customer' });
    expect((await h.call(null, 'POST', '/api/v1/portal/password/reset', { token, password: 'another chosen one' })).body.error.code).toBe('link_used');

    expect((await h.call(admin, 'POST', '/api/v1/users/999999999/invite')).status).toBe(404);
    await h.call(admin, 'PATCH', `/api/v1/users/${made.body.id}`, { active: false });
    const inactive = await h.call(admin, 'POST', `/api/v1/users/${made.body.id}/invite`);
    expect(inactive.status).toBe(409);
    expect(inactive.body.error.code).toBe('user_inactive');
    for (const who of [h.fx.users.agent1, h.fx.users.customer2]) expect((await h.call(await h.login(who.email), 'POST', `/api/v1/users/${made.body.id}/invite`)).status).toBe(403);
  });
});

describe('magic sign-in from ticket e-mails', () => {
  it('every e-mail to a customer links to the ticket in the portal; the link signs in once, for that customer and ticket', async () => {
    const who = h.fx.users.customer2;
    const token = await h.login(who.email);
    const t = await h.call(token, 'POST', '/api/v1/tickets', { subject: `Magic ${randomBytes(3).toString('hex')}`, body: '<p>Hello</p>' });
    expect(t.status).toBe(201);
    const mail = await mailTo(who.email, t.body.number);
    const magic = tokenIn(mail, 'magic');

    const signedIn = await h.call(null, 'POST', '/api/v1/portal/magic', { token: magic });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body).toMatchObject({ ticketId: t.body.id, user: { id: who.id, role: 'customer' } });
    expect((await h.call(signedIn.body.token, 'GET', `/api/v1/tickets/${t.body.id}`)).status).toBe(200);
    const replay = await h.call(null, 'POST', '/api/v1/portal/magic', { token: magic });
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('link_used');

    // A link naming another customer's ticket, and one for staff: refused, no session made.
    const other = signLink(h.config.PORTAL_LINK_SECRET, { purpose: 'magic', userId: h.fx.users.customer.id, ticketId: t.body.id, expiresAt: Math.floor(Date.now() / 1000) + 600 });
    const staff = signLink(h.config.PORTAL_LINK_SECRET, { purpose: 'magic', userId: h.fx.users.agent1.id, ticketId: t.body.id, expiresAt: Math.floor(Date.now() / 1000) + 600 });
    const [before] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from auth_tokens');
    for (const bad of [other, staff]) {
      const r = await h.call(null, 'POST', '/api/v1/portal/magic', { token: bad });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('link_invalid');
    }
    const [after] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from auth_tokens');
    expect(after!.n).toBe(before!.n);
  });
});

describe('rate limits', () => {
  it('limits e-mails per target address and requests per client, with Retry-After', async () => {
    const limited = await startHarness({
      worker: false,
      env: { CLIENT_KEY_SECRET: `accounts-limit-${randomBytes(16).toString('hex')}`, RATE_LIMIT_ACCOUNT_PER_ADDRESS_PER_HOUR: '2', RATE_LIMIT_ACCOUNT_PER_CLIENT_PER_HOUR: '5' },
    });
    try {
      const email = address('flood');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await limited.call(null, 'POST', '/api/v1/portal/password/forgot', { email })).status);
      expect(statuses).toEqual([202, 202, 429]);
      const third = await limited.call(null, 'POST', '/api/v1/portal/password/forgot', { email });
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(third.body.error.code).toBe('rate_limited');
      // Per client: 5 requests an hour to one endpoint, whatever the addresses.
      const perClient: number[] = [];
      for (let i = 0; i < 6; i++) perClient.push((await limited.call(null, 'POST', '/api/v1/portal/verify/resend', { email: address(`c${i}`) })).status);
      expect(perClient).toEqual([202, 202, 202, 202, 202, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('ticket categories for requesters', () => {
  it('lists every category by id and name only, to anyone who may write a ticket', async () => {
    const customer = await h.login(h.fx.users.customer.email);
    const r = await h.call(customer, 'GET', '/api/v1/portal/ticket-categories');
    expect(r.status).toBe(200);
    const [row] = await h.orm.em.fork().execute<{ name: string }[]>('select name from categories where id = ?', [h.fx.categoryId]);
    expect(r.body.items).toContainEqual({ id: h.fx.categoryId, name: row!.name });
    for (const item of r.body.items) expect(Object.keys(item).sort()).toEqual(['id', 'name']);
    expect((await h.call(null, 'GET', '/api/v1/portal/ticket-categories')).status).toBe(401);
  });
});

describe('housekeeping', () => {
  it('forgets used nonces past their expiry and sign-ups expired a day ago, and nothing else', async () => {
    const em = h.orm.em.fork();
    const tag = randomBytes(6).toString('hex');
    await em.execute(
      `insert into signed_link_uses (nonce, purpose, user_id, used_at, expires_at) values (?, 'magic', 1, now(), now() - interval '1 second'), (?, 'magic', 1, now(), now() + interval '1 hour')`,
      [`old-${tag}-nonce`, `new-${tag}-nonce`],
    );
    await em.execute(
      `insert into portal_signups (email, name, password_hash, created_at, expires_at) values (?, 'x', 'h', now(), now() - interval '25 hours'), (?, 'x', 'h', now(), now() - interval '1 hour')`,
      [`old-${tag}@x.test`, `recent-${tag}@x.test`],
    );
    const purged = await purgeExpiredLinkRecords(em);
    expect(purged.nonces).toBeGreaterThanOrEqual(1);
    expect(purged.signups).toBeGreaterThanOrEqual(1);
    expect((await em.execute<{ nonce: string }[]>('select nonce from signed_link_uses where nonce like ?', [`%-${tag}-nonce`])).map((r) => r.nonce)).toEqual([`new-${tag}-nonce`]);
    expect((await em.execute<{ email: string }[]>('select email from portal_signups where email like ?', [`%-${tag}@x.test`])).map((r) => r.email)).toEqual([`recent-${tag}@x.test`]);
  });
});
