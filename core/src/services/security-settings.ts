import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../config';
import { STAFF_ROLES } from '../domain/enums';
import { adminSetting } from './settings';

// Sign-in security admins choose at run time: which staff roles must use two-factor sign-in.
// A user of such a role who has not set it up can, after the password, only set it up.

export const SecuritySettings = z
  .object({
    mfaRequiredRoles: z
      .array(z.enum(STAFF_ROLES))
      .max(STAFF_ROLES.length)
      .refine((l) => new Set(l).size === l.length, 'each role once')
      .describe('Staff roles that must sign in with a second factor'),
  })
  .strict();
export type SecuritySettings = z.infer<typeof SecuritySettings>;

const SECURITY = adminSetting('security', SecuritySettings);

export const securitySettings = (em: Pick<EntityManager, 'execute'>, config: Pick<Config, 'MFA_REQUIRED_ROLES'>) => SECURITY.read(em, { mfaRequiredRoles: config.MFA_REQUIRED_ROLES });
export const saveSecuritySettings = SECURITY.save;
