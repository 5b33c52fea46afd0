import { beforeEach, describe, expect, it } from 'vitest';
import { screen, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { computed, defineComponent, h, reactive, ref } from 'vue';
import { VApp } from 'vuetify/components/VApp';
import { setToken } from '@/api/client';
import { fakeApi, renderWithApp } from '@/test/helpers';
import { ruleCatalogue } from '@mehrdesk/rules/catalogue';
import type { RuleCatalogue } from '../../types';
import { chooseFact, chooseOperator } from '../catalogue';
import { provideEditor } from '../editorContext';
import { fromDefinition, mapErrors, serialise, toDefinition, type ConditionResultJson, type LeafNode, type NodeMessage, type RuleDraft } from '../ruleTree';
import ConditionGroup from './ConditionGroup.vue';

// The condition tree of the rule editor, with the real catalogue of the rules package (what
// GET /rules/catalogue serves): adding, nesting and removing groups through the buttons, the
// value control each operand kind gets, API error pointers shown on the right node, and the
// tree written back as the API's rule JSON.

const CATALOGUE = { ...ruleCatalogue(), emailTemplates: ['ticket_created'] } as unknown as RuleCatalogue;

interface Mounted {
  draft: RuleDraft;
  messages: ReturnType<typeof ref<Map<string, NodeMessage[]>>>;
  results: ReturnType<typeof ref<Map<string, ConditionResultJson>>>;
}

function mountTree(def: unknown): Mounted {
  const draft = reactive(fromDefinition(def)) as RuleDraft;
  const messages = ref(new Map<string, NodeMessage[]>());
  const results = ref(new Map<string, ConditionResultJson>());
  const Harness = defineComponent({
    setup() {
      provideEditor({ draft, catalogue: computed(() => CATALOGUE), trigger: computed(() => draft.trigger), messages: computed(() => messages.value!), results: computed(() => results.value!) });
      return () => h(VApp, () => h(ConditionGroup, { nodeKey: draft.conditions.key, depth: 1, label: 'Conditions' }));
    },
  });
  renderWithApp(Harness);
  return { draft, messages, results };
}

const leafGroup = (name: string) => screen.getByRole('group', { name });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('rule editor: condition tree', () => {
  beforeEach(() => {
    setToken('mdk_test');
    // Pickers load their options from the API.
    fakeApi({
      'GET /api/v1/groups': {
        body: { items: [{ id: 4, name: 'Billing', strategy: 'manual', supervisorId: null, supervisor: null, escalationGroupId: null, slaPolicyId: null, memberIds: [], members: [], openTickets: 0 }] },
      },
      'GET /api/v1/tags': { body: { items: ['vip', 'billing'] } },
    });
  });

  it('adds conditions, nests groups and removes them with the buttons of each group', async () => {
    const { draft } = mountTree({ trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'urgent' }] }, actions: [] });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Add a condition to Conditions' }));
    expect(screen.getAllByTestId('condition-leaf')).toHaveLength(2);
    await user.click(screen.getByRole('button', { name: 'Add a nested group to Conditions' }));
    const nested = leafGroup('Conditions, group 3');
    expect(within(nested).getAllByTestId('condition-leaf')).toHaveLength(1);
    await user.click(within(nested).getByRole('button', { name: 'Add a nested group to Conditions, group 3' }));
    expect(screen.getAllByRole('group', { name: 'Conditions, group 3, group 2' })).toHaveLength(1);
    expect(draft.conditions.children).toHaveLength(3);
    // Remove the innermost group, then the nested one.
    await user.click(screen.getByRole('button', { name: 'Remove Conditions, group 3, group 2' }));
    expect(screen.queryByRole('group', { name: 'Conditions, group 3, group 2' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Remove Conditions, group 3' }));
    expect(screen.queryByRole('group', { name: 'Conditions, group 3' })).toBeNull();
    // The root group cannot be removed; its only condition neither.
    expect(screen.queryByRole('button', { name: 'Remove Conditions' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Remove Conditions, condition 2' }));
    expect((screen.getByRole('button', { name: 'Remove Conditions, condition 1' }) as HTMLButtonElement).disabled).toBe(true);
    expect(toDefinition(draft).conditions).toEqual({ all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'urgent' }] });
  });

  it('wraps a condition in a group of its own and switches a group to "any"/"none"', async () => {
    const { draft } = mountTree({
      trigger: 'ticket.created',
      conditions: {
        all: [
          { fact: 'ticket.priority', operator: 'equal', value: 'high' },
          { fact: 'ticket.subject', operator: 'textContains', value: 'x' },
        ],
      },
      actions: [],
    });
    await userEvent.click(screen.getByRole('button', { name: 'Put Conditions, condition 2 in a group of its own' }));
    expect(screen.getAllByRole('group', { name: 'Conditions, group 2' })).toHaveLength(1);
    draft.conditions.kind = 'any';
    await tick();
    expect(toDefinition(draft).conditions).toEqual({
      any: [{ fact: 'ticket.priority', operator: 'equal', value: 'high' }, { any: [{ fact: 'ticket.subject', operator: 'textContains', value: 'x' }] }],
    });
  });

  it('gives each operand the control its type calls for', async () => {
    const { draft } = mountTree({
      trigger: 'ticket.updated',
      conditions: {
        all: [
          { fact: 'ticket.priority', operator: 'in', value: ['high'] },
          { fact: 'ticket.createdAt', operator: 'greaterThan', value: Date.UTC(2026, 0, 2, 9, 30) },
          { fact: 'ticket.groupId', operator: 'equal', value: 4 },
          { fact: 'time.insideBusinessHours', operator: 'equal', value: false },
          { fact: 'hoursSince', params: { event: 'created', business: true }, operator: 'greaterThan', value: 4 },
          { fact: 'ticket.tags', operator: 'containsAny', value: ['vip'] },
          { fact: 'ticket.subject', operator: 'matchesRegex', value: { pattern: '^inv', flags: 'i' } },
          { fact: 'ticket.categoryId', operator: 'isEmpty', value: true },
        ],
      },
      actions: [],
    });
    await tick();
    const specOf = (n: number) => leafGroup(`Conditions, condition ${n}`).querySelector('.value-input')?.getAttribute('data-spec');
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(specOf)).toEqual(['enumList', 'epochMs', 'idOrNull', 'boolean', 'number', 'stringList', 'regex', 'true']);
    // Enum values are offered by name; the chosen ones show as chips.
    expect(within(leafGroup('Conditions, condition 1')).getAllByText('High')).toHaveLength(1);
    // A date and a time for instants.
    const instant = leafGroup('Conditions, condition 2');
    expect((within(instant).getByLabelText('Time') as HTMLInputElement).type).toBe('time');
    // Ids of groups are picked by name.
    await tick();
    expect(leafGroup('Conditions, condition 3').textContent).toContain('Billing');
    // hoursSince has its params (which event, business hours) as controls.
    const hours = leafGroup('Conditions, condition 5');
    expect((within(hours).getByLabelText('Count business hours only (optional)') as HTMLInputElement).checked).toBe(true);
    // Operand-less operators need no value.
    expect(leafGroup('Conditions, condition 8').textContent).toContain('No value needed');

    // Changing the fact resets operator and value to ones of its type; changing the operator
    // keeps a value that still fits.
    const leaf = draft.conditions.children[0] as LeafNode;
    chooseFact(CATALOGUE, leaf, 'ticket.status');
    expect([leaf.operator, leaf.value]).toEqual(['equal', 'new']);
    chooseOperator(CATALOGUE, leaf, 'notEqual');
    expect(leaf.value).toBe('new');
    chooseOperator(CATALOGUE, leaf, 'in');
    expect(leaf.value).toEqual([]);
    chooseFact(CATALOGUE, leaf, 'previous');
    expect(leaf.params).toEqual({ field: 'status' });
    expect(leaf.operator).toBe('equal');
  });

  it('offers only the facts the trigger has (message facts for message.received)', async () => {
    const { draft } = mountTree({ trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'x' }] }, actions: [] });
    const input = within(leafGroup('Conditions, condition 1')).getByRole('combobox', { name: 'Field' });
    const options = async (typed: string) => {
      await userEvent.clear(input);
      await userEvent.type(input, typed);
      await tick();
      return screen.queryAllByRole('option').map((o) => o.textContent ?? '');
    };
    const forCreated = await options('Message');
    expect(forCreated.some((o) => o.includes('Message text'))).toBe(false);
    expect((await options('Requester')).some((o) => o.includes('Requester e-mail'))).toBe(true);
    draft.trigger = 'message.received';
    await tick();
    expect((await options('Message')).some((o) => o.includes('Message text'))).toBe(true);
  });

  it('shows API errors on the node and part their pointers name', async () => {
    const { draft, messages } = mountTree({
      trigger: 'ticket.created',
      conditions: { all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'x' }, { any: [{ fact: 'ticket.priority', operator: 'equal', value: 'high' }] }] },
      actions: [],
    });
    messages.value = mapErrors(serialise(draft), [
      { path: 'body.definition.conditions.all.1.any.0.value', pointer: '/definition/conditions/all/1/any/0/value', message: 'must be one of: low, normal, high, urgent' },
      { path: 'body.definition.conditions.all.0', pointer: '/definition/conditions/all/0', message: 'message.* facts need the message.received trigger' },
    ]).byKey;
    await tick();
    const inner = leafGroup('Conditions, group 2, condition 1');
    expect(within(inner).getAllByText('must be one of: low, normal, high, urgent')).toHaveLength(1);
    expect(
      within(leafGroup('Conditions, condition 1'))
        .getAllByRole('alert')
        .map((a) => a.textContent)
        .join(' '),
    ).toContain('message.* facts need the message.received trigger');
    expect(leafGroup('Conditions, condition 1').className).toContain('has-error');
    // Nothing lands on a node the pointers do not name.
    expect(within(leafGroup('Conditions, group 2')).queryByText(/message\.\* facts/)).toBeNull();
    expect(within(leafGroup('Conditions, condition 1')).queryByText(/must be one of/)).toBeNull();
  });

  it('shows dry-run results on their conditions', async () => {
    const { draft, results } = mountTree({ trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'urgent' }] }, actions: [] });
    results.value = new Map([[draft.conditions.children[0]!.key, { pointer: '/conditions/all/0', factValue: 'Urgent: VPN', result: true }]]);
    await tick();
    const r = within(leafGroup('Conditions, condition 1')).getByTestId('condition-result');
    expect(r.getAttribute('data-result')).toBe('true');
    expect(r.textContent).toContain('“Urgent: VPN”');
  });
});
