import { ALWAYS_OPEN, PRIORITIES, SLA_CLOCKS, SOURCES, STATUSES } from '@mehrdesk/core/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// The benchmark's generator: the same rule sets and ticket contexts `./mehrdesk bench rules` measures.
import { ruleDefinition, ruleEntries, TEHRAN as BENCH_TEHRAN, ticketContext } from '../../scripts/src/bench/rules/generate';
import { context, TEHRAN, tehran, ticket } from './__corpus__/context';
import { VALID } from './__corpus__/rules';
import { compileRuleSet, evaluate, type CompiledRuleSet, type RuleSetEntry } from './evaluate';
import { SURVEY_RATINGS, type RuleContext, type TicketSnapshot } from './facts';
import type { RuleDefinition } from './schema';
import { TRIGGERS, type Trigger } from './triggers';
import { validateRule } from './validate';

// Differential test of the rule index (./rule-index): for every trigger, `report: 'matched'`
// (index → json-rules-engine for the candidates) must report exactly what evaluating every rule
// with json-rules-engine (`report: 'all'`) reports: the same matched rules with the same condition
// reports and actions, the same errors, and every other rule as unmatched. Corpus: the
// benchmark's generated rule sets, the validation corpus, the rules of the unit and integration
// tests, and random rules and contexts (fast-check).

const clock = () => 0;

/** The context of `base` as the event `trigger` would see it (message, SLA clock, survey). */
function forTrigger(base: RuleContext, trigger: Trigger, i = 0): RuleContext {
  const ctx: RuleContext = { ...base, event: { type: trigger, at: base.now } };
  if (trigger === 'message.received')
    ctx.message = { text: i % 2 ? 'The printer is down, كارت 6037' : 'thanks, all good', channel: 'email', senderRole: i % 3 ? 'customer' : 'agent', isInternal: i % 5 === 0 };
  if (trigger === 'sla.warning' || trigger === 'sla.breached') ctx.sla = { clock: SLA_CLOCKS[i % SLA_CLOCKS.length]! };
  if (trigger === 'survey.received') ctx.survey = { rating: SURVEY_RATINGS[i % SURVEY_RATINGS.length]!, positive: i % 2 === 0, comment: i % 3 ? 'slow answer' : '' };
  return ctx;
}

/** Asserts indexed == full for one context and trigger; returns the engine runs of both. */
async function same(set: CompiledRuleSet, ctx: RuleContext, trigger: Trigger): Promise<{ full: number; indexed: number; matched: number }> {
  const full = await evaluate(set, ctx, { trigger, clock });
  const indexed = await evaluate(set, ctx, { trigger, clock, report: 'matched' });
  const reported = full.results.filter((r) => r.matched || r.error !== undefined);
  const rest = full.results.filter((r) => !r.matched && r.error === undefined).map((r) => ({ ruleId: r.ruleId, version: r.version }));
  expect(indexed.results).toEqual(reported);
  expect(indexed.unmatched).toEqual(rest);
  expect(indexed.trigger).toBe(full.trigger);
  return { full: full.engineRuns, indexed: indexed.engineRuns, matched: reported.filter((r) => r.matched).length };
}

// The corpus tests evaluate thousands of rule sets both ways: more than vitest's default 5 s on a busy machine.
const SLOW = 60_000;

const entries = (defs: readonly unknown[]): RuleSetEntry[] => defs.map((definition, i) => ({ id: i + 1, version: 1, name: `r${i + 1}`, position: i, definition: definition as RuleDefinition }));

describe('the benchmark rule sets', () => {
  const now = Date.UTC(2026, 10, 21, 7, 30);
  const contexts = Array.from({ length: 40 }, (_, i) => ticketContext(7, i, now));

  it(
    '1,000 generated rules: the same matches for every trigger, with far fewer engine runs',
    async () => {
      const set = compileRuleSet(ruleEntries(Array.from({ length: 1000 }, (_, i) => ruleDefinition(20261121, i, { regexPool: 0 }))));
      let full = 0;
      let indexed = 0;
      let matched = 0;
      for (const [i, base] of contexts.entries()) {
        for (const trigger of TRIGGERS) {
          const runs = await same(set, forTrigger(base, trigger, i), trigger);
          full += runs.full;
          indexed += runs.indexed;
          matched += runs.matched;
        }
      }
      // The corpus exercises the index: rules do match, and the engine runs only the ones that do.
      expect(matched).toBeGreaterThan(contexts.length * 10);
      expect(indexed).toBe(matched);
      expect(indexed * 5).toBeLessThan(full);
    },
    SLOW,
  );

  it(
    'the variant with a pool of 32 regexes, on other tickets, both calendars',
    async () => {
      const set = compileRuleSet(ruleEntries(Array.from({ length: 300 }, (_, i) => ruleDefinition(20261121, i, { regexPool: 32 }))));
      for (let i = 0; i < 30; i++) {
        const base = ticketContext(11, i, now);
        await same(set, { ...base, calendar: i % 2 ? BENCH_TEHRAN : ALWAYS_OPEN }, 'ticket.updated');
      }
    },
    SLOW,
  );
});

