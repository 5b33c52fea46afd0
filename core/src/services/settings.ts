import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { STRANGER_REPLY_MODES, type Config } from '../config';

// Settings admins change at run time, stored in `settings` (one JSON value per key). The
// environment gives each default; a stored value overrides it. A stored value that no longer
// validates (say, written by a newer version) is ignored rather than trusted.

export const InboundSettings = z.object({ strangerReplies: z.enum(STRANGER_REPLY_MODES) }).strict();
export type InboundSettings = z.infer<typeof InboundSettings>;

const INBOUND_KEY = 'inbound';

/** The inbound e-mail settings in force, and whether an admin chose them. One query. */
export async function inboundSettings(em: EntityManager, config: Pick<Config, 'INBOUND_STRANGER_REPLIES'>): Promise<InboundSettings & { source: 'default' | 'admin' }> {
  const [row] = await em.execute<{ value: unknown }[]>('select value from settings where key = ?', [INBOUND_KEY]);
  const stored = InboundSettings.safeParse(row?.value);
  return stored.success ? { ...stored.data, source: 'admin' } : { strangerReplies: config.INBOUND_STRANGER_REPLIES, source: 'default' };
}

export async function saveInboundSettings(em: EntityManager, value: InboundSettings, userId: number): Promise<void> {
  await em.execute(
    `insert into settings (key, value, updated_at, updated_by) values (?, ?::jsonb, now(), ?)
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [INBOUND_KEY, JSON.stringify(InboundSettings.parse(value)), userId],
  );
}
