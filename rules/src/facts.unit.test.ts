import { describe, expect, it } from 'vitest';
import { context, SAT_10, tehran, TEHRAN, ticket } from './__corpus__/context';
import { factAvailableFor, FACT_NAMES, FACTS, factDefinition, resolveFact, type FactName, type RuleContext, type TicketSnapshot, type TrackedField } from './facts';
import { TRIGGERS } from './triggers';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    Object.values(value).forEach(deepFreeze);
  }
  return value;
}

const MESSAGE = { text: 'سلام، پرینتر', channel: 'telegram', senderRole: 'customer', isInternal: true } as const;

describe('plain facts read the context', () => {
  const ctx = context({ message: MESSAGE, sla: { clock: 'first_response' }, event: { type: 'message.received', at: SAT_10 } });

  it.each([
    ['ticket.status', 'open'],
    ['ticket.priority', 'normal'],
    ['ticket.source', 'email'],
    ['ticket.subject', 'Printer on fire'],
    ['ticket.categoryId', 3],
    ['ticket.groupId', 2],
    ['ticket.assigneeId', null],
    ['ticket.tags', ['printer', 'vip']],
    ['ticket.slaState', 'ok'],
    ['ticket.createdAt', tehran('2026-11-21T08:30')],
    ['requester.email', 'sara@example.com'],
    ['requester.name', 'Sara Ahmadi'],
    ['requester.organizationId', 8],
    ['requester.role', 'customer'],
    ['message.text', 'سلام، پرینتر'],
    ['message.channel', 'telegram'],
    ['message.senderRole', 'customer'],
    ['message.isInternal', true],
    ['event.type', 'message.received'],
    ['sla.clock', 'first_response'],
  ] as [FactName, unknown][])('%s = %j', (name, expected) => {
    expect(resolveFact(name, ctx)).toEqual(expected);
  });

  it.each(['message.text', 'message.channel', 'message.senderRole', 'message.isInternal', 'sla.clock'] as FactName[])('%s is undefined when the context has no message / sla', (name) => {
    expect(resolveFact(name, context())).toBeUndefined();
  });

  it('survey facts read the rating that arrived, and are undefined for other events', () => {
    const c = context({ survey: { rating: 'bad', positive: false, comment: 'Took a week' }, event: { type: 'survey.received', at: SAT_10 } });
    expect(resolveFact('survey.rating', c)).toBe('bad');
    expect(resolveFact('survey.positive', c)).toBe(false);
    expect(resolveFact('survey.comment', c)).toBe('Took a week');
    expect(resolveFact('event.type', c)).toBe('survey.received');
    expect(factDefinition('survey.rating').type({})).toEqual({ kind: 'enum', values: ['good', 'bad', '1', '2', '3', '4', '5'] });
    for (const name of ['survey.rating', 'survey.positive', 'survey.comment'] as FactName[]) expect(resolveFact(name, context())).toBeUndefined();
  });

  it('ticket.customField reads own keys only', () => {
    const c = context({ ticket: ticket({ customFields: { plan: 'gold', seats: '12', empty: null } }) });
    expect(resolveFact('ticket.customField', c, { key: 'plan' })).toBe('gold');
    expect(resolveFact('ticket.customField', c, { key: 'seats' })).toBe('12');
    expect(resolveFact('ticket.customField', c, { key: 'empty' })).toBeNull();
    expect(resolveFact('ticket.customField', c, { key: 'missing' })).toBeUndefined();
    expect(resolveFact('ticket.customField', c, { key: 'constructor' })).toBeUndefined();
    expect(resolveFact('ticket.customField', c, { key: '__proto__' })).toBeUndefined();
  });
});

describe('time facts use context.now in the calendar zone (Tehran)', () => {
  it.each([
    ['Saturday 10:00', '2026-11-21T10:00', true, 6, 10],
    ['Saturday 08:00 (opening instant)', '2026-11-21T08:00', true, 6, 8],
    ['Saturday 07:59', '2026-11-21T07:59', false, 6, 7],
    ['Saturday 16:00 (closing instant)', '2026-11-21T16:00', false, 6, 16],
    ['Thursday 11:59', '2026-11-19T11:59', true, 4, 11],
    ['Thursday 12:00', '2026-11-19T12:00', false, 4, 12],
    ['Friday 10:00 (weekend)', '2026-11-20T10:00', false, 5, 10],
    ['Nowruz 2027 (Sunday, recurring holiday)', '2027-03-21T10:00', false, 7, 10],
    ['Saturday 00:30 (still Friday 21:00 in UTC)', '2026-11-21T00:30', false, 6, 0],
  ])('%s', (_label, local, open, weekday, hour) => {
    const c = context({ now: tehran(local) });
    expect(resolveFact('time.insideBusinessHours', c)).toBe(open);
    expect(resolveFact('time.weekday', c)).toBe(weekday);
    expect(resolveFact('time.hourOfDay', c)).toBe(hour);
  });

  it('an invalid calendar zone is an error, not a wrong answer', () => {
    const c = context({ calendar: { ...TEHRAN, timeZone: 'Mars/Olympus' } });
    expect(() => resolveFact('time.weekday', c)).toThrow(/time zone "Mars\/Olympus" is not valid/);
    expect(() => resolveFact('time.insideBusinessHours', c)).toThrow(/not a known IANA time zone/);
  });
});

