import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { formatDate } from '@/composables/useFormatters';
import { useLocaleStore } from '@/stores/locale';
import { useToastStore } from '@/stores/toast';
import { fakeApi, freshPinia, renderWithApp } from '@/test/helpers';
import Page from './AuditLogPage.vue';
import { auditDiff } from './auditDiff';

// The audit log screen against a fake API: entries with time (viewer's locale), actor, action,
// target and client address; an entry opens to its before → after; filters go to the list and
// to the CSV export alike; the next page comes with the cursor; the retention setting saves and
// shows a refusal by its field; Persian.

const AT = '2026-11-20T10:15:00.000Z';
const entry = (id: number, over: Record<string, unknown> = {}) => ({
  id: String(id),
  at: AT,
  actor: { kind: 'user', id: 1, email: 'admin@example.test', apiKeyId: null },
  action: 'user.role_changed',
  targetType: 'user',
  targetId: '7',
  clientAddress: '203.0.113.9',
  requestId: `req-${id}`,
  before: { role: 'agent', name: 'Ava' },
  after: { role: 'supervisor', name: 'Ava' },
  detail: null,
  ...over,
});

function mount(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/v1/audit-log': (call) =>
      call.query.get('cursor')
        ? { body: { items: [entry(3, { action: 'group.deleted', targetType: 'group', targetId: '4', before: { name: 'Old' }, after: null })], nextCursor: null } }
        : {
            body: {
              items: [entry(5), entry(4, { actor: { kind: 'system', id: null, email: null, apiKeyId: null }, action: 'test.x', before: null, after: null, clientAddress: null })],
              nextCursor: 'c1',
            },
          },
    'GET /api/v1/audit-log/export.csv': { body: 'id,at\n' },
    'GET /api/v1/settings/audit': { body: { retentionDays: 365, source: 'default' } },
    'PUT /api/v1/settings/audit': (call) => ({ body: { ...(call.body as object), source: 'admin' } }),
    ...routes,
  });
  renderWithApp(defineComponent({ setup: () => () => h(VApp, () => h(Page)) }));
  return api;
}
const listCalls = (api: ReturnType<typeof fakeApi>) => api.calls.filter((c) => c.path === '/api/v1/audit-log');

describe('audit log page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });
  afterEach(() => vi.restoreAllMocks());

  it('lists entries with time, actor, action, target and address, and opens one to its changes', async () => {
    mount();
    const table = await screen.findByTestId('audit-table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.textContent).toContain(formatDate(AT, 'en'));
    expect(rows[0]!.textContent).toContain('admin@example.test');
    expect(rows[0]!.textContent).toContain('user.role_changed');
    expect(rows[0]!.textContent).toContain('user #7');
    expect(rows[0]!.textContent).toContain('203.0.113.9');
    expect(rows[1]!.textContent).toContain('System');
    // Nothing to open on an entry without before, after or detail.
    expect(within(rows[1]!).queryByRole('button')).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Show the changes of user.role_changed' }));
    const diff = await screen.findByTestId('audit-diff');
    const diffRows = within(diff).getAllByRole('row').slice(1);
    // Only what changed: the role, not the unchanged name.
    expect(diffRows.map((r) => Array.from(r.querySelectorAll('td')).map((c) => c.textContent?.trim()))).toEqual([['role', 'agent', 'supervisor']]);
    expect(diff.parentElement!.textContent).toContain('Request req-5');
  });

  it('sends the filters to the list and to the export, and pages with the cursor', async () => {
    const api = mount();
    await screen.findByTestId('audit-table');
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(screen.getByTestId('audit-table')).getAllByRole('row')).toHaveLength(4));
    expect(listCalls(api).map((c) => c.query.get('cursor'))).toEqual([null, 'c1']);

    await userEvent.type(screen.getByLabelText('Action'), 'rule.');
    await userEvent.type(screen.getByLabelText('Actor e-mail'), 'ava@');
    await waitFor(() => expect(listCalls(api).at(-1)!.query.get('action')).toBe('rule.'), { timeout: 2000 });
    await waitFor(() => expect(listCalls(api).at(-1)!.query.get('q')).toBe('ava@'), { timeout: 2000 });
    expect(listCalls(api).at(-1)!.query.get('cursor')).toBeNull();

    const objectUrl = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:audit');
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    await userEvent.click(screen.getByTestId('audit-export'));
    await waitFor(() => expect(click).toHaveBeenCalled());
    const exported = api.calls.find((c) => c.path === '/api/v1/audit-log/export.csv')!;
    expect(Object.fromEntries(exported.query)).toEqual({ action: 'rule.', q: 'ava@' });
    expect(objectUrl).toHaveBeenCalled();
    expect((click.mock.contexts[0] as HTMLAnchorElement).download).toMatch(/^audit-log-\d{4}-\d\d-\d\d\.csv$/);
  });

  it('saves the retention, and shows a refusal by its field', async () => {
    const api = mount();
    const days = (await screen.findByLabelText('Keep entries for (days)')) as HTMLInputElement;
    expect(days.value).toBe('365');
    expect(screen.getByTestId('settings-source').textContent).toContain('AUDIT_RETENTION_DAYS');
    await userEvent.clear(days);
    await userEvent.type(days, '30');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'PUT').map((c) => c.body)).toEqual([{ retentionDays: 30 }]));
    await waitFor(() => expect(screen.getByTestId('settings-source').textContent).toContain('Chosen by an admin'));
    expect(useToastStore().queue.map((t) => t.text)).toContain('Audit log retention saved');
  });

  it("shows the server's refusal of a retention next to the field", async () => {
    mount({
      'PUT /api/v1/settings/audit': {
        status: 400,
        body: { error: { code: 'bad_request', message: 'Invalid body', fields: [{ path: 'body.retentionDays', message: 'Too big: expected number to be <=3650' }] } },
      },
    });
    const days = (await screen.findByLabelText('Keep entries for (days)')) as HTMLInputElement;
    await userEvent.clear(days);
    await userEvent.type(days, '9999');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Too big: expected number to be <=3650')).toBeInstanceOf(HTMLElement);
  });

  it('is in Persian when the console is', async () => {
    mount();
    useLocaleStore().setLocale('fa');
    await screen.findByTestId('audit-table');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('گزارش ممیزی');
    expect(within(screen.getByTestId('audit-table')).getAllByRole('row')[1]!.textContent).toContain(formatDate(AT, 'fa'));
  });
});

describe('auditDiff', () => {
  it('lists changed leaves by path; a creation lists every leaf', () => {
    expect(auditDiff({ a: 1, t: { high: { s: 1 } }, ids: [1, 2] }, { a: 1, t: { high: { s: 2 } }, ids: [1, 3] })).toEqual([
      { path: 't.high.s', before: '1', after: '2' },
      { path: 'ids', before: '[1,2]', after: '[1,3]' },
    ]);
    expect(auditDiff(null, { name: 'x', holidays: [{ date: '2026-12-25' }] })).toEqual([
      { path: 'name', before: null, after: 'x' },
      { path: 'holidays.0.date', before: null, after: '2026-12-25' },
    ]);
    expect(auditDiff({ enabled: true }, { enabled: true })).toEqual([]);
  });
});
