import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { formatDate } from '@/composables/useFormatters';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './ApiKeysPage.vue';

// The API keys screen against a fake API: the list (acts as, scopes, limit, times, revoked),
// making a key (user, scopes, limit, expiry) that is shown once with a warning, the server's
// refusal by its field, and revoking after a confirmation.

const apiKey = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  name: `Key ${id}`,
  prefix: `mdk_live_${id}ab`,
  user: { id: 3, email: 'bot@example.test', name: 'Form Bot', role: 'agent' },
  scopes: ['tickets:write'],
  rateLimitPerMinute: 60,
  createdAt: '2026-11-01T10:00:00.000Z',
  createdBy: 1,
  expiresAt: null,
  lastUsedAt: null,
  revokedAt: null,
  ...over,
});
const SECRET = 'mdk_live_9xyZsecretpart_never_shown_again';

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/api-keys': { body: { items: [apiKey(1, { lastUsedAt: '2026-12-01T12:00:00.000Z', scopes: ['tickets:read', 'search'] }), apiKey(2, { revokedAt: '2026-11-15T09:00:00.000Z' })] } },
    'GET /api/v1/users': {
      body: {
        items: [
          { id: 3, email: 'bot@example.test', name: 'Form Bot', role: 'agent' },
          { id: 4, email: 'c@example.test', name: 'Customer', role: 'customer' },
        ],
        nextCursor: null,
      },
    },
    'POST /api/v1/api-keys': (call) => ({
      status: 201,
      body: { key: SECRET, apiKey: apiKey(9, { ...(call.body as object), name: (call.body as { name: string }).name, prefix: 'mdk_live_9xyZ' }) },
    }),
    ...routes,
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return api;
}

describe('API keys page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('lists the keys: prefix, who they act as, scopes, limit, times, revoked', async () => {
    mount();
    const table = await screen.findByTestId('api-keys');
    await within(table).findByText('Key 1');
    const rows = within(table).getAllByRole('row');
    const first = rows.find((r) => r.textContent?.includes('Key 1'))!;
    expect(first.textContent).toContain('mdk_live_1ab…');
    expect(first.textContent).toContain('Form Bot');
    expect(first.textContent).toContain('Read tickets');
    expect(first.textContent).toContain('Search');
    expect(first.textContent).toContain('60 per minute');
    expect(first.textContent).toContain(formatDate('2026-12-01T12:00:00.000Z', 'en'));
    expect(first.textContent).toContain('Active');
    const second = rows.find((r) => r.textContent?.includes('Key 2'))!;
    expect(second.textContent).toContain('Never');
    expect(second.textContent).toContain(`Revoked ${formatDate('2026-11-15T09:00:00.000Z', 'en')}`);
    expect((within(second).getByRole('button', { name: 'Revoke Key 2' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('makes a key acting as a chosen user with scopes and a limit, and shows it once with a warning', async () => {
    const api = mount();
    await screen.findByText('Key 1');
    await userEvent.click(screen.getByRole('button', { name: 'New API key' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Name'), 'Website form');
    await userEvent.click(within(dialog).getByRole('combobox', { name: 'Acts as' }));
    await userEvent.click(await screen.findByRole('option', { name: /Form Bot/ }));
    // Each scope says what it allows.
    expect(within(dialog).getByText('Create tickets (also for customers), reply, add notes and change tickets. Does not read them.')).toBeInstanceOf(HTMLElement);
    await userEvent.click(within(dialog).getByLabelText('Write tickets'));
    await userEvent.click(within(dialog).getByLabelText('Read the knowledge base'));
    await userEvent.type(within(dialog).getByLabelText('Requests per minute'), '30');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create key' }));

    const shown = await screen.findByTestId('api-key-shown');
    expect(shown.textContent).toContain('This is the only time the key is shown.');
    expect((within(shown).getByLabelText('API key') as HTMLInputElement).value).toBe(SECRET);
    expect(within(shown).getByRole('button', { name: 'Copy the key' })).toBeInstanceOf(HTMLElement);
    const post = api.calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({ name: 'Website form', userId: 3, scopes: ['tickets:write', 'kb:read'], rateLimitPerMinute: 30 });

    await userEvent.click(within(shown).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByTestId('api-key-shown')).toBeNull());
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(screen.getByText('Website form')).toBeInstanceOf(HTMLElement);
  });

  it("shows the server's refusal next to its field", async () => {
    mount({
      'POST /api/v1/api-keys': {
        status: 422,
        body: { error: { code: 'unprocessable', message: 'The key would never work', fields: [{ path: 'body.expiresAt', message: 'must be in the future' }] } },
      },
    });
    await screen.findByText('Key 1');
    await userEvent.click(screen.getByRole('button', { name: 'New API key' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Name'), 'Old');
    await userEvent.click(within(dialog).getByLabelText('Search'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create key' }));
    expect(await within(dialog).findByText('must be in the future')).toBeInstanceOf(HTMLElement);
    expect(screen.queryByTestId('api-key-shown')).toBeNull();
  });

  it('with no keys yet, says so and still makes one', async () => {
    mount({ 'GET /api/v1/api-keys': { body: { items: [] } } });
    expect(await screen.findByText('No API keys yet.')).toBeInstanceOf(HTMLElement);
    await userEvent.click(screen.getByRole('button', { name: 'New API key' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Name'), 'First');
    await userEvent.click(within(dialog).getByLabelText('Search'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create key' }));
    // The key made from the empty list is shown once, in full.
    expect((within(await screen.findByTestId('api-key-shown')).getByLabelText('API key') as HTMLInputElement).value).toBe(SECRET);
  });

  it('revokes a key after a confirmation', async () => {
    const api = mount({ 'DELETE /api/v1/api-keys/1': { body: apiKey(1, { revokedAt: '2026-12-02T08:00:00.000Z' }) } });
    await userEvent.click(await screen.findByRole('button', { name: 'Revoke Key 1' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('Every request with Key 1 is refused from now on.');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Revoke' }));
    await waitFor(() => expect(screen.getAllByText(`Revoked ${formatDate('2026-12-02T08:00:00.000Z', 'en')}`)).toHaveLength(1));
    expect(api.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/v1/api-keys/1']);
    expect(useToastStore().queue.map((t) => t.text)).toContain('Revoked Key 1');
  });
});
