import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedStep, codeAt, decryptTotpSecret, encryptTotpSecret, hashRecoveryCode, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode } from './totp';

const KEY = 'a'.repeat(32);
const T = Date.UTC(2026, 11, 3, 12, 0, 10);
const STEP = Math.floor(T / 30_000);

describe('TOTP codes', () => {
  const secret = newTotpSecret();

  it('accepts the current code and one step either side, never further', () => {
    expect(acceptedStep(secret, codeAt(secret, T), null, T)).toBe(STEP);
    expect(acceptedStep(secret, codeAt(secret, T - 30_000), null, T)).toBe(STEP - 1);
    expect(acceptedStep(secret, codeAt(secret, T + 30_000), null, T)).toBe(STEP + 1);
    const far = codeAt(secret, T - 90_000);
    if (![T - 30_000, T, T + 30_000].some((t) => codeAt(secret, t) === far)) expect(acceptedStep(secret, far, null, T)).toBeNull();
  });

  it('refuses a code of the step already used or earlier (no replay)', () => {
    expect(acceptedStep(secret, codeAt(secret, T), STEP, T)).toBeNull();
    expect(acceptedStep(secret, codeAt(secret, T - 30_000), STEP - 1, T)).toBeNull();
    expect(acceptedStep(secret, codeAt(secret, T + 30_000), STEP, T)).toBe(STEP + 1);
  });

  it('refuses anything but six digits without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (typed) => {
        const r = acceptedStep(secret, typed, null, T);
        expect(r === null || /^\d{6}$/.test(typed)).toBe(true);
      }),
    );
  });
});

describe('TOTP secrets at rest', () => {
  it('round-trip under the key, and are unreadable under another or when damaged', () => {
    const secret = newTotpSecret();
    const stored = encryptTotpSecret(KEY, secret);
    expect(stored).not.toContain(secret);
    expect(decryptTotpSecret(KEY, stored)).toBe(secret);
    expect(decryptTotpSecret('b'.repeat(32), stored)).toBeNull();
    expect(decryptTotpSecret(KEY, stored.slice(0, -2) + (stored.endsWith('A') ? 'BB' : 'AA'))).toBeNull();
    expect(decryptTotpSecret(KEY, 'garbage')).toBeNull();
    expect(encryptTotpSecret(KEY, secret)).not.toBe(stored); // a fresh IV each time
  });
});

describe('recovery codes', () => {
  it('ten distinct codes, typed in any case with or without the dash, hashed alike', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) {
      expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
      expect(hashRecoveryCode(KEY, c.toUpperCase().replace('-', ' '))).toBe(hashRecoveryCode(KEY, c));
    }
    expect(hashRecoveryCode(KEY, codes[0]!)).not.toBe(hashRecoveryCode('b'.repeat(32), codes[0]!));
  });

  it('normalising never throws and only keeps 10 letters or digits', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (typed) => {
        const n = normaliseRecoveryCode(typed);
        expect(n === null || /^[a-z0-9]{10}$/.test(n)).toBe(true);
      }),
    );
  });
});
