/**
 * The fewest characters a new password may have: checked before a form is sent, so the user is
 * told at once. The server's rule (core/src/services/password-policy.ts) also refuses common
 * passwords; password-rule.unit.test.ts keeps the two lengths, and the hints, equal.
 */
export const PASSWORD_MIN_LENGTH = 10;

/** Whether a new password is long enough, counting characters as the server does. */
export const longEnough = (password: string) => [...password].length >= PASSWORD_MIN_LENGTH;
