import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAttachmentLink, LINK_TOKEN, signAttachmentLink } from './links';

const SECRET = 'test-secret-of-at-least-32-characters!';
const NOW = 1_800_000_000;

describe('attachment download links', () => {
  const token = signAttachmentLink(SECRET, 42, 7, NOW + 60);

  it('let the user they were made for fetch the attachment until they expire', () => {
    expect(token).toMatch(LINK_TOKEN);
    expect(checkAttachmentLink(SECRET, 42, token, NOW)).toEqual({ ok: true, userId: 7 });
    expect(checkAttachmentLink(SECRET, 42, token, NOW + 59)).toEqual({ ok: true, userId: 7 });
    expect(checkAttachmentLink(SECRET, 42, token, NOW + 60)).toEqual({ ok: false, reason: 'expired' });
  });

  it('are bound to the attachment, the user, the expiry and the secret', () => {
    const [, , sig] = token.split('.');
    expect(checkAttachmentLink(SECRET, 43, token, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkAttachmentLink(SECRET, 42, `8.${NOW + 60}.${sig}`, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkAttachmentLink(SECRET, 42, `7.${NOW + 3600}.${sig}`, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkAttachmentLink(`${SECRET}x`, 42, token, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('do not reveal that a forged link has expired', () => {
    const forged = `7.${NOW - 10}.${'A'.repeat(43)}`;
    expect(checkAttachmentLink(SECRET, 42, forged, NOW)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuse any other string without throwing (property, seeded)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(LINK_TOKEN)), (other) => {
        fc.pre(other !== token);
        expect(checkAttachmentLink(SECRET, 42, other, NOW)).toEqual({ ok: false, reason: 'invalid' });
      }),
      { seed: 8_2026, numRuns: 500 },
    );
  });

  it('refuse a token with any one character changed (property, seeded)', () => {
    const alphabet = '0123456789.-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), (at, c) => {
        fc.pre(token[at] !== c);
        const changed = token.slice(0, at) + c + token.slice(at + 1);
        expect(checkAttachmentLink(SECRET, 42, changed, NOW)).toMatchObject({ ok: false });
      }),
      { seed: 8_2026, numRuns: 500 },
    );
  });
});
