import { dictionary } from '@zxcvbn-ts/language-common';

// The rule every new password meets (admins' user screen, a user's own profile, portal sign-up
// and reset): long enough, and not one of the passwords attackers try first. The list is
// zxcvbn-ts's 49,000 most common leaked passwords, compared without case: `Password123` is as
// weak as `password123`.

/** Fewest characters (code points, so a Persian or emoji password counts what the user typed). */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 1024;

let common: Set<string> | null = null;

/** Whether the password is on the bundled list of common passwords (built on first use). */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common.has(password.normalize('NFKC').trim().toLowerCase());
}

/** Why a new password is refused, as a field message, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (isCommonPassword(password)) return 'is one of the most common passwords; choose another';
  return null;
}
