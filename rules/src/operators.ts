/**
 * Operators: which ones exist, which fact value types each accepts, what its `value` operand
 * must be ({@link OPERATOR_TABLE}, the single source of truth used by validation), and the
 * implementations of the custom ones registered on the json-rules-engine Engine.
 *
 * Every operator is total: a fact value of an unexpected type (null, undefined, a number where
 * text was expected) makes the condition false, never throws. The exceptions are the negative
 * operators that are defined as the complement of a positive one (textNotContains, isNotEmpty).
 */
import { isOpenAt, type CalendarSpec } from '@mehrdesk/core/domain';
import type { Engine } from 'json-rules-engine';
import type { PathSegment } from './pointer';
import { flagsError, regexError, regexTest, type RegexValue } from './regex';
import { normalizeText } from './text';

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

/** Built into json-rules-engine (semantics: === / indexOf / < etc.). */
export const STOCK_OPERATORS = ['equal', 'notEqual', 'in', 'notIn', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive', 'contains', 'doesNotContain'] as const;

/** Registered by {@link registerOperators}. */
export const CUSTOM_OPERATORS = ['containsAny', 'containsAll', 'textContains', 'textNotContains', 'startsWith', 'matchesRegex', 'isEmpty', 'isNotEmpty', 'inBusinessHours'] as const;

export const OPERATOR_NAMES = [...STOCK_OPERATORS, ...CUSTOM_OPERATORS] as const;
export type OperatorName = (typeof OPERATOR_NAMES)[number];
export type CustomOperatorName = (typeof CUSTOM_OPERATORS)[number];

export function isOperatorName(value: unknown): value is OperatorName {
  return typeof value === 'string' && (OPERATOR_NAMES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------
// Value types and the compatibility table
// ---------------------------------------------------------------------------------------

/**
 * What a fact resolves to. `text` is long free text (no equality); `datetime` is epoch ms;
 * `id` a positive integer; `unknown` (custom fields) is compared as a string, number or
 * boolean depending on the operand (see {@link coercionFor}).
 */
export const VALUE_TYPES = ['string', 'text', 'number', 'boolean', 'datetime', 'enum', 'string[]', 'id', 'id|null', 'unknown'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export type FactType = { kind: Exclude<ValueType, 'enum'> } | { kind: 'enum'; values: readonly string[] };

/** What a condition's `value` must be. */
export type ValueSpec =
  | 'string' //          a string (≤ 1000 chars)
  | 'nonEmptyString' //  a string with a non-blank character (≤ 1000 chars)
  | 'stringList' //      non-empty array (≤ 1000) of strings
  | 'number' //          a finite number
  | 'numberList' //      non-empty array of finite numbers
  | 'boolean' //         true or false
  | 'true' //            exactly true (operand-less operators)
  | 'enumValue' //       one of the fact's enum values
  | 'enumList' //        non-empty array of the fact's enum values
  | 'id' //              a positive integer
  | 'idList' //          non-empty array of positive integers
  | 'idOrNull' //        a positive integer or null
  | 'idOrNullList' //    non-empty array of positive integers / null
  | 'epochMs' //         a non-negative integer (epoch milliseconds)
  | 'regex' //           "pattern" or { pattern, flags? } (RE2, ≤ 500 chars, flags ⊆ "iu")
  | 'scalar' //          a string, finite number or boolean
  | 'scalarList'; //     non-empty array of only strings or only numbers

const ORDER = { lessThan: 'number', lessThanInclusive: 'number', greaterThan: 'number', greaterThanInclusive: 'number' } as const;
const EMPTINESS = { isEmpty: 'true', isNotEmpty: 'true' } as const;
const TEXT_SEARCH = {
  textContains: 'nonEmptyString',
  textNotContains: 'nonEmptyString',
  startsWith: 'nonEmptyString',
  matchesRegex: 'regex',
} as const;

/** Operator × fact value type → what the value must be. Absent = not allowed. */
export const OPERATOR_TABLE: { readonly [T in ValueType]: Readonly<Partial<Record<OperatorName, ValueSpec>>> } = {
  string: { equal: 'string', notEqual: 'string', in: 'stringList', notIn: 'stringList', ...TEXT_SEARCH, ...EMPTINESS },
  text: { ...TEXT_SEARCH, ...EMPTINESS },
  number: { equal: 'number', notEqual: 'number', in: 'numberList', notIn: 'numberList', ...ORDER, ...EMPTINESS },
  boolean: { equal: 'boolean', notEqual: 'boolean' },
  datetime: {
    lessThan: 'epochMs',
    lessThanInclusive: 'epochMs',
    greaterThan: 'epochMs',
    greaterThanInclusive: 'epochMs',
    inBusinessHours: 'boolean',
  },
  enum: { equal: 'enumValue', notEqual: 'enumValue', in: 'enumList', notIn: 'enumList' },
  'string[]': {
    contains: 'nonEmptyString',
    doesNotContain: 'nonEmptyString',
    containsAny: 'stringList',
    containsAll: 'stringList',
    ...EMPTINESS,
  },
  id: { equal: 'id', notEqual: 'id', in: 'idList', notIn: 'idList' },
  'id|null': { equal: 'idOrNull', notEqual: 'idOrNull', in: 'idOrNullList', notIn: 'idOrNullList', ...EMPTINESS },
  unknown: {
    equal: 'scalar',
    notEqual: 'scalar',
    in: 'scalarList',
    notIn: 'scalarList',
    ...ORDER,
    ...TEXT_SEARCH,
    ...EMPTINESS,
  },
};

export function allowedOperators(type: FactType): OperatorName[] {
  return Object.keys(OPERATOR_TABLE[type.kind]) as OperatorName[];
}

export function valueSpecFor(type: FactType, operator: OperatorName): ValueSpec | undefined {
  return OPERATOR_TABLE[type.kind][operator];
}

export function describeType(type: FactType): string {
  return type.kind === 'enum' ? `enum: ${type.values.join(', ')}` : type.kind;
}

// ---------------------------------------------------------------------------------------
// Operand checks (used by validateRule)
// ---------------------------------------------------------------------------------------

export const MAX_VALUE_STRING_LENGTH = 1000;
export const MAX_VALUE_LIST_LENGTH = 1000;

/** A problem with a condition's value; `path` is relative to the value (e.g. `[2]` = third element). */
export interface ValueIssue {
  path: PathSegment[];
  message: string;
}

type ScalarCheck = (v: unknown) => string | null;

const isString = (v: unknown): v is string => typeof v === 'string';
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isId = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

const checkString: ScalarCheck = (v) => {
  if (!isString(v)) return 'must be a string';
  if (v.length > MAX_VALUE_STRING_LENGTH) return `must be at most ${MAX_VALUE_STRING_LENGTH} characters`;
  return null;
};
const checkNonEmptyString: ScalarCheck = (v) => checkString(v) ?? ((v as string).trim() === '' ? 'must not be empty' : null);
const checkNumber: ScalarCheck = (v) => (isFiniteNumber(v) ? null : 'must be a number');
const checkBoolean: ScalarCheck = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const checkId: ScalarCheck = (v) => (isId(v) ? null : 'must be an id (a positive integer)');
const checkIdOrNull: ScalarCheck = (v) => (v === null || isId(v) ? null : 'must be an id (a positive integer) or null');
const checkScalar: ScalarCheck = (v) => (isString(v) ? checkString(v) : isFiniteNumber(v) || typeof v === 'boolean' ? null : 'must be a string, number or boolean');
const checkEnum =
  (values: readonly string[]): ScalarCheck =>
  (v) =>
    isString(v) && values.includes(v) ? null : `must be one of: ${values.join(', ')}`;

function checkList(value: unknown, element: ScalarCheck, what: string): ValueIssue[] {
  if (!Array.isArray(value) || value.length === 0) return [{ path: [], message: `must be a non-empty array of ${what}` }];
  if (value.length > MAX_VALUE_LIST_LENGTH) {
    return [{ path: [], message: `must have at most ${MAX_VALUE_LIST_LENGTH} elements (has ${value.length})` }];
  }
  const issues: ValueIssue[] = [];
  value.forEach((item, i) => {
    const problem = element(item);
    if (problem !== null) issues.push({ path: [i], message: problem });
  });
  return issues;
}

function scalar(check: ScalarCheck, value: unknown): ValueIssue[] {
  const problem = check(value);
  return problem === null ? [] : [{ path: [], message: problem }];
}

function checkRegexValue(value: unknown): ValueIssue[] {
  if (isString(value)) {
    const problem = regexError(value, '');
    return problem === null ? [] : [{ path: [], message: problem }];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ path: [], message: 'must be a pattern string or { "pattern": string, "flags"?: "i" | "u" | "iu" }' }];
  }
  const issues: ValueIssue[] = [];
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'pattern' && key !== 'flags') issues.push({ path: [key], message: `unknown property "${key}"` });
  }
  const flags = record.flags ?? '';
  let flagsOk = true;
  if (!isString(flags)) {
    issues.push({ path: ['flags'], message: 'must be a string' });
    flagsOk = false;
  } else if (flagsError(flags) !== null) {
    issues.push({ path: ['flags'], message: flagsError(flags)! });
    flagsOk = false;
  }
  if (!isString(record.pattern)) {
    issues.push({ path: ['pattern'], message: record.pattern === undefined ? 'is required' : 'must be a string' });
  } else {
    const problem = regexError(record.pattern, flagsOk ? (flags as string) : '');
    if (problem !== null) issues.push({ path: ['pattern'], message: problem });
  }
  return issues;
}

