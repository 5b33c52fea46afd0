import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './UploadSettingsPage.vue';

// The attachment limits screen against a fake API: limits in force shown in MiB, saved in
// bytes, and the server's refusal shown by its field.

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/settings/uploads': { body: { maxFileBytes: 25 * 1024 * 1024, maxFilesPerMessage: 10, allowedTypes: [], source: 'default' } },
    'PUT /api/v1/settings/uploads': (call) => ({ body: { ...(call.body as object), source: 'admin' } }),
    ...routes,
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return api;
}
const puts = (api: ReturnType<typeof fakeApi>) => api.calls.filter((c) => c.method === 'PUT').map((c) => c.body);

describe('attachment limits page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('shows the limits in force and saves new ones in bytes', async () => {
    const api = mount();
    const size = (await screen.findByLabelText('Largest file (MiB)')) as HTMLInputElement;
    expect(size.value).toBe('25');
    expect(screen.getByTestId('settings-source').textContent).toContain('server defaults');
    await userEvent.clear(size);
    await userEvent.type(size, '5');
    const files = screen.getByLabelText('Files per message') as HTMLInputElement;
    await userEvent.clear(files);
    await userEvent.type(files, '3');
    await userEvent.type(screen.getByLabelText('Accepted types'), 'application/pdf{Enter}image/*{Enter}');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(puts(api)).toEqual([{ maxFileBytes: 5 * 1024 * 1024, maxFilesPerMessage: 3, allowedTypes: ['application/pdf', 'image/*'] }]));
    await waitFor(() => expect(screen.getByTestId('settings-source').textContent).toContain('Chosen by an admin'));
    expect(useToastStore().queue.map((t) => t.text)).toContain('Attachment limits saved');
  });

  it("shows the server's refusal next to its field", async () => {
    mount({
      'PUT /api/v1/settings/uploads': {
        status: 400,
        body: { error: { code: 'bad_request', message: 'Invalid body', fields: [{ path: 'body.allowedTypes.0', message: 'must be a MIME type or type/*' }] } },
      },
    });
    await userEvent.type(await screen.findByLabelText('Accepted types'), 'pdf{Enter}');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('must be a MIME type or type/*')).toBeInstanceOf(HTMLElement);
  });
});
