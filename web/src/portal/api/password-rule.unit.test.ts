import { describe, expect, it } from 'vitest';
import { PASSWORD_MIN_LENGTH as SERVER_MIN, passwordProblem } from '@mehrdesk/core/services/password-policy';
import consoleEn from '../../locales/en/common';
import consoleFa from '../../locales/fa/common';
import portalEn from '../locales/en';
import portalFa from '../locales/fa';
import { longEnough, PASSWORD_MIN_LENGTH } from './password-rule';

// The portal checks a new password's length before sending it, and both apps tell the rule in
// a hint: all of them must say what the server enforces.
const persianDigits = (n: number) => String(n).replace(/\d/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[Number(d)]!);

describe('the password rule in the web apps', () => {
  it('has the server minimum', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(SERVER_MIN);
  });

  it('counts characters the way the server does', () => {
    for (const p of ['short', '🔑🔑🔑🔑🔑', 'گذرواژهٔ من', 'exactly10!', 'a'.repeat(SERVER_MIN - 1)]) {
      expect(longEnough(p), p).toBe(passwordProblem(p)?.startsWith('must be at least') !== true);
    }
  });

  it('states the same minimum in every hint, in English and Persian', () => {
    expect(consoleEn.profile.newPasswordHint).toContain(String(SERVER_MIN));
    expect(portalEn.auth.passwordRule).toContain(String(SERVER_MIN));
    expect(consoleFa.profile.newPasswordHint).toContain(persianDigits(SERVER_MIN));
    expect(portalFa.auth.passwordRule).toContain(persianDigits(SERVER_MIN));
  });
});