// The rules of the unit tests (evaluate.unit.test.ts) and of the integration tests (api/test/rules,
// admin-tags, webhooks, workflows/test/followup …) with their ids fixed.
const TEST_RULES: unknown[] = [
  {
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
    actions: [{ type: 'set_priority', params: { priority: 'urgent' } }],
  },
  ...(['ticket.created', 'ticket.updated'] as const).flatMap((trigger) =>
    ['open', 'pending'].map((status) => ({ trigger, conditions: { all: [{ fact: 'ticket.status', operator: 'equal', value: status }] }, actions: [{ type: 'add_tags', params: { tags: [status] } }] })),
  ),
  {
    trigger: 'ticket.created',
    conditions: {
      all: [
        { fact: 'ticket.status', operator: 'equal', value: 'open' },
        { fact: 'time.weekday', operator: 'in', value: [6, 7] },
      ],
    },
    actions: [{ type: 'add_tags', params: { tags: ['weekend'] } }],
  },
  {
    trigger: 'message.received',
    conditions: {
      all: [
        { fact: 'message.text', operator: 'textContains', value: 'كارت' },
        { fact: 'message.text', operator: 'matchesRegex', value: { pattern: '\\d{4}$', flags: 'u' } },
        { fact: 'message.senderRole', operator: 'equal', value: 'customer' },
        { fact: 'ticket.createdAt', operator: 'inBusinessHours', value: true },
      ],
    },
    actions: [{ type: 'add_tags', params: { tags: ['card'] } }],
  },
  {
    trigger: 'ticket.created',
    conditions: {
      all: [
        { fact: 'ticket.customField', params: { key: 'seats' }, operator: 'equal', value: '12' },
        { fact: 'ticket.customField', params: { key: 'seats' }, operator: 'greaterThanInclusive', value: 12 },
        { fact: 'ticket.customField', params: { key: 'vip' }, operator: 'equal', value: true },
        { fact: 'ticket.customField', params: { key: 'missing' }, operator: 'isEmpty', value: true },
      ],
    },
    actions: [{ type: 'add_tags', params: { tags: ['x'] } }],
  },
  // api/test/rules.int.test.ts: "VIP invoices", ping / pong, a chain step, the schedule rule.
  {
    trigger: 'ticket.created',
    conditions: {
      all: [
        { fact: 'ticket.categoryId', operator: 'equal', value: 3 },
        {
          any: [
            { fact: 'ticket.subject', operator: 'textContains', value: 'INVOICE' },
            { fact: 'ticket.priority', operator: 'equal', value: 'urgent' },
          ],
        },
      ],
    },
    actions: [{ type: 'set_priority', params: { priority: 'high' } }],
  },
  ...(['high', 'urgent'] as const).map((priority) => ({
    trigger: 'ticket.updated',
    conditions: {
      all: [
        { fact: 'ticket.categoryId', operator: 'equal', value: 3 },
        { fact: 'ticket.tags', operator: 'contains', value: 'vip' },
        { fact: 'ticket.priority', operator: 'equal', value: priority },
      ],
    },
    actions: [{ type: 'set_priority', params: { priority: priority === 'high' ? 'urgent' : 'high' } }],
  })),
  {
    trigger: 'ticket.updated',
    conditions: {
      all: [
        { fact: 'ticket.categoryId', operator: 'equal', value: 3 },
        { fact: 'ticket.tags', operator: 'contains', value: 'printer' },
      ],
    },
    actions: [{ type: 'add_tags', params: { tags: ['chain-1'] } }],
  },
  {
    trigger: 'schedule',
    schedule: { everyMinutes: 60 },
    conditions: {
      all: [
        { fact: 'ticket.status', operator: 'equal', value: 'pending' },
        { fact: 'hoursSince', params: { event: 'status_changed' }, operator: 'greaterThan', value: 1 },
      ],
    },
    actions: [{ type: 'add_tags', params: { tags: ['stale'] } }],
  },
  // workflows/test/followup.int.test.ts and api/test/admin-tags.int.test.ts.
  { trigger: 'survey.received', conditions: { all: [{ fact: 'survey.positive', operator: 'equal', value: false }] }, actions: [{ type: 'add_tags', params: { tags: ['unhappy'] } }] },
  { trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.tags', operator: 'contains', value: 'billing' }] }, actions: [{ type: 'set_priority', params: { priority: 'high' } }] },
  // A stored rule that no longer validates: never matches, always reports why.
  { trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.subject', operator: 'matchesRegex', value: '(?=x)' }] }, actions: [{ type: 'add_tags', params: { tags: ['x'] } }] },
];

const TEST_CONTEXTS: RuleContext[] = [
  context(),
  context({ ticket: ticket({ priority: 'high', categoryId: 3, subject: 'My invoice is wrong' }), previous: ticket({ priority: 'normal' }) }),
  context({ ticket: ticket({ status: 'pending', tags: ['billing'], customFields: { seats: 12 } }), previous: ticket({ status: 'open', assigneeId: 4 }) }),
  context({ ticket: ticket({ priority: 'urgent', tags: [] }), now: tehran('2026-11-20T10:00') }),
  // A calendar that cannot be read: time facts and business hours fail, and the errors must match.
  context({ calendar: { ...TEHRAN, timeZone: 'Mars/Olympus' } }),
];

describe('the rules of the existing tests and the validation corpus', () => {
  it(
    'the same matches, reports and errors for every trigger and context',
    async () => {
      const sets = [compileRuleSet(entries(TEST_RULES)), compileRuleSet(entries(VALID.map((v) => v.input)))];
      let matched = 0;
      for (const set of sets) for (const [i, base] of TEST_CONTEXTS.entries()) for (const trigger of TRIGGERS) matched += (await same(set, forTrigger(base, trigger, i), trigger)).matched;
      expect(matched).toBeGreaterThan(10);
    },
    SLOW,
  );

  it('a fact that fails lets every rule of the trigger through to the engine, which reports the failures', async () => {
    const set = compileRuleSet(entries(TEST_RULES));
    const broken = context({ calendar: { ...TEHRAN, timeZone: 'Mars/Olympus' } });
    const indexed = await evaluate(set, broken, { clock, report: 'matched' });
    expect(indexed.results.find((r) => r.error !== undefined)).toMatchObject({ ruleId: 6, error: 'calendar time zone "Mars/Olympus" is not valid' });
    expect(indexed.engineRuns).toBe((await evaluate(set, broken, { clock })).engineRuns);
  });
});

// ---------------------------------------------------------------------------------------------
// Random rules and contexts

const TAGS = ['vip', 'billing', 'printer', 'spam'];
const PLANS = ['gold', 'silver', 'free'];
const ID = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(null));
const enumLeaf = (fact: string, values: readonly string[]) =>
  fc.oneof(
    fc.record({ fact: fc.constant(fact), operator: fc.constantFrom('equal', 'notEqual'), value: fc.constantFrom(...values) }),
    fc.record({ fact: fc.constant(fact), operator: fc.constantFrom('in', 'notIn'), value: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }) }),
  );
