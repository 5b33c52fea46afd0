import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useAuthStore } from '@/stores/auth';
import { useLocaleStore } from '@/stores/locale';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import LocaleSwitch from './LocaleSwitch.vue';

// The language switch: the console follows at once; a signed-in user's choice is also saved to
// the account (e-mails follow it), a signed-out visitor's only on this device.

const USER = { id: 5, email: 'sara@corp.example', name: 'Sara', role: 'agent' as const, locale: 'en' as const, organizationId: null, groupIds: [] };

async function choosePersian(user: typeof USER | null) {
  const pinia = freshPinia();
  useAuthStore(pinia).user = user;
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(LocaleSwitch)) }), { pinia });
  await userEvent.click(await screen.findByTestId('locale-switch'));
  await userEvent.click(await screen.findByRole('menuitemradio', { name: 'فارسی' }));
  await waitFor(() => expect(useLocaleStore().locale).toBe('fa'));
}

describe('locale switch', () => {
  beforeEach(() => {
    localStorage.clear();
  });

  it("saves a signed-in user's choice to the account", async () => {
    setToken('mdk_test');
    const api = fakeApi({ 'PATCH /api/v1/auth/me': (call) => ({ body: { ...USER, ...(call.body as object) } }) });
    await choosePersian({ ...USER });
    await waitFor(() => expect(useAuthStore().user?.locale).toBe('fa'));
    expect(api.calls.map((c) => [c.method, c.path, c.body])).toEqual([['PATCH', '/api/v1/auth/me', { locale: 'fa' }]]);
  });

  it("keeps a signed-out visitor's choice on this device only", async () => {
    setToken(null);
    const api = fakeApi({});
    await choosePersian(null);
    expect(api.calls).toEqual([]);
    expect(localStorage.getItem('mehrdesk.locale')).toBe('fa');
  });
});
