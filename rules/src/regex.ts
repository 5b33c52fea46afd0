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
 */
import { RE2 } from 're2-wasm';

export const REGEX_MAX_PATTERN_LENGTH = 500;
/** Longer inputs are cut to this many UTF-16 code units before matching. */
export const REGEX_MAX_INPUT_LENGTH = 100_000;
/** How many compiled patterns stay cached. */
export const REGEX_CACHE_LIMIT = 128;

/** A pattern plus its flags: any combination of `i` (ignore case) and `u` (always on in RE2). */
export interface RegexValue {
  pattern: string;
  flags: string;
}

const cache = new Map<string, RE2>();

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
  try {
    compiled(pattern, flags);
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
  for (const re of cache.values()) free(re);
  cache.clear();
}

function compiled(pattern: string, flags: string): RE2 {
  const key = `${canonicalFlags(flags)}/${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Map iteration order is insertion order: re-inserting marks the entry most recently used.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const re = new RE2(pattern, canonicalFlags(flags));
  cache.set(key, re);
  while (cache.size > REGEX_CACHE_LIMIT) {
    const [oldestKey, oldest] = cache.entries().next().value!;
    cache.delete(oldestKey);
    free(oldest);
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
