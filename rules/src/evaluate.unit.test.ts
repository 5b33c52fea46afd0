import { ALWAYS_OPEN } from '@mehrdesk/core/domain';
import { describe, expect, it } from 'vitest';
import { context, tehran, TEHRAN, ticket } from './__corpus__/context';
import { compileRuleSet, evaluate, evaluateRules, type EvaluateOptions, type RuleSetEntry } from './evaluate';
import type { RuleContext } from './facts';
import type { RuleDefinition } from './schema';

/** A fake monotonic clock: 0, 1, 2, … so durations are exact. */
function counter(): () => number {
  let t = 0;
  return () => t++;
}

const TAG = (tag: string) => ({ type: 'add_tags' as const, params: { tags: [tag] } });

const TREE: RuleDefinition = {
  trigger: 'ticket.updated',
  conditions: {
    all: [
      { fact: 'ticket.priority', operator: 'in', value: ['high', 'urgent'] },
      {
        any: [
          { fact: 'ticket.tags', operator: 'containsAny', value: ['vip'] },
          { fact: 'requester.email', operator: 'textContains', value: 'ACME' },
        ],
      },
      { not: { fact: 'changed', params: { field: 'assigneeId' }, operator: 'equal', value: true } },
      {
        not: {
          any: [
            { fact: 'ticket.customField', params: { key: 'seats' }, operator: 'lessThan', value: 10 },
            { fact: 'hoursSince', params: { event: 'created', business: true }, operator: 'greaterThan', value: 2 },
          ],
        },
      },
    ],
  },
  actions: [{ type: 'set_priority', params: { priority: 'urgent' } }, TAG('escalated'), { type: 'send_email', params: { template: 'vip', to: 'supervisor' } }],
};

const entry = (id: number, position: number, definition: RuleDefinition, name = `rule ${id}`): RuleSetEntry => ({
  id,
  version: id * 10,
  name,
  position,
  definition,
});

const simple = (trigger: RuleDefinition['trigger'], status: string, tag: string): RuleDefinition => ({
  trigger,
  conditions: { all: [{ fact: 'ticket.status', operator: 'equal', value: status }] },
  actions: [TAG(tag)],
});

/** Ticket updated at Saturday 10:00 Tehran: priority raised normal → high. */
const UPDATED: RuleContext = context({
  event: { type: 'ticket.updated', at: tehran('2026-11-21T10:00') },
  previous: ticket({ priority: 'normal' }),
  ticket: ticket({ priority: 'high' }),
});

