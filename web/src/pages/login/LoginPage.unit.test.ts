import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { getToken, setToken } from '@/api/client';
import { useAuthStore } from '@/stores/auth';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import Page from './LoginPage.vue';

// The page lays itself out in <v-main>, which needs the <v-app> of App.vue around it.
const LoginPage = defineComponent({ setup: () => () => h(VApp, () => h(Page)) });

const USER = { id: 7, email: 'agent@example.test', name: 'Arash Agent', role: 'agent', locale: 'en', organizationId: null, groupIds: [1] };

describe('LoginPage', () => {
  beforeEach(() => {
    setToken(null);
    freshPinia();
  });

  it('has labelled fields and signs in, then goes to the page asked for', async () => {
    const api$ = fakeApi({ 'POST /api/v1/auth/login': { body: { token: 'mdk_x', expiresAt: '2030-01-01T00:00:00Z', stage: 'full', user: USER } } });
    const { router } = renderWithApp(LoginPage);
    await router.push('/login?redirect=/tickets/5');
    await userEvent.type(screen.getByLabelText('E-mail'), 'agent@example.test');
    await userEvent.type(screen.getByLabelText('Password'), 'agent-demo-1');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(api$.calls[0]!.body).toEqual({ email: 'agent@example.test', password: 'agent-demo-1' });
    expect(useAuthStore().user?.name).toBe('Arash Agent');
    expect(router.currentRoute.value.fullPath).toBe('/tickets/5');
  });

  it('signs a customer out again and points them to the portal', async () => {
    fakeApi({
      'POST /api/v1/auth/login': { body: { token: 'mdk_c', expiresAt: '2030-01-01T00:00:00Z', stage: 'full', user: { ...USER, role: 'customer' } } },
      'POST /api/v1/auth/logout': { status: 204 },
    });
    const { router } = renderWithApp(LoginPage);
    await router.push('/login');
    await userEvent.type(screen.getByLabelText('E-mail'), 'customer@example.test');
    await userEvent.type(screen.getByLabelText('Password'), 'customer-pass');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByTestId('login-error')).textContent).toContain('Customers use the portal');
    expect(screen.getByRole('link', { name: 'Go to the customer portal' }).getAttribute('href')).toBe('/portal/login');
    expect(useAuthStore().user).toBeNull();
    expect(router.currentRoute.value.path).toBe('/login');
  });

  it("shows the server's message for a wrong password", async () => {
    fakeApi({ 'POST /api/v1/auth/login': { status: 401, body: { error: { code: 'unauthorized', message: 'Wrong e-mail or password' } } } });
    renderWithApp(LoginPage);
    await userEvent.type(screen.getByLabelText('E-mail'), 'agent@example.test');
    await userEvent.type(screen.getByLabelText('Password'), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const message = await screen.findByText('Wrong e-mail or password');
    expect(message.closest('[role="alert"]')).not.toBeNull();
  });

  it('puts field errors from the server next to their field', async () => {
    fakeApi({
      'POST /api/v1/auth/login': { status: 400, body: { error: { code: 'bad_request', message: 'Invalid body', fields: [{ path: 'body.email', message: 'Invalid email address' }] } } },
    });
    renderWithApp(LoginPage);
    await userEvent.type(screen.getByLabelText('E-mail'), 'not-an-address');
    await userEvent.type(screen.getByLabelText('Password'), 'x');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const email = screen.getByLabelText('E-mail');
    await screen.findByText('Invalid email address');
    const describedBy = email.getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(describedBy.split(' ')[0]!)?.textContent).toContain('Invalid email address');
    // Only next to the field, not as a form-level error.
    expect(screen.queryByTestId('login-error')).toBeNull();
  });

  it('asks for both fields before calling the API', async () => {
    const api$ = fakeApi({});
    renderWithApp(LoginPage);
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findAllByText('Required')).toHaveLength(2);
    expect(api$.calls).toHaveLength(0);
  });
});

