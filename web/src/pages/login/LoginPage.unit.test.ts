import { beforeEach, describe, expect, it } from 'vitest';
import { screen } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { setToken } from '@/api/client';
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
    const api$ = fakeApi({ 'POST /api/v1/auth/login': { body: { token: 'mdk_x', expiresAt: '2030-01-01T00:00:00Z', user: USER } } });
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
      'POST /api/v1/auth/login': { body: { token: 'mdk_c', expiresAt: '2030-01-01T00:00:00Z', user: { ...USER, role: 'customer' } } },
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
