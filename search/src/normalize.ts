// One text normalisation for indexing and querying, whatever the backend: Persian and Arabic
// spellings of the same letter, digits in three scripts, diacritics, zero-width characters and
// case all fold to one form, so a query matches however either side was typed.

/** Letters Arabic keyboards (and old Windows code pages) produce for their Persian forms. */
const LETTERS: Readonly<Record<string, string>> = {
  '\u064a': '\u06cc', // ي Arabic yeh → ی
  '\u0649': '\u06cc', // ى alef maksura → ی
  '\u06d2': '\u06cc', // ے yeh barree → ی
  '\u0643': '\u06a9', // ك Arabic kaf → ک
  '\u06aa': '\u06a9', // ڪ swash kaf → ک
  '\u0629': '\u0647', // ة teh marbuta → ه
  '\u06c0': '\u0647', // ۀ heh with yeh → ه
  '\u06d5': '\u0647', // ە ae → ه
  '\u0671': '\u0627', // ٱ alef wasla → ا
};

const ZWNJ = '\u200c';
/** Characters with no visible width: dropped (ZWNJ is handled on its own, it separates parts of a word). */
const INVISIBLE = /[\u00ad\u061c\u0640\u200b\u200d-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;
/** Control characters (also the highlight markers the backends use) become spaces. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Persian and Arabic punctuation the tokenisers would otherwise take for letters. */
const PUNCTUATION = /[\u060c\u061b\u061f\u066a-\u066d\u06d4\u00ab\u00bb]/g;
const MARKS = /\p{M}/gu;
const PLAIN_ASCII = /^[\x00-\x7f]*$/;
const DIGIT_ZERO = { persian: 0x06f0, arabic: 0x0660 } as const;

function foldChar(c: string): string {
  const code = c.codePointAt(0)!;
  if (code >= DIGIT_ZERO.persian && code <= DIGIT_ZERO.persian + 9) return String(code - DIGIT_ZERO.persian);
  if (code >= DIGIT_ZERO.arabic && code <= DIGIT_ZERO.arabic + 9) return String(code - DIGIT_ZERO.arabic);
  return LETTERS[c] ?? c;
}

/**
 * The normal form for a query: compatibility forms unfolded (Arabic presentation forms, full
 * width Latin), marks removed (harakat, madda and hamza signs, Latin accents), letter variants
 * and digits folded, zero-width joiners dropped and ZWNJ read as a word break. Case is kept
 * (snippets show it); both backends compare words case-insensitively.
 */
export function normalizeSearchText(input: string): string {
  // Plain ASCII has nothing to unfold: only control characters to blank out.
  if (PLAIN_ASCII.test(input)) return input.replace(CONTROLS, ' ');
  // Text in the Arabic block (and ASCII) normalises character by character (see FAST_TABLE):
  // one pass instead of two Unicode normalisations and six regular expressions.
  if (FAST_ALPHABET.test(input)) return input.replace(FAST_SPECIAL, (c) => FAST_TABLE.get(c)!);
  return normalizeFully(input);
}

/** The definition: every step, for any text (normalizeSearchText takes shortcuts that must agree with it). */
export function normalizeFully(input: string): string {
  return input
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(INVISIBLE, '')
    .replace(CONTROLS, ' ')
    .replace(PUNCTUATION, ' ')
    .replace(/[\u0600-\u06ff]/g, foldChar)
    .normalize('NFC')
    .replaceAll(ZWNJ, ' ');
}

/**
 * Characters whose normal form does not depend on their neighbours: ASCII, the Arabic block
 * (letters, digits, harakat and the other marks, which are dropped before anything could
 * compose with them), and the zero-width and direction characters. A string of only these
 * normalises as the concatenation of its characters' normal forms; the unit tests prove it
 * against normalizeFully() on random strings.
 */
const FAST_ALPHABET = /^[\x00-\x7f\u0600-\u06ff\u200b-\u200f\u00ab\u00bb\u00ad]*$/;
/** What each character of FAST_ALPHABET that normalisation changes becomes (the rest stay). */
const FAST_TABLE: ReadonlyMap<string, string> = (() => {
  const table = new Map<string, string>();
  const add = (from: number, to: number) => {
    for (let code = from; code <= to; code++) {
      const c = String.fromCharCode(code);
      const normal = normalizeFully(c);
      if (normal !== c) table.set(c, normal);
    }
  };
  add(0x00, 0x7f);
  add(0x0600, 0x06ff);
  add(0x200b, 0x200f);
  for (const code of [0xab, 0xbb, 0xad]) add(code, code);
  return table;
})();
const FAST_SPECIAL = new RegExp(`[${[...FAST_TABLE.keys()].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}]`, 'g');

/**
 * The normal form of a document. Words written with a ZWNJ (می‌خواهم) are indexed both as their
 * parts (the query form) and joined (میخواهم), because people type them either way; the joined
 * spellings come back separately so they can be indexed without being shown.
 */
export function normalizeDocumentText(input: string): { text: string; joined: string } {
  const text = normalizeSearchText(input);
  const joined: string[] = [];
  if (!input.includes(ZWNJ)) return { text, joined: '' };
  for (const m of input.matchAll(/[^\s\u200c]+(?:\u200c[^\s\u200c]+)+/g)) joined.push(normalizeSearchText(m[0].replaceAll(ZWNJ, '')));
  return { text, joined: joined.join(' ') };
}
