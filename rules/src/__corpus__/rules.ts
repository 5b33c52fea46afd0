// Test corpus for validateRule (rules/src/validate.unit.test.ts): invalid rules with the exact
// error pointers they must produce (in order) and a fragment of each message, and valid rules.

type Json = Record<string, unknown>;

export interface InvalidCase {
  name: string;
  input: unknown;
  /** [pointer, message fragment] in the order validateRule reports them. */
  errors: [string, string][];
}

export interface ValidCase {
  name: string;
  input: Json;
}

const ACTIONS = [{ type: 'add_tags', params: { tags: ['auto'] } }];

/** A rule around `conditions` (default trigger ticket.created, one add_tags action). */
export const rule = (conditions: unknown, extra: Json = {}): Json => ({ trigger: 'ticket.created', conditions, actions: ACTIONS, ...extra });
/** A leaf condition. */
export const leaf = (fact: string, operator: string, value: unknown, params?: Json): Json => ({
  fact,
  operator,
  value,
  ...(params === undefined ? {} : { params }),
});
/** A rule with the single condition at /conditions/all/0. */
const one = (condition: Json, extra: Json = {}) => rule({ all: [condition] }, extra);
const C0 = '/conditions/all/0';
const ok = leaf('ticket.priority', 'equal', 'high');
const withAction = (action: unknown) => rule({ all: [ok] }, { actions: [action] });
const A0 = '/actions/0';

/** `depth` nested groups (alternating all/any, a `not` in the middle) around one leaf. */
export function nested(depth: number): Json {
  let node: Json = ok;
  for (let level = depth; level >= 1; level--) {
    node = level === 3 ? { not: node } : level % 2 === 0 ? { any: [node] } : { all: [node] };
  }
  return node;
}

