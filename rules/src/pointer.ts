// RFC 6901 JSON pointers: how validation errors, condition results and id references name a
// place in the submitted rule document.

export type PathSegment = string | number;

/** Escapes one reference token (`~` → `~0`, `/` → `~1`). */
export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `['conditions', 'all', 0]` → `/conditions/all/0`; `[]` → `''` (the whole document). */
export function toPointer(path: readonly PathSegment[]): string {
  return path.map((segment) => `/${escapeToken(String(segment))}`).join('');
}

const INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Document order: token by token, array indexes numerically (`/actions/2` before `/actions/10`),
 * other tokens by code unit; a pointer sorts before the pointers below it.
 */
export function comparePointers(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 1; i < Math.min(as.length, bs.length); i++) {
    const x = as[i]!;
    const y = bs[i]!;
    if (x === y) continue;
    if (INDEX.test(x) && INDEX.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return as.length - bs.length;
}
