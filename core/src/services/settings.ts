import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { STRANGER_REPLY_MODES, UPLOAD_BYTES_CEILING, UPLOAD_FILES_CEILING, UPLOAD_TYPE_PATTERN, type Config } from '../config';

// Settings admins change at run time, stored in `settings` (one JSON value per key). The
// environment gives each default; a stored value overrides it. A stored value that no longer
// validates (say, written by a newer version) is ignored rather than trusted.

type Executor = Pick<EntityManager, 'execute'>;
export type Sourced<T> = T & { source: 'default' | 'admin' };

/**
 * One admin setting under `key`: read (the stored value when it still validates, else the
 * defaults given) and save (validated, with who saved it). One query each.
 */
export function adminSetting<S extends z.ZodType<Record<string, unknown>>>(key: string, schema: S) {
  return {
    async read(em: Executor, defaults: z.infer<S>): Promise<Sourced<z.infer<S>>> {
      const [row] = await em.execute<{ value: unknown }[]>('select value from settings where key = ?', [key]);
      const stored = schema.safeParse(row?.value);
      return stored.success ? { ...stored.data, source: 'admin' } : { ...defaults, source: 'default' };
    },
    async save(em: Executor, value: z.infer<S>, userId: number): Promise<void> {
      await em.execute(
        `insert into settings (key, value, updated_at, updated_by) values (?, ?::jsonb, now(), ?)
           on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [key, JSON.stringify(schema.parse(value)), userId],
      );
    },
  };
}

export const InboundSettings = z.object({ strangerReplies: z.enum(STRANGER_REPLY_MODES) }).strict();
export type InboundSettings = z.infer<typeof InboundSettings>;

const INBOUND = adminSetting('inbound', InboundSettings);

/** The inbound e-mail settings in force, and whether an admin chose them. */
export const inboundSettings = (em: Executor, config: Pick<Config, 'INBOUND_STRANGER_REPLIES'>) => INBOUND.read(em, { strangerReplies: config.INBOUND_STRANGER_REPLIES });
export const saveInboundSettings = INBOUND.save;

export const UploadSettings = z
  .object({
    maxFileBytes: z.number().int().min(1024).max(UPLOAD_BYTES_CEILING),
    maxFilesPerMessage: z.number().int().min(1).max(UPLOAD_FILES_CEILING),
    allowedTypes: z
      .array(z.string().trim().toLowerCase().regex(UPLOAD_TYPE_PATTERN, 'must be a MIME type or type/*'))
      .max(100)
      .refine((l) => new Set(l).size === l.length, 'each type once'),
  })
  .strict();
export type UploadSettings = z.infer<typeof UploadSettings>;

const UPLOADS = adminSetting('uploads', UploadSettings);

/** The upload limits in force (an admin's choice, else UPLOAD_* from the environment). */
export const uploadSettings = (em: Executor, config: Pick<Config, 'UPLOAD_MAX_FILE_BYTES' | 'UPLOAD_MAX_FILES_PER_MESSAGE' | 'UPLOAD_ALLOWED_TYPES'>) =>
  UPLOADS.read(em, { maxFileBytes: config.UPLOAD_MAX_FILE_BYTES, maxFilesPerMessage: config.UPLOAD_MAX_FILES_PER_MESSAGE, allowedTypes: config.UPLOAD_ALLOWED_TYPES });
export const saveUploadSettings = UPLOADS.save;

/** Who may create a customer account in the portal. */
export const SIGNUP_MODES = ['open', 'invite', 'domains'] as const;

/** A bare e-mail domain (`example.com`), lower case: what follows the @ of an allowed address. */
const emailDomain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a domain such as example.com');

export const PortalSettings = z
  .object({
    signup: z.enum(SIGNUP_MODES).describe('open: anyone; invite: only accounts admins create; domains: addresses of the listed domains'),
    signupDomains: z.array(emailDomain).max(200).describe('The allowed domains when signup is "domains"'),
  })
  .strict()
  .refine((s) => s.signup !== 'domains' || s.signupDomains.length > 0, { message: 'list at least one domain when sign-up is limited to domains', path: ['signupDomains'] })
  .refine((s) => new Set(s.signupDomains).size === s.signupDomains.length, { message: 'each domain once', path: ['signupDomains'] });
export type PortalSettings = z.infer<typeof PortalSettings>;

const PORTAL = adminSetting('portal', PortalSettings);

/** The portal's sign-up policy in force: open until an admin chooses. */
export const portalSettings = (em: Executor) => PORTAL.read(em, { signup: 'open', signupDomains: [] });
export const savePortalSettings = PORTAL.save;

/** Whether `email` may sign up under `settings` (the address is already validated and lower case). */
export function signupAllowed(settings: PortalSettings, email: string): 'ok' | 'closed' | 'domain' {
  if (settings.signup === 'invite') return 'closed';
  if (settings.signup === 'open') return 'ok';
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return settings.signupDomains.includes(domain) ? 'ok' : 'domain';
}