function checkScalarList(value: unknown): ValueIssue[] {
  const issues = checkList(value, checkScalar, 'strings or numbers');
  if (issues.length > 0) return issues;
  const list = value as unknown[];
  const kind = typeof list[0];
  if (kind !== 'string' && kind !== 'number') return [{ path: [0], message: 'must be a string or number' }];
  list.forEach((item, i) => {
    if (typeof item !== kind) issues.push({ path: [i], message: `must be a ${kind} like the first element` });
  });
  return issues;
}

/** Problems with `value` as the operand described by `spec` for a fact of `type`. */
export function checkValue(spec: ValueSpec, value: unknown, type: FactType): ValueIssue[] {
  const enumValues = type.kind === 'enum' ? type.values : [];
  switch (spec) {
    case 'string':
      return scalar(checkString, value);
    case 'nonEmptyString':
      return scalar(checkNonEmptyString, value);
    case 'stringList':
      return checkList(value, checkString, 'strings');
    case 'number':
      return scalar(checkNumber, value);
    case 'numberList':
      return checkList(value, checkNumber, 'numbers');
    case 'boolean':
      return scalar(checkBoolean, value);
    case 'true':
      return value === true ? [] : [{ path: [], message: 'must be true (this operator takes no operand)' }];
    case 'enumValue':
      return scalar(checkEnum(enumValues), value);
    case 'enumList':
      return checkList(value, checkEnum(enumValues), `values from: ${enumValues.join(', ')}`);
    case 'id':
      return scalar(checkId, value);
    case 'idList':
      return checkList(value, checkId, 'ids');
    case 'idOrNull':
      return scalar(checkIdOrNull, value);
    case 'idOrNullList':
      return checkList(value, checkIdOrNull, 'ids or null');
    case 'epochMs':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? [] : [{ path: [], message: 'must be a time in epoch milliseconds (a non-negative integer)' }];
    case 'regex':
      return checkRegexValue(value);
    case 'scalar':
      return scalar(checkScalar, value);
    case 'scalarList':
      return checkScalarList(value);
  }
}

