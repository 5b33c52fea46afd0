import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { formatDate } from '@/composables/useFormatters';
import { useAuthStore, type MfaStatus } from '@/stores/auth';
import { useLocaleStore } from '@/stores/locale';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import SecurityPage from './SecurityPage.vue';

// The Security page against a fake API: two-factor sign-in set up with the same steps as a
// required enrolment, turned off with password and code, new recovery codes; the sessions with
// a readable device, address and times in the user's locale, "this device", ending one or all
// others.

const USER = { id: 5, email: 'sara@corp.example', name: 'Sara', role: 'agent' as const, locale: 'en' as const, organizationId: null, groupIds: [] };
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const session = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  createdAt: '2026-11-20T08:30:00.000Z',
  lastUsedAt: '2026-12-01T16:05:00.000Z',
  expiresAt: '2026-12-20T08:30:00.000Z',
  clientAddress: '203.0.113.7',
  userAgent: CHROME,
  stage: 'full',
  current: false,
  ...over,
});
const OFF: MfaStatus = { enabled: false, enabledAt: null, required: false, recoveryCodesLeft: 0 };
const ON: MfaStatus = { enabled: true, enabledAt: '2026-11-02T09:00:00.000Z', required: false, recoveryCodesLeft: 10 };
const badField = (path: string) => ({ status: 400, body: { error: { code: 'bad_request', message: 'no', fields: [{ path, message: 'does not match' }] } } });

function mount(routes: Parameters<typeof fakeApi>[0]) {
  const api = fakeApi({
    'GET /api/v1/auth/mfa': { body: OFF },
    'GET /api/v1/auth/sessions': {
      body: { items: [session(1, { current: true }), session(2, { userAgent: IPHONE, clientAddress: '198.51.100.4' }), session(3, { userAgent: 'Laptop Browser/1.0' })] },
    },
    ...routes,
  });
  const pinia = freshPinia();
  useAuthStore(pinia).user = { ...USER };
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(SecurityPage)) }), { pinia });
  return api;
}
const toasts = () => useToastStore().queue.map((t) => t.text);

