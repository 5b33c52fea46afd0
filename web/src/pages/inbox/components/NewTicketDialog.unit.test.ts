import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h, ref } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { fakeApi, freshPinia, renderWithApp, ticketFixture, type FakeCall } from '@/test/helpers';
import { fakeXhr } from '@/test/fakeXhr';
import NewTicketDialog from './NewTicketDialog.vue';

// The agent's "new ticket for a customer" dialog against a fake API: for a new e-mail address
// (name optional) or a customer found in the directory, with subject, rich text, priority,
// group, category and uploaded files; it refuses to send what is missing, shows the server's
// field errors where they belong, and opens the new ticket.

const LIMITS = { maxFileBytes: 1024 * 1024, maxFilesPerMessage: 5, allowedTypes: [], pendingHours: 24 };

function mount(createAnswer: (call: FakeCall) => { status?: number; body?: unknown } = () => ({ status: 201, body: ticketFixture({ id: 42, number: 'TKT-2026-000042' }) })) {
  const api = fakeApi({
    'GET /api/v1/uploads/limits': { body: LIMITS },
    'GET /api/v1/groups': {
      body: {
        items: [
          { id: 1, name: 'Support' },
          { id: 2, name: 'Billing' },
        ],
      },
    },
    'GET /api/v1/users': (call) => ({
      body: {
        items: call.query.get('role') === 'customer' ? [{ id: 9, name: 'Cyrus Customer', email: 'cyrus@example.test', role: 'customer', active: true, available: false }] : [],
        nextCursor: null,
      },
    }),
    'GET /api/v1/categories': { body: { items: [{ id: 3, name: 'Hardware', defaultGroupId: 1, slaPolicyId: null }] } },
    'POST /api/v1/tickets': createAnswer,
  });
  const xhrs = fakeXhr();
  const open = ref(true);
  const view = renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(NewTicketDialog, { modelValue: open.value, 'onUpdate:modelValue': (v: boolean) => (open.value = v) })) }));
  return { api, xhrs, open, router: view.router };
}

const created = (api: ReturnType<typeof fakeApi>) => api.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/tickets');

async function writeBody(text: string) {
  const editor = await screen.findByRole('textbox', { name: 'Message' });
  await userEvent.click(editor);
  await userEvent.keyboard(text);
  await waitFor(() => expect(editor.textContent).toBe(text));
}

describe('NewTicketDialog', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('creates a ticket for a new e-mail address with an uploaded file, then opens it', async () => {
    const { api, xhrs, open, router } = mount();
    const dialog = within(await screen.findByTestId('new-ticket-dialog'));
    await userEvent.click(dialog.getByRole('button', { name: 'New e-mail address' }));
    await userEvent.type(dialog.getByLabelText('E-mail address'), 'walk-in@example.test');
    await userEvent.type(dialog.getByLabelText('Name (optional)'), 'Walk In');
    await userEvent.type(dialog.getByLabelText('Subject'), 'Printer on fire');
    await writeBody('It smokes');
    await userEvent.upload(dialog.getByLabelText('Attach files', { selector: 'input' }), new File(['%PDF-1.7'], 'form.pdf', { type: 'application/pdf' }));
    await waitFor(() => expect(xhrs).toHaveLength(1));
    // Not sendable while the file uploads.
    expect((dialog.getByTestId('new-ticket-submit') as HTMLButtonElement).disabled).toBe(true);
    xhrs[0]!.respond(201, { id: 77, filename: 'form.pdf', contentType: 'application/pdf', size: 8, url: '/api/v1/attachments/77' });
    await waitFor(() => expect((dialog.getByTestId('new-ticket-submit') as HTMLButtonElement).disabled).toBe(false));

    await userEvent.click(dialog.getByTestId('new-ticket-submit'));
    await waitFor(() => expect(created(api)).toHaveLength(1));
    const call = created(api)[0]!;
    expect(call.body).toEqual({
      subject: 'Printer on fire',
      body: expect.stringMatching(/<p>It smokes<\/p>$/),
      priority: 'normal',
      requesterEmail: 'walk-in@example.test',
      requesterName: 'Walk In',
      attachmentIds: [77],
    });
    expect(call.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/tickets/42'));
    expect(open.value).toBe(false);
  });

  it('finds an existing customer in the directory and sends the chosen priority, group and category with Ctrl+Enter', async () => {
    const { api } = mount();
    const dialog = within(await screen.findByTestId('new-ticket-dialog'));
    await userEvent.type(dialog.getByLabelText('Customer'), 'cyr');
    await userEvent.click(await screen.findByText('Cyrus Customer <cyrus@example.test>'));
    const search = api.calls.find((c) => c.path === '/api/v1/users' && c.query.get('role') === 'customer')!;
    expect(Object.fromEntries(search.query)).toMatchObject({ role: 'customer', active: 'true', q: 'cyr' });
    await userEvent.type(dialog.getByLabelText('Subject'), 'Invoice');
    await writeBody('Wrong amount');
    await userEvent.click(dialog.getByLabelText('Priority'));
    await userEvent.click(await screen.findByRole('option', { name: 'High' }));
    await userEvent.click(dialog.getByLabelText('Group'));
    await userEvent.click(await screen.findByRole('option', { name: 'Billing' }));
    await userEvent.click(dialog.getByLabelText('Category'));
    await userEvent.click(await screen.findByRole('option', { name: 'Hardware' }));
    // Ctrl+Enter in the description sends, as in the reply editor.
    await userEvent.click(dialog.getByTestId('new-ticket-body'));
    await userEvent.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(created(api)).toHaveLength(1));
    expect(created(api)[0]!.body).toEqual({ subject: 'Invoice', body: expect.stringMatching(/<p>Wrong amount<\/p>$/), priority: 'high', requesterId: 9, groupId: 2, categoryId: 3 });
  });

  it('says what is missing instead of sending, and shows the server’s field errors by their fields', async () => {
    const { api } = mount(() => ({ status: 400, body: { error: { code: 'bad_request', message: 'Invalid body', fields: [{ path: 'body.requesterEmail', message: 'Invalid email address' }] } } }));
    const dialog = within(await screen.findByTestId('new-ticket-dialog'));
    await userEvent.click(dialog.getByTestId('new-ticket-submit'));
    expect(await dialog.findAllByText('Required')).toHaveLength(3); // customer, subject, message
    expect(created(api)).toHaveLength(0);

    await userEvent.click(dialog.getByRole('button', { name: 'New e-mail address' }));
    await userEvent.type(dialog.getByLabelText('E-mail address'), 'not-an-address');
    await userEvent.type(dialog.getByLabelText('Subject'), 'Hello');
    await writeBody('Body');
    await userEvent.click(dialog.getByTestId('new-ticket-submit'));
    await waitFor(() => expect(created(api)).toHaveLength(1));
    // The server's words, under the field they are about; the form's own checks are gone.
    const emailField = dialog.getByLabelText('E-mail address').closest('.v-input') as HTMLElement;
    expect((await within(emailField).findByText('Invalid email address')).className).toContain('v-messages__message');
    expect(dialog.queryAllByText('Required')).toEqual([]);
    expect(dialog.getAllByRole('alert').map((a) => a.textContent?.trim())).toContain('Invalid body');
  });
});