/** The operand as the engine gets it: regexes become `{ pattern, flags }`; everything else is unchanged. */
export function engineValue(operator: OperatorName, value: unknown): unknown {
  if (operator !== 'matchesRegex') return value;
  if (typeof value === 'string') return { pattern: value, flags: '' } satisfies RegexValue;
  const { pattern, flags } = value as { pattern: string; flags?: string };
  return { pattern, flags: flags ?? '' } satisfies RegexValue;
}

// ---------------------------------------------------------------------------------------
// Coercion of `unknown` facts (custom fields)
// ---------------------------------------------------------------------------------------

export type Coercion = 'string' | 'number' | 'boolean' | 'raw';

/**
 * How an `unknown` fact value is converted before the operator sees it: to the operand's type
 * for equal/notEqual/in/notIn, to a number for ordering, to a string for text operators,
 * unchanged for isEmpty/isNotEmpty. A value that does not convert becomes null.
 */
export function coercionFor(operator: OperatorName, value: unknown): Coercion {
  switch (operator) {
    case 'equal':
    case 'notEqual':
      return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
    case 'in':
    case 'notIn':
      return Array.isArray(value) && typeof value[0] === 'number' ? 'number' : 'string';
    case 'lessThan':
    case 'lessThanInclusive':
    case 'greaterThan':
    case 'greaterThanInclusive':
      return 'number';
    case 'isEmpty':
    case 'isNotEmpty':
      return 'raw';
    default:
      return 'string';
  }
}

