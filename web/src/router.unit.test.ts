import { beforeEach, describe, expect, it } from 'vitest';
import { setToken } from '@/api/client';
import { createAppRouter } from '@/router';
import { useAuthStore } from '@/stores/auth';
import { fakeApi, freshPinia } from '@/test/helpers';

// The router's guard and a sign-in half done: a session waiting for its second factor (or for
// enrolment) opens no page; finishing it does.

const USER = { id: 7, email: 'agent@example.test', name: 'Arash Agent', role: 'agent', locale: 'en', organizationId: null, groupIds: [1] };

describe('router guard and pending sign-ins', () => {
  beforeEach(() => {
    setToken(null);
    freshPinia();
  });

  it('sends a pending sign-in back to the login page until its code is verified', async () => {
    fakeApi({
      'POST /api/v1/auth/login': { body: { token: 'mdk_pending', expiresAt: '2099-01-01T00:00:00Z', stage: 'mfa', user: USER } },
      'POST /api/v1/auth/mfa/verify': { body: { token: 'mdk_pending', expiresAt: '2099-01-01T00:00:00Z', stage: 'full', user: USER } },
    });
    const router = createAppRouter();
    const auth = useAuthStore();
    await auth.login('agent@example.test', 'pw');
    await router.push('/settings/security');
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/settings/security');

    await auth.verifyMfa('123456');
    await router.push('/settings/security');
    expect(router.currentRoute.value.name).toBe('security');
  });
});
