import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';
import { waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { openSse } from '@mehrdesk/scripts/testing/sse';
import { hashPassword } from '@mehrdesk/core/services/passwords';
import { codeAt } from '@mehrdesk/api/auth/totp';

// Sign-in security (issue 12): throttled and locked sign-in (with the owner told by e-mail),
// a budget per client address, per session and per API key (429 with Retry-After), two-factor
// sign-in (TOTP, recovery codes, required per role), pending sessions that can do nothing but
// finish signing in, one's own sessions, API keys with scopes, the cap on live streams per user,
// and every step in the audit log. Limits are set low for this file's API only.

let h: Harness;
let admin: string;
const SESSION_BUDGET = 150;
const ANONYMOUS_BUDGET = 100;

beforeAll(async () => {
  h = await startHarness({
    env: {
      LOGIN_DELAY_AFTER_FAILURES: '3',
      LOGIN_MAX_DELAY_SECONDS: '1',
      LOGIN_LOCK_AFTER_FAILURES: '5',
      LOGIN_LOCK_MINUTES: '1',
      LOGIN_FAILURES_PER_CLIENT_PER_HOUR: '8',
      RATE_LIMIT_PER_TOKEN_PER_MINUTE: String(SESSION_BUDGET),
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(ANONYMOUS_BUDGET),
      MFA_REQUIRED_ROLES: 'supervisor',
      LIVE_MAX_STREAMS_PER_USER: '2',
    },
  });
  admin = await h.login(h.fx.users.admin.email);
});
afterAll(() => h?.close());

let seq = 0;
/** A client address of its own per test (the API trusts X-Forwarded-For from loopback), so per-client counters never meet. */
const fromClient = () => ({ 'x-forwarded-for': `203.0.113.${++seq}` });

async function newUser(role: 'agent' | 'supervisor' | 'customer' = 'agent') {
  const email = `sec-${++seq}-${h.fx.suffix}@test.mehrdesk.local`;
  const [row] = await h.orm.em
    .fork()
    .execute<{ id: number }[]>(`insert into users (email, name, password_hash, role, locale, active, available, created_at) values (?, ?, ?, ?, 'en', true, true, now()) returning id`, [
      email,
      `Sec ${seq}`,
      await hashPassword(PASSWORD),
      role,
    ]);
  return { id: row!.id, email };
}

const login = (email: string, password: string, headers: Record<string, string> = {}) => h.call(null, 'POST', '/api/v1/auth/login', { email, password }, headers);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const auditOf = async (action: string, targetId: number) =>
  h.orm.em
    .fork()
    .execute<{ actor_kind: string; actor_email: string | null; client_address: string | null; detail: any }[]>(
      'select actor_kind, actor_email, client_address, detail from audit_log where action = ? and target_id = ? order by id',
      [action, String(targetId)],
    );

/** Signs in with the password and, when two-factor sign-in is on, the current code. */
async function fullLogin(email: string, secret: string | null, headers: Record<string, string> = {}, codeTime = Date.now()): Promise<string> {
  const r = await login(email, PASSWORD, headers);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  if (r.body.stage === 'full') return r.body.token as string;
  const v = await h.call(r.body.token, 'POST', '/api/v1/auth/mfa/verify', { code: codeAt(secret!, codeTime) }, headers);
  expect(v.status, JSON.stringify(v.body)).toBe(200);
  return v.body.token as string;
}

/** Turns two-factor sign-in on for the session `token`; returns the secret and recovery codes. */
async function enrol(token: string) {
  const s = await h.call(token, 'POST', '/api/v1/auth/mfa/setup');
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  expect(s.body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
  const e = await h.call(token, 'POST', '/api/v1/auth/mfa/enable', { code: codeAt(s.body.secret, Date.now()) });
  expect(e.status, JSON.stringify(e.body)).toBe(200);
  return { secret: s.body.secret as string, recoveryCodes: e.body.recoveryCodes as string[] };
}

/** The next 30-second step begins (a code is accepted once per step). */
const nextStep = async () => sleep(30_000 - (Date.now() % 30_000) + 50);

describe('sign-in throttling', () => {
  it('wrong passwords delay further attempts, then lock the account and e-mail its owner; the right password is refused meanwhile', async () => {
    const u = await newUser();
    const client = fromClient();
    for (let i = 1; i <= 3; i++) expect((await login(u.email, `wrong-${i}`, client)).status).toBe(401);
    // The 3rd failure in a row: the next attempt must wait (even with the right password).
    const delayed = await login(u.email, PASSWORD, client);
    expect(delayed.status).toBe(429);
    expect(delayed.body.error.code).toBe('login_delayed');
    expect(Number(delayed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await sleep(1100);
    expect((await login(u.email, 'wrong-4', client)).status).toBe(401);
    await sleep(1100);
    expect((await login(u.email, 'wrong-5', client)).status).toBe(401); // the 5th: locked
    const locked = await login(u.email, PASSWORD, client);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('account_locked');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(30);
    // Another client address does not get around the account's lock.
    expect((await login(u.email, PASSWORD, fromClient())).body.error?.code).toBe('account_locked');

    const [mail] = await waitForMail(h.mailUrl, (m) => m.to.some((t) => t.includes(u.email)) && /locked/i.test(m.subject));
    expect(mail!.text).toContain('5 wrong passwords');
    expect(mail!.text).toContain(client['x-forwarded-for']);

    const failed = await auditOf('auth.login_failed', u.id);
    expect(failed).toHaveLength(5);
    expect(failed.every((f) => f.client_address === client['x-forwarded-for'] && f.actor_email === u.email)).toBe(true);
    expect(await auditOf('auth.account_locked', u.id)).toHaveLength(1);
  }, 30_000);

  it('a success ends the series of failures; addresses without an account are throttled alike (nothing to enumerate)', async () => {
    const u = await newUser();
    const client = fromClient();
    for (let i = 0; i < 2; i++) expect((await login(u.email, 'nope', client)).status).toBe(401);
    expect((await login(u.email, PASSWORD, client)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login(u.email, 'nope', client)).status).toBe(401);
    expect((await login(u.email, PASSWORD, client)).status).toBe(429); // a fresh series of 3, not 5

    const ghost = `ghost-${h.fx.suffix}@test.mehrdesk.local`;
    const ghostClient = fromClient();
    for (let i = 0; i < 3; i++) expect((await login(ghost, 'nope', ghostClient)).status).toBe(401);
    expect((await login(ghost, 'nope', ghostClient)).body.error.code).toBe('login_delayed');
    const audited = await h.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from audit_log where action = 'auth.login_failed' and actor_email = ? and actor_id is null`, [ghost]);
    expect(Number(audited[0]!.n)).toBe(3);
  });

  it('one client address spraying one password over many accounts is refused after its budget, whatever the account', async () => {
    const client = fromClient();
    for (let i = 0; i < 8; i++) expect((await login(`spray-${i}-${h.fx.suffix}@test.mehrdesk.local`, 'Summer2026!', client)).status).toBe(401);
    const u = await newUser();
    const refused = await login(u.email, PASSWORD, client);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(u.email, PASSWORD, fromClient())).status).toBe(200);
  });

  it('a client without credentials has a budget of requests per minute, whatever the public endpoint', async () => {
    const client = fromClient();
    const answers = await Promise.all(Array.from({ length: ANONYMOUS_BUDGET + 1 }, (_, i) => h.call(null, 'GET', i % 2 ? '/api/v1/public/kb/articles' : '/api/v1/portal/config', undefined, client)));
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.body.error.code).toBe('rate_limited');
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answers.filter((r) => r.status !== 429).every((r) => r.headers.get('ratelimit-limit') === String(ANONYMOUS_BUDGET))).toBe(true);
    // Another address, and the same address signed in, have budgets of their own.
    expect((await h.call(null, 'GET', '/api/v1/public/kb/articles', undefined, fromClient())).status).not.toBe(429);
    expect((await h.call(admin, 'GET', '/api/v1/public/kb/articles', undefined, client)).status).not.toBe(429);
  });

  it('a session has a budget of requests per minute: RateLimit headers, then 429 with Retry-After', async () => {
    const u = await newUser();
    const token = await fullLogin(u.email, null);
    const first = await h.call(token, 'GET', '/api/v1/auth/me');
    expect(first.headers.get('ratelimit-limit')).toBe(String(SESSION_BUDGET));
    expect(Number(first.headers.get('ratelimit-remaining'))).toBe(SESSION_BUDGET - 1);
    const rest = await Promise.all(Array.from({ length: SESSION_BUDGET }, () => h.call(token, 'GET', '/api/v1/auth/me')));
    const statuses = rest.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(SESSION_BUDGET - 1);
    const refused = rest.find((r) => r.status === 429)!;
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another session of the same user has its own budget.
    expect((await h.call(await fullLogin(u.email, null), 'GET', '/api/v1/auth/me')).status).toBe(200);
  });
});

describe('two-factor sign-in', () => {
  it('turned on with a first code; then sign-in takes the password and a code, each code once; a recovery code works once', async () => {
    const u = await newUser('agent');
    const token = await fullLogin(u.email, null);
    const { secret, recoveryCodes } = await enrol(token);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const [stored] = await h.orm.em.fork().execute<{ totp_secret: string }[]>('select totp_secret from users where id = ?', [u.id]);
    expect(stored!.totp_secret).not.toContain(secret); // encrypted at rest
    // Turning it on ended the sessions signed in with the password alone.
    expect((await h.call(token, 'GET', '/api/v1/auth/me')).status).toBe(200);

    await nextStep();
    const pending = await login(u.email, PASSWORD);
    expect(pending.status).toBe(200);
    expect(pending.body.stage).toBe('mfa');
    const wrong = await h.call(pending.body.token, 'POST', '/api/v1/auth/mfa/verify', { code: '000000' === codeAt(secret, Date.now()) ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    const code = codeAt(secret, Date.now());
    const done = await h.call(pending.body.token, 'POST', '/api/v1/auth/mfa/verify', { code });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.stage).toBe('full');
    expect((await h.call(done.body.token, 'GET', '/api/v1/tickets')).status).toBe(200);

    // The same code again (a replayed or shoulder-surfed one) is refused.
    const again = await login(u.email, PASSWORD);
    expect((await h.call(again.body.token, 'POST', '/api/v1/auth/mfa/verify', { code })).status).toBe(401);
    const recovered = await h.call(again.body.token, 'POST', '/api/v1/auth/mfa/verify', { code: recoveryCodes[0]!.toUpperCase() });
    expect(recovered.status).toBe(200);
    const third = await login(u.email, PASSWORD);
    expect((await h.call(third.body.token, 'POST', '/api/v1/auth/mfa/verify', { code: recoveryCodes[0] })).status).toBe(401);

    const status = await h.call(recovered.body.token, 'GET', '/api/v1/auth/mfa');
    expect(status.body).toMatchObject({ enabled: true, required: false, recoveryCodesLeft: 9 });
    expect((await auditOf('mfa.enabled', u.id)).length).toBe(1);
    expect((await auditOf('mfa.recovery_code_used', u.id)).length).toBe(1);
    expect((await auditOf('auth.login_failed', u.id)).map((a) => a.detail.reason)).toEqual(['wrong_code', 'wrong_code', 'wrong_code']);

    // Off again: password and a code (a recovery code here) required.
    const bad = await h.call(recovered.body.token, 'POST', '/api/v1/auth/mfa/disable', { password: 'not it', code: recoveryCodes[1] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].path).toBe('body.password');
    expect((await h.call(recovered.body.token, 'POST', '/api/v1/auth/mfa/disable', { password: PASSWORD, code: recoveryCodes[1] })).status).toBe(204);
    expect((await login(u.email, PASSWORD)).body.stage).toBe('full');
  }, 70_000);

  it('wrong codes count toward the delay, and signing in again with the password does not reset the count', async () => {
    const u = await newUser('agent');
    const { secret } = await enrol(await fullLogin(u.email, null));
    const wrongCode = () => {
      const valid = new Set([-30_000, 0, 30_000].map((d) => codeAt(secret, Date.now() + d)));
      return ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c))!;
    };
    const client = fromClient();
    for (let i = 0; i < 3; i++) {
      const pending = await login(u.email, PASSWORD, client);
      expect(pending.body.stage).toBe('mfa');
      expect((await h.call(pending.body.token, 'POST', '/api/v1/auth/mfa/verify', { code: wrongCode() }, client)).status).toBe(401);
    }
    // Three wrong codes in a row, each after a correct password: the next attempt waits.
    const delayed = await login(u.email, PASSWORD, client);
    expect(delayed.status).toBe(429);
    expect(delayed.body.error.code).toBe('login_delayed');
  });

  it('a session waiting for its code can do nothing but send it (or sign out)', async () => {
    const u = await newUser('agent');
    const { secret } = await enrol(await fullLogin(u.email, null));
    const pending = (await login(u.email, PASSWORD)).body.token as string;
    // prettier-ignore
    const refused: [string, string, unknown?][] = [
      ['GET', '/api/v1/auth/me'], ['GET', '/api/v1/tickets'], ['POST', '/api/v1/tickets', { subject: 'x', body: 'y' }],
      ['GET', '/api/v1/auth/sessions'], ['GET', '/api/v1/users'], ['POST', '/api/v1/auth/mfa/setup'], ['GET', '/api/v1/auth/mfa'],
    ];
    for (const [method, path, body] of refused) {
      const r = await h.call(pending, method, path, body);
      expect([401, 403], `${method} ${path} → ${r.status}`).toContain(r.status);
    }
    const live = await openSse(`${h.baseUrl}/api/v1/events`, { authorization: `Bearer ${pending}` });
    expect(live.status).toBe(401);
    live.close();
    expect((await h.call(pending, 'POST', '/api/v1/auth/logout')).status).toBe(204);
    expect((await h.call(pending, 'POST', '/api/v1/auth/mfa/verify', { code: codeAt(secret, Date.now()) })).status).toBe(401);
  });

  it('a role that must use it: sessions start at enrolment, which is all they can do, and it cannot be turned off', async () => {
    const u = await newUser('supervisor');
    const r = await login(u.email, PASSWORD);
    expect(r.body.stage).toBe('enrol');
    const pending = r.body.token as string;
    expect((await h.call(pending, 'GET', '/api/v1/tickets')).status).toBe(401);
    expect((await h.call(pending, 'POST', '/api/v1/auth/mfa/verify', { code: '123456' })).status).toBe(403);
    expect((await h.call(pending, 'GET', '/api/v1/auth/mfa')).body).toMatchObject({ enabled: false, required: true });
    const { secret, recoveryCodes } = await enrol(pending);
    // Enrolling finished this sign-in: the same token is now a full session.
    expect((await h.call(pending, 'GET', '/api/v1/tickets')).status).toBe(200);
    const off = await h.call(pending, 'POST', '/api/v1/auth/mfa/disable', { password: PASSWORD, code: recoveryCodes[0] });
    expect(off.status).toBe(409);
    expect(off.body.error.code).toBe('mfa_required');
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  });

  it('customers cannot turn it on; an admin can turn a user’s off (a lost phone), which ends their sessions', async () => {
    const c = await newUser('customer');
    expect((await h.call(await fullLogin(c.email, null), 'POST', '/api/v1/auth/mfa/setup')).status).toBe(403);
    const u = await newUser('agent');
    const { secret } = await enrol(await fullLogin(u.email, null));
    // Enabling used this step's code: the next step's is accepted (one step of clock drift).
    const token = await fullLogin(u.email, secret, {}, Date.now() + 30_000);
    expect((await h.call(token, 'DELETE', `/api/v1/users/${u.id}/mfa`)).status).toBe(403);
    expect((await h.call(admin, 'GET', `/api/v1/users/${u.id}`)).body.mfaEnabled).toBe(true);
    expect((await h.call(admin, 'DELETE', `/api/v1/users/${u.id}/mfa`)).status).toBe(204);
    expect((await h.call(admin, 'GET', `/api/v1/users/${u.id}`)).body.mfaEnabled).toBe(false);
    expect((await h.call(token, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await login(u.email, PASSWORD)).body.stage).toBe('full');
    expect(await auditOf('mfa.reset_by_admin', u.id)).toHaveLength(1);
  });
});

describe('own sessions', () => {
  it('lists where and when each session started and was used, ends one or all others, never someone else’s', async () => {
    const u = await newUser();
    const laptop = await fullLogin(u.email, null, { ...fromClient(), 'user-agent': 'Laptop Browser/1.0' });
    const phone = await fullLogin(u.email, null, { ...fromClient(), 'user-agent': 'Phone Browser/2.0' });
    const tablet = await fullLogin(u.email, null, { 'user-agent': `Tablet ${'x'.repeat(1000)}` });
    const list = await h.call(laptop, 'GET', '/api/v1/auth/sessions');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(3);
    const current = list.body.items.find((s: any) => s.current);
    expect(current.userAgent).toBe('Laptop Browser/1.0');
    expect(current.clientAddress).toMatch(/^203\.0\.113\./);
    expect(list.body.items.find((s: any) => s.userAgent?.startsWith('Tablet')).userAgent).toHaveLength(300);
    const phoneSession = list.body.items.find((s: any) => s.userAgent === 'Phone Browser/2.0');

    const other = await fullLogin((await newUser()).email, null);
    expect((await h.call(other, 'DELETE', `/api/v1/auth/sessions/${phoneSession.id}`)).status).toBe(404);
    expect((await h.call(laptop, 'DELETE', `/api/v1/auth/sessions/${phoneSession.id}`)).status).toBe(204);
    expect((await h.call(phone, 'GET', '/api/v1/auth/me')).status).toBe(401);
    const ended = await h.call(laptop, 'POST', '/api/v1/auth/sessions/end-others');
    expect(ended.body).toEqual({ ended: 1 });
    expect((await h.call(tablet, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await h.call(laptop, 'GET', '/api/v1/auth/me')).status).toBe(200);
    expect((await h.call(laptop, 'DELETE', '/api/v1/auth/sessions/0')).status).toBe(400);
  });
});

describe('API keys', () => {
  const create = (body: Record<string, unknown>, token = admin) => h.call(token, 'POST', '/api/v1/api-keys', body);

  it('shown once, stored hashed, act as their user within their scopes, last use kept, revocable', async () => {
    const bot = await newUser('agent');
    const made = await create({ name: 'Web form', userId: bot.id, scopes: ['tickets:write'] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const key = made.body.key as string;
    expect(key.startsWith(made.body.apiKey.prefix)).toBe(true);
    const [row] = await h.orm.em.fork().execute<{ key_hash: string }[]>('select key_hash from api_keys where id = ?', [made.body.apiKey.id]);
    expect(row!.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    const listed = await h.call(admin, 'GET', '/api/v1/api-keys');
    expect(JSON.stringify(listed.body)).not.toContain(key);

    // A third party submits a ticket for a customer (C3).
    const ticket = await h.call(key, 'POST', '/api/v1/tickets', { subject: 'From the web form', body: 'Hello', requesterEmail: `form-${h.fx.suffix}@example.com` });
    expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
    // Not within its scopes: reading tickets, the directory, administration, sessions, live events.
    for (const [method, path] of [
      ['GET', '/api/v1/tickets'],
      ['GET', `/api/v1/tickets/${ticket.body.id}`],
      ['GET', '/api/v1/users'],
      ['GET', '/api/v1/auth/sessions'],
    ] as const)
      expect((await h.call(key, method, path)).status, `${method} ${path}`).toBe(403);
    expect((await openSse(`${h.baseUrl}/api/v1/events`, { authorization: `Bearer ${key}` })).status).toBe(403);

    await eventually(async () => ((await h.call(admin, 'GET', '/api/v1/api-keys')).body.items.find((k: any) => k.id === made.body.apiKey.id)?.lastUsedAt ? true : null), 'last use recorded');
    const revoked = await h.call(admin, 'DELETE', `/api/v1/api-keys/${made.body.apiKey.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await h.call(key, 'POST', '/api/v1/tickets', { subject: 'x', body: 'y' })).status).toBe(401);
    expect((await h.call(admin, 'DELETE', `/api/v1/api-keys/${made.body.apiKey.id}`)).status).toBe(409);
    const audited = await h.orm.em
      .fork()
      .execute<{ action: string; after: any }[]>(`select action, after from audit_log where target_type = 'api_key' and target_id = ? order by id`, [String(made.body.apiKey.id)]);
    expect(audited.map((a) => a.action)).toEqual(['api_key.created', 'api_key.revoked']);
    expect(JSON.stringify(audited)).not.toContain(key);
  });

  it('an admin’s key still cannot administer; each key has its own budget; expired keys are refused', async () => {
    const adminKey = (await create({ name: 'Admin scripts', scopes: ['tickets:read', 'directory:read'] })).body.key as string;
    expect((await h.call(adminKey, 'GET', '/api/v1/api-keys')).status).toBe(403);
    expect((await h.call(adminKey, 'PUT', '/api/v1/settings/security', { mfaRequiredRoles: [] })).status).toBe(403);
    const slowKey = (await create({ name: 'Slow poller', scopes: ['tickets:read'], rateLimitPerMinute: 3 })).body.key as string;
    const r = [];
    for (let i = 0; i < 3; i++) r.push(await h.call(slowKey, 'GET', '/api/v1/tickets?limit=1'));
    expect(r.map((x) => x.status)).toEqual([200, 200, 200]);
    expect(r[0]!.headers.get('ratelimit-limit')).toBe('3');
    const over = await h.call(slowKey, 'GET', '/api/v1/tickets?limit=1');
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);

    const soon = await create({ name: 'Short-lived', scopes: ['kb:read'], expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(soon.status).toBe(201);
    await sleep(1600);
    expect((await h.call(soon.body.key, 'GET', '/api/v1/kb/articles')).status).toBe(401);
  });

  it('only admins make keys; bad input is refused naming the field', async () => {
    const agent = await fullLogin((await newUser()).email, null);
    expect((await create({ name: 'mine', scopes: ['tickets:read'] }, agent)).status).toBe(403);
    expect((await h.call(null, 'GET', '/api/v1/api-keys')).status).toBe(401);
    const cases: [Record<string, unknown>, string, number][] = [
      [{ name: 'x', scopes: ['admin:everything'] }, 'body.scopes.0', 400],
      [{ name: 'x', scopes: [] }, 'body.scopes', 400],
      [{ name: 'x', scopes: ['kb:read', 'kb:read'] }, 'body.scopes', 400],
      [{ name: 'x\u0000y', scopes: ['kb:read'] }, 'body.name', 400],
      [{ name: 'x', scopes: ['kb:read'], rateLimitPerMinute: 1e12 }, 'body.rateLimitPerMinute', 400],
      [{ name: 'x', scopes: ['kb:read'], expiresAt: '2026-02-30T00:00:00Z' }, 'body.expiresAt', 400],
      [{ name: 'x', scopes: ['kb:read'], expiresAt: '2001-01-01T00:00:00Z' }, 'body.expiresAt', 422],
      [{ name: 'x', scopes: ['kb:read'], userId: 2_000_000_000 }, 'body.userId', 422],
    ];
    for (const [body, field, status] of cases) {
      const r = await create(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(
        r.body.error.fields.map((f: { path: string }) => f.path),
        JSON.stringify(r.body),
      ).toContain(field);
    }
  });
});

describe('live streams per user', () => {
  it('are capped: one more is refused with 429 until another closes', async () => {
    const token = await fullLogin((await newUser()).email, null);
    const auth = { authorization: `Bearer ${token}` };
    const a = await openSse(`${h.baseUrl}/api/v1/events`, auth);
    const b = await openSse(`${h.baseUrl}/api/v1/events`, auth);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await openSse(`${h.baseUrl}/api/v1/events`, auth);
    expect(c.status).toBe(429);
    expect(Number(c.headers.get('retry-after'))).toBeGreaterThan(0);
    c.close();
    a.close();
    const d = await eventually(async () => {
      const s = await openSse(`${h.baseUrl}/api/v1/events`, auth);
      if (s.status === 200) return s;
      s.close();
      return null;
    }, 'a stream once another closed');
    d.close();
    b.close();
  });
});

describe('metrics', () => {
  it('answer this machine, not a client forwarded from elsewhere', async () => {
    expect((await fetch(`${h.baseUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${h.baseUrl}/metrics`, { headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(403);
  });
});

describe('security settings', () => {
  // Last: the stored choice applies to every test file's API (the default, none, is stored here).
  it('admins choose the roles that must use two-factor sign-in; validated and audited', async () => {
    expect((await h.call(admin, 'GET', '/api/v1/settings/security')).body).toEqual({ mfaRequiredRoles: ['supervisor'], source: 'default' });
    const bad = await h.call(admin, 'PUT', '/api/v1/settings/security', { mfaRequiredRoles: ['customer'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields[0].path).toBe('body.mfaRequiredRoles.0');
    const saved = await h.call(admin, 'PUT', '/api/v1/settings/security', { mfaRequiredRoles: [] });
    expect(saved.body).toEqual({ mfaRequiredRoles: [], source: 'admin' });
    expect((await login((await newUser('supervisor')).email, PASSWORD)).body.stage).toBe('full');
    const [entry] = await h.orm.em
      .fork()
      .execute<{ before: any; after: any }[]>(`select before, after from audit_log where action = 'setting.updated' and target_id = 'security' order by id desc limit 1`);
    expect(entry!.before.mfaRequiredRoles).toEqual(['supervisor']);
    expect(entry!.after.mfaRequiredRoles).toEqual([]);
  });
});
