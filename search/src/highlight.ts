import { normalizeSearchText } from './normalize';

// Highlighted snippets are built by the backends with two control characters around each match
// (they cannot occur in indexed text: normalize.ts turns control characters into spaces). Only
// here do they become markup, after the text itself has been escaped.

export const MARK_START = '\u0002';
export const MARK_END = '\u0003';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Escaped text with `<mark>` around the marked parts; unbalanced markers are dropped. */
export function markedToHtml(marked: string): string {
  let out = '';
  let open = false;
  for (const part of marked.split(/([\u0002\u0003])/)) {
    if (part === MARK_START) {
      if (!open) out += '<mark>';
      open = true;
    } else if (part === MARK_END) {
      if (open) out += '</mark>';
      open = false;
    } else out += escapeHtml(part);
  }
  return open ? `${out}</mark>` : out;
}

/** True when the snippet highlights anything (a snippet without a match is not worth showing). */
export const hasMark = (marked: string) => marked.includes(MARK_START);

/**
 * The original text (as the user wrote it: letters, digits and ZWNJ unfolded) with `<mark>`
 * around each word whose normal form the backend marked in the normalised text.
 */
export function markOriginal(original: string, markedNormal: string): string {
  const marked = new Set<string>();
  for (const m of markedNormal.matchAll(/\u0002([^\u0003]*)\u0003/g)) for (const w of m[1]!.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (w) marked.add(w);
  if (marked.size === 0) return escapeHtml(original);
  return original
    .split(/([\p{L}\p{N}\p{M}\u200c]+)/u)
    .map((part, i) => {
      const hit =
        i % 2 === 1 &&
        normalizeSearchText(part)
          .toLowerCase()
          .split(/[^\p{L}\p{N}]+/u)
          .some((w) => marked.has(w));
      return hit ? `<mark>${escapeHtml(part)}</mark>` : escapeHtml(part);
    })
    .join('');
}
