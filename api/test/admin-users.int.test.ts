import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { pgArray } from '@mehrdesk/core/db';

// Users and roles: the role matrix (written out by hand), the picker projection staff get,
// filters and cursor paging, validation, unique e-mail, password handling (never returned),
// the admin guards (not yourself, never the last active admin, also under concurrency) and
// delete-or-deactivate.

let h: Harness;
const tokens = {} as Record<'admin' | 'supervisor' | 'agent' | 'customer', string>;
const CALLERS = ['anonymous', 'admin', 'supervisor', 'agent', 'customer'] as const;
type Caller = (typeof CALLERS)[number];
const token = (c: Caller) => (c === 'anonymous' ? null : tokens[c]);

beforeAll(async () => {
  h = await startHarness();
  const u = h.fx.users;
  const [admin, supervisor, agent, customer] = (await Promise.all([u.admin, u.supervisor, u.agent1, u.customer].map((x) => h.login(x.email)))) as [string, string, string, string];
  Object.assign(tokens, { admin, supervisor, agent, customer });
});
afterAll(() => h?.close());

let seq = 0;
const email = (what: string) => `${what}-${++seq}-${h.fx.suffix}@test.mehrdesk.local`;
const newUser = async (body: Record<string, unknown> = {}) => {
  const r = await h.call(tokens.admin, 'POST', '/api/v1/users', { email: email('u'), name: `User ${h.fx.suffix} ${seq}`, role: 'agent', ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const fieldPaths = (body: any) => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);
const count = async () => Number((await h.orm.em.fork().execute<[{ n: string }]>('select count(*) as n from users'))[0].n);
const PICKER_KEYS = ['active', 'available', 'email', 'id', 'name', 'role'];

describe('users: role matrix', () => {
  // prettier-ignore
  const MATRIX: [string, (c: Caller) => Promise<{ status: number }>, number[]][] = [
    //                                                                                                                 anon adm  sup  agt  cus
    ['GET /users',           (c) => h.call(token(c), 'GET', '/api/v1/users'),                                          [401, 200, 200, 200, 403]],
    ['GET /users/:id',       (c) => h.call(token(c), 'GET', `/api/v1/users/${h.fx.users.agent2.id}`),                   [401, 200, 403, 403, 403]],
    ['POST /users',          (c) => h.call(token(c), 'POST', '/api/v1/users', { email: email(`m-${c}`), name: 'M', role: 'agent' }), [401, 201, 403, 403, 403]],
    ['PATCH /users/:id',     (c) => h.call(token(c), 'PATCH', `/api/v1/users/${h.fx.users.agent2.id}`, { available: true }), [401, 200, 403, 403, 403]],
    ['DELETE /users/:id',    async (c) => h.call(token(c), 'DELETE', `/api/v1/users/${(await newUser()).id}`),         [401, 200, 403, 403, 403]],
  ];
  it.each(MATRIX.flatMap(([name, send, statuses]) => CALLERS.map((caller, i) => ({ name, caller, send, expected: statuses[i]! }))))(
    '$name as $caller → $expected',
    async ({ caller, send, expected }) => {
      const r = await send(caller);
      expect(r.status, JSON.stringify(r)).toBe(expected);
    },
  );
});

describe('users: reading', () => {
  it('staff get a picker projection, admins everything; password hashes never leave', async () => {
    const q = `?q=${h.fx.suffix}&limit=200`;
    const staff = await h.call(tokens.agent, 'GET', `/api/v1/users${q}`);
    expect(staff.status).toBe(200);
    expect(staff.body.items.length).toBeGreaterThanOrEqual(8);
    for (const u of staff.body.items) expect(Object.keys(u).sort()).toEqual(PICKER_KEYS);
    const admin = await h.call(tokens.admin, 'GET', `/api/v1/users${q}`);
    const agent1 = admin.body.items.find((u: any) => u.id === h.fx.users.agent1.id);
    expect(agent1).toMatchObject({ role: 'agent', locale: 'en', capacity: null, groupIds: [h.fx.groups.support], hasPassword: true, openAssignedTickets: 0, active: true, available: true });
    for (const body of [staff.body, admin.body, (await h.call(tokens.admin, 'GET', `/api/v1/users/${h.fx.users.agent1.id}`)).body]) expect(JSON.stringify(body)).not.toMatch(/scrypt|password_?hash/i);
  });

  it('filters by role, name or e-mail, active and group', async () => {
    const mine = (items: any[]) => items.map((u) => u.id).sort();
    const customers = await h.call(tokens.agent, 'GET', `/api/v1/users?q=${h.fx.suffix}&role=customer`);
    expect(mine(customers.body.items)).toEqual([h.fx.users.customer.id, h.fx.users.customer2.id].sort());
    const byEmail = await h.call(tokens.agent, 'GET', `/api/v1/users?q=${encodeURIComponent(h.fx.users.tier2.email.toUpperCase())}`);
    expect(mine(byEmail.body.items)).toEqual([h.fx.users.tier2.id]);
    const literal = await h.call(tokens.agent, 'GET', `/api/v1/users?q=${encodeURIComponent('%')}&limit=200`);
    expect(literal.body.items.every((u: any) => `${u.name}${u.email}`.includes('%'))).toBe(true);
    const inGroup = await h.call(tokens.agent, 'GET', `/api/v1/users?groupId=${h.fx.groups.support}`);
    expect(mine(inGroup.body.items)).toEqual([h.fx.users.agent1.id, h.fx.users.agent2.id].sort());
    const gone = await newUser({ name: `Gone ${h.fx.suffix}`, active: false });
    const inactive = await h.call(tokens.admin, 'GET', `/api/v1/users?q=${h.fx.suffix}&active=false`);
    expect(mine(inactive.body.items)).toContain(gone.id);
    expect(inactive.body.items.every((u: any) => u.active === false)).toBe(true);
    const bad = await h.call(tokens.admin, 'GET', '/api/v1/users?role=king&active=maybe&limit=0&colour=red');
    expect(bad.status).toBe(400);
    expect(fieldPaths(bad.body).sort()).toEqual(['query.active', 'query.colour', 'query.limit', 'query.role']);
  });

  it('pages by name with a cursor: every user once, in order', async () => {
    const all = (await h.call(tokens.admin, 'GET', `/api/v1/users?q=${h.fx.suffix}&limit=200`)).body.items;
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await h.call(tokens.admin, 'GET', `/api/v1/users?q=${h.fx.suffix}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((u) => u.id)).toEqual(all.map((u: any) => u.id));
    const names = seen.map((u) => u.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const bad = await h.call(tokens.admin, 'GET', '/api/v1/users?cursor=bm9wZQ');
    expect(bad.status).toBe(422);
    expect(fieldPaths(bad.body)).toEqual(['query.cursor']);
  });

  it('answers 404 for unknown users and 400 for ids that are not ids', async () => {
    expect((await h.call(tokens.admin, 'GET', '/api/v1/users/2000000000')).status).toBe(404);
    expect((await h.call(tokens.admin, 'PATCH', '/api/v1/users/2000000000', { name: 'x' })).status).toBe(404);
    expect((await h.call(tokens.admin, 'DELETE', '/api/v1/users/2000000000')).status).toBe(404);
    const notId = await h.call(tokens.admin, 'GET', '/api/v1/users/1e3');
    expect(notId.status).toBe(400);
    expect(fieldPaths(notId.body)).toEqual(['params.id']);
  });
});

describe('users: creating and changing', () => {
  it('refuses bad bodies naming each field, writing nothing', async () => {
    const before = await count();
    const bad: [unknown, string][] = [
      [{ email: 'not-an-address', name: 'x', role: 'agent' }, 'body.email'],
      [{ email: email('b'), name: '', role: 'agent' }, 'body.name'],
      [{ email: email('b'), name: 'x', role: 'king' }, 'body.role'],
      [{ email: email('b'), name: 'x', role: 'agent', locale: 'de' }, 'body.locale'],
      [{ email: email('b'), name: 'x', role: 'agent', password: 'short' }, 'body.password'],
      [{ email: email('b'), name: 'x', role: 'agent', password: '1234567890' }, 'body.password'],
      [{ email: email('b'), name: 'x', role: 'agent', password: 'Password123' }, 'body.password'],
      [{ email: email('b'), name: 'x', role: 'agent', capacity: -1 }, 'body.capacity'],
      [{ email: email('b'), name: 'x', role: 'agent', groupIds: ['support'] }, 'body.groupIds.0'],
      [{ email: email('b'), name: 'x', role: 'agent', passwordHash: 'scrypt$1' }, 'body.passwordHash'],
      [{ name: 'x', role: 'agent' }, 'body.email'],
    ];
    for (const [body, path] of bad) {
      const r = await h.call(tokens.admin, 'POST', '/api/v1/users', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(fieldPaths(r.body), JSON.stringify(r.body)).toContain(path);
    }
    const refs = await h.call(tokens.admin, 'POST', '/api/v1/users', { email: email('r'), name: 'x', role: 'agent', groupIds: [h.fx.groups.support, 2_000_000_000], organizationId: 2_000_000_000 });
    expect(refs.status).toBe(422);
    expect(fieldPaths(refs.body).sort()).toEqual(['body.groupIds.1', 'body.organizationId']);
    const customerInGroup = await h.call(tokens.admin, 'POST', '/api/v1/users', { email: email('c'), name: 'x', role: 'customer', groupIds: [h.fx.groups.support] });
    expect(customerInGroup.status).toBe(422);
    expect(fieldPaths(customerInGroup.body)).toEqual(['body.groupIds']);
    expect(await count()).toBe(before);
  });

  it('creates users with or without a password; e-mails are unique regardless of case (409)', async () => {
    const withPw = await newUser({ email: email('Pw').toUpperCase(), password: 'a good long password', locale: 'fa', groupIds: [h.fx.groups.support], capacity: 5 });
    expect(withPw).toMatchObject({ role: 'agent', locale: 'fa', hasPassword: true, capacity: 5, groupIds: [h.fx.groups.support], active: true });
    expect(withPw.email).toBe(withPw.email.toLowerCase());
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email: withPw.email, password: 'a good long password' })).status).toBe(200);
    const without = await newUser();
    expect(without.hasPassword).toBe(false);
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email: without.email, password: 'anything at all' })).status).toBe(401);
    const dup = await h.call(tokens.admin, 'POST', '/api/v1/users', { email: withPw.email.toUpperCase(), name: 'Dup', role: 'agent' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('already_exists');
    expect(fieldPaths(dup.body)).toEqual(['body.email']);
    const rename = await h.call(tokens.admin, 'PATCH', `/api/v1/users/${without.id}`, { email: withPw.email });
    expect(rename.status).toBe(409);
  });

  it('changes name, role, locale, availability, capacity, groups and password; a new password ends old sessions', async () => {
    const u = await newUser({ password: 'first password!' });
    const session = await h.login(u.email, 'first password!');
    const p = await h.call(tokens.admin, 'PATCH', `/api/v1/users/${u.id}`, {
      name: 'Renamed',
      role: 'supervisor',
      locale: 'fa',
      available: false,
      capacity: 3,
      groupIds: [h.fx.groups.tier2, h.fx.groups.other],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body).toMatchObject({ name: 'Renamed', role: 'supervisor', locale: 'fa', available: false, capacity: 3, groupIds: [h.fx.groups.tier2, h.fx.groups.other].sort((a, b) => a - b) });
    // The change applies to the live session at once (roles are read per request).
    expect((await h.call(session, 'GET', '/api/v1/auth/me')).body).toMatchObject({ role: 'supervisor', locale: 'fa' });
    const pw = await h.call(tokens.admin, 'PATCH', `/api/v1/users/${u.id}`, { password: 'second password!' });
    expect(pw.status).toBe(200);
    expect((await h.call(session, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email: u.email, password: 'second password!' })).status).toBe(200);
    // Demoted to customer: out of every group, supervisor of none.
    await h.call(tokens.admin, 'PATCH', `/api/v1/groups/${h.fx.groups.other}`, { supervisorId: u.id });
    const cust = await h.call(tokens.admin, 'PATCH', `/api/v1/users/${u.id}`, { role: 'customer' });
    expect(cust.body).toMatchObject({ role: 'customer', groupIds: [] });
    expect((await h.call(tokens.admin, 'GET', `/api/v1/groups/${h.fx.groups.other}`)).body.supervisorId).toBeNull();
    const empty = await h.call(tokens.admin, 'PATCH', `/api/v1/users/${u.id}`, {});
    expect(empty.status).toBe(400);
  });

  it('deactivating signs the user out and keeps them from logging in', async () => {
    const u = await newUser({ password: 'some password!' });
    const session = await h.login(u.email, 'some password!');
    const r = await h.call(tokens.admin, 'PATCH', `/api/v1/users/${u.id}`, { active: false });
    expect(r.body.active).toBe(false);
    expect((await h.call(session, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email: u.email, password: 'some password!' })).status).toBe(401);
  });
});

describe('users: the admin guards', () => {
  it('an admin cannot demote, deactivate or delete themselves (409)', async () => {
    const me = h.fx.users.admin.id;
    for (const body of [{ role: 'agent' }, { active: false }, { role: 'customer', active: false }]) {
      const r = await h.call(tokens.admin, 'PATCH', `/api/v1/users/${me}`, body);
      expect(r.status, JSON.stringify(body)).toBe(409);
      expect(r.body.error.code).toBe('own_admin_rights');
    }
    const del = await h.call(tokens.admin, 'DELETE', `/api/v1/users/${me}`);
    expect(del.status).toBe(409);
    // Harmless changes to oneself are fine.
    expect((await h.call(tokens.admin, 'PATCH', `/api/v1/users/${me}`, { role: 'admin', locale: 'en', available: true })).status).toBe(200);
    expect((await h.call(tokens.admin, 'GET', `/api/v1/users/${me}`)).body).toMatchObject({ role: 'admin', active: true });
  });

  it('two admins demoting each other at the same moment leave one admin: the other gets 409 last_admin', async () => {
    const em = h.orm.em.fork();
    const a = await newUser({ role: 'admin', password: 'admin password a' });
    const b = await newUser({ role: 'admin', password: 'admin password b' });
    const [ta, tb] = [await h.login(a.email, 'admin password a'), await h.login(b.email, 'admin password b')];
    // Only a and b remain active admins for the duration (this file runs alone against its database).
    const others = (await em.execute<{ id: number }[]>(`update users set active = false where role = 'admin' and active and id not in (?, ?) returning id`, [a.id, b.id])).map((x) => x.id);
    try {
      // Hold the admins' rows so both requests are inside their transactions before either decides.
      const lock = h.orm.em.fork();
      const { both } = await lock.transactional(async (tx) => {
        await tx.execute(`select id from users where role = 'admin' and active for update`);
        const pending = Promise.all([h.call(ta, 'PATCH', `/api/v1/users/${b.id}`, { role: 'agent' }), h.call(tb, 'PATCH', `/api/v1/users/${a.id}`, { role: 'agent' })]);
        await new Promise((r) => setTimeout(r, 800));
        return { both: pending }; // not awaited here: the lock is released when this returns
      });
      const results = await both;
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, JSON.stringify(results.map((r) => r.body))).toEqual([200, 409]);
      expect(results.find((r) => r.status === 409)!.body.error.code).toBe('last_admin');
      const [{ n }] = await em.execute<[{ n: string }]>(`select count(*) as n from users where role = 'admin' and active and id in (?, ?)`, [a.id, b.id]);
      expect(Number(n)).toBe(1);
    } finally {
      if (others.length) await em.execute(`update users set active = true where id = any(?::int[])`, [pgArray(others)]);
    }
  });
});

describe('users: delete', () => {
  it('deletes a user without history, deactivates one with tickets', async () => {
    const fresh = await newUser();
    const del = await h.call(tokens.admin, 'DELETE', `/api/v1/users/${fresh.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ outcome: 'deleted', user: null });
    expect((await h.call(tokens.admin, 'GET', `/api/v1/users/${fresh.id}`)).status).toBe(404);

    const customer = await newUser({ role: 'customer', password: 'customer password' });
    const ct = await h.login(customer.email, 'customer password');
    expect((await h.call(ct, 'POST', '/api/v1/tickets', { subject: 'history', body: 'x' })).status).toBe(201);
    const kept = await h.call(tokens.admin, 'DELETE', `/api/v1/users/${customer.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body.outcome).toBe('deactivated');
    expect(kept.body.user).toMatchObject({ id: customer.id, active: false });
    expect((await h.call(ct, 'GET', '/api/v1/auth/me')).status).toBe(401);
  });
});
