import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findUnstorableText, toStorableText, unstorableReason } from './storable-text';

describe('storable text', () => {
  it('refuses NUL and lone surrogates, accepts paired surrogates and ordinary text', () => {
    expect(unstorableReason('nul\u0000byte')).toMatch(/NUL/);
    expect(unstorableReason('half \uD83D pair')).toMatch(/surrogate/);
    expect(unstorableReason('\uDE00 alone')).toMatch(/surrogate/);
    expect(unstorableReason('emoji 😀 and سلام')).toBeNull();
    expect(unstorableReason('')).toBeNull();
  });

  it('strips NULs and replaces lone surrogates', () => {
    expect(toStorableText('a\u0000b\u0000')).toBe('ab');
    expect(toStorableText('x\uD800y')).toBe('x\uFFFDy');
    expect(toStorableText('😀')).toBe('😀');
  });

  it('names the path of every unstorable value and key', () => {
    expect(findUnstorableText({ subject: 'ok', tags: ['a', 'b\u0000'], nested: { 'k\u0000': 1 } }, 'body')).toEqual([
      { path: 'body.tags.1', message: expect.stringMatching(/NUL/) },
      { path: 'body.nested."k"', message: expect.stringMatching(/^field name/) },
    ]);
  });

  it('whatever the input, the stripped text is storable and idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const clean = toStorableText(s);
        expect(unstorableReason(clean)).toBeNull();
        expect(toStorableText(clean)).toBe(clean);
        // Buffer round trip through UTF-8 is lossless for storable text.
        expect(Buffer.from(clean, 'utf8').toString('utf8')).toBe(clean);
      }),
      { seed: 8, numRuns: 500 },
    );
  });
});