/**
 * string: strings as is, numbers/booleans via String(), anything else null.
 * number: finite numbers as is, numeric strings ("42", " 4.5 ") parsed, anything else null.
 * boolean: booleans as is, "true"/"false" (any case, trimmed), anything else null.
 */
export function coerce(raw: unknown, to: Coercion): unknown {
  switch (to) {
    case 'raw':
      return raw;
    case 'string':
      return typeof raw === 'string' ? raw : isFiniteNumber(raw) || typeof raw === 'boolean' ? String(raw) : null;
    case 'number': {
      if (isFiniteNumber(raw)) return raw;
      if (typeof raw !== 'string' || raw.trim() === '') return null;
      const n = Number(raw.trim());
      return Number.isFinite(n) ? n : null;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
      return s === 'true' ? true : s === 'false' ? false : null;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Custom operator implementations
// ---------------------------------------------------------------------------------------

/** Empty: null, undefined, a blank string, an empty array or an empty plain object. */
export function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function textContains(fact: unknown, needle: unknown): boolean {
  return typeof fact === 'string' && typeof needle === 'string' && normalizeText(fact).includes(normalizeText(needle));
}

const stringArray = (v: unknown): v is string[] => Array.isArray(v);

const inBusinessHours = (calendar: CalendarSpec, fact: unknown, value: unknown): boolean => isFiniteNumber(fact) && typeof value === 'boolean' && isOpenAt(calendar, fact) === value;

type OperatorFn = (fact: unknown, value: unknown) => boolean;

/** Every custom operator but inBusinessHours: none depends on the evaluation context. */
const CONTEXT_FREE_OPERATORS: Record<Exclude<CustomOperatorName, 'inBusinessHours'>, OperatorFn> = {
  containsAny: (fact, value) => stringArray(fact) && stringArray(value) && value.some((v) => fact.includes(v)),
  containsAll: (fact, value) => stringArray(fact) && stringArray(value) && value.every((v) => fact.includes(v)),
  textContains,
  // The complement of textContains: absent text (null/undefined) does not contain anything.
  textNotContains: (fact, value) => !textContains(fact, value),
  startsWith: (fact, value) => typeof fact === 'string' && typeof value === 'string' && normalizeText(fact).startsWith(normalizeText(value)),
  matchesRegex: (fact, value) => typeof fact === 'string' && regexTest(value as RegexValue, fact),
  isEmpty: (fact) => isEmptyValue(fact),
  isNotEmpty: (fact) => !isEmptyValue(fact),
};

/**
 * The custom operators; `calendar` is the evaluation context's business-hours calendar (for
 * inBusinessHours).
 */
export function customOperators(calendar: CalendarSpec): Record<CustomOperatorName, OperatorFn> {
  return { ...CONTEXT_FREE_OPERATORS, inBusinessHours: (fact, value) => inBusinessHours(calendar, fact, value) };
}

/** Adds the custom operators, bound to one context's calendar, to a json-rules-engine Engine. */
export function registerOperators(engine: Engine, calendar: CalendarSpec): void {
  for (const [name, evaluate] of Object.entries(customOperators(calendar))) {
    engine.addOperator<unknown, unknown>(name, evaluate);
  }
}

/** What inBusinessHours receives on a shared Engine: the condition's value and the evaluation's calendar. */
export interface BusinessHoursOperand {
  calendar: CalendarSpec;
  expected: unknown;
}

const isBusinessHoursOperand = (v: unknown): v is BusinessHoursOperand => typeof v === 'object' && v !== null && 'calendar' in v && 'expected' in v;

/**
 * Adds the custom operators to an Engine shared by evaluations of different contexts (one per
 * compiled rule set, see ./evaluate): nothing closes over a context, and inBusinessHours takes
 * its calendar from the operand ({@link BusinessHoursOperand}), which the evaluation supplies
 * as a fact.
 */
export function registerSharedOperators(engine: Engine): void {
  for (const [name, evaluate] of Object.entries(CONTEXT_FREE_OPERATORS)) engine.addOperator<unknown, unknown>(name, evaluate);
  engine.addOperator<unknown, unknown>('inBusinessHours', (fact, operand) => isBusinessHoursOperand(operand) && inBusinessHours(operand.calendar, fact, operand.expected));
}
