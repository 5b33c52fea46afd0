// Text comparison for textContains / textNotContains / startsWith: case-insensitive and
// spelling-tolerant for Persian text typed on Arabic keyboards.

/**
 * Arabic code points that Persian text often carries instead of the Persian ones, plus
 * Arabic-Indic and Persian digits (so "سفارش ۱۲۳" contains "123").
 */
const FOLD: Readonly<Record<string, string>> = {
  '\u064A': '\u06CC', // ي ARABIC YEH → ی FARSI YEH
  '\u0649': '\u06CC', // ى ALEF MAKSURA → ی FARSI YEH
  '\u0643': '\u06A9', // ك ARABIC KAF → ک KEHEH
  ...Object.fromEntries(
    Array.from({ length: 10 }, (_, d) => [
      [String.fromCharCode(0x0660 + d), String(d)], // ٠..٩ Arabic-Indic
      [String.fromCharCode(0x06f0 + d), String(d)], // ۰..۹ Extended Arabic-Indic (Persian)
    ]).flat(),
  ),
};
const FOLD_RE = new RegExp(`[${Object.keys(FOLD).join('')}]`, 'gu');

/**
 * Unicode NFKC (folds compatibility forms: Arabic presentation forms, full-width Latin,
 * ligatures), then lower case (locale-independent), then the Persian/Arabic folding above.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(FOLD_RE, (c) => FOLD[c] ?? c);
}
