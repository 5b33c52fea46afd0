import { describe, expect, it } from 'vitest';
import { INVALID, leaf, nested, rule, VALID } from './__corpus__/rules';
import { referencedIds } from './actions';
import type { RuleDefinition } from './schema';
import { validateRule } from './validate';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    Object.values(value).forEach(deepFreeze);
  }
  return value;
}

describe('invalid rules: exact pointers and messages', () => {
  it('the corpus has at least 40 invalid rules', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(40);
    expect(new Set(INVALID.map((c) => c.name)).size).toBe(INVALID.length);
  });

  it.each(INVALID)('$name', ({ input, errors }) => {
    const result = validateRule(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.pointer)).toEqual(errors.map(([pointer]) => pointer));
    errors.forEach(([, fragment], i) => expect(result.errors[i]!.message).toContain(fragment));
  });
});

describe('valid rules', () => {
  it('the corpus has at least 10 valid rules', () => {
    expect(VALID.length).toBeGreaterThanOrEqual(10);
  });

  it.each(VALID)('$name', ({ input }) => {
    const result = validateRule(deepFreeze(structuredClone(input)));
    expect(result).toEqual({ ok: true, rule: input });
  });

  it('absent action params become {} and the result is a copy of the input', () => {
    const input = rule({ all: [leaf('ticket.priority', 'equal', 'low')] }, { actions: [{ type: 'close' }, { type: 'escalate' }] });
    const result = validateRule(input);
    expect(result).toEqual({
      ok: true,
      rule: {
        ...input,
        actions: [
          { type: 'close', params: {} },
          { type: 'escalate', params: {} },
        ],
      },
    });
    if (!result.ok) return;
    expect(result.rule.conditions).not.toBe(input.conditions);
    expect(result.rule.actions).not.toBe(input.actions);
  });

  it('a rule without the action params an action needs is refused, naming each param', () => {
    const result = validateRule(rule({ all: [leaf('ticket.priority', 'equal', 'low')] }, { actions: [{ type: 'send_email' }] }));
    expect(result).toEqual({
      ok: false,
      errors: [
        { pointer: '/actions/0/params/template', message: 'is required' },
        { pointer: '/actions/0/params/to', message: 'is required' },
      ],
    });
  });
});

describe('hostile input', () => {
  it('10,000 nested groups: one depth error, no stack overflow', () => {
    const result = validateRule(rule(nested(10_000)));
    expect(result).toEqual({
      ok: false,
      errors: [{ pointer: '/conditions/all/0/any/0/not/any/0/all/0/any/0', message: 'conditions are nested more than 6 groups deep' }],
    });
  });

  it('a value shaped like a json-rules-engine fact reference is refused (it would read another fact)', () => {
    const result = validateRule(rule({ all: [leaf('requester.email', 'equal', { fact: 'requester.name' })] }));
    expect(result).toEqual({ ok: false, errors: [{ pointer: '/conditions/all/0/value', message: 'must be a string' }] });
  });

  it('an own "__proto__" key is an unknown property', () => {
    const result = validateRule(
      JSON.parse('{"trigger":"ticket.created","conditions":{"all":[{"fact":"ticket.status","operator":"equal","value":"new","__proto__":{}}]},"actions":[{"type":"close"}]}'),
    );
    expect(result).toEqual({
      ok: false,
      errors: [{ pointer: '/conditions/all/0/__proto__', message: 'unknown property "__proto__"; a condition has fact, params, operator, value' }],
    });
  });
});

describe('referencedIds', () => {
  it('lists every id in actions and id-fact conditions with its pointer, in document order', () => {
    const result = validateRule(
      rule(
        {
          all: [
            leaf('ticket.groupId', 'in', [3, null, 4]),
            { not: leaf('ticket.assigneeId', 'equal', 12) },
            leaf('requester.organizationId', 'equal', 8),
            leaf('previous', 'equal', 6, { field: 'categoryId' }),
            leaf('previous', 'equal', 'open', { field: 'status' }),
            leaf('ticket.priority', 'equal', 'high'),
          ],
        },
        {
          actions: [
            { type: 'set_category', params: { categoryId: 2 } },
            { type: 'assign_agent', params: { userId: 7 } },
            { type: 'escalate', params: {} },
            { type: 'escalate', params: { groupId: 9 } },
            { type: 'send_email', params: { template: 'ack', to: 'requester' } },
            { type: 'call_webhook', params: { subscriptionId: 5 } },
            { type: 'assign_group', params: { groupId: 10 } },
            { type: 'set_group', params: { groupId: 11 } },
            { type: 'close', params: {} },
          ],
        },
      ),
    );
    expect(result.ok).toBe(true);
    expect(referencedIds((result as { rule: RuleDefinition }).rule)).toEqual([
      { kind: 'category', id: 2, pointer: '/actions/0/params/categoryId' },
      { kind: 'user', id: 7, pointer: '/actions/1/params/userId' },
      { kind: 'group', id: 9, pointer: '/actions/3/params/groupId' },
      { kind: 'email_template', id: 'ack', pointer: '/actions/4/params/template' },
      { kind: 'webhook_subscription', id: 5, pointer: '/actions/5/params/subscriptionId' },
      { kind: 'group', id: 10, pointer: '/actions/6/params/groupId' },
      { kind: 'group', id: 11, pointer: '/actions/7/params/groupId' },
      { kind: 'group', id: 3, pointer: '/conditions/all/0/value/0' },
      { kind: 'group', id: 4, pointer: '/conditions/all/0/value/2' },
      { kind: 'user', id: 12, pointer: '/conditions/all/1/not/value' },
      { kind: 'organization', id: 8, pointer: '/conditions/all/2/value' },
      { kind: 'category', id: 6, pointer: '/conditions/all/3/value' },
    ]);
  });
});