describe('security page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    localStorage.clear();
  });

  it('lists the sessions readably, marks this device, ends one and then all others', async () => {
    let items = [session(1, { current: true }), session(2, { userAgent: IPHONE, clientAddress: '198.51.100.4' }), session(3, { userAgent: 'Laptop Browser/1.0', lastUsedAt: null })];
    const api = mount({
      'GET /api/v1/auth/sessions': () => ({ body: { items } }),
      'DELETE /api/v1/auth/sessions/2': { status: 204 },
      'POST /api/v1/auth/sessions/end-others': () => {
        items = items.filter((s) => s.current);
        return { body: { ended: 1 } };
      },
    });
    const current = await screen.findByTestId('session-1');
    expect(current.textContent).toContain('Chrome 131 on Windows');
    expect(within(current).getByTestId('this-device').textContent).toContain('This device');
    expect(current.textContent).toContain('Address: 203.0.113.7');
    expect(current.textContent).toContain(`Started ${formatDate('2026-11-20T08:30:00.000Z', 'en')}`);
    expect(current.textContent).toContain(`Last used ${formatDate('2026-12-01T16:05:00.000Z', 'en')}`);
    // This session is ended by signing out, not here.
    expect(within(current).queryByRole('button')).toBeNull();
    expect(screen.getByTestId('session-2').textContent).toContain('Safari 18 on iPhone');
    expect(screen.getByTestId('session-3').textContent).toContain('Unknown device');
    expect(screen.getByTestId('session-3').textContent).not.toContain('Last used');

    await userEvent.click(screen.getByRole('button', { name: 'End the session on Safari 18 on iPhone' }));
    await waitFor(() => expect(screen.queryByTestId('session-2')).toBeNull());
    expect(api.calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/auth/sessions/2')).toBe(true);
    expect(toasts()).toContain('Session ended');

    await userEvent.click(screen.getByRole('button', { name: 'End all other sessions' }));
    await waitFor(() => expect(screen.queryByTestId('session-3')).toBeNull());
    expect(toasts()).toContain('Other sessions ended: 1');
    expect(screen.getByText('You are signed in on this device only.')).toBeInstanceOf(HTMLElement);
  });

  it('shows the dates in Persian (Jalali calendar, Persian digits) for a Persian user', async () => {
    useLocaleStore(freshPinia());
    mount({});
    useLocaleStore().setLocale('fa');
    const current = await screen.findByTestId('session-1');
    await waitFor(() => expect(current.textContent).toContain(formatDate('2026-11-20T08:30:00.000Z', 'fa')));
    expect(current.textContent).toMatch(/[۰-۹]/);
    expect(current.textContent).toContain('همین دستگاه');
    useLocaleStore().setLocale('en');
  });

  it('sets up two-factor sign-in with the same steps as enrolment, then shows it on', async () => {
    let status = OFF;
    const api = mount({
      'GET /api/v1/auth/mfa': () => ({ body: status }),
      'POST /api/v1/auth/mfa/setup': { body: { secret: 'JBSWY3DPEHPK3PXP', otpauthUri: 'otpauth://totp/Mehrdesk:sara%40corp.example?secret=JBSWY3DPEHPK3PXP&issuer=Mehrdesk' } },
      'POST /api/v1/auth/mfa/enable': () => {
        status = ON;
        return { body: { recoveryCodes: Array.from({ length: 10 }, (_, i) => `code${i}-abcde`), stage: 'full', expiresAt: null } };
      },
    });
    expect((await screen.findByTestId('mfa-status')).textContent).toContain('Off');
    await userEvent.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));
    expect(await screen.findByRole('img', { name: 'QR code to add this account to an authenticator app' })).toBeInstanceOf(SVGElement);
    await userEvent.type(screen.getByLabelText('Authentication code'), '123456');
    await userEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(10);
    expect(toasts()).toContain('Two-factor sign-in is on. Your other sessions were signed out.');
    // The other sessions were ended by the server: the list is fetched again.
    expect(api.calls.filter((c) => c.path === '/api/v1/auth/sessions')).toHaveLength(2);
    // A full session sends its own token, not a pending one.
    expect(api.calls.find((c) => c.path === '/api/v1/auth/mfa/enable')!.headers.get('authorization')).toBe('Bearer mdk_test');
    await userEvent.click(screen.getByRole('button', { name: 'I have saved my codes' }));
    await waitFor(() => expect(screen.getByTestId('mfa-status').textContent).toContain(`On since ${formatDate(ON.enabledAt!, 'en', 'date')}`));
    expect(screen.getByTestId('codes-left').textContent).toContain('Recovery codes left: 10');
  });

  it('turns it off with password and code, showing which one was wrong', async () => {
    let status = ON;
    const api = mount({
      'GET /api/v1/auth/mfa': () => ({ body: status }),
      'POST /api/v1/auth/mfa/disable': (call) => {
        const body = call.body as { password: string; code: string };
        if (body.password !== 'right-pass') return badField('body.password');
        if (body.code !== '123456') return badField('body.code');
        status = OFF;
        return { status: 204 };
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Turn off' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Password'), 'wrong');
    await userEvent.type(within(dialog).getByLabelText('Code from the app, or a recovery code'), '123456');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Turn off' }));
    expect(await within(dialog).findByText('The password is not right')).toBeInstanceOf(HTMLElement);
    await userEvent.clear(within(dialog).getByLabelText('Password'));
    await userEvent.type(within(dialog).getByLabelText('Password'), 'right-pass');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(screen.getByTestId('mfa-status').textContent).toContain('Off'));
    expect(toasts()).toContain('Two-factor sign-in is off');
    expect(api.calls.filter((c) => c.path === '/api/v1/auth/mfa/disable').map((c) => c.body)).toEqual([
      { password: 'wrong', code: '123456' },
      { password: 'right-pass', code: '123456' },
    ]);
  });

  it('when the role requires it: no way to turn it off; new recovery codes take the password and are shown once', async () => {
    mount({
      'GET /api/v1/auth/mfa': { body: { ...ON, required: true, recoveryCodesLeft: 2 } },
      'POST /api/v1/auth/mfa/recovery-codes': (call) =>
        (call.body as { password: string }).password === 'right-pass' ? { body: { recoveryCodes: ['fresh-11111', 'fresh-22222'], stage: 'full', expiresAt: null } } : badField('body.password'),
    });
    expect(await screen.findByText('Your role must use two-factor sign-in, so it cannot be turned off.')).toBeInstanceOf(HTMLElement);
    expect(screen.queryByRole('button', { name: 'Turn off' })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'New recovery codes' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Password'), 'right-pass');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Make new codes' }));
    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['fresh-11111', 'fresh-22222']);
    await userEvent.click(screen.getByRole('button', { name: 'I have saved my codes' }));
    await waitFor(() => expect(screen.queryByRole('list', { name: 'Recovery codes' })).toBeNull());
  });
});
