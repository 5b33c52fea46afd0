import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './UsersPage.vue';

// The users screen's invitation button against a fake API: it e-mails the user a link to choose
// a password, says so, shows a refusal, and is off for deactivated users.

const user = (id: number, name: string, active = true) => ({
  id,
  email: `${name.toLowerCase()}@example.test`,
  name,
  role: 'customer',
  locale: 'en',
  active,
  available: true,
  capacity: null,
  organizationId: null,
  groupIds: [],
  hasPassword: false,
  mfaEnabled: false,
  openAssignedTickets: 0,
  createdAt: '2026-12-01T00:00:00Z',
});

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/users': { body: { items: [user(5, 'Nika'), user(6, 'Omid', false)], nextCursor: null } },
    'GET /api/v1/groups': { body: { items: [] } },
    'POST /api/v1/users/5/invite': { status: 202, body: { status: 'accepted' } },
    ...routes,
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return api;
}

describe('users page: invitations', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('sends the invitation and says where it went; a deactivated user cannot be invited', async () => {
    const api = mount();
    const invite = await screen.findByRole('button', { name: 'Send Nika an invitation to choose a password' });
    expect((screen.getByRole('button', { name: 'Send Omid an invitation to choose a password' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(invite);
    await waitFor(() => expect(useToastStore().queue.map((t) => t.text)).toContain('Invitation sent to Nika (nika@example.test)'));
    expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/users/5/invite']);
  });

  it("shows the server's refusal", async () => {
    mount({ 'POST /api/v1/users/5/invite': { status: 409, body: { error: { code: 'user_inactive', message: 'This user is deactivated: activate them before inviting' } } } });
    await userEvent.click(await screen.findByRole('button', { name: 'Send Nika an invitation to choose a password' }));
    await waitFor(() => expect(useToastStore().queue.map((t) => [t.color, t.text])).toContainEqual(['error', 'This user is deactivated: activate them before inviting']));
  });
});

describe('users page: two-factor sign-in off', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('turns a staff user’s two-factor sign-in off after a confirmation; users without it and customers have no such action', async () => {
    const api = mount({
      'GET /api/v1/users': {
        body: { items: [{ ...user(7, 'Parisa'), role: 'agent', mfaEnabled: true }, { ...user(8, 'Kaveh'), role: 'agent' }, user(5, 'Nika')], nextCursor: null },
      },
      'DELETE /api/v1/users/7/mfa': { status: 204 },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Turn off two-factor sign-in of Parisa' }));
    expect(screen.queryByRole('button', { name: 'Turn off two-factor sign-in of Nika' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Turn off two-factor sign-in of Kaveh' })).toBeNull();
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('they are signed out everywhere');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(useToastStore().queue.map((t) => t.text)).toContain('Two-factor sign-in of Parisa is off; they are signed out'));
    expect(api.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/v1/users/7/mfa']);
  });
});
