// Article slugs: what follows /kb/<lang>/ in an address. Persian titles keep their Persian
// letters (browsers show them decoded), so a slug is lower-case letters and digits of any script
// in runs joined by single hyphens. No library keeps Persian letters (slugify, limax and
// @sindresorhus/slugify all transliterate to ASCII), hence this small function.

export const SLUG_MAX = 200;

/** Persian forms of the Arabic letters a keyboard may type (yeh, kaf, teh marbuta stays). */
const ARABIC_TO_PERSIAN: Record<string, string> = { '\u064a': '\u06cc', '\u0649': '\u06cc', '\u0643': '\u06a9' };

const RUN = /[\p{L}\p{N}]+/gu;
const SLUG = /^[\p{Ll}\p{Lo}\p{Lm}\p{N}]+(?:-[\p{Ll}\p{Lo}\p{Lm}\p{N}]+)*$/u;

/** A slug from a title: NFKC, lower case, marks dropped, punctuation, spaces and ZWNJ → '-'. */
export function slugify(title: string): string {
  const runs =
    title
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .normalize('NFKC')
      // ZWNJ separates the parts of a Persian word (فراموش‌شده): a hyphen in the slug.
      .replace(/\u200c/g, ' ')
      .replace(/[\u200d\u200e\u200f\u00ad]/g, '')
      .replace(/[\u064a\u0649\u0643]/g, (c) => ARABIC_TO_PERSIAN[c] ?? c)
      .toLowerCase()
      .match(RUN) ?? [];
  let slug = '';
  for (const run of runs) {
    const next = slug ? `${slug}-${run}` : run;
    if (next.length > SLUG_MAX) break;
    slug = next;
  }
  return slug || (runs[0] ?? '').slice(0, SLUG_MAX);
}

/** Is this a well-formed slug (as slugify makes them; what editors may type themselves)? */
export function isSlug(value: string): boolean {
  return value.length > 0 && value.length <= SLUG_MAX && SLUG.test(value) && value === value.normalize('NFKC');
}

/** `base`, or `base-2`, `base-3`… : the first candidate `taken` says is free, within SLUG_MAX. */
export async function freeSlug(base: string, taken: (candidate: string) => Promise<boolean>): Promise<string> {
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const candidate = `${base.slice(0, SLUG_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!(await taken(candidate))) return candidate;
  }
}
