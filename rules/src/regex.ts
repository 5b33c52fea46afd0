/**
 * `matchesRegex` runs on RE2 (re2-wasm): automata-based, linear in the input, no backtracking,
 * so an admin's pattern can never hang a worker (`(a+)+$` on 100k characters is as fast as
 * `a$`). RE2 has no look-around and no back-references; such patterns are refused when the
 * rule is saved (validateRule calls {@link regexError}), never at evaluation time.
 *
 * Compiled patterns are cached (compiled once, reused by every evaluation). re2-wasm runs in a
 * fixed 16 MiB WASM heap and never frees a compiled pattern by itself, so the cache is a bounded
 * LRU that frees what it evicts. Evaluation code never keeps a compiled RE2 object: it asks the
 * cache at each (synchronous) test, so an evicted pattern can never be used after being freed.
 *
 * Compiling is not linear, though: RE2 expands a counted repetition into that many copies and a
 * Unicode class into hundreds of UTF-8 instructions, and re2-wasm does it on the caller's thread
 * (`\pL{1000}` took ~0.5 s here and ran the 16 MiB heap out of memory; `.{1000}.{1000}` ~0.2 s),
 * and the first match on a long input builds the DFA, which grows with the program. So before
 * anything is compiled, {@link regexCost} estimates the program from the pattern's text and
 * patterns above {@link REGEX_MAX_COST} are refused (at save time, and again before any compile).
 */
import { RE2 } from 're2-wasm';

export const REGEX_MAX_PATTERN_LENGTH = 500;
/** Longer inputs are cut to this many UTF-16 code units before matching. */
export const REGEX_MAX_INPUT_LENGTH = 100_000;
/** How many compiled patterns stay cached. */
export const REGEX_CACHE_LIMIT = 128;
/** Most total regexCost cached: ~7 MiB of the 16 MiB heap even if every pattern were `\p{L}`-heavy. */
export const REGEX_CACHE_COST_LIMIT = 400_000;
/**
 * Most {@link regexCost} a pattern may have. A unit is roughly a microsecond of compile time (or
 * of the first match on a REGEX_MAX_INPUT_LENGTH input, whichever is worse) on a busy 2-core
 * machine: every pattern of up to 500 plain characters fits, as do `\p{L}{2}`, `\w{130}`, `.{66}`.
 */
export const REGEX_MAX_COST = 20_000;

/** A pattern plus its flags: any combination of `i` (ignore case) and `u` (always on in RE2). */
export interface RegexValue {
  pattern: string;
  flags: string;
}

const cache = new Map<string, { re: RE2; cost: number }>();
/** Sum of the cached patterns' regexCost, which is roughly proportional to their WASM memory. */
let cachedCost = 0;

/** Flags as RE2 needs them: `u` is mandatory for re2-wasm; only `i` changes matching. */
function canonicalFlags(flags: string): 'iu' | 'u' {
  return flags.includes('i') ? 'iu' : 'u';
}

/** Human-readable problem with `flags`, or null when they are a subset of `iu` without repeats. */
export function flagsError(flags: string): string | null {
  if (!/^[iu]*$/.test(flags) || new Set(flags).size !== flags.length) {
    return `invalid regular expression flags ${JSON.stringify(flags)}: only "i" and "u", each at most once`;
  }
  return null;
}

