import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './audit';

// What the audit log never stores: values under secret-like names, at any depth. Flags and ids
// under such names say nothing secret and stay.

describe('redactSecrets', () => {
  it('replaces text and objects under secret-like names, keeps the rest', () => {
    const at = new Date('2026-12-03T10:00:00Z');
    expect(
      redactSecrets({
        name: 'hook',
        secret: 'whsec_1',
        signingSecret: 'whsec_2',
        passwordHash: 'scrypt$x',
        password_hash: 'scrypt$y',
        totpSecret: 'JBSWY3DP',
        recoveryCodes: ['a', 'b'],
        accessToken: 'mdk_1',
        apiKey: 'mdk_live',
        credentials: { user: 'u' },
        hasPassword: true,
        passwordChanged: true,
        tokenId: 12,
        apiKeyId: 3,
        totpEnabledAt: null,
        at,
        nested: [{ user: { secret: 's' } }],
      }),
    ).toEqual({
      name: 'hook',
      secret: REDACTED,
      signingSecret: REDACTED,
      passwordHash: REDACTED,
      password_hash: REDACTED,
      totpSecret: REDACTED,
      recoveryCodes: REDACTED,
      accessToken: REDACTED,
      apiKey: REDACTED,
      credentials: REDACTED,
      hasPassword: true,
      passwordChanged: true,
      tokenId: 12,
      apiKeyId: 3,
      totpEnabledAt: null,
      at: '2026-12-03T10:00:00.000Z',
      nested: [{ user: { secret: REDACTED } }],
    });
  });

  it('leaves plain values and missing values alone', () => {
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets(undefined)).toBeUndefined();
    expect(redactSecrets('secret')).toBe('secret');
    expect(redactSecrets([1, 'x'])).toEqual([1, 'x']);
  });
});