/** Type the password step and submit it. */
async function passwordStep(email = 'agent@example.test') {
  await userEvent.type(screen.getByLabelText('E-mail'), email);
  await userEvent.type(screen.getByLabelText('Password'), 'agent-demo-1');
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

const PENDING = { token: 'mdk_pending', expiresAt: '2099-01-01T00:00:00Z', user: USER };
const wrongCode = { status: 401, body: { error: { code: 'unauthorized', message: 'Wrong code' } } };

describe('LoginPage: two-factor sign-in', () => {
  beforeEach(() => {
    setToken(null);
    freshPinia();
  });

  it('asks for the code from the app after the password; a wrong code says so; the right one signs in', async () => {
    const api$ = fakeApi({
      'POST /api/v1/auth/login': { body: { ...PENDING, stage: 'mfa' } },
      'POST /api/v1/auth/mfa/verify': (call) => ((call.body as { code: string }).code === '654321' ? { body: { ...PENDING, stage: 'full' } } : wrongCode),
    });
    const { router } = renderWithApp(LoginPage);
    await router.push('/login?redirect=/tickets/5');
    await passwordStep();
    const code = await screen.findByLabelText('Authentication code');
    expect(code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(code.getAttribute('inputmode')).toBe('numeric');
    expect(screen.getByTestId('signing-in-as').textContent).toContain('agent@example.test');
    // Not signed in while the code is due: nothing remembered, the guard sees no token.
    expect(useAuthStore().isAuthenticated).toBe(false);
    expect(getToken()).toBeNull();

    await userEvent.type(code, '12');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByText('Enter the 6 digits the app shows')).toBeInstanceOf(HTMLElement);
    expect(api$.calls.filter((c) => c.path.endsWith('/verify'))).toHaveLength(0);

    await userEvent.clear(code);
    await userEvent.type(code, '111 111');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByText(/That code is not right/)).toBeInstanceOf(HTMLElement);

    await userEvent.clear(code);
    await userEvent.type(code, '654321');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/tickets/5'));
    const verify = api$.calls.filter((c) => c.path.endsWith('/verify'));
    expect(verify.map((c) => c.body)).toEqual([{ code: '111111' }, { code: '654321' }]);
    expect(verify[1]!.headers.get('authorization')).toBe('Bearer mdk_pending');
    expect(getToken()).toBe('mdk_pending');
  });

  it('takes a recovery code instead, and goes back to the password (ending the pending sign-in)', async () => {
    const api$ = fakeApi({
      'POST /api/v1/auth/login': { body: { ...PENDING, stage: 'mfa' } },
      'POST /api/v1/auth/mfa/verify': wrongCode,
      'POST /api/v1/auth/logout': { status: 204 },
    });
    renderWithApp(LoginPage);
    await passwordStep();
    await userEvent.click(await screen.findByRole('button', { name: 'Use a recovery code instead' }));
    const recovery = screen.getByLabelText('Recovery code');
    await userEvent.type(recovery, 'abcde-fghij');
    await userEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByText('That recovery code is not right, or it was used already.')).toBeInstanceOf(HTMLElement);
    expect(api$.calls.at(-1)!.body).toEqual({ code: 'abcde-fghij' });
    expect(screen.getByRole('button', { name: 'Use the code from the app instead' })).toBeInstanceOf(HTMLElement);

    await userEvent.click(screen.getByRole('button', { name: 'Back to sign-in' }));
    expect(await screen.findByLabelText('E-mail')).toBeInstanceOf(HTMLElement);
    const logout = api$.calls.find((c) => c.path === '/api/v1/auth/logout');
    expect(logout?.headers.get('authorization')).toBe('Bearer mdk_pending');
    expect(useAuthStore().pending).toBeNull();
  });

  it('a role that must use it sets it up: QR code drawn here, the key to type, the first code, the recovery codes, then the console', async () => {
    const otpauthUri = 'otpauth://totp/Mehrdesk:agent%40example.test?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Mehrdesk';
    const api$ = fakeApi({
      'POST /api/v1/auth/login': { body: { ...PENDING, stage: 'enrol' } },
      'POST /api/v1/auth/mfa/setup': { body: { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', otpauthUri } },
      'POST /api/v1/auth/mfa/enable': (call) =>
        (call.body as { code: string }).code === '222333'
          ? { body: { recoveryCodes: ['aaaaa-bbbbb', 'ccccc-ddddd'], stage: 'full', expiresAt: '2099-01-01T00:00:00Z' } }
          : { status: 400, body: { error: { code: 'bad_request', message: 'The code does not match', fields: [{ path: 'body.code', message: 'does not match' }] } } },
    });
    const { router } = renderWithApp(LoginPage);
    await router.push('/login');
    await passwordStep();
    expect(await screen.findByRole('heading', { name: 'Set up two-factor sign-in' })).toBeInstanceOf(HTMLElement);
    const qr = await screen.findByRole('img', { name: 'QR code to add this account to an authenticator app' });
    expect(qr.tagName.toLowerCase()).toBe('svg');
    expect(qr.querySelector('path')!.getAttribute('d')!.length).toBeGreaterThan(100);
    // Nothing is fetched from elsewhere to draw it.
    expect(api$.calls.every((c) => c.path.startsWith('/api/v1/auth/'))).toBe(true);
    expect(screen.getByTestId('mfa-secret').textContent).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
    expect(useAuthStore().isAuthenticated).toBe(false);

    const code = screen.getByLabelText('Authentication code');
    await userEvent.type(code, '999999');
    await userEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    expect(await screen.findByText(/The code does not match. Check that the app shows this account/)).toBeInstanceOf(HTMLElement);
    await userEvent.clear(code);
    await userEvent.type(code, '222333');
    await userEvent.click(screen.getByRole('button', { name: 'Turn on' }));

    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['aaaaa-bbbbb', 'ccccc-ddddd']);
    expect(screen.getByRole('button', { name: 'Copy the codes' })).toBeInstanceOf(HTMLElement);
    expect(screen.getByRole('button', { name: 'Download' })).toBeInstanceOf(HTMLElement);
    expect(router.currentRoute.value.path).toBe('/login');
    await userEvent.click(screen.getByRole('button', { name: 'I have saved my codes' }));
    await waitFor(() => expect(router.currentRoute.value.path).toBe('/inbox'));
    expect(getToken()).toBe('mdk_pending');
    expect(useAuthStore().user?.email).toBe('agent@example.test');
  });

  it('too many attempts: says how long to wait (Retry-After); a locked account also that its owner was e-mailed, with the reset', async () => {
    let answer = { code: 'login_delayed', retryAfter: '3' };
    const api$ = fakeApi({ 'POST /api/v1/auth/login': { status: 429, body: {} } });
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      await api$.fetch(input, init);
      return new Response(JSON.stringify({ error: { code: answer.code, message: 'Too many wrong attempts' } }), {
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': answer.retryAfter },
      });
    });
    renderWithApp(LoginPage);
    await passwordStep();
    expect((await screen.findByTestId('login-error')).textContent).toContain('Too many wrong attempts. Wait 3 s before trying again.');
    expect(screen.queryByTestId('reset-link')).toBeNull();

    answer = { code: 'account_locked', retryAfter: '900' };
    await userEvent.type(screen.getByLabelText('Password'), 'again');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByTestId('login-error').textContent).toContain('locked for 15 min'));
    expect(screen.getByTestId('login-error').textContent).toContain('e-mailed the owner of the account');
    expect(screen.getByRole('link', { name: 'Reset the password' }).getAttribute('href')).toBe('/portal/forgot');
  });
});
