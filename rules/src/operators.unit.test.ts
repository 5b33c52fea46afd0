import { ALWAYS_OPEN, type CalendarSpec } from '@mehrdesk/core/domain';
import { Engine } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import { tehran, TEHRAN } from './__corpus__/context';
import { checkValue, coerce, coercionFor, engineValue, OPERATOR_TABLE, registerOperators, valueSpecFor, VALUE_TYPES, type FactType, type OperatorName, type ValueType } from './operators';
import { clearRegexCache, REGEX_CACHE_LIMIT, regexCacheSize, regexError, regexTest } from './regex';
import { normalizeText } from './text';

/** Runs one condition through a json-rules-engine Engine exactly as evaluate does. */
async function holds(type: FactType, operator: OperatorName, value: unknown, factValue: unknown, calendar: CalendarSpec = ALWAYS_OPEN) {
  const engine = new Engine();
  registerOperators(engine, calendar);
  const seen = type.kind === 'unknown' ? coerce(factValue, coercionFor(operator, value)) : factValue;
  engine.addFact('x', () => seen);
  engine.addRule({ conditions: { all: [{ fact: 'x', operator, value: engineValue(operator, value) }] }, event: { type: 'hit' } });
  const { results, failureResults } = await engine.run();
  expect(results.length + failureResults.length).toBe(1);
  return results.length === 1;
}

const STATUS: FactType = { kind: 'enum', values: ['new', 'open', 'closed'] };
const typeOf = (kind: ValueType): FactType => (kind === 'enum' ? STATUS : { kind });

const OPEN = tehran('2026-11-21T10:00'); // Saturday, open
const CLOSED_EVENING = tehran('2026-11-21T16:00'); // closing instant: closed
const CLOSED_FRIDAY = tehran('2026-11-20T10:00');
const T = 1_800_000_000_000;