const field = fc.constantFrom('status', 'priority', 'tags', 'assigneeId', 'groupId');

const leafArb = fc.oneof(
  enumLeaf('ticket.status', STATUSES),
  enumLeaf('ticket.priority', PRIORITIES),
  enumLeaf('ticket.source', SOURCES),
  fc.record({ fact: fc.constantFrom('ticket.groupId', 'ticket.assigneeId', 'ticket.categoryId', 'requester.organizationId'), operator: fc.constantFrom('equal', 'notEqual'), value: ID }),
  fc.record({ fact: fc.constantFrom('ticket.groupId', 'ticket.assigneeId'), operator: fc.constantFrom('in', 'notIn'), value: fc.array(ID, { minLength: 1, maxLength: 3 }) }),
  fc.record({ fact: fc.constantFrom('ticket.groupId', 'ticket.assigneeId'), operator: fc.constantFrom('isEmpty', 'isNotEmpty'), value: fc.constant(true) }),
  fc.record({ fact: fc.constant('ticket.tags'), operator: fc.constantFrom('contains', 'doesNotContain'), value: fc.constantFrom(...TAGS) }),
  fc.record({ fact: fc.constant('ticket.tags'), operator: fc.constantFrom('containsAny', 'containsAll'), value: fc.array(fc.constantFrom(...TAGS), { minLength: 1, maxLength: 3 }) }),
  fc.record({ fact: fc.constant('ticket.tags'), operator: fc.constantFrom('isEmpty', 'isNotEmpty'), value: fc.constant(true) }),
  fc.record({ fact: fc.constant('ticket.subject'), operator: fc.constantFrom('textContains', 'textNotContains', 'startsWith'), value: fc.constantFrom('printer', 'INVOICE', 'كار') }),
  fc.record({ fact: fc.constant('ticket.subject'), operator: fc.constant('matchesRegex'), value: fc.constantFrom('^re:', { pattern: '\\bdown\\b', flags: 'i' }) }),
  fc.record({
    fact: fc.constant('ticket.customField'),
    params: fc.record({ key: fc.constantFrom('plan', 'seats', 'vip') }),
    operator: fc.constantFrom('equal', 'notEqual'),
    value: fc.oneof(fc.constantFrom(...PLANS), fc.integer({ min: 1, max: 20 }), fc.boolean(), fc.constantFrom('12', 'true')),
  }),
  fc.record({
    fact: fc.constant('ticket.customField'),
    params: fc.record({ key: fc.constantFrom('plan', 'seats') }),
    operator: fc.constantFrom('in', 'notIn'),
    value: fc.oneof(fc.uniqueArray(fc.constantFrom(...PLANS, '12'), { minLength: 1, maxLength: 3 }), fc.uniqueArray(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 3 })),
  }),
  fc
    .record({
      fact: fc.constant('ticket.customField'),
      params: fc.record({ key: fc.constantFrom('seats', 'plan') }),
      operator: fc.constantFrom('greaterThan', 'lessThan', 'isEmpty'),
      value: fc.integer({ min: 1, max: 20 }),
    })
    .map((l) => (l.operator === 'isEmpty' ? { ...l, value: true } : l)),
  fc.record({ fact: fc.constant('changed'), params: fc.record({ field }), operator: fc.constantFrom('equal', 'notEqual'), value: fc.boolean() }),
  fc
    .record({ fact: fc.constant('previous'), params: fc.constant({ field: 'status' }), operator: fc.constantFrom('equal', 'in'), value: fc.constantFrom('open', 'pending') })
    .map((l) => (l.operator === 'in' ? { ...l, value: [l.value] } : l)),
  fc.record({
    fact: fc.constant('hoursSince'),
    params: fc.record({ event: fc.constantFrom('created', 'last_agent_reply'), business: fc.boolean() }),
    operator: fc.constantFrom('greaterThan', 'lessThan'),
    value: fc.constantFrom(1, 24),
  }),
  fc.record({ fact: fc.constant('ticket.createdAt'), operator: fc.constant('inBusinessHours'), value: fc.boolean() }),
  fc
    .record({ fact: fc.constantFrom('time.weekday', 'time.hourOfDay'), operator: fc.constantFrom('in', 'greaterThan'), value: fc.constantFrom(6, 10) })
    .map((l) => (l.operator === 'in' ? { ...l, value: [l.value, 7] } : l)),
  fc.record({ fact: fc.constant('time.insideBusinessHours'), operator: fc.constant('equal'), value: fc.boolean() }),
  fc.record({ fact: fc.constant('message.text'), operator: fc.constant('textContains'), value: fc.constantFrom('printer', 'كارت') }),
  fc.record({ fact: fc.constant('message.senderRole'), operator: fc.constant('equal'), value: fc.constantFrom('customer', 'agent') }),
  fc.record({ fact: fc.constant('sla.clock'), operator: fc.constant('equal'), value: fc.constantFrom(...SLA_CLOCKS) }),
  fc
    .record({ fact: fc.constant('survey.rating'), operator: fc.constantFrom('equal', 'in'), value: fc.constantFrom('good', 'bad', '5') })
    .map((l) => (l.operator === 'in' ? { ...l, value: [l.value] } : l)),
  fc.record({ fact: fc.constant('event.type'), operator: fc.constant('equal'), value: fc.constantFrom(...TRIGGERS) }),
);

