import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './SecuritySettingsPage.vue';

// The sign-in security card against a fake API (never the real setting in browser tests: it is
// shared by every test file): the roles in force, saved in a fixed order, the refusal shown.

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/settings/security': { body: { mfaRequiredRoles: ['supervisor'], source: 'default' } },
    'PUT /api/v1/settings/security': (call) => ({ body: { ...(call.body as object), source: 'admin' } }),
    ...routes,
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return api;
}
const puts = (api: ReturnType<typeof fakeApi>) => api.calls.filter((c) => c.method === 'PUT').map((c) => c.body);

describe('sign-in security page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('shows the roles in force and saves a new choice', async () => {
    const api = mount();
    const supervisor = (await screen.findByLabelText('Supervisor')) as HTMLInputElement;
    expect(supervisor.checked).toBe(true);
    expect((screen.getByLabelText('Admin') as HTMLInputElement).checked).toBe(false);
    expect(screen.getByTestId('settings-source').textContent).toContain('MFA_REQUIRED_ROLES');
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(screen.getByLabelText('Agent'));
    await userEvent.click(screen.getByLabelText('Admin'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(puts(api)).toEqual([{ mfaRequiredRoles: ['admin', 'supervisor', 'agent'] }]));
    await waitFor(() => expect(screen.getByTestId('settings-source').textContent).toContain('Chosen by an admin'));
    expect(useToastStore().queue.map((t) => t.text)).toContain('Sign-in security saved');
  });

  it('can require it of nobody', async () => {
    const api = mount();
    await userEvent.click(await screen.findByLabelText('Supervisor'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(puts(api)).toEqual([{ mfaRequiredRoles: [] }]));
  });

  it("shows the server's refusal", async () => {
    mount({
      'PUT /api/v1/settings/security': {
        status: 400,
        body: { error: { code: 'bad_request', message: 'Invalid body', fields: [{ path: 'body.mfaRequiredRoles.0', message: 'Invalid option' }] } },
      },
    });
    await userEvent.click(await screen.findByLabelText('Agent'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Invalid option')).toBeInstanceOf(HTMLElement);
  });
});