/** [type, operator, value, [factValue, expected][]] — every allowed pair of OPERATOR_TABLE appears. */
type Case = [ValueType, OperatorName, unknown, [unknown, boolean][]];
const CASES: Case[] = [
  // string
  [
    'string',
    'equal',
    'a@x.io',
    [
      ['a@x.io', true],
      ['A@x.io', false],
      [null, false],
    ],
  ],
  [
    'string',
    'notEqual',
    'a@x.io',
    [
      ['b@x.io', true],
      ['a@x.io', false],
    ],
  ],
  [
    'string',
    'in',
    ['a', 'b'],
    [
      ['b', true],
      ['c', false],
      [null, false],
    ],
  ],
  [
    'string',
    'notIn',
    ['a', 'b'],
    [
      ['c', true],
      ['a', false],
    ],
  ],
  [
    'string',
    'textContains',
    'ACME',
    [
      ['support@acme.com', true],
      ['x@y.io', false],
      [null, false],
    ],
  ],
  [
    'string',
    'textNotContains',
    'acme',
    [
      ['x@y.io', true],
      ['x@ACME.io', false],
      [null, true],
    ],
  ],
  [
    'string',
    'startsWith',
    'Dr.',
    [
      ['dr. Ali', true],
      ['Ali Dr.', false],
      [null, false],
    ],
  ],
  [
    'string',
    'matchesRegex',
    '@example\\.com$',
    [
      ['a@example.com', true],
      ['a@example.com.evil', false],
      [null, false],
    ],
  ],
  [
    'string',
    'isEmpty',
    true,
    [
      ['', true],
      ['  ', true],
      [null, true],
      [undefined, true],
      ['a', false],
    ],
  ],
  [
    'string',
    'isNotEmpty',
    true,
    [
      ['a', true],
      ['', false],
      [null, false],
    ],
  ],
  // text (Persian included)
  [
    'text',
    'textContains',
    'كتاب',
    [
      ['این کتاب خوب است', true],
      ['این كتاب', true],
      ['کتب', false],
      [undefined, false],
    ],
  ],
  [
    'text',
    'textNotContains',
    'علي',
    [
      ['سلام', true],
      ['آقای علی', false],
    ],
  ],
  [
    'text',
    'startsWith',
    'سلام',
    [
      ['سلام، وقت بخیر', true],
      ['با سلام', false],
    ],
  ],
  [
    'text',
    'matchesRegex',
    { pattern: 'refund|return', flags: 'i' },
    [
      ['I want a REFUND', true],
      ['no thanks', false],
    ],
  ],
  [
    'text',
    'isEmpty',
    true,
    [
      ['', true],
      ['\n\t', true],
      ['x', false],
    ],
  ],
  [
    'text',
    'isNotEmpty',
    true,
    [
      ['x', true],
      [undefined, false],
    ],
  ],
  // number
  [
    'number',
    'equal',
    3,
    [
      [3, true],
      [3.5, false],
      [null, false],
    ],
  ],
  [
    'number',
    'notEqual',
    3,
    [
      [4, true],
      [3, false],
    ],
  ],
  [
    'number',
    'in',
    [1, 2],
    [
      [2, true],
      [3, false],
    ],
  ],
  [
    'number',
    'notIn',
    [1, 2],
    [
      [3, true],
      [1, false],
    ],
  ],
  [
    'number',
    'lessThan',
    5,
    [
      [4.9, true],
      [5, false],
      [null, false],
    ],
  ],
  [
    'number',
    'lessThanInclusive',
    5,
    [
      [5, true],
      [5.1, false],
    ],
  ],
  [
    'number',
    'greaterThan',
    5,
    [
      [5.1, true],
      [5, false],
      [null, false],
    ],
  ],
  [
    'number',
    'greaterThanInclusive',
    5,
    [
      [5, true],
      [4.9, false],
    ],
  ],
  [
    'number',
    'isEmpty',
    true,
    [
      [null, true],
      [0, false],
    ],
  ],
  [
    'number',
    'isNotEmpty',
    true,
    [
      [0, true],
      [null, false],
    ],
  ],
  // boolean
  [
    'boolean',
    'equal',
    true,
    [
      [true, true],
      [false, false],
      [undefined, false],
    ],
  ],
  [
    'boolean',
    'notEqual',
    true,
    [
      [false, true],
      [true, false],
    ],
  ],
  // datetime
  [
    'datetime',
    'lessThan',
    T,
    [
      [T - 1, true],
      [T, false],
    ],
  ],
  [
    'datetime',
    'lessThanInclusive',
    T,
    [
      [T, true],
      [T + 1, false],
    ],
  ],
  [
    'datetime',
    'greaterThan',
    T,
    [
      [T + 1, true],
      [T, false],
    ],
  ],
  [
    'datetime',
    'greaterThanInclusive',
    T,
    [
      [T, true],
      [T - 1, false],
    ],
  ],
  [
    'datetime',
    'inBusinessHours',
    true,
    [
      [OPEN, true],
      [CLOSED_EVENING, false],
      [CLOSED_FRIDAY, false],
      [null, false],
    ],
  ],
  [
    'datetime',
    'inBusinessHours',
    false,
    [
      [CLOSED_FRIDAY, true],
      [OPEN, false],
      [null, false],
    ],
  ],
  // enum
  [
    'enum',
    'equal',
    'open',
    [
      ['open', true],
      ['closed', false],
    ],
  ],
  [
    'enum',
    'notEqual',
    'open',
    [
      ['closed', true],
      ['open', false],
    ],
  ],
  [
    'enum',
    'in',
    ['open', 'new'],
    [
      ['new', true],
      ['closed', false],
    ],
  ],
  [
    'enum',
    'notIn',
    ['open', 'new'],
    [
      ['closed', true],
      ['open', false],
    ],
  ],
  // string[]
  [
    'string[]',
    'contains',
    'vip',
    [
      [['vip', 'x'], true],
      [['VIP'], false],
      [[], false],
      [null, false],
    ],
  ],
  [
    'string[]',
    'doesNotContain',
    'vip',
    [
      [['x'], true],
      [[], true],
      [['vip'], false],
    ],
  ],
  [
    'string[]',
    'containsAny',
    ['a', 'b'],
    [
      [['b', 'c'], true],
      [['c'], false],
      [[], false],
      [null, false],
    ],
  ],
  [
    'string[]',
    'containsAll',
    ['a', 'b'],
    [
      [['b', 'c', 'a'], true],
      [['a'], false],
      [null, false],
    ],
  ],
  [
    'string[]',
    'isEmpty',
    true,
    [
      [[], true],
      [null, true],
      [['a'], false],
    ],
  ],
  [
    'string[]',
    'isNotEmpty',
    true,
    [
      [['a'], true],
      [[], false],
    ],
  ],
  // id
  [
    'id',
    'equal',
    5,
    [
      [5, true],
      [6, false],
    ],
  ],
  [
    'id',
    'notEqual',
    5,
    [
      [6, true],
      [5, false],
    ],
  ],
  [
    'id',
    'in',
    [5, 6],
    [
      [6, true],
      [7, false],
    ],
  ],
  [
    'id',
    'notIn',
    [5, 6],
    [
      [7, true],
      [5, false],
    ],
  ],
  // id|null
  [
    'id|null',
    'equal',
    null,
    [
      [null, true],
      [5, false],
    ],
  ],
  [
    'id|null',
    'equal',
    5,
    [
      [5, true],
      [null, false],
    ],
  ],
  [
    'id|null',
    'notEqual',
    null,
    [
      [5, true],
      [null, false],
    ],
  ],
  [
    'id|null',
    'in',
    [5, null],
    [
      [null, true],
      [5, true],
      [6, false],
    ],
  ],
  [
    'id|null',
    'notIn',
    [5, null],
    [
      [6, true],
      [null, false],
    ],
  ],
  [
    'id|null',
    'isEmpty',
    true,
    [
      [null, true],
      [5, false],
    ],
  ],
  [
    'id|null',
    'isNotEmpty',
    true,
    [
      [5, true],
      [null, false],
    ],
  ],
  // unknown (custom fields: coerced to the operand's type)
  [
    'unknown',
    'equal',
    'gold',
    [
      ['gold', true],
      ['Gold', false],
      [null, false],
    ],
  ],
  [
    'unknown',
    'equal',
    42,
    [
      ['42', true],
      [42, true],
      [' 42 ', true],
      ['42x', false],
      ['', false],
      [null, false],
    ],
  ],
  [
    'unknown',
    'equal',
    true,
    [
      ['true', true],
      [true, true],
      [' TRUE ', true],
      ['yes', false],
      [1, false],
    ],
  ],
  [
    'unknown',
    'notEqual',
    'gold',
    [
      ['silver', true],
      ['gold', false],
    ],
  ],
  [
    'unknown',
    'in',
    [1, 2],
    [
      ['2', true],
      [3, false],
    ],
  ],
  [
    'unknown',
    'in',
    ['1', 'b'],
    [
      [1, true],
      ['c', false],
    ],
  ],
  [
    'unknown',
    'notIn',
    ['a'],
    [
      ['b', true],
      ['a', false],
    ],
  ],
  [
    'unknown',
    'lessThan',
    10,
    [
      ['9.5', true],
      [10, false],
      ['abc', false],
      [null, false],
    ],
  ],
  [
    'unknown',
    'lessThanInclusive',
    10,
    [
      ['10', true],
      ['10.01', false],
    ],
  ],
  [
    'unknown',
    'greaterThan',
    10,
    [
      ['11', true],
      ['', false],
      [true, false],
    ],
  ],
  [
    'unknown',
    'greaterThanInclusive',
    10,
    [
      [10, true],
      [9, false],
    ],
  ],
  [
    'unknown',
    'textContains',
    '23',
    [
      [1234, true],
      ['x', false],
      [{ a: 23 }, false],
    ],
  ],
  [
    'unknown',
    'textNotContains',
    'acme',
    [
      ['x', true],
      ['ACME', false],
    ],
  ],
  [
    'unknown',
    'startsWith',
    'ACME-',
    [
      ['acme-17', true],
      ['x-acme-', false],
    ],
  ],
  [
    'unknown',
    'matchesRegex',
    '^\\d{3}$',
    [
      [123, true],
      ['1234', false],
    ],
  ],
  [
    'unknown',
    'isEmpty',
    true,
    [
      [null, true],
      ['', true],
      [[], true],
      [{}, true],
      [0, false],
      [false, false],
    ],
  ],
  [
    'unknown',
    'isNotEmpty',
    true,
    [
      ['x', true],
      [undefined, false],
    ],
  ],
];

