import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from '@mehrdesk/core/services/password-policy';

// The rules for a user's own fields, one source for the admin's user screen, the user's profile
// and the portal's sign-up and reset.

export const userName = z.string().trim().min(1).max(200);
export const newPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH)
  .superRefine((password, ctx) => {
    // min() has already named a password short in UTF-16 units; the rest (characters, common) is the policy's.
    const problem = password.length < PASSWORD_MIN_LENGTH ? null : passwordProblem(password);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(`At least ${PASSWORD_MIN_LENGTH} characters, and not one of the most common passwords`);