const { group: groupArb } = fc.letrec<{ node: unknown; group: unknown }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('group'), leafArb),
  group: fc.oneof(
    fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 4 }) }),
    fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 4 }) }),
    fc.record({ not: tie('node') }),
  ),
}));

const ruleArb = fc
  .record({ trigger: fc.constantFrom(...TRIGGERS), conditions: groupArb })
  .map(({ trigger, conditions }) => ({
    trigger,
    ...(trigger === 'schedule' ? { schedule: { everyMinutes: 60 } } : {}),
    conditions,
    actions: [{ type: 'add_tags', params: { tags: ['auto'] } }],
  }))
  .filter((def) => validateRule(def).ok);

const snapshotArb: fc.Arbitrary<TicketSnapshot> = fc.record({
  status: fc.constantFrom(...STATUSES),
  priority: fc.constantFrom(...PRIORITIES),
  source: fc.constantFrom(...SOURCES),
  subject: fc.constantFrom('Printer is down', 'Re: invoice', 'كار نمي‌كند', ''),
  categoryId: ID,
  groupId: ID,
  assigneeId: ID,
  tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
  customFields: fc.record(
    { plan: fc.constantFrom(...PLANS), seats: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant('12')), vip: fc.oneof(fc.boolean(), fc.constant('true')) },
    { requiredKeys: [] },
  ),
  slaState: fc.constantFrom('ok', 'warning', 'breached'),
  createdAt: fc.integer({ min: tehran('2026-11-14T00:00'), max: tehran('2026-11-21T09:00') }),
  updatedAt: fc.constant(tehran('2026-11-21T09:00')),
  statusChangedAt: fc.constant(tehran('2026-11-21T09:00')),
  lastCustomerReplyAt: fc.constant(null),
  lastAgentReplyAt: fc.oneof(fc.constant(null), fc.constant(tehran('2026-11-20T12:00'))),
  resolvedAt: fc.constant(null),
});