describe('a nested all/any/not tree', () => {
  it('reports every leaf with its fact value and result, and the actions in order', async () => {
    const compiled = compileRuleSet([entry(1, 1, TREE, 'VIP escalation')]);
    expect(await evaluate(compiled, UPDATED, { clock: counter() })).toEqual({
      trigger: 'ticket.updated',
      durationMs: 3,
      unmatched: [],
      engineRuns: 1,
      results: [
        {
          ruleId: 1,
          version: 10,
          name: 'VIP escalation',
          matched: true,
          durationMs: 1,
          conditions: [
            { pointer: '/conditions/all/0', fact: 'ticket.priority', operator: 'in', value: ['high', 'urgent'], factValue: 'high', result: true },
            { pointer: '/conditions/all/1/any/0', fact: 'ticket.tags', operator: 'containsAny', value: ['vip'], factValue: ['printer', 'vip'], result: true },
            { pointer: '/conditions/all/1/any/1', fact: 'requester.email', operator: 'textContains', value: 'ACME', factValue: 'sara@example.com', result: false },
            { pointer: '/conditions/all/2/not', fact: 'changed', params: { field: 'assigneeId' }, operator: 'equal', value: true, factValue: false, result: false },
            // The custom field "12" is compared as the number 12.
            { pointer: '/conditions/all/3/not/any/0', fact: 'ticket.customField', params: { key: 'seats' }, operator: 'lessThan', value: 10, factValue: 12, result: false },
            { pointer: '/conditions/all/3/not/any/1', fact: 'hoursSince', params: { event: 'created', business: true }, operator: 'greaterThan', value: 2, factValue: 1.5, result: false },
          ],
          actions: TREE.actions,
        },
      ],
    });
  });

  it('one leaf flipping flips the rule; actions are then empty', async () => {
    const compiled = compileRuleSet([entry(1, 1, TREE)]);
    // Assignee changed → changed{assigneeId} is true → the `not` fails.
    const ctx = { ...UPDATED, ticket: ticket({ priority: 'high', assigneeId: 4 }) };
    const [result] = (await evaluate(compiled, ctx)).results;
    expect(result!.matched).toBe(false);
    expect(result!.actions).toEqual([]);
    expect(result!.conditions.map((c) => [c.pointer, c.factValue, c.result])).toEqual([
      ['/conditions/all/0', 'high', true],
      ['/conditions/all/1/any/0', ['printer', 'vip'], true],
      ['/conditions/all/1/any/1', 'sara@example.com', false],
      ['/conditions/all/2/not', true, true],
      ['/conditions/all/3/not/any/0', 12, false],
      ['/conditions/all/3/not/any/1', 1.5, false],
    ]);
  });

  it('a double negation and an any that short-circuits nothing', async () => {
    const def: RuleDefinition = {
      trigger: 'ticket.created',
      conditions: {
        any: [{ fact: 'ticket.status', operator: 'equal', value: 'open' }, { not: { not: { fact: 'time.insideBusinessHours', operator: 'equal', value: false } } }],
      },
      actions: [TAG('x')],
    };
    const { results } = await evaluate(compileRuleSet([entry(1, 1, def)]), context());
    expect(results[0]!.matched).toBe(true);
    expect(results[0]!.conditions.map((c) => [c.pointer, c.factValue, c.result])).toEqual([
      ['/conditions/any/0', 'open', true],
      ['/conditions/any/1/not/not', true, false],
    ]);
  });
});

describe('selection and order', () => {
  const rules = [
    entry(7, 30, simple('ticket.updated', 'open', 'c')),
    entry(9, 10, simple('ticket.updated', 'open', 'b')), // same position as 3: ties by id
    entry(5, 20, simple('ticket.created', 'open', 'created-only')),
    entry(3, 10, simple('ticket.updated', 'closed', 'a')),
    entry(1, 40, simple('ticket.updated', 'open', 'd')),
  ];
  const compiled = compileRuleSet(rules);
  const summary = async (ctx: RuleContext, opts?: EvaluateOptions) => (await evaluate(compiled, ctx, opts)).results.map((r) => [r.ruleId, r.matched, r.actions]);

  it('evaluates only the rules of the event type, by position then id', async () => {
    expect(await summary(UPDATED)).toEqual([
      [3, false, []],
      [9, true, [TAG('b')]],
      [7, true, [TAG('c')]],
      [1, true, [TAG('d')]],
    ]);
  });

  it('opts.trigger overrides the event type', async () => {
    expect(await summary(UPDATED, { trigger: 'ticket.created' })).toEqual([[5, true, [TAG('created-only')]]]);
    expect(await summary(UPDATED, { trigger: 'schedule' })).toEqual([]);
  });

  it('skipRuleIds leaves rules out entirely', async () => {
    expect(await summary(UPDATED, { skipRuleIds: [9, 1, 5] })).toEqual([
      [3, false, []],
      [7, true, [TAG('c')]],
    ]);
  });

  it('reports per-rule and total durations from the clock', async () => {
    const result = await evaluate(compiled, UPDATED, { clock: counter() });
    // start=0; each rule reads the clock twice (1→2, 3→4, 5→6, 7→8); total read at 9.
    expect(result.results.map((r) => r.durationMs)).toEqual([1, 1, 1, 1]);
    expect(result.durationMs).toBe(9);
  });
});

