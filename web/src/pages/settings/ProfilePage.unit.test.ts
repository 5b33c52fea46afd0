import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useAuthStore } from '@/stores/auth';
import { useLocaleStore } from '@/stores/locale';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import ProfilePage from './ProfilePage.vue';

// The profile page against a fake API: name and language are saved to the account (and the
// console switches language), the password change sends the current and the new password and
// shows the server's field error, and two different new passwords never reach the server.

const USER = { id: 5, email: 'sara@corp.example', name: 'Sara', role: 'agent' as const, locale: 'en' as const, organizationId: null, groupIds: [] };

function mount() {
  const api = fakeApi({
    'PATCH /api/v1/auth/me': (call) => ({ body: { ...USER, ...(call.body as object) } }),
    'POST /api/v1/auth/me/password': (call) =>
      (call.body as { currentPassword: string }).currentPassword === 'right-one-1'
        ? { status: 204 }
        : { status: 400, body: { error: { code: 'bad_request', message: 'The current password is wrong', fields: [{ path: 'body.currentPassword', message: 'does not match' }] } } },
  });
  const pinia = freshPinia();
  useAuthStore(pinia).user = { ...USER };
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(ProfilePage)) }), { pinia });
  return api;
}

describe('profile page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    localStorage.clear();
  });

  it('saves the name and language to the account and switches the console to it', async () => {
    const api = mount();
    const name = (await screen.findByTestId('profile-name')).querySelector('input')!;
    expect(name.value).toBe('Sara');
    await userEvent.clear(name);
    await userEvent.type(name, 'Sara Ahmadi');
    await userEvent.click(screen.getByTestId('profile-locale').querySelector('[role="combobox"]') ?? screen.getByTestId('profile-locale'));
    await userEvent.click(await screen.findByText('فارسی'));
    await userEvent.click(screen.getByTestId('profile-save'));
    await waitFor(() => expect(api.calls.some((c) => c.method === 'PATCH')).toBe(true));
    expect(api.calls.find((c) => c.method === 'PATCH')!.body).toEqual({ name: 'Sara Ahmadi', locale: 'fa' });
    await waitFor(() => expect(useLocaleStore().locale).toBe('fa'));
    expect(useAuthStore().user).toMatchObject({ name: 'Sara Ahmadi', locale: 'fa' });
  });

  it('changes the password, showing the field the server refuses, and checks the repeat before sending', async () => {
    const api = mount();
    const input = (id: string) => screen.getByTestId(id).querySelector('input')!;
    await screen.findByTestId('password-form');
    await userEvent.type(input('password-current'), 'wrong-one-1');
    await userEvent.type(input('password-new'), 'a-new-secret-1');
    await userEvent.type(input('password-confirm'), 'a-new-secret-2');
    await userEvent.click(screen.getByTestId('password-save'));
    expect((await screen.findByText('The two new passwords differ')).textContent).toBe('The two new passwords differ');
    expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    await userEvent.clear(input('password-confirm'));
    await userEvent.type(input('password-confirm'), 'a-new-secret-1');
    await userEvent.click(screen.getByTestId('password-save'));
    expect((await screen.findByText('does not match')).textContent).toBe('does not match');

    await userEvent.clear(input('password-current'));
    await userEvent.type(input('password-current'), 'right-one-1');
    await userEvent.click(screen.getByTestId('password-save'));
    await waitFor(() => expect(input('password-new').value).toBe(''));
    const posts = api.calls.filter((c) => c.method === 'POST');
    expect(posts.at(-1)!.body).toEqual({ currentPassword: 'right-one-1', newPassword: 'a-new-secret-1' });
  });
});
