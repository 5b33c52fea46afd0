import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './InboundSettingsPage.vue';

// The inbound e-mail settings screen against a fake API: the choice in force checked, where it
// comes from, Save sending the new choice (only once something changed), and a refusal shown.

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/settings/inbound': { body: { strangerReplies: 'hold', source: 'default' } },
    'PUT /api/v1/settings/inbound': (call) => ({ body: { ...(call.body as object), source: 'admin' } }),
    ...routes,
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return api;
}
const radio = (name: RegExp) => screen.findByRole('radio', { name });

describe('inbound e-mail settings page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('shows both choices with the one in force checked, and that it is the server default', async () => {
    mount();
    expect(((await radio(/Hold it for review/)) as HTMLInputElement).checked).toBe(true);
    expect(((await radio(/Open a new ticket/)) as HTMLInputElement).checked).toBe(false);
    expect(screen.getByText(/does not see/)).toBeInstanceOf(HTMLElement);
    expect(screen.getByTestId('settings-source').textContent).toContain('server default');
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('saves the new choice and shows it as an admin choice', async () => {
    const api = mount();
    await userEvent.click(await radio(/Open a new ticket/));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'PUT').map((c) => [c.path, c.body])).toEqual([['/api/v1/settings/inbound', { strangerReplies: 'new_ticket' }]]));
    await waitFor(() => expect(screen.getByTestId('settings-source').textContent).toContain('Chosen by an admin'));
    expect(useToastStore().queue.map((t) => t.text)).toContain('Inbound e-mail settings saved');
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows the server's refusal and keeps the unsaved choice", async () => {
    mount({ 'PUT /api/v1/settings/inbound': { status: 403, body: { error: { code: 'forbidden', message: 'Not allowed' } } } });
    await userEvent.click(await radio(/Open a new ticket/));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(useToastStore().queue.map((t) => [t.color, t.text])).toContainEqual(['error', 'Not allowed']));
    expect(((await radio(/Open a new ticket/)) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId('settings-source').textContent).toContain('server default');
  });
});