describe('determinism and isolation', () => {
  const compiled = compileRuleSet([entry(1, 1, TREE), entry(2, 2, simple('ticket.updated', 'open', 'b'))]);
  const opts = () => ({ clock: () => 0 });

  it('evaluating twice gives identical results', async () => {
    const first = await evaluate(compiled, UPDATED, opts());
    const second = await evaluate(compiled, UPDATED, opts());
    expect(second).toEqual(first);
    expect(first.results.map((r) => r.matched)).toEqual([true, true]);
  });

  it('concurrent evaluations of one compiled set do not interfere', async () => {
    const quiet = { ...UPDATED, ticket: ticket({ priority: 'low', status: 'pending' }) };
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => evaluate(compiled, i % 2 === 0 ? UPDATED : quiet, opts())));
    const loud = await evaluate(compiled, UPDATED, opts());
    const calm = await evaluate(compiled, quiet, opts());
    expect(calm.results.map((r) => r.matched)).toEqual([false, false]);
    runs.forEach((run, i) => expect(run).toEqual(i % 2 === 0 ? loud : calm));
  });

  it('one compiled set (one Engine) serves concurrent evaluations with different calendars', async () => {
    const def: RuleDefinition = { trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.createdAt', operator: 'inBusinessHours', value: true }] }, actions: [TAG('open')] };
    const set = compileRuleSet([entry(1, 1, def)]);
    const friday = ticket({ createdAt: tehran('2026-11-20T10:00') }); // Friday: closed in Tehran
    const contexts = Array.from({ length: 12 }, (_, i) => context({ ticket: friday, calendar: i % 2 ? ALWAYS_OPEN : TEHRAN }));
    for (const report of ['all', 'matched'] as const) {
      const runs = await Promise.all(contexts.map((ctx) => evaluate(set, ctx, { report })));
      expect(runs.map((r) => r.results.some((x) => x.matched))).toEqual(contexts.map((_, i) => i % 2 === 1));
    }
  });

  it('results do not alias the compiled set: mutating them changes nothing', async () => {
    const first = await evaluate(compiled, UPDATED, opts());
    (first.results[0]!.actions[0]!.params as { priority: string }).priority = 'low';
    (first.results[0]!.conditions[0]!.value as string[]).push('normal');
    expect(await evaluate(compiled, UPDATED, opts())).toEqual(await evaluate(compileRuleSet([entry(1, 1, TREE), entry(2, 2, simple('ticket.updated', 'open', 'b'))]), UPDATED, opts()));
    expect(TREE.actions[0]).toEqual({ type: 'set_priority', params: { priority: 'urgent' } });
  });

  it('a fact used by several rules is resolved once per evaluation', async () => {
    let reads = 0;
    const t = ticket();
    Object.defineProperty(t, 'status', { enumerable: true, get: () => (reads++, 'open') });
    const three = compileRuleSet([1, 2, 3].map((id) => entry(id, id, simple('ticket.created', 'open', `t${id}`))));
    const { results } = await evaluate(three, context({ ticket: t }));
    expect(results.map((r) => r.matched)).toEqual([true, true, true]);
    expect(reads).toBe(1);
  });

  it('evaluateRules is compile + evaluate', async () => {
    const rules = [entry(1, 1, TREE)];
    expect(await evaluateRules(rules, UPDATED, opts())).toEqual(await evaluate(compileRuleSet(rules), UPDATED, opts()));
  });
});