describe('changed / previous', () => {
  const before = ticket();
  const updated = (overrides: Parameters<typeof ticket>[0]) => context({ previous: before, ticket: ticket(overrides) });

  it.each([
    ['status', { status: 'pending' }, true],
    ['status', {}, false],
    ['priority', { priority: 'urgent' }, true],
    ['assigneeId', { assigneeId: 5 }, true],
    ['groupId', { groupId: null }, true],
    ['subject', { subject: 'Printer on fire!' }, true],
    ['tags', { tags: ['vip', 'printer'] }, false], // order does not matter
    ['tags', { tags: ['vip', 'printer', 'vip'] }, false], // nor duplicates
    ['tags', { tags: ['vip'] }, true],
    ['slaState', { slaState: 'warning' }, true],
  ] as [TrackedField, Partial<TicketSnapshot>, boolean][])('changed{%s} with %j = %s', (field, overrides, expected) => {
    expect(resolveFact('changed', updated(overrides), { field })).toBe(expected);
  });

  it('changed is false and previous undefined without a previous snapshot', () => {
    expect(resolveFact('changed', context(), { field: 'status' })).toBe(false);
    expect(resolveFact('previous', context(), { field: 'status' })).toBeUndefined();
  });

  it('previous returns the old value, typed by the field', () => {
    const c = updated({ status: 'pending', assigneeId: 5 });
    expect(resolveFact('previous', c, { field: 'status' })).toBe('open');
    expect(resolveFact('previous', c, { field: 'assigneeId' })).toBeNull();
    expect(resolveFact('previous', c, { field: 'tags' })).toEqual(['printer', 'vip']);
    expect(factDefinition('previous').type({ field: 'status' })).toEqual({ kind: 'enum', values: ['new', 'open', 'pending', 'on_hold', 'resolved', 'closed', 'cancelled'] });
    expect(factDefinition('previous').type({ field: 'assigneeId' })).toEqual({ kind: 'id|null' });
    expect(factDefinition('previous').type({ field: 'subject' })).toEqual({ kind: 'text' });
  });
});

describe('hoursSince (now = Saturday 10:00 Tehran)', () => {
  // created Sat 08:30, updated / status changed Sat 09:00, last customer reply Wed 15:00.
  it.each([
    ['created', false, 1.5],
    ['created', true, 1.5],
    ['updated', false, 1],
    ['status_changed', true, 1],
    // Wed 15:00 → Sat 10:00 is 67 wall-clock hours; in business hours: Wed 15–16 (1) + Thu 8–12 (4) + Sat 8–10 (2).
    ['last_customer_reply', false, 67],
    ['last_customer_reply', true, 7],
    ['last_agent_reply', false, null],
    ['resolved', true, null],
  ] as const)('%s business=%s → %j', (event, business, expected) => {
    expect(resolveFact('hoursSince', context(), { event, business })).toBe(expected);
  });

  it('business defaults to false', () => {
    expect(resolveFact('hoursSince', context(), { event: 'last_customer_reply' })).toBe(67);
  });

  it('counts only business time across a closed weekend and stops at context.now', () => {
    // Thursday 11:00 → Saturday 08:15: Thu 11–12 (1) + Sat 08:00–08:15 (0.25).
    const c = context({ now: tehran('2026-11-21T08:15'), ticket: ticket({ createdAt: tehran('2026-11-19T11:00') }) });
    expect(resolveFact('hoursSince', c, { event: 'created', business: true })).toBe(1.25);
    expect(resolveFact('hoursSince', c, { event: 'created' })).toBe(45.25);
  });

  it('a timestamp after now counts as 0 hours', () => {
    const c = context({ ticket: ticket({ updatedAt: SAT_10 + 3_600_000 }) });
    expect(resolveFact('hoursSince', c, { event: 'updated' })).toBe(0);
    expect(resolveFact('hoursSince', c, { event: 'updated', business: true })).toBe(0);
  });
});

describe('catalogue', () => {
  it('message facts exist only for message.received, sla.clock only for SLA triggers, survey facts only for survey.received', () => {
    const availability = (name: FactName) => TRIGGERS.filter((t) => factAvailableFor(name, t));
    expect(availability('survey.rating')).toEqual(['survey.received']);
    expect(availability('survey.positive')).toEqual(['survey.received']);
    expect(availability('survey.comment')).toEqual(['survey.received']);
    expect(availability('message.text')).toEqual(['message.received']);
    expect(availability('message.isInternal')).toEqual(['message.received']);
    expect(availability('sla.clock')).toEqual(['sla.warning', 'sla.breached']);
    expect(availability('ticket.status')).toEqual([...TRIGGERS]);
    expect(availability('hoursSince')).toEqual([...TRIGGERS]);
  });

  it('lists the facts the rule editor offers', () => {
    expect(FACT_NAMES).toEqual(Object.keys(FACTS));
    expect(FACT_NAMES).toHaveLength(30);
    expect(FACT_NAMES.filter((n) => factDefinition(n).params !== undefined)).toEqual(['ticket.customField', 'changed', 'previous', 'hoursSince']);
  });

  it('resolving every fact leaves the context untouched', () => {
    const c: RuleContext = deepFreeze(context({ previous: ticket({ status: 'new' }), message: MESSAGE, sla: { clock: 'resolution' } }));
    const params: Partial<Record<FactName, Record<string, unknown>>> = {
      'ticket.customField': { key: 'plan' },
      changed: { field: 'tags' },
      previous: { field: 'tags' },
      hoursSince: { event: 'created', business: true },
    };
    const values = FACT_NAMES.map((name) => resolveFact(name, c, params[name]));
    expect(FACT_NAMES.map((name) => resolveFact(name, c, params[name]))).toEqual(values);
  });
});
