import { z } from 'zod';

// The rules for a user's own fields, one source for the admin's user screen and the user's
// profile.

export const userName = z.string().trim().min(1).max(200);
export const newPassword = z.string().min(8, 'must be at least 8 characters').max(1024);