describe('every operator on every type it allows', () => {
  it('the cases cover exactly the operator × type table', () => {
    const covered = new Set(CASES.map(([type, op]) => `${type} ${op}`));
    const table = VALUE_TYPES.flatMap((type) => Object.keys(OPERATOR_TABLE[type]).map((op) => `${type} ${op}`));
    expect([...covered].sort()).toEqual([...table].sort());
  });

  it.each(CASES)('%s %s %j', async (type, operator, value, checks) => {
    const factType = typeOf(type);
    const spec = valueSpecFor(factType, operator);
    expect(spec).toBeDefined();
    // The operand of each case is one that validation accepts.
    expect(checkValue(spec!, value, factType)).toEqual([]);
    for (const [factValue, expected] of checks) {
      expect(await holds(factType, operator, value, factValue, TEHRAN), `${JSON.stringify(factValue)}`).toBe(expected);
    }
  });
});

describe('the table refuses what it does not list', () => {
  it.each([
    ['enum', 'greaterThan'],
    ['text', 'equal'],
    ['text', 'in'],
    ['boolean', 'in'],
    ['boolean', 'isEmpty'],
    ['string[]', 'equal'],
    ['string[]', 'textContains'],
    ['id', 'isEmpty'],
    ['id', 'lessThan'],
    ['datetime', 'equal'],
    ['number', 'textContains'],
    ['string', 'contains'],
    ['enum', 'inBusinessHours'],
  ] as [ValueType, OperatorName][])('%s × %s', (type, op) => {
    expect(valueSpecFor(typeOf(type), op)).toBeUndefined();
  });
});