export const INVALID: InvalidCase[] = [
  // --- the document ---------------------------------------------------------------------
  { name: 'null document', input: null, errors: [['', 'must be a JSON object']] },
  { name: 'array document', input: [ok], errors: [['', 'must be a JSON object']] },
  { name: 'unknown root property', input: rule({ all: [ok] }, { name: 'x' }), errors: [['/name', 'unknown property "name"']] },
  {
    name: 'pointer tokens are escaped',
    input: rule({ all: [ok] }, { 'a/b~c': 1 }),
    errors: [['/a~1b~0c', 'unknown property "a/b~c"']],
  },

  // --- trigger and schedule -------------------------------------------------------------
  { name: 'missing trigger', input: { conditions: { all: [ok] }, actions: ACTIONS }, errors: [['/trigger', 'is required']] },
  { name: 'unknown trigger', input: rule({ all: [ok] }, { trigger: 'ticket.deleted' }), errors: [['/trigger', 'must be one of: ticket.created']] },
  {
    name: 'schedule trigger without schedule',
    input: rule({ all: [ok] }, { trigger: 'schedule' }),
    errors: [['/schedule', 'is required when trigger is "schedule"']],
  },
  {
    name: 'schedule on an event trigger',
    input: rule({ all: [ok] }, { schedule: { everyMinutes: 5 } }),
    errors: [['/schedule', 'is only allowed when trigger is "schedule" (trigger is "ticket.created")']],
  },
  {
    name: 'schedule below 1 minute',
    input: rule({ all: [ok] }, { trigger: 'schedule', schedule: { everyMinutes: 0 } }),
    errors: [['/schedule/everyMinutes', '>=1']],
  },
  {
    name: 'schedule above 1440 minutes',
    input: rule({ all: [ok] }, { trigger: 'schedule', schedule: { everyMinutes: 1441 } }),
    errors: [['/schedule/everyMinutes', '<=1440']],
  },
  {
    name: 'fractional schedule',
    input: rule({ all: [ok] }, { trigger: 'schedule', schedule: { everyMinutes: 1.5 } }),
    errors: [['/schedule/everyMinutes', 'expected int']],
  },
  {
    name: 'misspelt schedule property',
    input: rule({ all: [ok] }, { trigger: 'schedule', schedule: { every: 5 } }),
    errors: [
      ['/schedule/every', 'unknown property "every"'],
      ['/schedule/everyMinutes', 'is required'],
    ],
  },

  // --- condition tree -------------------------------------------------------------------
  { name: 'missing conditions', input: { trigger: 'ticket.created', actions: ACTIONS }, errors: [['/conditions', 'is required']] },
  { name: 'a bare leaf at the root', input: rule(ok), errors: [['/conditions', 'wrap the condition in { "all"']] },
  {
    name: 'group with two operators',
    input: rule({ all: [ok], any: [ok] }),
    errors: [['/conditions', 'exactly one of "all", "any", "not" (found all, any)']],
  },
  { name: 'empty all group', input: rule({ all: [] }), errors: [['/conditions/all', 'must not be empty']] },
  { name: 'empty nested any group', input: rule({ all: [ok, { any: [] }] }), errors: [['/conditions/all/1/any', 'must not be empty']] },
  { name: 'all is not an array', input: rule({ all: ok }), errors: [['/conditions/all', 'must be an array of conditions']] },
  { name: 'not holds an array', input: rule({ not: [ok] }), errors: [['/conditions/not', 'not an array']] },
  { name: 'unknown property in a group', input: rule({ all: [ok], name: 'g' }), errors: [['/conditions/name', 'unknown property "name" in a "all" group']] },
  {
    name: 'seven nested groups',
    input: rule(nested(7)),
    errors: [['/conditions/all/0/any/0/not/any/0/all/0/any/0', 'nested more than 6 groups deep']],
  },
  {
    name: '101 conditions',
    input: rule({ all: Array.from({ length: 101 }, () => ok) }),
    errors: [['/conditions', 'has 101 conditions; at most 100']],
  },
  { name: 'condition is a string', input: rule({ all: ['ticket.priority = high'] }), errors: [[C0, 'must be a condition group']] },

  // --- leaves: fact, params, operator ---------------------------------------------------
  { name: 'unknown fact', input: one(leaf('ticket.colour', 'equal', 'red')), errors: [[`${C0}/fact`, 'unknown fact "ticket.colour"']] },
  { name: 'missing fact', input: one({ operator: 'equal', value: 'x' }), errors: [[`${C0}/fact`, 'is required']] },
  { name: 'fact is not a string', input: one(leaf(7 as unknown as string, 'equal', 1)), errors: [[`${C0}/fact`, 'must be a string']] },
  { name: 'unknown operator', input: one(leaf('ticket.subject', 'like', 'x')), errors: [[`${C0}/operator`, 'unknown operator "like"']] },
  {
    name: 'operator not allowed for an enum fact',
    input: one(leaf('ticket.status', 'greaterThan', 'open')),
    errors: [[`${C0}/operator`, 'operator "greaterThan" is not allowed for fact "ticket.status" (type enum: new, open']],
  },
  {
    name: 'equality on long text',
    input: one(leaf('ticket.subject', 'equal', 'Refund')),
    errors: [[`${C0}/operator`, 'operator "equal" is not allowed for fact "ticket.subject" (type text); allowed: textContains']],
  },
  {
    name: 'operator allowed only for the field type of previous',
    input: one(leaf('previous', 'containsAny', ['a'], { field: 'status' })),
    errors: [[`${C0}/operator`, 'operator "containsAny" is not allowed for fact "previous" (type enum']],
  },
  { name: 'unknown leaf property', input: one({ ...ok, path: '$.x' }), errors: [[`${C0}/path`, 'unknown property "path"']] },
  {
    name: 'missing params',
    input: one(leaf('changed', 'equal', true)),
    errors: [[`${C0}/params`, 'is required: fact "changed" needs params { field }']],
  },
  { name: 'params not an object', input: one(leaf('changed', 'equal', true, 'status' as unknown as Json)), errors: [[`${C0}/params`, 'must be an object']] },
  {
    name: 'unknown param',
    input: one(leaf('ticket.customField', 'equal', 'x', { key: 'plan', default: 'y' })),
    errors: [[`${C0}/params/default`, 'unknown parameter "default"']],
  },
  { name: 'missing param', input: one(leaf('hoursSince', 'greaterThan', 2, {})), errors: [[`${C0}/params/event`, 'is required']] },
  {
    name: 'param outside its enum',
    input: one(leaf('changed', 'equal', true, { field: 'colour' })),
    errors: [[`${C0}/params/field`, 'must be one of: status, priority']],
  },
  {
    name: 'param of the wrong type',
    input: one(leaf('hoursSince', 'greaterThan', 2, { event: 'created', business: 'yes' })),
    errors: [[`${C0}/params/business`, 'expected boolean']],
  },
  { name: 'params on a fact without params', input: one(leaf('ticket.status', 'equal', 'open', { x: 1 })), errors: [[`${C0}/params`, 'takes no params']] },
  {
    name: 'message fact outside message.received',
    input: one(leaf('message.text', 'textContains', 'refund')),
    errors: [[`${C0}/fact`, 'fact "message.text" is only available for trigger message.received (this rule\'s trigger is ticket.created)']],
  },
  {
    name: 'sla.clock outside sla triggers',
    input: one(leaf('sla.clock', 'equal', 'resolution'), { trigger: 'ticket.updated' }),
    errors: [[`${C0}/fact`, 'only available for trigger sla.warning / sla.breached']],
  },

  // --- leaves: values -------------------------------------------------------------------
  { name: 'missing value', input: one({ fact: 'ticket.priority', operator: 'equal' }), errors: [[`${C0}/value`, 'is required']] },
  { name: 'enum value not in the enum', input: one(leaf('ticket.priority', 'equal', 'critical')), errors: [[`${C0}/value`, 'must be one of: low, normal, high, urgent']] },
  { name: 'number for a string fact', input: one(leaf('requester.email', 'equal', 5)), errors: [[`${C0}/value`, 'must be a string']] },
  { name: 'non-array for in', input: one(leaf('ticket.status', 'in', 'open')), errors: [[`${C0}/value`, 'must be a non-empty array of values from: new, open']] },
  { name: 'empty array for notIn', input: one(leaf('ticket.source', 'notIn', [])), errors: [[`${C0}/value`, 'must be a non-empty array']] },
  {
    name: 'bad elements in an in list',
    input: one(leaf('ticket.status', 'in', ['open', 'bogus', 'closed', 3])),
    errors: [
      [`${C0}/value/1`, 'must be one of: new, open'],
      [`${C0}/value/3`, 'must be one of: new, open'],
    ],
  },
  { name: 'string for a boolean fact', input: one(leaf('time.insideBusinessHours', 'equal', 'true')), errors: [[`${C0}/value`, 'must be true or false']] },
  { name: 'zero as an id', input: one(leaf('ticket.groupId', 'equal', 0)), errors: [[`${C0}/value`, 'must be an id (a positive integer) or null']] },
  { name: 'string id in an id list', input: one(leaf('ticket.categoryId', 'in', [1, '2'])), errors: [[`${C0}/value/1`, 'must be an id']] },
  { name: 'ISO date for a datetime comparison', input: one(leaf('ticket.createdAt', 'lessThan', '2026-01-01')), errors: [[`${C0}/value`, 'epoch milliseconds']] },
  { name: 'isEmpty with an operand', input: one(leaf('ticket.tags', 'isEmpty', false)), errors: [[`${C0}/value`, 'must be true (this operator takes no operand)']] },
  { name: 'containsAny with a string', input: one(leaf('ticket.tags', 'containsAny', 'vip')), errors: [[`${C0}/value`, 'must be a non-empty array of strings']] },
  { name: 'blank textContains needle', input: one(leaf('ticket.subject', 'textContains', '  ')), errors: [[`${C0}/value`, 'must not be empty']] },
  {
    name: 'mixed custom field list',
    input: one(leaf('ticket.customField', 'in', ['gold', 1], { key: 'plan' })),
    errors: [[`${C0}/value/1`, 'must be a string like the first element']],
  },
  { name: 'number operand for a custom field ordering', input: one(leaf('ticket.customField', 'lessThan', '5', { key: 'n' })), errors: [[`${C0}/value`, 'must be a number']] },

  // --- regexes --------------------------------------------------------------------------
  { name: 'look-ahead is not RE2', input: one(leaf('ticket.subject', 'matchesRegex', '^(?=refund)')), errors: [[`${C0}/value`, 'invalid regular expression (RE2 syntax']] },
  { name: 'unbalanced parenthesis', input: one(leaf('ticket.subject', 'matchesRegex', '(refund')), errors: [[`${C0}/value`, 'missing )']] },
  { name: 'back-reference', input: one(leaf('ticket.subject', 'matchesRegex', '(a)\\1')), errors: [[`${C0}/value`, 'invalid escape sequence']] },
  { name: 'pattern longer than 500', input: one(leaf('ticket.subject', 'matchesRegex', 'a'.repeat(501))), errors: [[`${C0}/value`, 'is 501 characters long; at most 500']] },
  {
    name: 'flags other than i/u',
    input: one(leaf('ticket.subject', 'matchesRegex', { pattern: 'refund', flags: 'gi' })),
    errors: [[`${C0}/value/flags`, 'only "i" and "u"']],
  },
  {
    name: 'regex object without pattern and with an unknown key',
    input: one(leaf('ticket.subject', 'matchesRegex', { source: 'x', flags: 'i' })),
    errors: [
      [`${C0}/value/pattern`, 'is required'],
      [`${C0}/value/source`, 'unknown property "source"'],
    ],
  },
  { name: 'regex as a number', input: one(leaf('ticket.subject', 'matchesRegex', 42)), errors: [[`${C0}/value`, 'must be a pattern string or { "pattern"']] },

  // --- actions --------------------------------------------------------------------------
  { name: 'missing actions', input: { trigger: 'ticket.created', conditions: { all: [ok] } }, errors: [['/actions', 'is required']] },
  { name: 'no actions', input: rule({ all: [ok] }, { actions: [] }), errors: [['/actions', 'must have at least 1 action']] },
  { name: 'actions not an array', input: rule({ all: [ok] }, { actions: { type: 'close' } }), errors: [['/actions', 'must be an array of actions']] },
  {
    name: '21 actions',
    input: rule({ all: [ok] }, { actions: Array.from({ length: 21 }, () => ({ type: 'close', params: {} })) }),
    errors: [['/actions', 'must have at most 20 actions (has 21)']],
  },
  { name: 'action is a string', input: withAction('close'), errors: [[A0, 'must be an action']] },
  { name: 'unknown action', input: withAction({ type: 'delete_ticket', params: {} }), errors: [[`${A0}/type`, 'unknown action "delete_ticket"']] },
  { name: 'action without type', input: withAction({ params: { status: 'open' } }), errors: [[`${A0}/type`, 'is required']] },
  { name: 'unknown action property', input: withAction({ type: 'close', params: {}, when: 'now' }), errors: [[`${A0}/when`, 'unknown property "when"']] },
  { name: 'unknown action param', input: withAction({ type: 'set_status', params: { status: 'open', colour: 'red' } }), errors: [[`${A0}/params/colour`, 'unknown parameter "colour"']] },
  { name: 'missing action param', input: withAction({ type: 'set_status' }), errors: [[`${A0}/params/status`, 'is required']] },
  {
    name: 'action param outside its enum',
    input: withAction({ type: 'set_priority', params: { priority: 'critical' } }),
    errors: [[`${A0}/params/priority`, 'must be one of: low, normal, high, urgent']],
  },
  { name: 'string id param', input: withAction({ type: 'set_category', params: { categoryId: '5' } }), errors: [[`${A0}/params/categoryId`, 'expected number, received string']] },
  { name: 'negative id param', input: withAction({ type: 'assign_agent', params: { userId: -3 } }), errors: [[`${A0}/params/userId`, '>0']] },
  { name: 'note longer than 10,000', input: withAction({ type: 'add_note', params: { body: 'x'.repeat(10_001) } }), errors: [[`${A0}/params/body`, '<=10000']] },
  { name: 'blank note', input: withAction({ type: 'add_note', params: { body: ' \n ' } }), errors: [[`${A0}/params/body`, 'must not be blank']] },
  { name: 'email to an invalid address', input: withAction({ type: 'send_email', params: { template: 'ack', to: { address: 'nobody' } } }), errors: [[`${A0}/params/to/address`, 'Invalid email']] },
  {
    name: 'email to an unknown recipient',
    input: withAction({ type: 'send_email', params: { template: 'ack', to: 'everyone' } }),
    errors: [[`${A0}/params/to`, 'must be one of requester, assignee, group, supervisor or { "address"']],
  },
  { name: 'add_tags with no tags', input: withAction({ type: 'add_tags', params: { tags: [] } }), errors: [[`${A0}/params/tags`, '>=1']] },
  { name: 'tag with surrounding spaces', input: withAction({ type: 'remove_tags', params: { tags: ['ok', ' vip'] } }), errors: [[`${A0}/params/tags/1`, 'must not start or end with whitespace']] },
  {
    name: 'set_field with an object value',
    input: withAction({ type: 'set_field', params: { key: 'plan', value: { a: 1 } } }),
    errors: [[`${A0}/params/value`, 'must be a string (≤ 1000 characters), number, boolean or null']],
  },
  { name: 'params on close must be an object', input: withAction({ type: 'close', params: [] }), errors: [[`${A0}/params`, 'must be an object']] },

  // --- several problems at once: all reported, in document order -------------------------
  {
    name: 'every problem is reported, sorted by pointer',
    input: {
      trigger: 'ticket.updated',
      conditions: {
        any: [
          leaf('ticket.status', 'equal', 'open'),
          leaf('ticket.status', 'equal', 'open'),
          leaf('ticket.priority', 'lessThan', 'high'),
          ...Array.from({ length: 7 }, () => ok),
          leaf('message.isInternal', 'equal', 'no'),
        ],
      },
      actions: [{ type: 'close' }, { type: 'set_group', params: {} }],
      extra: true,
    },
    errors: [
      ['/actions/1/params/groupId', 'is required'],
      ['/conditions/any/2/operator', 'operator "lessThan" is not allowed for fact "ticket.priority"'],
      ['/conditions/any/10/fact', 'only available for trigger message.received'],
      ['/conditions/any/10/value', 'must be true or false'],
      ['/extra', 'unknown property "extra"'],
    ],
  },
];

