import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkLink, linkUrl, LINK_PURPOSES, MAX_LINK_TOKEN_LENGTH, passwordBinding, signLink } from './signed-links';

const SECRET = 's'.repeat(40);
const NOW = 1_800_000_000;

const claimsArb = fc.record({
  purpose: fc.constantFrom(...LINK_PURPOSES),
  userId: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  ticketId: fc.option(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { nil: undefined }),
  binding: fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
  expiresAt: fc.integer({ min: NOW + 1, max: NOW + 10 ** 8 }),
});

describe('signed links', () => {
  it('a link checks out for its own purpose with the claims it was made with', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const token = signLink(SECRET, claims);
        expect(token.length).toBeLessThanOrEqual(MAX_LINK_TOKEN_LENGTH);
        const check = checkLink(SECRET, claims.purpose, token, NOW);
        expect(check).toEqual({ ok: true, claims: { ...claims, nonce: expect.stringMatching(/^[\w-]{22}$/) } });
        for (const other of LINK_PURPOSES.filter((p) => p !== claims.purpose)) expect(checkLink(SECRET, other, token, NOW)).toEqual({ ok: false, reason: 'invalid' });
      }),
    );
  });

  it('any change to a token, and another secret, makes it invalid (not merely expired)', () => {
    fc.assert(
      fc.property(claimsArb, fc.nat(), fc.constantFrom(...'ABCabc019-_.'.split('')), (claims, at, ch) => {
        const token = signLink(SECRET, claims);
        const i = at % token.length;
        fc.pre(token[i] !== ch);
        const changed = token.slice(0, i) + ch + token.slice(i + 1);
        expect(checkLink(SECRET, claims.purpose, changed, claims.expiresAt + 1)).toEqual({ ok: false, reason: 'invalid' });
        expect(checkLink('t'.repeat(40), claims.purpose, token, NOW)).toEqual({ ok: false, reason: 'invalid' });
      }),
    );
  });

  it('expires at its instant', () => {
    const token = signLink(SECRET, { purpose: 'magic', userId: 7, ticketId: 9, expiresAt: NOW });
    expect(checkLink(SECRET, 'magic', token, NOW - 1).ok).toBe(true);
    expect(checkLink(SECRET, 'magic', token, NOW)).toEqual({ ok: false, reason: 'expired' });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        expect(checkLink(SECRET, 'verify', input, NOW).ok).toBe(false);
      }),
    );
  });

  it('makes unique nonces, portal URLs with the token, and a reset binding that follows the password', () => {
    const a = signLink(SECRET, { purpose: 'reset', userId: 1, expiresAt: NOW + 60 });
    const b = signLink(SECRET, { purpose: 'reset', userId: 1, expiresAt: NOW + 60 });
    expect(a).not.toBe(b);
    expect(linkUrl('https://help.example.com/base', 'reset', a)).toBe(`https://help.example.com/portal/reset?token=${a}`);
    expect(passwordBinding('scrypt$1')).toBe(passwordBinding('scrypt$1'));
    expect(passwordBinding('scrypt$1')).not.toBe(passwordBinding('scrypt$2'));
    expect(passwordBinding(null)).not.toBe(passwordBinding('scrypt$1'));
  });
});
