import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCommonPassword, PASSWORD_MIN_LENGTH, passwordProblem } from './password-policy';

describe('the password rule', () => {
  it('refuses the passwords attackers try first, whatever their case', () => {
    for (const p of ['password', '12345678', '1234567890', 'qwertyuiop', 'Password123', 'PASSWORD123', ' 1234567890 ']) expect(isCommonPassword(p), p).toBe(true);
    expect(passwordProblem('1234567890')).toMatch(/most common/);
    expect(passwordProblem('Qwertyuiop')).toMatch(/most common/);
  });

  it('refuses short passwords, counting characters rather than UTF-16 units', () => {
    expect(passwordProblem('short')).toBe(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
    expect(passwordProblem('گذرواژهٔ من')).toBeNull(); // 11 Persian characters
    expect(passwordProblem('🔑🔑🔑🔑🔑')).toMatch(/at least/); // 5 characters, 10 UTF-16 units
  });

  it('accepts a long passphrase', () => {
    expect(passwordProblem('correct horse battery staple')).toBeNull();
  });

  it('never throws, and refuses every string shorter than the minimum', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const problem = passwordProblem(s);
        if ([...s].length < PASSWORD_MIN_LENGTH) expect(problem).not.toBeNull();
      }),
    );
  });
});
