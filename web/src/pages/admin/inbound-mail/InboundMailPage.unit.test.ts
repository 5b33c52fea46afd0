import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import type { InboundEmail } from '@/api/types';
import { formatDate } from '@/composables/useFormatters';
import { useLocaleStore } from '@/stores/locale';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp, type FakeCall } from '@/test/helpers';
import Page from './InboundMailPage.vue';

// The inbound mail review screen against a fake API: the ignored or failed mail with its
// reason, the status filter as the request's `status`, and "process again" that confirms,
// posts, shows the queued row, and keeps the server's refusal (409) on screen.

const mail = (over: Partial<InboundEmail> = {}): InboundEmail => ({
  id: 11,
  status: 'ignored',
  reason: 'auto-reply (Auto-Submitted: auto-replied)',
  from: 'vacation@customer.example',
  to: ['support@mehrdesk.test'],
  subject: 'Out of office',
  messageId: '<a1@customer.example>',
  size: 2048,
  ticketId: null,
  createdAt: '2026-05-01T08:30:00.000Z',
  processedAt: '2026-05-01T08:30:02.000Z',
  ...over,
});
const IGNORED = [mail(), mail({ id: 12, reason: 'no usable sender address', from: '', subject: '' })];
const FAILED = [mail({ id: 21, status: 'failed', reason: 'unparseable message: truncated MIME part', from: 'broken@sender.example', subject: 'Invoice' })];

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/inbound-emails': (call) => ({ body: { items: call.query.get('status') === 'failed' ? FAILED : IGNORED } }),
    ...routes,
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return api;
}
const lists = (calls: FakeCall[]) => calls.filter((c) => c.method === 'GET' && c.path === '/api/v1/inbound-emails');
const rowOf = (text: string) => screen.getByText(text).closest('tr')!;

describe('inbound mail review page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });
  afterEach(() => useLocaleStore().setLocale('en'));

  it('lists the ignored mail with its reason, sender, subject and time', async () => {
    const api = mount();
    expect(await screen.findByText('auto-reply (Auto-Submitted: auto-replied)')).toBeInstanceOf(HTMLElement);
    expect(lists(api.calls)[0]!.query.get('status')).toBe('ignored');
    const first = rowOf('auto-reply (Auto-Submitted: auto-replied)');
    expect(within(first).getByText('vacation@customer.example')).toBeInstanceOf(HTMLElement);
    expect(within(first).getByText('Out of office')).toBeInstanceOf(HTMLElement);
    expect(within(first).getByText(formatDate('2026-05-01T08:30:00.000Z', 'en'))).toBeInstanceOf(HTMLElement);
    // A mail with no sender and no subject says so instead of showing blanks.
    const second = rowOf('no usable sender address');
    expect(within(second).getByText('(no sender)')).toBeInstanceOf(HTMLElement);
    expect(within(second).getByText('(no subject)')).toBeInstanceOf(HTMLElement);
  });

  it('asks the API for failed mail when the filter says so', async () => {
    const api = mount();
    await screen.findByText('Out of office');
    const filter = screen.getByRole('group', { name: 'Which mail' });
    await userEvent.click(within(filter).getByRole('button', { name: 'Failed' }));
    expect(await screen.findByText('unparseable message: truncated MIME part')).toBeInstanceOf(HTMLElement);
    expect(lists(api.calls).map((c) => c.query.get('status'))).toEqual(['ignored', 'failed']);
    expect(screen.queryByText('Out of office')).toBeNull();
    expect(within(filter).getByRole('button', { name: 'Failed' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('processes a mail again after confirmation and shows it queued', async () => {
    const api = mount({ 'POST /api/v1/inbound-emails/11/reprocess': { status: 202, body: mail({ status: 'received', reason: null, processedAt: null }) } });
    await screen.findByText('Out of office');
    await userEvent.click(screen.getByRole('button', { name: 'Process again: “Out of office” from vacation@customer.example' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/The mail from vacation@customer.example, “Out of office”, is queued/)).toBeInstanceOf(HTMLElement);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Process again' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/inbound-emails/11/reprocess']));
    const row = rowOf('Out of office');
    expect(await within(row).findByText('Queued again')).toBeInstanceOf(HTMLElement);
    expect(within(row).queryByRole('button', { name: /Process again/ })).toBeNull();
    expect(useToastStore().queue.map((t) => t.text)).toContain('Mail “Out of office” is queued to be processed again');
    // The other row is untouched.
    expect(within(rowOf('no usable sender address')).getByRole('button', { name: /Process again/ })).toBeInstanceOf(HTMLElement);
  });

  it("shows the server's refusal (409) in the dialog and reads the list again", async () => {
    const api = mount({
      'POST /api/v1/inbound-emails/11/reprocess': { status: 409, body: { error: { code: 'not_reprocessable', message: 'Only ignored or failed mail can be processed again' } } },
    });
    await screen.findByText('Out of office');
    await userEvent.click(screen.getByRole('button', { name: 'Process again: “Out of office” from vacation@customer.example' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Process again' }));
    expect((await within(dialog).findByTestId('form-error')).textContent).toContain('Only ignored or failed mail can be processed again');
    await waitFor(() => expect(lists(api.calls)).toHaveLength(2));
  });

  it('shows the received time in the Persian calendar in Persian', async () => {
    useLocaleStore().setLocale('fa');
    mount();
    const when = formatDate('2026-05-01T08:30:00.000Z', 'fa');
    expect(when).toMatch(/۱۴۰۵/);
    expect((await screen.findAllByText(when)).length).toBeGreaterThan(0);
    expect(screen.getByRole('button', { name: 'ناموفق' })).toBeInstanceOf(HTMLElement);
  });
});
