import type { CalendarSpec, Priority, SlaState, TicketSource, TicketStatus, WeeklyShift } from '@mehrdesk/core/domain';
import { ALWAYS_OPEN } from '@mehrdesk/core/domain';
import { validateRule, type RuleContext, type RuleDefinition, type RuleSetEntry, type TicketSnapshot, type Trigger } from '@mehrdesk/rules';

// Deterministic synthetic data for the rule benchmark: N valid, varied automation rules and
// ticket.updated contexts. Rule i depends only on (seed, i), so the 10-rule set is a prefix of
// the 100-rule set, which is a prefix of the 1,000-rule set: the sizes differ only in N.

// ---------------------------------------------------------------------------------------------
// PRNG

export type Rng = () => number;

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const mix = (seed: number, i: number) => Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);

export const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const chance = (r: Rng, p: number) => r() < p;
export function weighted<T>(r: Rng, table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of table) if ((x -= w) < 0) return v;
  return table[table.length - 1]![0];
}
function sample<T>(r: Rng, xs: readonly T[], k: number): T[] {
  const pool = [...xs];
  const out: T[] = [];
  while (out.length < k && pool.length) out.push(pool.splice(Math.floor(r() * pool.length), 1)[0]!);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary shared by tickets and rules

export const TAGS = [
  'vip',
  'printer',
  'billing',
  'refund',
  'outage',
  'vpn',
  'password',
  'hardware',
  'software',
  'network',
  'email',
  'onboarding',
  'security',
  'sales',
  'contract',
  'shipping',
  'mobile',
  'portal',
  'bug',
  'feature-request',
  'spam',
  'duplicate',
  'escalated',
  'needs-info',
  'مشتری-ویژه',
  'فوری',
  'مالی',
] as const;

const PLANS = ['free', 'bronze', 'silver', 'gold', 'platinum'] as const;
const REGIONS = ['tehran', 'isfahan', 'shiraz', 'mashhad', 'tabriz'] as const;
const COMPANIES = ['Acme', 'Pars Online', 'Mehr Logistics', 'Zagros Steel', 'Kavir Foods', 'Arya Soft'] as const;
const PERSIAN_DIGITS = '۰۱۲۳۴۵۶۷۸۹';
const persianDigits = (n: number) => String(n).replace(/\d/g, (d) => PERSIAN_DIGITS[Number(d)]!);

/** Subject templates: English, Persian (some typed with Arabic ي/ك), with numbers to vary them. */
const SUBJECTS: ((r: Rng) => string)[] = [
  (r) => `Printer on floor ${int(r, 1, 9)} jammed again`,
  (r) => `Refund request for order #${int(r, 1000, 99999)}`,
  () => 'Cannot log in to the customer portal',
  (r) => `VPN disconnects every ${int(r, 2, 30)} minutes`,
  (r) => `Invoice INV-${int(r, 1000, 9999)} shows the wrong amount`,
  () => 'Password reset link expired',
  (r) => `Outage: e-mail not delivered since ${int(r, 0, 23)}:00`,
  () => 'Re: Laptop battery swelling',
  (r) => `Fwd: contract renewal for ${pick(r, COMPANIES)}`,
  () => 'URGENT: production database down',
  () => 'Slow response from the CRM',
  (r) => `Shipment ${int(r, 100000, 999999)} delayed`,
  (r) => `Wi-Fi in meeting room ${int(r, 1, 12)} not working`,
  () => 'Question about my subscription plan',
  () => 'Security alert: suspicious login from a new device',
  () => 'مشکل در ورود به حساب کاربری',
  (r) => `درخواست بازپرداخت سفارش ${persianDigits(int(r, 1000, 9999))}`,
  (r) => `چاپگر طبقه ${persianDigits(int(r, 1, 9))} كار نمي‌كند`,
  (r) => `فاکتور اشتباه برای شرکت ${pick(r, COMPANIES)}`,
  () => 'قطعی اینترنت در دفتر مرکزی',
];

/** Words rules search subjects for (the first ones occur in SUBJECTS, the last ones rarely or never). */
const WORDS = [
  'printer',
  'refund',
  'login',
  'vpn',
  'invoice',
  'password',
  'outage',
  'laptop',
  'contract',
  'urgent',
  'database',
  'crm',
  'shipment',
  'wi-fi',
  'subscription',
  'security',
  'portal',
  'battery',
  'delayed',
  'order',
  'چاپگر',
  'بازپرداخت',
  'فاکتور',
  'حساب',
  'اینترنت',
  'کار نمی',
  'warranty',
  'gdpr',
  'sso',
  'kubernetes',
  'payroll',
  'backup',
  'license',
  'keyboard',
  'monitor',
  'docking',
] as const;
const REGEX_WORDS = [
  'refund',
  'chargeback',
  'invoice',
  'payment',
  'login',
  'password',
  'sso',
  'mfa',
  'outage',
  'down',
  'printer',
  'scanner',
  'vpn',
  'wi-?fi',
  'network',
  'laptop',
  'battery',
  'contract',
  'renewal',
  'shipment',
  'delayed',
  'crm',
  'database',
  'backup',
  'license',
  'security',
  'suspicious',
  'portal',
  'urgent',
  'order',
] as const;

// ---------------------------------------------------------------------------------------------
// Tickets

/** Tehran working week (Sat–Wed 08–16, Thu 08–12): business-hour facts do real calendar work. */
export const TEHRAN_SHIFTS: WeeklyShift[] = [...([6, 7, 1, 2, 3] as const).map((weekday) => ({ weekday, start: '08:00', end: '16:00' })), { weekday: 4, start: '08:00', end: '12:00' }];
export const TEHRAN: CalendarSpec = {
  timeZone: 'Asia/Tehran',
  shifts: TEHRAN_SHIFTS,
  holidays: [{ date: '2026-03-21', recurringYearly: true, name: 'Nowruz' }],
};

const HOUR = 3_600_000;

/** What one ticket.updated event looks like, independent of where it is stored. */
export interface TicketSpec {
  ticket: TicketSnapshot;
  /** The fields that differed before the change (the event's cause). */
  previous: Pick<TicketSnapshot, 'status' | 'priority' | 'tags' | 'assigneeId' | 'groupId' | 'categoryId'>;
  businessCalendar: boolean;
  requester: { email: string; name: string; organizationId: number | null };
}

const STATUS_WEIGHTS: readonly (readonly [TicketStatus, number])[] = [
  ['new', 10],
  ['open', 40],
  ['pending', 20],
  ['on_hold', 8],
  ['resolved', 15],
  ['closed', 5],
  ['cancelled', 2],
];
const PRIORITY_WEIGHTS: readonly (readonly [Priority, number])[] = [
  ['low', 20],
  ['normal', 50],
  ['high', 22],
  ['urgent', 8],
];
const SOURCE_WEIGHTS: readonly (readonly [TicketSource, number])[] = [
  ['web', 20],
  ['portal', 25],
  ['email', 35],
  ['api', 5],
  ['telegram', 10],
  ['phone', 5],
];
const SLA_WEIGHTS: readonly (readonly [SlaState, number])[] = [
  ['ok', 80],
  ['warning', 12],
  ['breached', 8],
];

/** A varied ticket at `now` and the change that produced the ticket.updated event. */
export function ticketSpec(seed: number, i: number, now: number): TicketSpec {
  const r = rng(mix(seed, i));
  const status = weighted(r, STATUS_WEIGHTS);
  const createdAt = now - Math.round(r() * 30 * 24 * HOUR);
  const age = now - createdAt;
  const updatedAt = now - Math.round(r() * Math.min(age, 6 * HOUR));
  const statusChangedAt = createdAt + Math.round(r() * (updatedAt - createdAt));
  const customFields: Record<string, unknown> = {};
  if (chance(r, 0.8)) customFields.plan = pick(r, PLANS);
  if (chance(r, 0.6)) customFields.seats = chance(r, 0.5) ? int(r, 1, 500) : String(int(r, 1, 500));
  if (chance(r, 0.5)) customFields.vip = chance(r, 0.5) ? chance(r, 0.2) : chance(r, 0.2) ? 'true' : 'false';
  if (chance(r, 0.7)) customFields.region = pick(r, REGIONS);
  if (chance(r, 0.3)) customFields.contract = `C-${int(r, 1000, 9999)}`;
  if (chance(r, 0.15)) customFields.ref = `ACME-${int(r, 100, 999)}`;
  const ticket: TicketSnapshot = {
    status,
    priority: weighted(r, PRIORITY_WEIGHTS),
    source: weighted(r, SOURCE_WEIGHTS),
    subject: pick(r, SUBJECTS)(r),
    categoryId: chance(r, 0.9) ? int(r, 1, 8) : null,
    groupId: chance(r, 0.95) ? int(r, 1, 6) : null,
    assigneeId: chance(r, 0.7) ? int(r, 1, 20) : null,
    tags: sample(
      r,
      TAGS,
      weighted(r, [
        [0, 20],
        [1, 35],
        [2, 25],
        [3, 15],
        [4, 5],
      ]),
    ),
    customFields,
    slaState: weighted(r, SLA_WEIGHTS),
    createdAt,
    updatedAt,
    statusChangedAt,
    lastCustomerReplyAt: chance(r, 0.85) ? createdAt + Math.round(r() * (updatedAt - createdAt)) : null,
    lastAgentReplyAt: chance(r, 0.6) ? createdAt + Math.round(r() * (updatedAt - createdAt)) : null,
    resolvedAt: status === 'resolved' || status === 'closed' ? statusChangedAt : null,
  };
  // The change behind the event: one or two tracked fields differed before.
  const previous: TicketSpec['previous'] = {
    status: ticket.status,
    priority: ticket.priority,
    tags: ticket.tags,
    assigneeId: ticket.assigneeId,
    groupId: ticket.groupId,
    categoryId: ticket.categoryId,
  };
  for (let k = int(r, 1, 2); k > 0; k--) {
    switch (
      weighted(r, [
        ['status', 40],
        ['priority', 20],
        ['tags', 20],
        ['assigneeId', 15],
        ['groupId', 5],
      ] as const)
    ) {
      case 'status':
        previous.status = pick(
          r,
          ['new', 'open', 'pending', 'on_hold'].filter((s) => s !== ticket.status),
        ) as TicketStatus;
        break;
      case 'priority':
        previous.priority = pick(
          r,
          (['low', 'normal', 'high', 'urgent'] as const).filter((p) => p !== ticket.priority),
        );
        break;
      case 'tags':
        previous.tags = ticket.tags.length && chance(r, 0.5) ? ticket.tags.slice(1) : [...ticket.tags, pick(r, TAGS)];
        break;
      case 'assigneeId':
        previous.assigneeId = ticket.assigneeId === null ? int(r, 1, 20) : chance(r, 0.5) ? null : (ticket.assigneeId % 20) + 1;
        break;
      case 'groupId':
        previous.groupId = ticket.groupId === null ? int(r, 1, 6) : (ticket.groupId % 6) + 1;
        break;
    }
  }
  const first = pick(r, ['sara', 'ali', 'maryam', 'reza', 'neda', 'john', 'emma', 'hossein']);
  const domain = pick(r, ['example.com', 'acme.ir', 'parsonline.net', 'gmail.com', 'mehr-logistics.ir']);
  return {
    ticket,
    previous,
    businessCalendar: chance(r, 0.7),
    requester: { email: `${first}.${int(r, 1, 999)}@${domain}`, name: first, organizationId: chance(r, 0.6) ? int(r, 1, 10) : null },
  };
}

/** An in-memory ticket.updated context, as buildRuleContext would assemble it. */
export function ticketContext(seed: number, i: number, now: number): RuleContext {
  const spec = ticketSpec(seed, i, now);
  return {
    event: { type: 'ticket.updated', at: now },
    now,
    ticket: spec.ticket,
    previous: { ...spec.ticket, ...spec.previous },
    requester: { ...spec.requester, role: 'customer' },
    calendar: spec.businessCalendar ? TEHRAN : ALWAYS_OPEN,
  };
}

// ---------------------------------------------------------------------------------------------
// Rules

type Json = Record<string, unknown>;
const leaf = (fact: string, operator: string, value: unknown, params?: Json): Json => ({ fact, operator, value, ...(params ? { params } : {}) });

export interface RuleGenOptions {
  /** Draw regex patterns from this many distinct patterns (0 = every rule may have its own). */
  regexPool: number;
}

function regexValue(r: Rng, opts: RuleGenOptions): unknown {
  const own = ownRegex(r);
  if (opts.regexPool <= 0) return own;
  // Same draws as without a pool (the rest of the rule set is identical); the pattern is then
  // replaced by one of `regexPool` patterns of the same shapes, chosen by a hash of its own.
  let h = 0;
  for (const ch of JSON.stringify(own)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  const pool = regexPool(opts.regexPool);
  return pool[h % pool.length];
}

const pools = new Map<number, unknown[]>();
/** `size` distinct patterns drawn like every rule's own (so only their number differs). */
function regexPool(size: number): unknown[] {
  let pool = pools.get(size);
  if (!pool) {
    const seen = new Map<string, unknown>();
    for (let k = 0; seen.size < size && k < size * 100; k++) {
      const v = ownRegex(rng(mix(0x2e2, k)));
      seen.set(JSON.stringify(v), v);
    }
    pool = [...seen.values()];
    pools.set(size, pool);
  }
  return pool;
}

function ownRegex(r: Rng): unknown {
  switch (int(r, 0, 5)) {
    case 0:
    case 1: {
      const [a, b] = sample(r, REGEX_WORDS, 2);
      return { pattern: `\\b(${a}|${b})\\b`, flags: 'i' };
    }
    case 2:
      return { pattern: `(order|سفارش)\\s*#?\\d{${int(r, 3, 5)},}`, flags: 'i' };
    case 3:
      return `^(re|fwd?):\\s*${pick(r, ['', 'urgent', 'invoice', 'laptop'])}`;
    case 4:
      return { pattern: `${pick(r, REGEX_WORDS)}\\s+(is\\s+)?(down|broken|not working|delayed)`, flags: 'i' };
    default:
      return `(چاپگر|پرینتر|اینترنت|فاکتور)\\s*${pick(r, ['', 'طبقه', 'اشتباه', 'در'])}`;
  }
}

/**
 * A selective leaf: true for a minority of tickets (roughly 5–50 %), the kind of condition that
 * decides whether a rule applies (a status, a tag, a word in the subject, a change, a plan).
 */
function selectiveLeaf(r: Rng, trigger: Trigger, opts: RuleGenOptions): Json {
  const kind = weighted(r, [
    ['status', 14],
    ['priority', 12],
    ['tags', 14],
    ['subjectText', 12],
    ['subjectRegex', 9],
    ['changed', 14],
    ['customField', 12],
    ['previous', 4],
    ['slaState', 3],
    ['group', 3],
    ['requester', 3],
    ...(trigger === 'message.received' ? ([['messageText', 12]] as const) : []),
  ] as const);
  switch (kind) {
    case 'status':
      return chance(r, 0.6)
        ? leaf(
            'ticket.status',
            'equal',
            weighted(r, [
              ['open', 3],
              ['pending', 2],
              ['new', 1],
              ['on_hold', 1],
              ['resolved', 1],
            ]),
          )
        : leaf('ticket.status', 'in', sample(r, ['new', 'open', 'pending', 'on_hold'], 2));
    case 'priority':
      return chance(r, 0.6) ? leaf('ticket.priority', 'equal', pick(r, ['high', 'urgent', 'low'])) : leaf('ticket.priority', 'in', ['high', 'urgent']);
    case 'tags':
      return weighted(r, [
        [leaf('ticket.tags', 'containsAny', sample(r, TAGS, int(r, 1, 3))), 5],
        [leaf('ticket.tags', 'contains', pick(r, TAGS)), 3],
        [leaf('ticket.tags', 'isEmpty', true), 1],
      ]);
    case 'subjectText':
      return leaf('ticket.subject', 'textContains', pick(r, WORDS));
    case 'subjectRegex':
      return leaf('ticket.subject', 'matchesRegex', regexValue(r, opts));
    case 'changed':
      return leaf('changed', 'equal', true, {
        field: weighted(r, [
          ['status', 4],
          ['priority', 2],
          ['tags', 2],
          ['assigneeId', 2],
          ['groupId', 1],
        ] as const),
      });
    case 'customField':
      return weighted(r, [
        [leaf('ticket.customField', 'equal', pick(r, PLANS), { key: 'plan' }), 3],
        [leaf('ticket.customField', 'in', sample(r, PLANS, 2), { key: 'plan' }), 2],
        [leaf('ticket.customField', 'equal', true, { key: 'vip' }), 2],
        [leaf('ticket.customField', 'equal', pick(r, REGIONS), { key: 'region' }), 2],
        [leaf('ticket.customField', 'startsWith', 'ACME-', { key: 'ref' }), 1],
      ]);
    case 'previous':
      return leaf('previous', 'equal', pick(r, ['new', 'pending', 'on_hold']), { field: 'status' });
    case 'slaState':
      return leaf('ticket.slaState', 'equal', pick(r, ['warning', 'breached']));
    case 'group':
      return chance(r, 0.5) ? leaf('ticket.groupId', 'in', sample(r, [1, 2, 3, 4, 5, 6], 2)) : leaf('ticket.assigneeId', 'isEmpty', true);
    case 'requester':
      return chance(r, 0.5)
        ? leaf('requester.email', 'matchesRegex', `@${pick(r, ['acme\\.ir', 'parsonline\\.net', 'example\\.com', 'gmail\\.com'])}$`)
        : leaf('requester.organizationId', 'in', sample(r, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3));
    case 'messageText':
      return leaf('message.text', 'textContains', pick(r, WORDS));
  }
}

/** A broad leaf: true for most tickets (ages, exclusions, "still open"), refining a rule. */
function broadLeaf(r: Rng): Json {
  switch (
    weighted(r, [
      ['hoursSince', 8],
      ['notIn', 2],
      ['doesNotContain', 2],
      ['textNotContains', 2],
      ['seats', 2],
      ['contract', 1],
      ['sla', 1],
      ['priority', 1],
    ] as const)
  ) {
    case 'hoursSince': {
      const event = weighted(r, [
        ['created', 3],
        ['updated', 2],
        ['status_changed', 3],
        ['last_customer_reply', 2],
        ['last_agent_reply', 2],
      ] as const);
      const params = chance(r, 0.3) ? { event, business: true } : { event };
      return leaf('hoursSince', chance(r, 0.8) ? 'greaterThan' : 'lessThan', pick(r, [1, 4, 8, 24, 48, 72, 168]), params);
    }
    case 'notIn':
      return leaf('ticket.status', 'notIn', ['resolved', 'closed', 'cancelled']);
    case 'doesNotContain':
      return leaf('ticket.tags', 'doesNotContain', pick(r, TAGS));
    case 'textNotContains':
      return leaf('ticket.subject', 'textNotContains', pick(r, WORDS));
    case 'seats':
      return leaf('ticket.customField', 'greaterThanInclusive', pick(r, [10, 50, 100, 250]), { key: 'seats' });
    case 'contract':
      return leaf('ticket.customField', 'isNotEmpty', true, { key: 'contract' });
    case 'sla':
      return leaf('ticket.slaState', 'notEqual', 'breached');
    case 'priority':
      return leaf('ticket.priority', 'notEqual', 'low');
  }
}

function ruleActions(r: Rng): Json[] {
  const make = (): Json =>
    weighted(r, [
      [{ type: 'add_tags', params: { tags: sample(r, TAGS, int(r, 1, 2)) } }, 4],
      [{ type: 'set_priority', params: { priority: pick(r, ['high', 'urgent', 'normal']) } }, 3],
      [{ type: 'assign_group', params: { groupId: int(r, 1, 6) } }, 3],
      [{ type: 'send_email', params: { template: pick(r, ['ack', 'vip.alert', 'pending.reminder']), to: pick(r, ['requester', 'assignee', 'supervisor']) } }, 3],
      [{ type: 'add_note', params: { body: 'Automated: please check the SLA and the customer plan.' } }, 2],
      [{ type: 'set_status', params: { status: pick(r, ['open', 'pending']) } }, 2],
      [{ type: 'escalate', params: {} }, 1],
      [{ type: 'set_field', params: { key: 'triaged', value: true } }, 1],
      [{ type: 'call_webhook', params: { subscriptionId: int(r, 1, 5) } }, 1],
    ]);
  return Array.from({ length: int(r, 1, 3) }, make);
}

/**
 * Nested all/any/not with `n` (2–6) leaves in total, in the shapes admins build: a gate of
 * selective conditions refined by broad ones, a gate plus "any of these", two alternatives,
 * or an exclusion (not).
 */
function ruleConditions(r: Rng, n: number, selective: () => Json, broad: () => Json): Json {
  const mixed = () => (chance(r, 0.5) ? broad() : selective());
  switch (
    n <= 3
      ? weighted(r, [
          ['flat', 3],
          ['notTail', 1],
        ] as const)
      : weighted(r, [
          ['flat', 4],
          ['gateAny', 4],
          ['anyOfAll', 2],
          ['notTail', 1],
        ] as const)
  ) {
    case 'flat':
      return { all: [selective(), ...Array.from({ length: n - 1 }, mixed)] };
    case 'notTail':
      return { all: [selective(), ...Array.from({ length: n - 2 }, mixed), { not: selective() }] };
    case 'gateAny': {
      const gate = int(r, 1, Math.min(2, n - 2));
      return { all: [selective(), ...Array.from({ length: gate - 1 }, mixed), { any: Array.from({ length: n - gate }, selective) }] };
    }
    case 'anyOfAll': {
      const half = Math.ceil(n / 2);
      const branch = (k: number) => ({ all: [selective(), ...Array.from({ length: k - 1 }, mixed)] });
      return { any: [branch(half), branch(n - half)] };
    }
  }
}

const OTHER_TRIGGERS: Trigger[] = ['ticket.created', 'message.received', 'sla.breached', 'schedule'];

/** Rule i: 95 % listen to ticket.updated, every 20th to another trigger. Always valid (checked). */
export function ruleDefinition(seed: number, i: number, opts: RuleGenOptions): RuleDefinition {
  const r = rng(mix(seed ^ 0x5bd1e995, i));
  const trigger: Trigger = i % 20 === 19 ? OTHER_TRIGGERS[Math.floor(i / 20) % OTHER_TRIGGERS.length]! : 'ticket.updated';
  const n = weighted(r, [
    [2, 12],
    [3, 30],
    [4, 28],
    [5, 18],
    [6, 12],
  ]);
  const doc: Json = {
    trigger,
    ...(trigger === 'schedule' ? { schedule: { everyMinutes: pick(r, [15, 60, 240]) } } : {}),
    conditions: ruleConditions(
      r,
      n,
      () => selectiveLeaf(r, trigger, opts),
      () => broadLeaf(r),
    ),
    actions: ruleActions(r),
  };
  const v = validateRule(doc);
  if (!v.ok) throw new Error(`generated rule ${i} is invalid: ${JSON.stringify(v.errors)}\n${JSON.stringify(doc)}`);
  return v.rule;
}

export function ruleName(i: number, def: RuleDefinition): string {
  return `bench rule ${i + 1} (${def.trigger})`;
}

/** Rule-set entries as loadStoredRules returns them (ids 1…N, positions 10, 20, …). */
export function ruleEntries(defs: readonly RuleDefinition[]): RuleSetEntry[] {
  return defs.map((definition, i) => ({ id: i + 1, version: 1, name: ruleName(i, definition), position: (i + 1) * 10, definition }));
}

/** Shape statistics of a rule set (for the report). */
export function ruleStats(defs: readonly RuleDefinition[]) {
  let leaves = 0;
  let groups = 0;
  let actions = 0;
  const facts = new Map<string, number>();
  const patterns = new Set<string>();
  const visit = (c: RuleDefinition['conditions'] | Json): void => {
    const node = c as Json;
    if (Array.isArray(node.all) || Array.isArray(node.any)) {
      groups++;
      for (const x of (node.all ?? node.any) as Json[]) visit(x);
    } else if (node.not !== undefined) {
      groups++;
      visit(node.not as Json);
    } else {
      leaves++;
      const fact = String(node.fact);
      facts.set(fact, (facts.get(fact) ?? 0) + 1);
      if (node.operator === 'matchesRegex') {
        const v = node.value as string | { pattern: string; flags?: string };
        patterns.add(typeof v === 'string' ? `/${v}` : `${v.flags ?? ''}/${v.pattern}`);
      }
    }
  };
  for (const d of defs) {
    visit(d.conditions);
    actions += d.actions.length;
  }
  const triggers = new Map<string, number>();
  for (const d of defs) triggers.set(d.trigger, (triggers.get(d.trigger) ?? 0) + 1);
  return {
    rules: defs.length,
    leavesPerRule: leaves / Math.max(1, defs.length),
    groupsPerRule: groups / Math.max(1, defs.length),
    actionsPerRule: actions / Math.max(1, defs.length),
    distinctRegexes: patterns.size,
    facts: [...facts.entries()].sort((a, b) => b[1] - a[1]),
    triggers: [...triggers.entries()].sort((a, b) => b[1] - a[1]),
  };
}