describe('Persian / Unicode normalisation', () => {
  it.each([
    ['ي', 'ی'], // Arabic yeh → Farsi yeh
    ['ى', 'ی'], // alef maksura → Farsi yeh
    ['ك', 'ک'], // Arabic kaf → keheh
    ['علي', 'علی'],
    ['ﻛﺘﺎﺏ', 'کتاب'], // presentation forms → NFKC → letters → Persian kaf
    ['۱۲۳ و ٤٥٦', '123 و 456'],
    ['ＡＢＣ Refund', 'abc refund'], // full-width + case
    ['ﬁle', 'file'], // ligature
  ])('%s → %s', (input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });

  it('textContains matches either spelling in both directions', async () => {
    const text: FactType = { kind: 'text' };
    expect(await holds(text, 'textContains', 'کیک', 'يك كيك بزرگ')).toBe(true);
    expect(await holds(text, 'textContains', 'كيك', 'یک کیک بزرگ')).toBe(true);
    expect(await holds(text, 'textContains', 'سفارش 123', 'سفارش ۱۲۳ رسید')).toBe(true);
    expect(await holds(text, 'textNotContains', 'كيك', 'یک کیک')).toBe(false);
    expect(await holds(text, 'startsWith', 'يك', 'یک کیک')).toBe(true);
  });
});

