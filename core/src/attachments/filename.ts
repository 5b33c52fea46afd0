// File names from uploads are the client's to choose, so they are normalised before they are
// stored or shown: no path, no control or invisible formatting characters (a NUL, a line break,
// a right-to-left override that makes "gnp.exe" read as "exe.png"), no characters file systems
// refuse, no leading dot, and a bounded length that keeps the extension.

/** Longest stored name, in characters (the column holds 255). */
export const MAX_FILENAME_LENGTH = 200;
const FALLBACK = 'attachment';

// Cc: controls (NUL, CR, LF…); Cf: format characters (bidi overrides and isolates, zero-width
// characters, BOM); Cs: lone surrogates (PostgreSQL cannot store them).
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu;
const UNSAFE = /[<>:"|?*]/g;
const SPACES = /[\s\p{Z}]+/gu;
const EXTENSION = /\.[^.\s]{1,16}$/u;

const trimEnds = (s: string) => s.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '');

/** The name to store for a client-given file name; never empty, idempotent. */
export function normaliseFilename(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const cleaned = trimEnds(base.normalize('NFC').replace(INVISIBLE, '').replace(UNSAFE, '_').replace(SPACES, ' '));
  if (!cleaned) return FALLBACK;
  const chars = [...cleaned];
  if (chars.length <= MAX_FILENAME_LENGTH) return cleaned;
  const ext = EXTENSION.exec(cleaned)?.[0] ?? '';
  const stem = trimEnds(chars.slice(0, MAX_FILENAME_LENGTH - ext.length).join(''));
  return `${stem || FALLBACK}${ext}`;
}
