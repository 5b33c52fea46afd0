import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { useUpload, type Uploads } from '@/composables/useUpload';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import { fakeXhr } from '@/test/fakeXhr';
import AttachmentPicker from './AttachmentPicker.vue';

// The composer's attachment picker against a fake API: files chosen or dropped upload at once
// (bearer token, multipart field `file`) with a progress bar each; a file the limits refuse is
// never sent and says why by name; server refusals are named too; removing a running upload
// cancels it.

const LIMITS = { maxFileBytes: 1024, maxFilesPerMessage: 3, allowedTypes: [], pendingHours: 24 };

function mount() {
  fakeApi({ 'GET /api/v1/uploads/limits': { body: LIMITS } });
  const xhrs = fakeXhr();
  let uploads!: Uploads;
  renderWithApp(
    defineComponent({
      setup() {
        uploads = useUpload();
        return () => h(VApp, () => h(AttachmentPicker, { uploads }));
      },
    }),
  );
  return { xhrs, uploads: () => uploads };
}

const file = (name: string, size: number, type = 'application/octet-stream') => new File([new Uint8Array(size).fill(65)], name, { type });
const uploaded = (id: number, name: string, size: number) => ({ id, filename: name, contentType: 'text/plain', size, url: `/api/v1/attachments/${id}` });

describe('AttachmentPicker', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('uploads chosen files at once, with progress per file, and lists the ids of those done', async () => {
    const { xhrs, uploads } = mount();
    await screen.findByText('Up to 3 files, 1 kB each');
    await userEvent.upload(screen.getByLabelText('Attach files', { selector: 'input' }), [file('notes.txt', 300, 'text/plain'), file('log.txt', 200, 'text/plain')]);
    await waitFor(() => expect(xhrs).toHaveLength(2));
    expect(xhrs[0]).toMatchObject({ method: 'POST', url: expect.stringMatching(/\/api\/v1\/uploads$/), headers: { authorization: 'Bearer mdk_test' } });
    expect(xhrs.map((x) => x.fileName)).toEqual(['notes.txt', 'log.txt']);

    xhrs[0]!.progress(150, 300);
    const bar = await screen.findByRole('progressbar', { name: 'Uploading notes.txt' });
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('50'));
    expect(uploads().busy.value).toBe(true);

    xhrs[0]!.respond(201, uploaded(7, 'notes.txt', 300));
    xhrs[1]!.respond(201, uploaded(8, 'log.txt', 200));
    await waitFor(() => expect(uploads().ids.value).toEqual([7, 8]));
    expect(uploads().busy.value).toBe(false);
    expect(screen.queryByRole('progressbar')).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Remove notes.txt' }));
    expect(uploads().ids.value).toEqual([8]);
    expect(screen.queryByText('notes.txt')).toBeNull();
  });

  it('refuses by the limits before sending, and names the file and the reason', async () => {
    const { xhrs } = mount();
    await screen.findByText('Up to 3 files, 1 kB each');
    await userEvent.upload(screen.getByLabelText('Attach files', { selector: 'input' }), [file('huge.bin', 5000), file('empty.txt', 0)]);
    expect((await screen.findAllByRole('alert')).map((a) => a.textContent)).toEqual(['huge.bin: larger than 1 kB', 'empty.txt: the file is empty']);
    expect(xhrs).toHaveLength(0);
  });

  it('shows what the server refused, by file name and in words', async () => {
    const { xhrs, uploads } = mount();
    await screen.findByText('Up to 3 files, 1 kB each');
    await userEvent.upload(screen.getByLabelText('Attach files', { selector: 'input' }), [file('photo.png', 100, 'image/png')]);
    await waitFor(() => expect(xhrs).toHaveLength(1));
    xhrs[0]!.respond(415, { error: { code: 'file_type_mismatch', message: 'The file claims to be image/png but its content is not that format', fields: [{ path: 'body.file', message: '…' }] } });
    expect((await screen.findByRole('alert')).textContent).toBe('photo.png: its content does not match its name or type');
    expect(uploads().failed.value[0]!.error).toMatchObject({ code: 'type_mismatch', status: 415 });
    expect(uploads().ids.value).toEqual([]);
  });

  it('takes dropped files, and cancels an upload that is removed while it runs', async () => {
    const { xhrs, uploads } = mount();
    await screen.findByText('Up to 3 files, 1 kB each');
    await fireEvent.drop(screen.getByTestId('attachment-drop'), { dataTransfer: { files: [file('dropped.txt', 10, 'text/plain')] } });
    await waitFor(() => expect(xhrs).toHaveLength(1));
    expect(xhrs[0]!.fileName).toBe('dropped.txt');
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel the upload of dropped.txt' }));
    expect(xhrs[0]!.aborted).toBe(true);
    expect(uploads().items.value).toEqual([]);
  });
});