export const VALID: ValidCase[] = [
  { name: 'minimal', input: one(ok) },
  {
    name: 'schedule with business-hours age and status list',
    input: rule(
      { all: [leaf('hoursSince', 'greaterThan', 48, { event: 'last_customer_reply', business: true }), leaf('ticket.status', 'in', ['pending', 'on_hold'])] },
      { trigger: 'schedule', schedule: { everyMinutes: 60 }, actions: [{ type: 'close', params: {} }] },
    ),
  },
  { name: 'schedule bounds', input: rule({ all: [ok] }, { trigger: 'schedule', schedule: { everyMinutes: 1440 } }) },
  {
    name: 'message.received text, regex and role',
    input: rule(
      {
        all: [
          leaf('message.text', 'textContains', 'كتاب'),
          leaf('message.text', 'matchesRegex', { pattern: '^re(fund)?\\b', flags: 'i' }),
          leaf('message.isInternal', 'equal', false),
          leaf('message.senderRole', 'in', ['customer']),
          leaf('message.channel', 'notEqual', 'api'),
        ],
      },
      { trigger: 'message.received' },
    ),
  },
  {
    name: 'sla.breached with clock and escalation',
    input: rule(
      { all: [leaf('sla.clock', 'equal', 'resolution'), leaf('event.type', 'equal', 'sla.breached')] },
      {
        trigger: 'sla.breached',
        actions: [
          { type: 'escalate', params: {} },
          { type: 'escalate', params: { groupId: 4 } },
        ],
      },
    ),
  },
  {
    name: 'ticket.updated with changed/previous',
    input: rule(
      { all: [leaf('changed', 'equal', true, { field: 'status' }), leaf('previous', 'equal', 'pending', { field: 'status' }), leaf('previous', 'containsAny', ['vip'], { field: 'tags' })] },
      { trigger: 'ticket.updated' },
    ),
  },
  { name: 'six nested groups (the limit)', input: rule(nested(6)) },
  { name: '100 conditions (the limit)', input: rule({ any: Array.from({ length: 100 }, () => ok) }) },
  {
    name: 'twenty actions covering every action type',
    input: rule(
      { all: [ok] },
      {
        actions: [
          { type: 'set_status', params: { status: 'open' } },
          { type: 'set_priority', params: { priority: 'urgent' } },
          { type: 'set_category', params: { categoryId: 3 } },
          { type: 'set_group', params: { groupId: 2 } },
          { type: 'set_field', params: { key: 'plan', value: 'gold' } },
          { type: 'set_field', params: { key: 'seats', value: 5 } },
          { type: 'set_field', params: { key: 'vip', value: true } },
          { type: 'set_field', params: { key: 'note', value: null } },
          { type: 'assign_agent', params: { userId: 7 } },
          { type: 'assign_group', params: { groupId: 2 } },
          { type: 'add_tags', params: { tags: ['vip', 'مشتری ویژه'] } },
          { type: 'remove_tags', params: { tags: ['new'] } },
          { type: 'add_note', params: { body: 'Escalated automatically.' } },
          { type: 'send_email', params: { template: 'ack', to: 'requester' } },
          { type: 'send_email', params: { template: 'vip.alert', to: { address: 'boss@example.com' } } },
          { type: 'call_webhook', params: { subscriptionId: 9 } },
          { type: 'escalate', params: { groupId: 5 } },
          { type: 'escalate', params: {} },
          { type: 'send_email', params: { template: 'ack', to: 'supervisor' } },
          { type: 'close', params: {} },
        ],
      },
    ),
  },
  {
    name: 'custom field compared as string, number and emptiness',
    input: rule({
      any: [
        leaf('ticket.customField', 'equal', 'gold', { key: 'plan' }),
        leaf('ticket.customField', 'greaterThanInclusive', 10, { key: 'seats' }),
        leaf('ticket.customField', 'in', [1, 2, 3], { key: 'tier' }),
        leaf('ticket.customField', 'equal', true, { key: 'vip' }),
        leaf('ticket.customField', 'isEmpty', true, { key: 'contract' }),
        leaf('ticket.customField', 'startsWith', 'ACME-', { key: 'ref' }),
      ],
    }),
  },
  {
    name: 'nullable ids',
    input: rule({
      all: [leaf('ticket.assigneeId', 'equal', null), leaf('requester.organizationId', 'in', [1, null]), leaf('ticket.groupId', 'isNotEmpty', true), leaf('ticket.categoryId', 'notIn', [4, 5])],
    }),
  },
  {
    name: 'datetimes, weekday and hour',
    input: rule(
      {
        all: [
          leaf('ticket.createdAt', 'inBusinessHours', false),
          leaf('ticket.createdAt', 'greaterThan', 1_700_000_000_000),
          leaf('time.weekday', 'in', [6, 7]),
          leaf('time.hourOfDay', 'greaterThanInclusive', 17),
          { not: leaf('time.insideBusinessHours', 'equal', true) },
        ],
      },
      { trigger: 'survey.received' },
    ),
  },
  {
    name: 'tags operators',
    input: rule({
      all: [leaf('ticket.tags', 'containsAny', ['vip', 'gold']), leaf('ticket.tags', 'containsAll', ['vip']), leaf('ticket.tags', 'doesNotContain', 'spam'), leaf('ticket.tags', 'contains', 'vip')],
    }),
  },
  {
    name: 'requester facts and empty params on a param-less fact',
    input: rule({
      all: [
        leaf('requester.email', 'matchesRegex', '@example\\.com$'),
        leaf('requester.role', 'equal', 'customer'),
        { fact: 'requester.name', params: {}, operator: 'isNotEmpty', value: true },
        leaf('ticket.subject', 'textNotContains', 'test'),
        leaf('ticket.slaState', 'notEqual', 'ok'),
      ],
    }),
  },
];
