import { beforeEach, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { fakeApi, freshPinia, renderWithApp, type FakeCall } from '@/test/helpers';
import { ruleCatalogue } from '@mehrdesk/rules/catalogue';
import { useToastStore } from '@/stores/toast';
import Page from './RuleEditorPage.vue';

// The rule editor page against a fake API: it loads the catalogue and the rule, saves the tree
// as the API's rule JSON (with the version it edited), and puts the API's pointer errors on the
// conditions and actions they name; the dry-run sends the draft and shows the results.

const CATALOGUE = { ...ruleCatalogue(), emailTemplates: ['ticket_created'] };
const DEFINITION = {
  trigger: 'ticket.created',
  conditions: {
    all: [
      { fact: 'ticket.subject', operator: 'textContains', value: 'urgent' },
      { fact: 'ticket.priority', operator: 'notEqual', value: 'urgent' },
    ],
  },
  actions: [
    { type: 'set_priority', params: { priority: 'urgent' } },
    { type: 'add_tags', params: { tags: ['vip'] } },
  ],
};
const RULE = {
  id: 7,
  name: 'Urgent subjects',
  description: null,
  trigger: 'ticket.created',
  position: 10,
  enabled: true,
  version: 3,
  definition: DEFINITION,
  counters: { runs: 5, matches: 2, lastMatchedAt: null },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const TICKET = { id: 42, number: 'TKT-2026-000042', subject: 'Urgent: VPN down', status: 'new' };

function mount(routes: Record<string, Parameters<typeof fakeApi>[0][string]>) {
  const api = fakeApi({
    'GET /api/v1/rules/catalogue': { body: CATALOGUE },
    'GET /api/v1/rules/7': { body: RULE },
    'GET /api/v1/tickets': { body: { items: [TICKET], nextCursor: null } },
    'GET /api/v1/tags': { body: { items: ['vip'] } },
    ...routes,
  });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/admin/rules', name: 'admin-rules', component: { template: '<div />' } },
      { path: '/admin/rules/:id', name: 'admin-rule', component: { template: '<div />' } },
    ],
  });
  const Wrapped = defineComponent({ setup: () => () => h(VApp, () => h(Page, { id: 7 })) });
  renderWithApp(Wrapped, { router });
  return api;
}

const puts = (calls: FakeCall[]) => calls.filter((c) => c.method === 'PUT');

describe('rule editor page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('saves the tree as the API rule JSON, with the version it edited', async () => {
    const api = mount({ 'PUT /api/v1/rules/7': (call) => ({ body: { ...RULE, version: 4, definition: (call.body as { definition: unknown }).definition } }) });
    await screen.findByDisplayValue('Urgent subjects');
    await userEvent.click(screen.getByTestId('save-rule'));
    await waitFor(() => expect(puts(api.calls)).toHaveLength(1));
    expect(puts(api.calls)[0]!.body).toEqual({ name: 'Urgent subjects', description: null, definition: DEFINITION, expectedVersion: 3 });
    await waitFor(() => expect(useToastStore().queue.map((t) => t.text)).toContain('Saved as version 4'));
  });

  it("puts the API's pointer errors on the condition and action they name, and a summary on top", async () => {
    const api = mount({
      'PUT /api/v1/rules/7': {
        status: 400,
        body: {
          error: {
            code: 'bad_request',
            message: 'Invalid rule',
            fields: [
              { path: 'body.definition.conditions.all.1.value', pointer: '/definition/conditions/all/1/value', message: 'must be one of: low, normal, high, urgent' },
              { path: 'body.definition.actions.1.params.tags.0', pointer: '/definition/actions/1/params/tags/0', message: 'must not start or end with whitespace' },
            ],
          },
        },
      },
    });
    await screen.findByDisplayValue('Urgent subjects');
    await userEvent.click(screen.getByTestId('save-rule'));
    await waitFor(() => expect(puts(api.calls)).toHaveLength(1));
    const second = screen.getByRole('group', { name: 'Conditions, condition 2' });
    expect(await within(second).findAllByText('must be one of: low, normal, high, urgent')).toHaveLength(1);
    expect(within(screen.getByRole('group', { name: 'Conditions, condition 1' })).queryByText('must be one of: low, normal, high, urgent')).toBeNull();
    const action = screen.getByRole('group', { name: 'Action 2' });
    expect(within(action).getAllByText('must not start or end with whitespace')).toHaveLength(1);
    expect(screen.getByTestId('rule-form-error').textContent).toContain('2 problems');
  });

  it('dry-runs the draft against the chosen ticket and shows each condition’s result on the tree', async () => {
    const api = mount({
      'POST /api/v1/rules/dry-run': {
        body: {
          ticketId: 42,
          event: 'ticket.created',
          results: [
            {
              ruleId: null,
              version: null,
              name: 'Draft',
              matched: true,
              conditions: [
                { pointer: '/conditions/all/0', fact: 'ticket.subject', operator: 'textContains', value: 'urgent', factValue: 'Urgent: VPN down', result: true },
                { pointer: '/conditions/all/1', fact: 'ticket.priority', operator: 'notEqual', value: 'urgent', factValue: 'normal', result: true },
              ],
              actions: DEFINITION.actions,
              durationMs: 1.2,
            },
          ],
        },
      },
    });
    await screen.findByDisplayValue('Urgent subjects');
    const ticket = screen.getByRole('combobox', { name: 'Ticket (number or subject)' });
    await userEvent.click(ticket);
    await userEvent.click(await screen.findByRole('option', { name: /TKT-2026-000042/ }));
    await userEvent.click(screen.getByTestId('dry-run-button'));
    const result = await screen.findByTestId('dry-run-result');
    expect(result.textContent).toContain('The rule matches this ticket.');
    expect(
      within(screen.getByTestId('dry-run-actions'))
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['Set priority (Priority: urgent)', 'Add tags (Tags: vip)']);
    const call = api.calls.find((c) => c.path === '/api/v1/rules/dry-run')!;
    expect(call.body).toEqual({ ticketId: 42, definition: DEFINITION, event: { type: 'ticket.created' } });
    const first = within(screen.getByRole('group', { name: 'Conditions, condition 1' })).getByTestId('condition-result');
    expect(first.textContent).toContain('“Urgent: VPN down”');
  });
});