describe('regular expressions (RE2)', () => {
  it('a catastrophic-backtracking pattern on a 100k input finishes fast and answers correctly', async () => {
    const text: FactType = { kind: 'text' };
    const input = `${'a'.repeat(100_000 - 1)}!`;
    const started = performance.now();
    expect(await holds(text, 'matchesRegex', '(a+)+$', input)).toBe(false);
    expect(await holds(text, 'matchesRegex', '(a+)+$', 'a'.repeat(100_000))).toBe(true);
    expect(await holds(text, 'matchesRegex', '^(a|aa)+$', `${'a'.repeat(99_999)}b`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('inputs are cut at 100,000 characters', () => {
    const regex = { pattern: 'b', flags: '' };
    expect(regexTest(regex, `${'a'.repeat(99_999)}b`)).toBe(true);
    expect(regexTest(regex, `${'a'.repeat(100_000)}b`)).toBe(false);
  });

  it('flags: i ignores case, u is implied', () => {
    expect(regexTest({ pattern: 'ÉTÉ', flags: 'i' }, 'un été')).toBe(true);
    expect(regexTest({ pattern: 'ÉTÉ', flags: '' }, 'un été')).toBe(false);
    expect(regexTest({ pattern: '^\\p{L}+$', flags: 'u' }, 'سلام')).toBe(true);
  });

  it.each([
    ['(?=x)', '', 'invalid perl operator'],
    ['(?<!x)y', '', 'invalid perl operator'],
    ['(a)\\1', '', 'invalid escape sequence'],
    ['[a-', '', 'missing ]'],
    ['a{2,1}', '', 'invalid repetition size'],
    ['((a{100}){100}){100}', '', 'invalid repetition size: {100}'], // program too large
    ['x', 'g', 'only "i" and "u"'],
    ['x', 'ii', 'only "i" and "u"'],
    ['', '', 'must not be empty'],
    ['a'.repeat(501), '', 'at most 500'],
  ])('refused at save time: /%s/%s', (pattern, flags, fragment) => {
    expect(regexError(pattern, flags)).toContain(fragment);
  });

  it.each([
    ['a/b', ''],
    ['(?P<name>x)', 'iu'],
    ['a'.repeat(500), 'ui'],
  ])('accepted: /%s/%s', (pattern, flags) => {
    expect(regexError(pattern, flags)).toBeNull();
  });

  it('compiled patterns are cached once and the cache is bounded', () => {
    clearRegexCache();
    expect(regexCacheSize()).toBe(0);
    regexTest({ pattern: 'x+', flags: '' }, 'xx');
    regexTest({ pattern: 'x+', flags: 'u' }, 'xx'); // same compiled pattern ("u" is implied)
    expect(regexCacheSize()).toBe(1);
    regexTest({ pattern: 'x+', flags: 'i' }, 'XX');
    expect(regexCacheSize()).toBe(2);
    for (let i = 0; i < REGEX_CACHE_LIMIT + 10; i++) regexTest({ pattern: `p${i}`, flags: '' }, `p${i}`);
    expect(regexCacheSize()).toBe(REGEX_CACHE_LIMIT);
    // An evicted (freed) pattern is compiled again on use.
    expect(regexTest({ pattern: 'x+', flags: '' }, 'axxb')).toBe(true);
    expect(regexTest({ pattern: 'p0', flags: '' }, 'q')).toBe(false);
  });
});

describe('custom-field coercion', () => {
  it.each([
    ['equal', 'x', 'string'],
    ['equal', 1, 'number'],
    ['equal', false, 'boolean'],
    ['in', [1], 'number'],
    ['notIn', ['a'], 'string'],
    ['greaterThan', 1, 'number'],
    ['textContains', 'a', 'string'],
    ['matchesRegex', 'a', 'string'],
    ['isEmpty', true, 'raw'],
  ] as const)('%s %j → %s', (op, value, expected) => {
    expect(coercionFor(op, value)).toBe(expected);
  });

  it.each([
    [' 4.5 ', 'number', 4.5],
    ['1e3', 'number', 1000],
    ['abc', 'number', null],
    [Number.NaN, 'number', null],
    [true, 'number', null],
    [12, 'string', '12'],
    [false, 'string', 'false'],
    [{ a: 1 }, 'string', null],
    [undefined, 'string', null],
    ['False', 'boolean', false],
    [0, 'boolean', null],
    [[1], 'raw', [1]],
  ] as const)('coerce(%j, %s) = %j', (raw, to, expected) => {
    expect(coerce(raw, to)).toEqual(expected);
  });
});
