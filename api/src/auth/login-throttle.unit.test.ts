import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { delaySeconds } from './login-throttle';

const config = { LOGIN_DELAY_AFTER_FAILURES: 3, LOGIN_MAX_DELAY_SECONDS: 60 };

describe('the wait after wrong passwords in a row', () => {
  it('is none before the threshold, then doubles from one second up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => delaySeconds(n, config))).toEqual([0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('never decreases, never exceeds the cap, and stays finite for any count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: 3600 }), (n, cap) => {
        const c = { LOGIN_DELAY_AFTER_FAILURES: 3, LOGIN_MAX_DELAY_SECONDS: cap };
        const d = delaySeconds(n, c);
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeLessThanOrEqual(cap);
        expect(delaySeconds(n + 1, c)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});