describe('rules that cannot be evaluated', () => {
  it('a stored definition that no longer validates never matches and says why; the others still run', async () => {
    const broken = {
      trigger: 'ticket.created',
      conditions: { all: [{ fact: 'ticket.subject', operator: 'matchesRegex', value: '(?=x)' }] },
      actions: [TAG('x')],
    } as unknown as RuleDefinition;
    const compiled = compileRuleSet([entry(1, 1, broken), entry(2, 2, simple('ticket.created', 'open', 'ok'))]);
    const { results } = await evaluate(compiled, context(), { clock: () => 0 });
    expect(results).toEqual([
      {
        ruleId: 1,
        version: 10,
        name: 'rule 1',
        matched: false,
        conditions: [],
        actions: [],
        durationMs: 0,
        error: 'invalid rule definition: /conditions/all/0/value: invalid regular expression (RE2 syntax: no look-around, no back-references): invalid perl operator: (?=',
      },
      { ruleId: 2, version: 20, name: 'rule 2', matched: true, conditions: [expect.objectContaining({ result: true })], actions: [TAG('ok')], durationMs: 0 },
    ]);
  });

  it('a fact that throws fails only its rule, with every condition unevaluated', async () => {
    const def: RuleDefinition = {
      trigger: 'ticket.created',
      conditions: {
        all: [
          { fact: 'ticket.status', operator: 'equal', value: 'open' },
          { fact: 'time.weekday', operator: 'in', value: [6, 7] },
        ],
      },
      actions: [TAG('weekend')],
    };
    const compiled = compileRuleSet([entry(1, 1, def), entry(2, 2, simple('ticket.created', 'open', 'ok'))]);
    const ctx = context({ calendar: { ...TEHRAN, timeZone: 'Mars/Olympus' } });
    const { results } = await evaluate(compiled, ctx, { clock: () => 0 });
    expect(results[0]).toEqual({
      ruleId: 1,
      version: 10,
      name: 'rule 1',
      matched: false,
      conditions: [
        { pointer: '/conditions/all/0', fact: 'ticket.status', operator: 'equal', value: 'open', factValue: undefined, result: null },
        { pointer: '/conditions/all/1', fact: 'time.weekday', operator: 'in', value: [6, 7], factValue: undefined, result: null },
      ],
      actions: [],
      durationMs: 0,
      error: 'calendar time zone "Mars/Olympus" is not valid',
    });
    expect(results[1]!.matched).toBe(true);
  });
});

describe('facts that depend on the evaluation context', () => {
  it('message facts, Persian text and a regex on a message.received rule', async () => {
    const def: RuleDefinition = {
      trigger: 'message.received',
      conditions: {
        all: [
          { fact: 'message.text', operator: 'textContains', value: 'كارت' },
          { fact: 'message.text', operator: 'matchesRegex', value: { pattern: '\\d{4}$', flags: 'u' } },
          { fact: 'message.senderRole', operator: 'equal', value: 'customer' },
          { fact: 'ticket.createdAt', operator: 'inBusinessHours', value: true },
        ],
      },
      actions: [TAG('card')],
    };
    const ctx = context({
      event: { type: 'message.received', at: tehran('2026-11-21T10:00') },
      message: { text: 'شماره کارت من 6037', channel: 'telegram', senderRole: 'customer', isInternal: false },
    });
    const { results } = await evaluate(compileRuleSet([entry(1, 1, def)]), ctx);
    expect(results[0]!.matched).toBe(true);
    expect(results[0]!.conditions.map((c) => c.result)).toEqual([true, true, true, true]);
  });

  it('custom fields report the coerced value they were compared as', async () => {
    const def: RuleDefinition = {
      trigger: 'ticket.created',
      conditions: {
        all: [
          { fact: 'ticket.customField', params: { key: 'seats' }, operator: 'equal', value: '12' },
          { fact: 'ticket.customField', params: { key: 'seats' }, operator: 'greaterThanInclusive', value: 12 },
          { fact: 'ticket.customField', params: { key: 'vip' }, operator: 'equal', value: true },
          { fact: 'ticket.customField', params: { key: 'vip' }, operator: 'textContains', value: 'TRUE' },
          { fact: 'ticket.customField', params: { key: 'missing' }, operator: 'isEmpty', value: true },
        ],
      },
      actions: [TAG('x')],
    };
    const { results } = await evaluate(compileRuleSet([entry(1, 1, def)]), context());
    expect(results[0]!.conditions.map((c) => [c.factValue, c.result])).toEqual([
      ['12', true],
      [12, true],
      [true, true],
      ['true', true],
      [undefined, true],
    ]);
  });
});
