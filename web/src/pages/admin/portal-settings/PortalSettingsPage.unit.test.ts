import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './PortalSettingsPage.vue';

// The portal sign-up policy screen against a fake API: the mode in force checked, the domain
// list only for "domains", Save sending what was chosen, and a refused domain shown by the field.

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/settings/portal': { body: { signup: 'open', signupDomains: [], source: 'default' } },
    'PUT /api/v1/settings/portal': (call) => ({ body: { ...(call.body as object), source: 'admin' } }),
    ...routes,
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return api;
}
const radio = (name: RegExp) => screen.findByRole('radio', { name });
const puts = (api: ReturnType<typeof fakeApi>) => api.calls.filter((c) => c.method === 'PUT').map((c) => c.body);

describe('customer portal settings page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('shows the mode in force, and no domain list unless sign-up is limited to domains', async () => {
    mount();
    expect(((await radio(/Open to anyone/)) as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByLabelText('Allowed domains')).toBeNull();
    expect(screen.getByTestId('settings-source').textContent).toContain('default');
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('saves invitation-only without domains', async () => {
    const api = mount();
    await userEvent.click(await radio(/Invitation only/));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(puts(api)).toEqual([{ signup: 'invite', signupDomains: [] }]));
    await waitFor(() => expect(screen.getByTestId('settings-source').textContent).toContain('Chosen by an admin'));
    expect(useToastStore().queue.map((t) => t.text)).toContain('Customer portal settings saved');
  });

  it('saves a domain list typed in, and shows a refused domain by the field', async () => {
    const api = mount({
      'PUT /api/v1/settings/portal': (call) =>
        (call.body as { signupDomains: string[] }).signupDomains.includes('bad domain')
          ? { status: 400, body: { error: { code: 'bad_request', message: 'Invalid body', fields: [{ path: 'body.signupDomains.1', message: 'must be a domain such as example.com' }] } } }
          : { body: { ...(call.body as object), source: 'admin' } },
    });
    await userEvent.click(await radio(/Only some e-mail domains/));
    const input = await screen.findByLabelText('Allowed domains');
    await userEvent.type(input, 'example.com{Enter}bad domain{Enter}');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByText('bad domain: must be a domain such as example.com')).toBeInstanceOf(HTMLElement));
    expect(puts(api)).toEqual([{ signup: 'domains', signupDomains: ['example.com', 'bad domain'] }]);
  });
});
