import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './SurveySettingsPage.vue';

// The survey settings screen against a fake API: what is in force (and whether an admin chose
// it), Save sending the whole choice once something changed, a refused field shown beside it,
// and the links to the results and to the e-mail texts.

const blank = { template: '<div />' };
function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/settings/surveys': { body: { enabled: true, delaySeconds: 86_400, scale: 'binary', source: 'default' } },
    'PUT /api/v1/settings/surveys': (call) => ({ body: { ...(call.body as object), source: 'admin' } }),
    ...routes,
  });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: blank },
      { path: '/admin/csat', name: 'admin-csat', component: blank },
      { path: '/admin/email-templates', name: 'admin-email-templates', component: blank },
    ],
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }), { router });
  return api;
}

describe('survey settings page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('shows the settings in force, where they come from, and links to the results and the e-mail texts', async () => {
    mount();
    const enabled = (await screen.findByRole('checkbox', { name: 'Send satisfaction surveys' })) as HTMLInputElement;
    expect(enabled.checked).toBe(true);
    expect(((await screen.findByRole('radio', { name: /Good or bad/ })) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId('settings-source').textContent).toContain('server default');
    expect(screen.getByRole('link', { name: /See the results/ }).getAttribute('href')).toBe('/admin/csat');
    expect(screen.getByRole('link', { name: /Edit the e-mail texts/ }).getAttribute('href')).toBe('/admin/email-templates');
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('saves the scale and the switch, and shows the result as an admin choice', async () => {
    const api = mount();
    await userEvent.click(await screen.findByRole('radio', { name: /One to five/ }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Send satisfaction surveys' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'PUT').map((c) => c.body)).toEqual([{ enabled: false, delaySeconds: 86_400, scale: 'five' }]));
    await waitFor(() => expect(screen.getByTestId('settings-source').textContent).toContain('Chosen by an admin'));
    expect(useToastStore().queue.map((t) => t.text)).toContain('Survey settings saved');
  });

  it("shows the server's refusal of a field beside it", async () => {
    mount({
      'PUT /api/v1/settings/surveys': {
        status: 400,
        body: { error: { code: 'bad_request', message: 'Invalid body', fields: [{ path: 'body.delaySeconds', message: 'Too big: expected number to be <=2592000' }] } },
      },
    });
    await userEvent.click(await screen.findByRole('radio', { name: /One to five/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Too big: expected number to be <=2592000')).toBeInstanceOf(HTMLElement);
  });
});