const contextArb: fc.Arbitrary<RuleContext> = fc
  .record({
    ticket: snapshotArb,
    previous: fc.option(snapshotArb, { nil: undefined }),
    now: fc.constantFrom(tehran('2026-11-21T10:00'), tehran('2026-11-20T22:00')),
    calendar: fc.constantFrom(TEHRAN, ALWAYS_OPEN, TEHRAN, { ...TEHRAN, timeZone: 'Mars/Olympus' }),
    i: fc.nat(20),
  })
  .map(({ ticket: t, previous, now, calendar, i }) => ({ ...context({ ticket: t, now, calendar }), ...(previous ? { previous } : {}), i }))
  .map(({ i, ...ctx }) => forTrigger(ctx, 'ticket.created', i));

describe('random rule sets and contexts (fast-check)', () => {
  it(
    'indexed evaluation equals evaluating every rule, for every trigger',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(ruleArb, { minLength: 1, maxLength: 25 }), fc.array(contextArb, { minLength: 1, maxLength: 4 }), async (defs, contexts) => {
          const set = compileRuleSet(entries(defs));
          for (const [i, base] of contexts.entries()) for (const trigger of TRIGGERS) await same(set, forTrigger(base, trigger, i), trigger);
        }),
        { numRuns: 150 },
      );
    },
    SLOW,
  );

  it(
    'skipRuleIds leaves the same rules out of both',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(ruleArb, { minLength: 1, maxLength: 12 }), contextArb, fc.uniqueArray(fc.integer({ min: 1, max: 12 })), async (defs, base, skip) => {
          const set = compileRuleSet(entries(defs));
          for (const trigger of TRIGGERS) {
            const ctx = forTrigger(base, trigger);
            const full = await evaluate(set, ctx, { trigger, clock, skipRuleIds: skip });
            const indexed = await evaluate(set, ctx, { trigger, clock, skipRuleIds: skip, report: 'matched' });
            expect([...indexed.results.map((r) => r.ruleId), ...indexed.unmatched.map((r) => r.ruleId)].sort((a, b) => a - b)).toEqual(full.results.map((r) => r.ruleId));
            expect(indexed.results.filter((r) => r.matched)).toEqual(full.results.filter((r) => r.matched));
          }
        }),
        { numRuns: 60 },
      );
    },
    SLOW,
  );
});
