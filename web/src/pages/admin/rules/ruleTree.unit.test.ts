import { describe, expect, it } from 'vitest';
import {
  addGroup,
  addLeaf,
  emptyLeaf,
  findNode,
  fromDefinition,
  groupDepth,
  isGroup,
  mapErrors,
  moveAction,
  removeNode,
  resultsByKey,
  serialise,
  toDefinition,
  wrapInGroup,
  type GroupNode,
  type LeafNode,
} from './ruleTree';

// The editor's model of a rule: API JSON in, the same JSON out; every node knows its JSON
// pointer, so API errors and dry-run results land on the node they are about.

const DEF = {
  trigger: 'ticket.updated',
  conditions: {
    all: [
      { fact: 'ticket.subject', operator: 'textContains', value: 'urgent' },
      {
        any: [
          { fact: 'ticket.priority', operator: 'in', value: ['high', 'urgent'] },
          { fact: 'hoursSince', params: { event: 'created', business: true }, operator: 'greaterThan', value: 4 },
        ],
      },
      { not: { fact: 'ticket.tags', operator: 'contains', value: 'vip' } },
      {
        not: {
          any: [
            { fact: 'ticket.status', operator: 'equal', value: 'pending' },
            { fact: 'ticket.groupId', operator: 'equal', value: null },
          ],
        },
      },
    ],
  },
  actions: [
    { type: 'set_priority', params: { priority: 'urgent' } },
    { type: 'add_tags', params: { tags: ['vip'] } },
  ],
};

describe('rule tree', () => {
  it('reads the API JSON and writes exactly the same JSON back', () => {
    expect(toDefinition(fromDefinition(DEF))).toEqual(DEF);
    const scheduled = {
      trigger: 'schedule',
      schedule: { everyMinutes: 15 },
      conditions: { all: [{ fact: 'ticket.status', operator: 'equal', value: 'pending' }] },
      actions: [{ type: 'close', params: {} }],
    };
    expect(toDefinition(fromDefinition(scheduled))).toEqual(scheduled);
  });

  it('gives every node a stable key and its pointer', () => {
    const d = fromDefinition(DEF);
    const s = serialise(d);
    const pointers = [...s.pointerOf.values()].sort();
    expect(pointers).toEqual(
      [
        '/conditions',
        '/conditions/all/0',
        '/conditions/all/1',
        '/conditions/all/1/any/0',
        '/conditions/all/1/any/1',
        '/conditions/all/2',
        '/conditions/all/2/not',
        '/conditions/all/3',
        '/conditions/all/3/not/any/0',
        '/conditions/all/3/not/any/1',
        '/actions/0',
        '/actions/1',
      ].sort(),
    );
    // Keys survive re-serialisation; pointers follow the nodes when they move.
    const firstKey = d.conditions.children[0]!.key;
    d.conditions.children.reverse();
    expect(serialise(d).pointerOf.get(firstKey)).toBe('/conditions/all/3');
  });

  it('puts API errors on the node and part they point at', () => {
    const d = fromDefinition(DEF);
    const s = serialise(d);
    const [subject, anyGroup] = d.conditions.children as [LeafNode, GroupNode];
    const hours = anyGroup.children[1] as LeafNode;
    const mapped = mapErrors(s, [
      { path: 'body.definition.conditions.all.0.operator', pointer: '/definition/conditions/all/0/operator', message: 'bad operator' },
      { path: 'body.definition.conditions.all.1.any.1.params.event', pointer: '/definition/conditions/all/1/any/1/params/event', message: 'bad event' },
      { path: 'body.definition.conditions.all.1.any.0.value.1', pointer: '/definition/conditions/all/1/any/0/value/1', message: 'bad element' },
      { path: 'body.definition.actions.1.params.tags', pointer: '/definition/actions/1/params/tags', message: 'bad tags' },
      { path: 'body.definition.trigger', pointer: '/definition/trigger', message: 'bad trigger' },
      { path: 'body.name', message: 'Required' },
      { path: 'body.definition.conditions.all.1.any', message: 'needs a condition' },
    ]);
    expect(mapped.byKey.get(subject.key)).toEqual([{ field: 'operator', message: 'bad operator' }]);
    expect(mapped.byKey.get(hours.key)).toEqual([{ field: 'params/event', message: 'bad event' }]);
    expect(mapped.byKey.get(anyGroup.children[0]!.key)).toEqual([{ field: 'value/1', message: 'bad element' }]);
    expect(mapped.byKey.get(anyGroup.key)).toEqual([{ field: 'any', message: 'needs a condition' }]);
    expect(mapped.byKey.get(d.actions[1]!.key)).toEqual([{ field: 'params/tags', message: 'bad tags' }]);
    expect(mapped.rule).toEqual([
      { field: 'trigger', message: 'bad trigger' },
      { field: 'name', message: 'Required' },
    ]);
  });

  it('maps dry-run results (pointers relative to the definition) to leaves', () => {
    const d = fromDefinition(DEF);
    const s = serialise(d);
    const results = resultsByKey(s, [
      { pointer: '/conditions/all/0', factValue: 'Urgent: VPN down', result: true },
      { pointer: '/conditions/all/2/not', factValue: [], result: false },
    ]);
    expect(results.get(d.conditions.children[0]!.key)?.result).toBe(true);
    expect(results.get((d.conditions.children[2] as GroupNode).children[0]!.key)?.factValue).toEqual([]);
  });

  it('adds, nests, wraps and removes nodes; the root group stays', () => {
    const d = fromDefinition({ trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'a' }] }, actions: [] });
    const root = d.conditions;
    const leaf = addLeaf(root, root.key, emptyLeaf('ticket.priority', 'equal', 'high'));
    const nested = addGroup(root, root.key, 'any');
    expect(groupDepth(root, nested.key)).toBe(2);
    const deeper = addGroup(root, nested.key, 'not');
    expect(groupDepth(root, deeper.key)).toBe(3);
    const wrapper = wrapInGroup(root, leaf.key, 'any')!;
    expect(findNode(root, leaf.key)!.parent!.key).toBe(wrapper.key);
    expect(removeNode(root, root.key)).toBe(false);
    expect(removeNode(root, nested.key)).toBe(true);
    expect(root.children.filter(isGroup)).toHaveLength(1);
    expect(toDefinition(d).conditions).toEqual({
      all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'a' }, { any: [{ fact: 'ticket.priority', operator: 'equal', value: 'high' }] }],
    });
  });

  it('a "none of" group with one child is { not: child }, with several { not: { any } }', () => {
    const d = fromDefinition({ trigger: 'ticket.created', conditions: { all: [{ not: { fact: 'ticket.status', operator: 'equal', value: 'new' } }] }, actions: [] });
    const not = d.conditions.children[0] as GroupNode;
    expect(not.kind).toBe('not');
    addLeaf(d.conditions, not.key, emptyLeaf('ticket.priority', 'equal', 'low'));
    expect(toDefinition(d).conditions).toEqual({
      all: [
        {
          not: {
            any: [
              { fact: 'ticket.status', operator: 'equal', value: 'new' },
              { fact: 'ticket.priority', operator: 'equal', value: 'low' },
            ],
          },
        },
      ],
    });
  });

  it('moves actions', () => {
    const d = fromDefinition(DEF);
    moveAction(d.actions, 0, 1);
    expect(toDefinition(d).actions.map((a) => a.type)).toEqual(['add_tags', 'set_priority']);
  });
});
