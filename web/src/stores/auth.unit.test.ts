import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api, getToken, isApiError, setToken, unwrap } from '@/api/client';
import { fakeApi, freshPinia } from '@/test/helpers';
import { SignInThrottled, useAuthStore } from './auth';
import { useLocaleStore } from './locale';

const USER = { id: 7, email: 'agent@example.test', name: 'Arash Agent', role: 'agent' as const, locale: 'fa' as const, organizationId: null, groupIds: [1] };

describe('auth store', () => {
  beforeEach(() => {
    setToken(null);
    freshPinia();
  });

  it('logs in: keeps the token for later requests, the user, and adopts their locale', async () => {
    const api$ = fakeApi({
      'POST /api/v1/auth/login': { body: { token: 'mdk_secret', expiresAt: '2030-01-01T00:00:00Z', stage: 'full', user: USER } },
      'GET /api/v1/tickets': { body: { items: [], nextCursor: null } },
    });
    const auth = useAuthStore();
    await auth.login('agent@example.test', 'pw');
    expect(auth.isAuthenticated).toBe(true);
    expect(auth.isStaff).toBe(true);
    expect(auth.user?.name).toBe('Arash Agent');
    expect(localStorage.getItem('mehrdesk.token')).toBe('mdk_secret');
    expect(useLocaleStore().locale).toBe('fa');
    expect(api$.calls[0]!.body).toEqual({ email: 'agent@example.test', password: 'pw' });
    // The auth middleware adds the bearer token to every request.
    await unwrap(api.GET('/api/v1/tickets', { params: { query: {} } }));
    expect(api$.calls[1]!.headers.get('authorization')).toBe('Bearer mdk_secret');
    useLocaleStore().setLocale('en');
  });

  it("a refused login throws the server's message and field errors, and stores nothing", async () => {
    fakeApi({
      'POST /api/v1/auth/login': {
        status: 400,
        body: { error: { code: 'bad_request', message: 'Invalid body', fields: [{ path: 'body.email', message: 'Invalid email address' }] } },
      },
    });
    const auth = useAuthStore();
    const err = await auth.login('nope', 'pw').catch((e: unknown) => e);
    expect(isApiError(err)).toBe(true);
    if (!isApiError(err)) return;
    expect(err.status).toBe(400);
    expect(err.message).toBe('Invalid body');
    expect(err.fieldError('email')).toBe('Invalid email address');
    expect(err.fieldErrors()).toEqual({ email: 'Invalid email address' });
    expect(auth.isAuthenticated).toBe(false);
    expect(getToken()).toBeNull();
  });

  it('restores a remembered session from /auth/me, and forgets a token the server refuses', async () => {
    setToken('mdk_old');
    fakeApi({ 'GET /api/v1/auth/me': { body: USER } });
    const auth = useAuthStore();
    expect(await auth.restore()).toBe(true);
    expect(auth.user?.id).toBe(7);

    freshPinia();
    fakeApi({ 'GET /api/v1/auth/me': { status: 401, body: { error: { code: 'unauthorized', message: 'Invalid or expired token' } } } });
    const again = useAuthStore();
    expect(await again.restore()).toBe(false);
    expect(again.isAuthenticated).toBe(false);
    expect(localStorage.getItem('mehrdesk.token')).toBeNull();
  });

  it('signs the tab out when any request with the token answers 401 (expired session)', async () => {
    setToken('mdk_expiring');
    fakeApi({ 'GET /api/v1/tickets': { status: 401, body: { error: { code: 'unauthorized', message: 'Invalid or expired token' } } } });
    const auth = useAuthStore();
    expect(auth.isAuthenticated).toBe(true);
    await expect(unwrap(api.GET('/api/v1/tickets', { params: { query: {} } }))).rejects.toMatchObject({ status: 401 });
    expect(auth.isAuthenticated).toBe(false);
    expect(auth.expired).toBe(true);
  });

  it('logs out: revokes the token at the server and forgets it', async () => {
    setToken('mdk_live');
    const api$ = fakeApi({ 'POST /api/v1/auth/logout': { status: 204 } });
    const auth = useAuthStore();
    await auth.logout();
    expect(api$.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/v1/auth/logout']);
    expect(api$.calls[0]!.headers.get('authorization')).toBe('Bearer mdk_live');
    expect(auth.isAuthenticated).toBe(false);
    expect(getToken()).toBeNull();
  });

  it('a sign-in waiting for its code is not signed in: the token stays in memory, and only the code step sends it', async () => {
    setToken('mdk_someone_before');
    const api$ = fakeApi({
      'POST /api/v1/auth/login': { body: { token: 'mdk_pending', expiresAt: '2030-01-01T00:00:00Z', stage: 'mfa', user: USER } },
      'POST /api/v1/auth/mfa/verify': (call) =>
        (call.body as { code: string }).code === '123456'
          ? { body: { token: 'mdk_pending', expiresAt: '2030-01-02T00:00:00Z', stage: 'full', user: USER } }
          : { status: 401, body: { error: { code: 'unauthorized', message: 'Wrong code' } } },
      'GET /api/v1/tickets': { body: { items: [], nextCursor: null } },
    });
    const auth = useAuthStore();
    expect(await auth.login('agent@example.test', 'pw')).toBe('mfa');
    expect(auth.isAuthenticated).toBe(false);
    expect(auth.user).toBeNull();
    expect(auth.pending).toMatchObject({ stage: 'mfa', token: 'mdk_pending' });
    expect(getToken()).toBeNull();
    expect(localStorage.getItem('mehrdesk.token')).toBeNull();
    // Other requests do not carry the pending token.
    await unwrap(api.GET('/api/v1/tickets', { params: { query: {} } }));
    expect(api$.calls.at(-1)!.headers.get('authorization')).toBeNull();

    await expect(auth.verifyMfa('000000')).rejects.toMatchObject({ status: 401 });
    expect(auth.pending).not.toBeNull();
    expect(auth.expired).toBe(false);
    const user = await auth.verifyMfa('123456');
    expect(user.id).toBe(7);
    const verify = api$.calls.filter((c) => c.path === '/api/v1/auth/mfa/verify');
    expect(verify.map((c) => c.headers.get('authorization'))).toEqual(['Bearer mdk_pending', 'Bearer mdk_pending']);
    expect(auth.isAuthenticated).toBe(true);
    expect(auth.pending).toBeNull();
    expect(localStorage.getItem('mehrdesk.token')).toBe('mdk_pending');
    useLocaleStore().setLocale('en');
  });

  it('enrolment: set-up and the first code use the pending token, which then becomes the session', async () => {
    const api$ = fakeApi({
      'POST /api/v1/auth/login': { body: { token: 'mdk_enrol', expiresAt: '2030-01-01T00:00:00Z', stage: 'enrol', user: { ...USER, role: 'supervisor' } } },
      'POST /api/v1/auth/mfa/setup': { body: { secret: 'JBSWY3DPEHPK3PXP', otpauthUri: 'otpauth://totp/Mehrdesk:agent?secret=JBSWY3DPEHPK3PXP' } },
      'POST /api/v1/auth/mfa/enable': { body: { recoveryCodes: ['aaaaa-bbbbb'], stage: 'full', expiresAt: '2030-01-02T00:00:00Z' } },
    });
    const auth = useAuthStore();
    expect(await auth.login('sup@example.test', 'pw')).toBe('enrol');
    expect(auth.isAuthenticated).toBe(false);
    expect((await auth.mfaSetup()).secret).toBe('JBSWY3DPEHPK3PXP');
    expect(await auth.mfaEnable('123456')).toEqual(['aaaaa-bbbbb']);
    expect(api$.calls.slice(1).map((c) => c.headers.get('authorization'))).toEqual(['Bearer mdk_enrol', 'Bearer mdk_enrol']);
    expect(auth.isAuthenticated).toBe(true);
    expect(auth.user?.role).toBe('supervisor');
    expect(getToken()).toBe('mdk_enrol');
    useLocaleStore().setLocale('en');
  });

  it('signing out of a pending sign-in ends it at the server', async () => {
    const api$ = fakeApi({
      'POST /api/v1/auth/login': { body: { token: 'mdk_pending', expiresAt: '2030-01-01T00:00:00Z', stage: 'mfa', user: USER } },
      'POST /api/v1/auth/logout': { status: 204 },
    });
    const auth = useAuthStore();
    await auth.login('agent@example.test', 'pw');
    await auth.logout();
    expect(api$.calls[1]!.headers.get('authorization')).toBe('Bearer mdk_pending');
    expect(auth.pending).toBeNull();
    useLocaleStore().setLocale('en');
  });

  it('too many attempts: a SignInThrottled with the seconds of Retry-After', async () => {
    const fetchStub = async () =>
      new Response(JSON.stringify({ error: { code: 'account_locked', message: 'locked' } }), { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '840' } });
    vi.stubGlobal('fetch', fetchStub);
    const err = await useAuthStore()
      .login('agent@example.test', 'pw')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInThrottled);
    expect(err).toMatchObject({ status: 429, code: 'account_locked', retryAfterSeconds: 840 });
    expect(isApiError(err)).toBe(true);
  });

  it('a network failure is an ApiError with status 0', async () => {
    const failing = async () => {
      throw new TypeError('Failed to fetch');
    };
    vi.stubGlobal('fetch', failing);
    const err = await unwrap(api.GET('/api/v1/auth/me')).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: 'network' });
  });
});