/** Human-readable problem with the pattern/flags (length, flags, RE2 syntax), or null if usable. */
export function regexError(pattern: string, flags: string): string | null {
  if (pattern.length === 0) return 'regular expression must not be empty';
  if (pattern.length > REGEX_MAX_PATTERN_LENGTH) {
    return `regular expression is ${pattern.length} characters long; at most ${REGEX_MAX_PATTERN_LENGTH} are allowed`;
  }
  const badFlags = flagsError(flags);
  if (badFlags !== null) return badFlags;
  const tooComplex = costError(regexCost(pattern));
  if (tooComplex !== null) return tooComplex;
  try {
    try {
      compiled(pattern, flags);
    } catch (e) {
      if (e instanceof SyntaxError) throw e;
      // The WASM heap ran out (cached patterns fill it): free them and try once more, as regexTest does.
      clearRegexCache();
      compiled(pattern, flags);
    }
    return null;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // re2-wasm says "Invalid regular expression: /<pattern with / escaped>/<flags>: <RE2 error>";
    // keep only the RE2 part (the pattern is the admin's own input).
    const escaped = pattern.replace(/(^|[^\\])((?:\\\\)*)\//g, '$1$2\\/');
    const prefix = `Invalid regular expression: /${escaped}/${canonicalFlags(flags)}: `;
    const reason = message.startsWith(prefix) ? message.slice(prefix.length) : message;
    return `invalid regular expression (RE2 syntax: no look-around, no back-references): ${reason}`;
  }
}

/** Whether `input` (truncated to REGEX_MAX_INPUT_LENGTH) contains a match. Throws only for patterns regexError rejects. */
export function regexTest(regex: RegexValue, input: string): boolean {
  const text = truncate(input);
  try {
    return compiled(regex.pattern, regex.flags).test(text);
  } catch (e) {
    if (e instanceof SyntaxError) throw e;
    // Anything else is the WASM heap running out: free every cached pattern and retry once.
    clearRegexCache();
    return compiled(regex.pattern, regex.flags).test(text);
  }
}

/** Number of compiled patterns currently cached (for tests and metrics). */
export function regexCacheSize(): number {
  return cache.size;
}

/** Frees every cached pattern. */
export function clearRegexCache(): void {
  for (const { re } of cache.values()) free(re);
  cache.clear();
  cachedCost = 0;
}

function compiled(pattern: string, flags: string): RE2 {
  const key = `${canonicalFlags(flags)}/${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Map iteration order is insertion order: re-inserting marks the entry most recently used.
    cache.delete(key);
    cache.set(key, hit);
    return hit.re;
  }
  // Also here, not only at save time: a definition stored before the limit existed must not
  // stall whoever evaluates it.
  const estimate = regexCost(pattern);
  const tooComplex = costError(estimate);
  if (tooComplex !== null) throw new SyntaxError(tooComplex);
  const re = new RE2(pattern, canonicalFlags(flags));
  cache.set(key, { re, cost: estimate.cost });
  cachedCost += estimate.cost;
  while (cache.size > REGEX_CACHE_LIMIT || (cachedCost > REGEX_CACHE_COST_LIMIT && cache.size > 1)) {
    const [oldestKey, oldest] = cache.entries().next().value!;
    cache.delete(oldestKey);
    cachedCost -= oldest.cost;
    free(oldest.re);
  }
  return re;
}

/** Releases the WASM memory of a compiled pattern (re2-wasm 1.0.2 keeps it in `wrapper`, an embind handle). */
function free(re: RE2): void {
  const wrapper = (re as unknown as { wrapper?: { delete?: () => void } }).wrapper;
  wrapper?.delete?.();
}

function truncate(input: string): string {
  if (input.length <= REGEX_MAX_INPUT_LENGTH) return input;
  const cut = input.slice(0, REGEX_MAX_INPUT_LENGTH);
  // Do not leave half of a surrogate pair at the end.
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** RE2 refuses, while parsing and so quickly, a counted repetition above this, alone or multiplied through nesting. */
const RE2_MAX_REPEAT = 1000;

/**
 * Cost of one copy of an atom, in REGEX_MAX_COST units, measured with re2-wasm 1.0.2 (compile, and
 * the first match on 100,000 characters chosen to make the DFA grow, on a shared 2-core machine).
 */
const COST = {
  /** A character (ASCII or not, case-folded or not), an anchor, the bookkeeping of a group, `|` or `*`. */
  literal: 40,
  /** An ASCII-only class: `\d`, `\w`, `\s`, `[a-z0-9_]`, `[[:alpha:]]`. */
  asciiClass: 150,
  /** Any character, or a class reaching beyond ASCII: `.`, `\C`, `\D`, `\W`, `\S`, `[^x]`, `[آ-ی]`. */
  wideClass: 300,
  /** A Unicode property missing from PROPERTY_COST (every other script compiles in under 0.5 ms). */
  property: 500,
};

/** The large Unicode properties (general categories and scripts), about µs per compiled copy. */
const PROPERTY_COST: Readonly<Record<string, number>> = {
  L: 10_000,
  Lo: 7_500,
  Ll: 5_500,
  Lu: 5_500,
  M: 4_200,
  Mn: 4_200,
  S: 3_700,
  Common: 3_200,
  So: 3_200,
  P: 2_400,
  Po: 2_300,
  Mc: 2_200,
  N: 2_000,
  No: 1_400,
  Lm: 1_000,
  Sm: 1_000,
  Arabic: 900,
  Pe: 800,
  Ps: 800,
  Nd: 700,
  Han: 700,
  C: 650,
  Latin: 650,
  Greek: 600,
  Inherited: 600,
};

/** Estimated size of what RE2 would compile, and the largest product of nested repetition counts. */
export interface RegexCost {
  cost: number;
  nesting: number;
}

interface Frame {
  /** Cost of the finished alternatives of this group. */
  alts: number;
  /** Cost of the alternative being read. */
  seq: number;
  /** Cost and repetition nesting of the last atom, which a following `*` or `{n}` repeats. */
  last: number;
  lastNesting: number;
  /** Largest repetition nesting inside the group. */
  nesting: number;
}

const frame = (): Frame => ({ alts: 0, seq: 0, last: 0, lastNesting: 1, nesting: 1 });

/**
 * Estimates, from the text alone and in linear time, what compiling the pattern costs: atoms add
 * up, a counted repetition multiplies what it repeats (RE2 writes out every copy), a Unicode class
 * weighs what its UTF-8 automaton does. It never throws and does not validate: syntax is RE2's job.
 */
export function regexCost(pattern: string): RegexCost {
  const stack: Frame[] = [];
  let f = frame();
  const atom = (cost: number, nesting = 1) => {
    f.seq += cost;
    f.last = cost;
    f.lastNesting = nesting;
    f.nesting = Math.max(f.nesting, nesting);
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = readEscape(pattern, i);
      atom(e.cost);
      i += e.length;
    } else if (c === '.') {
      atom(COST.wideClass);
      i += 1;
    } else if (c === '[') {
      const k = readClass(pattern, i);
      atom(k.cost);
      i += k.length;
    } else if (c === '(') {
      // `(?i)` only sets flags; `(?:`, `(?i:`, `(?P<name>` and `(?<name>` open a group.
      const flagsOnly = /^\(\?[A-Za-z-]*\)/.exec(pattern.slice(i, i + 16));
      if (flagsOnly) {
        i += flagsOnly[0].length;
        continue;
      }
      stack.push(f);
      f = frame();
      i += 1;
      if (pattern[i] === '?') {
        const open = /^\?(?:P?<[^>]*>|[A-Za-z-]*:)/.exec(pattern.slice(i, i + 40));
        i += open ? open[0].length : 1;
      }
    } else if (c === ')' && stack.length > 0) {
      const inner = f.alts + f.seq;
      const nesting = f.nesting;
      f = stack.pop()!;
      atom(inner + COST.literal, nesting);
      i += 1;
    } else if (c === '|') {
      f.alts += f.seq + COST.literal;
      f.seq = 0;
      f.last = 0;
      f.lastNesting = 1;
      i += 1;
    } else if (c === '*' || c === '+' || c === '?') {
      f.seq += COST.literal;
      f.last += COST.literal;
      i += pattern[i + 1] === '?' ? 2 : 1;
    } else if (c === '{' && /^\{\d+(?:,\d*)?\}/.test(pattern.slice(i, i + 24))) {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(pattern.slice(i, i + 24))!;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
      // x{n,} is n copies and a star; x{n,m}, m copies (the last m-n optional).
      const copies = max < 0 ? min + 1 : Math.max(min, max);
      const count = max < 0 ? min : Math.max(min, max);
      f.seq += f.last * (copies - 1);
      f.last *= copies;
      f.lastNesting *= Math.max(count, 1);
      f.nesting = Math.max(f.nesting, f.lastNesting);
      i += m[0].length + (pattern[i + m[0].length] === '?' ? 1 : 0);
    } else {
      atom(COST.literal);
      i += codePointLength(pattern, i);
    }
  }
  // Unclosed groups (RE2 refuses them): fold them into their parents.
  while (stack.length > 0) {
    const inner = f.alts + f.seq;
    const nesting = f.nesting;
    f = stack.pop()!;
    atom(inner, nesting);
  }
  return { cost: f.alts + f.seq, nesting: f.nesting };
}

function costError({ cost, nesting }: RegexCost): string | null {
  // RE2 refuses these while parsing, before compiling anything, with its own precise message.
  if (nesting > RE2_MAX_REPEAT) return null;
  if (cost <= REGEX_MAX_COST) return null;
  return (
    `regular expression is too complex to compile safely (estimated cost ${Math.round(cost)}, at most ${REGEX_MAX_COST}): ` +
    'use smaller counted repetitions ({n}) and fewer Unicode classes (\\p{…}), "." or negated classes inside them'
  );
}

interface Escape {
  length: number;
  cost: number;
  /** Whether, inside a class, it reaches beyond ASCII. */
  wide: boolean;
  /** Cost of a Unicode property it names, else 0. */
  property: number;
}

/** The escape starting at `pattern[i] === '\\'`: RE2's, plus the `\u` forms re2-wasm translates. */
function readEscape(pattern: string, i: number): Escape {
  const c = pattern[i + 1];
  const plain = (length: number, wide = false): Escape => ({ length, cost: COST.literal, wide, property: 0 });
  if (c === undefined) return plain(1);
  if (c === 'p' || c === 'P') {
    const braced = pattern[i + 2] === '{' ? /^\{\^?([^}]*)\}/.exec(pattern.slice(i + 2, i + 80)) : null;
    const name = braced ? braced[1]! : (pattern[i + 2] ?? '');
    const property = Object.hasOwn(PROPERTY_COST, name) ? PROPERTY_COST[name]! : COST.property;
    return { length: 2 + (braced ? braced[0].length : 1), cost: property, wide: false, property };
  }
  if (c === 'd' || c === 'w' || c === 's') return { length: 2, cost: COST.asciiClass, wide: false, property: 0 };
  if (c === 'D' || c === 'W' || c === 'S' || c === 'C') return { length: 2, cost: COST.wideClass, wide: true, property: 0 };
  if (c === 'Q') {
    // Everything up to \E is literal.
    const end = pattern.indexOf('\\E', i + 2);
    const text = pattern.slice(i + 2, end < 0 ? pattern.length : end);
    return { length: 2 + text.length + (end < 0 ? 0 : 2), cost: COST.literal * Math.max(text.length, 1), wide: /[^\0-\x7f]/.test(text), property: 0 };
  }
  if (c === 'x' || c === 'u') {
    const m = /^[xu](?:\{([0-9A-Fa-f]*)\}?|([0-9A-Fa-f]{1,4}))/.exec(pattern.slice(i + 1, i + 16));
    if (!m) return plain(2);
    return plain(1 + m[0].length, parseInt(m[1] || m[2] || '0', 16) > 0x7f);
  }
  if (c === 'c') return plain(pattern[i + 2] === undefined ? 2 : 3);
  const length = 1 + codePointLength(pattern, i + 1);
  return plain(length, c.charCodeAt(0) > 0x7f);
}

/** The bracket class starting at `pattern[i] === '['`. */
function readClass(pattern: string, i: number): { length: number; cost: number } {
  let j = i + 1;
  let wide = false;
  let properties = 0;
  if (pattern[j] === '^') {
    wide = true;
    j += 1;
  }
  if (pattern[j] === ']') j += 1; // a leading ] is a member
  while (j < pattern.length && pattern[j] !== ']') {
    if (pattern.startsWith('[:', j)) {
      const end = pattern.indexOf(':]', j + 2);
      if (end >= 0) {
        if (pattern[j + 2] === '^') wide = true;
        j = end + 2;
        continue;
      }
    }
    if (pattern[j] === '\\') {
      const e = readEscape(pattern, j);
      wide ||= e.wide;
      properties += e.property;
      j += e.length;
      continue;
    }
    if (pattern.charCodeAt(j) > 0x7f) wide = true;
    j += codePointLength(pattern, j);
  }
  return { length: Math.min(j + 1, pattern.length) - i, cost: (wide ? COST.wideClass : COST.asciiClass) + properties };
}

function codePointLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
}
