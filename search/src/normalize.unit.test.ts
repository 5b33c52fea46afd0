import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeDocumentText, normalizeFully, normalizeSearchText } from './normalize';
import { MAX_TERMS, MAX_TERM_LENGTH, parseQuery } from './query';
import { markedToHtml, MARK_END, MARK_START } from './highlight';

describe('normalizeSearchText', () => {
  it.each([
    ['كتاب', 'کتاب'],
    ['ريال', 'ریال'],
    ['مي‌خواهم', 'می خواهم'],
    ['رمزِ عبورْ', 'رمز عبور'],
    ['آب', 'اب'],
    ['۱۲۳ ٤٥٦', '123 456'],
    ['Café PRINTER', 'Cafe PRINTER'],
    ['ﻛﺘﺎﺏ', 'کتاب'],
    ['خانه‌ی', 'خانه ی'],
    ['سلام، دنیا؟', 'سلام  دنیا '],
    ['a\u0000b\u0002c', 'a b c'],
    ['zero\u200bwidth', 'zerowidth'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeSearchText(input)).toBe(expected);
  });

  it('is idempotent and leaves no variant, mark, control or ZWNJ behind (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.oneof(fc.constantFrom(...'يكىۀةأإآؤئ۰۱۹٠٩\u200c\u200d\u064e\u0651\u0640 abcABC\u0000\u0002'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })) }),
        (s) => {
          const once = normalizeSearchText(s);
          expect(normalizeSearchText(once)).toBe(once);
          expect(once).not.toMatch(/[يكى\u06f0-\u06f9\u0660-\u0669\u200b-\u200f\u0000-\u0008\u064b-\u065f]/);
        },
      ),
    );
  });

  it('normalises text of the fast alphabet (ASCII, Arabic block, zero-width) exactly as the full definition does (property)', () => {
    const full = normalizeFully;
    const alphabet = fc
      .oneof(
        fc.integer({ min: 0, max: 0x7f }),
        fc.integer({ min: 0x0600, max: 0x06ff }),
        fc.integer({ min: 0x0600, max: 0x06ff }),
        fc.integer({ min: 0x200b, max: 0x200f }),
        fc.constantFrom(0xab, 0xbb, 0xad),
      )
      .map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 60 }), (t) => {
        expect(normalizeSearchText(t)).toBe(full(t));
      }),
      { numRuns: 3000 },
    );
    // Every character of the Arabic block on its own, and next to each composing candidate.
    for (let code = 0x0600; code <= 0x06ff; code++) {
      const c = String.fromCharCode(code);
      for (const t of [c, `\u0627${c}`, `${c}\u0654`, `${c}\u0653`]) expect(normalizeSearchText(t), t).toBe(full(t));
    }
  });
});

describe('normalizeDocumentText', () => {
  it('indexes words written with ZWNJ both apart and joined', () => {
    expect(normalizeDocumentText('من نمي‌خواهم بروم')).toEqual({ text: 'من نمی خواهم بروم', joined: 'نمیخواهم' });
    expect(normalizeDocumentText('plain words')).toEqual({ text: 'plain words', joined: '' });
  });
});

describe('parseQuery', () => {
  it('separates phrases and words and marks the last word as a prefix while typed', () => {
    expect(parseQuery('"reset link" Printers')).toMatchObject({ phrases: [['reset', 'link']], terms: ['Printers'], prefixLast: true });
    expect(parseQuery('printers ')).toMatchObject({ terms: ['printers'], prefixLast: false });
    expect(parseQuery('"single"')).toMatchObject({ phrases: [], terms: ['single'], prefixLast: false });
    expect(parseQuery('ahmadi@example.com TKT-2026-000001')).toMatchObject({ terms: ['ahmadi@example.com', 'TKT-2026-000001'] });
  });

  it('bounds the work for any input (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => {
        const q = parseQuery(s);
        const words = q.terms.length + q.phrases.reduce((n, p) => n + p.length, 0);
        expect(words).toBeLessThanOrEqual(MAX_TERMS);
        for (const w of [...q.terms, ...q.phrases.flat()]) {
          expect(w.length).toBeLessThanOrEqual(MAX_TERM_LENGTH);
          expect(w).toMatch(/^[\p{L}\p{N}][\p{L}\p{N}\-_.@]*$/u);
        }
      }),
    );
  });
});

describe('markedToHtml', () => {
  it('escapes the text and turns only the markers into <mark>', () => {
    expect(markedToHtml(`<b>&${MARK_START}x"${MARK_END}'`)).toBe('&lt;b&gt;&amp;<mark>x&quot;</mark>&#39;');
    expect(markedToHtml(`${MARK_START}open`)).toBe('<mark>open</mark>');
    expect(markedToHtml(`${MARK_END}stray`)).toBe('stray');
  });

  it('never lets markup through (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '&', '"', 'a', ' ', MARK_START, MARK_END) }), (s) => {
        expect(markedToHtml(s).replace(/<\/?mark>/g, '')).not.toMatch(/[<>"]/);
      }),
    );
  });
});
