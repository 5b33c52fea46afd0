import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Everyone's own profile: name and language (saved to the account, which e-mails follow), and
// the password, which needs the current one and signs out every other session.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(() => h?.close());

const fieldPaths = (body: any) => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);

describe('PATCH /auth/me', () => {
  it('changes the name and the language of the account, for customers and staff', async () => {
    for (const who of [h.fx.users.customer, h.fx.users.agent1]) {
      const token = await h.login(who.email);
      const r = await h.call(token, 'PATCH', '/api/v1/auth/me', { name: '  Dariush Rahimi ', locale: 'fa' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ id: who.id, name: 'Dariush Rahimi', locale: 'fa' });
      expect((await h.call(token, 'GET', '/api/v1/auth/me')).body).toMatchObject({ name: 'Dariush Rahimi', locale: 'fa' });
      const [row] = await h.orm.em.fork().execute<{ name: string; locale: string }[]>('select name, locale from users where id = ?', [who.id]);
      expect(row).toEqual({ name: 'Dariush Rahimi', locale: 'fa' });
    }
  });

  it('refuses bad input naming the field, and nothing else can be changed this way', async () => {
    const who = h.fx.users.customer2;
    const token = await h.login(who.email);
    const before = (await h.call(token, 'GET', '/api/v1/auth/me')).body;
    const cases: [unknown, string][] = [
      [{ locale: 'de' }, 'body.locale'],
      [{ name: '   ' }, 'body.name'],
      [{ name: 'x'.repeat(201) }, 'body.name'],
      [{ name: 'a\u0000b' }, 'body.name'],
      [{ role: 'admin' }, 'body.role'],
      [{ email: 'other@example.test' }, 'body.email'],
    ];
    for (const [body, field] of cases) {
      const r = await h.call(token, 'PATCH', '/api/v1/auth/me', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(fieldPaths(r.body), JSON.stringify(body)).toContain(field);
    }
    expect((await h.call(token, 'PATCH', '/api/v1/auth/me', {})).status).toBe(400);
    expect((await h.call(token, 'GET', '/api/v1/auth/me')).body).toEqual(before);
    expect((await h.call(null, 'PATCH', '/api/v1/auth/me', { name: 'Nobody' })).status).toBe(401);
  });
});

describe('POST /auth/me/password', () => {
  it('needs the current password, refuses a weak or unchanged one, and signs out the other sessions', async () => {
    const who = h.fx.users.agent2;
    const token = await h.login(who.email);
    const other = await h.login(who.email);
    const change = (body: unknown, t = token) => h.call(t, 'POST', '/api/v1/auth/me/password', body);

    const wrong = await change({ currentPassword: 'not-the-password', newPassword: 'a-new-secret-1' });
    expect(wrong.status).toBe(400);
    expect(fieldPaths(wrong.body)).toEqual(['body.currentPassword']);
    expect(fieldPaths((await change({ currentPassword: 'x', newPassword: 'short' })).body)).toContain('body.newPassword');
    expect(fieldPaths((await change({ currentPassword: 'x', newPassword: 'iloveyou12' })).body)).toContain('body.newPassword');
    expect(fieldPaths((await change({ currentPassword: 'same-same-1', newPassword: 'same-same-1' })).body)).toContain('body.newPassword');
    expect(fieldPaths((await change({ newPassword: 'a-new-secret-1' })).body)).toContain('body.currentPassword');
    // Nothing changed so far: both sessions work, the old password still signs in.
    expect((await h.call(other, 'GET', '/api/v1/auth/me')).status).toBe(200);

    const ok = await change({ currentPassword: PASSWORD, newPassword: 'a-new-secret-1' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(204);
    expect((await h.call(token, 'GET', '/api/v1/auth/me')).status).toBe(200);
    expect((await h.call(other, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await h.call(null, 'POST', '/api/v1/auth/login', { email: who.email, password: PASSWORD })).status).toBe(401);
    expect(await h.login(who.email, 'a-new-secret-1')).toMatch(/^mdk_/);
  });
});
