import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import type { ActivityFailure } from '@/api/types';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp, type FakeCall } from '@/test/helpers';
import Page from './ActivityFailuresPage.vue';

// The activity failures screen against a fake API: open failures by default with a link to
// their ticket, the open / handled switch and "load more" as the request's `acknowledged` and
// `cursor`, "mark handled" posting and marking the row, and the server's error shown.

const failure = (over: Partial<ActivityFailure> = {}): ActivityFailure => ({
  id: 30,
  ticketId: 42,
  ticketNumber: 'TKT-2026-000042',
  workflowId: 'ticket-42',
  activity: 'persistMessage',
  errorType: 'UnstorableData',
  message: 'invalid byte sequence for encoding "UTF8": 0x00',
  createdAt: '2026-05-01T09:00:00.000Z',
  acknowledgedAt: null,
  acknowledgedBy: null,
  ...over,
});
const LONG = `sendEmail failed: ${'550 5.1.1 recipient rejected; '.repeat(8)}end of reply`;
const OPEN = [failure(), failure({ id: 29, ticketId: null, ticketNumber: null, workflowId: 'ticket-7', activity: 'sendEmail', errorType: 'InvalidRecipient', message: LONG })];
const OLDER = [failure({ id: 12, ticketId: 5, ticketNumber: 'TKT-2026-000005', workflowId: 'ticket-5', activity: 'applyRuleAction', errorType: 'ConstraintViolation', message: 'duplicate key' })];
const HANDLED = [failure({ id: 8, activity: 'setStatus', acknowledgedAt: '2026-05-02T10:00:00.000Z', acknowledgedBy: 3 })];

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/activity-failures': (call) => {
      if (call.query.get('acknowledged') === 'true') return { body: { items: HANDLED, nextCursor: null } };
      return call.query.get('cursor') === '29' ? { body: { items: OLDER, nextCursor: null } } : { body: { items: OPEN, nextCursor: '29' } };
    },
    ...routes,
  });
  const rendered = renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return { api, router: rendered.router };
}
const lists = (calls: FakeCall[]) => calls.filter((c) => c.method === 'GET' && c.path === '/api/v1/activity-failures');
const rowOf = (text: string) => screen.getByText(text).closest('tr')!;

describe('activity failures page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('lists the open failures with what failed, the message and a link to the ticket by number', async () => {
    const { api, router } = mount();
    const link = await screen.findByRole('link', { name: 'TKT-2026-000042' });
    expect(lists(api.calls)[0]!.query.get('acknowledged')).toBe('false');
    expect(link.getAttribute('href')).toBe(router.resolve({ name: 'ticket', params: { id: 42 } }).href);
    const row = rowOf('persistMessage');
    expect(within(row).getByText('UnstorableData')).toBeInstanceOf(HTMLElement);
    expect(within(row).getByText('ticket-42')).toBeInstanceOf(HTMLElement);
    expect(within(row).getByText('invalid byte sequence for encoding "UTF8": 0x00')).toBeInstanceOf(HTMLElement);
    // A failure with no ticket has no link.
    expect(within(rowOf('sendEmail')).queryByRole('link')).toBeNull();
  });

  it('clamps a long message and shows all of it on request', async () => {
    mount();
    await screen.findByText('sendEmail');
    const row = rowOf('sendEmail');
    const text = within(row).getByText(LONG);
    expect(text.classList.contains('clamped')).toBe(true);
    expect(text.getAttribute('title')).toBe(LONG);
    const more = within(row).getByRole('button', { name: 'Show all' });
    expect(more.getAttribute('aria-expanded')).toBe('false');
    await userEvent.click(more);
    expect(within(row).getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded')).toBe('true');
    expect(text.classList.contains('clamped')).toBe(false);
    // A short message has nothing to expand.
    expect(within(rowOf('persistMessage')).queryByRole('button', { name: 'Show all' })).toBeNull();
  });

  it('asks for handled failures when switched, and shows who handled them', async () => {
    const { api } = mount();
    await screen.findByText('persistMessage');
    await userEvent.click(within(screen.getByRole('group', { name: 'Which failures' })).getByRole('button', { name: 'Handled' }));
    expect(await screen.findByText('setStatus')).toBeInstanceOf(HTMLElement);
    expect(lists(api.calls).map((c) => c.query.get('acknowledged'))).toEqual(['false', 'true']);
    expect(screen.queryByText('persistMessage')).toBeNull();
    const row = rowOf('setStatus');
    expect(within(row).getByText(/^\s*Handled .* by #3\s*$/)).toBeInstanceOf(HTMLElement);
    expect(within(row).queryByRole('button', { name: /Mark handled/ })).toBeNull();
  });

  it('loads the next page with the cursor and appends it', async () => {
    const { api } = mount();
    await screen.findByText('persistMessage');
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('applyRuleAction')).toBeInstanceOf(HTMLElement);
    const calls = lists(api.calls);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.query.get('cursor')).toBe('29');
    expect(calls[1]!.query.get('acknowledged')).toBe('false');
    expect(screen.getByText('persistMessage')).toBeInstanceOf(HTMLElement);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull());
  });

  it('marks a failure handled and shows it so in its row', async () => {
    const { api } = mount({
      'POST /api/v1/activity-failures/30/acknowledge': { body: failure({ acknowledgedAt: '2026-05-03T12:00:00.000Z', acknowledgedBy: 3 }) },
    });
    await screen.findByText('persistMessage');
    await userEvent.click(screen.getByRole('button', { name: 'Mark handled: persistMessage on TKT-2026-000042' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/activity-failures/30/acknowledge']));
    const row = rowOf('persistMessage');
    expect(await within(row).findByText(/Handled .* by #3/)).toBeInstanceOf(HTMLElement);
    expect(within(row).queryByRole('button', { name: /Mark handled/ })).toBeNull();
    expect(within(rowOf('sendEmail')).getByRole('button', { name: /Mark handled/ })).toBeInstanceOf(HTMLElement);
    expect(useToastStore().queue.map((t) => t.text)).toContain('Failure of persistMessage marked handled');
  });

  it("shows the server's message when marking handled fails, and keeps the row open", async () => {
    mount({ 'POST /api/v1/activity-failures/30/acknowledge': { status: 404, body: { error: { code: 'not_found', message: 'Activity failure not found' } } } });
    await screen.findByText('persistMessage');
    await userEvent.click(screen.getByRole('button', { name: 'Mark handled: persistMessage on TKT-2026-000042' }));
    await waitFor(() => expect(useToastStore().queue.map((t) => [t.color, t.text])).toContainEqual(['error', 'Activity failure not found']));
    expect(within(rowOf('persistMessage')).getByRole('button', { name: /Mark handled/ })).toBeInstanceOf(HTMLElement);
  });
});
