import type { EntityManager } from '@mikro-orm/postgresql';
import { channelsFor, type NotificationChannels, type NotificationEvent, type Role } from '@mehrdesk/core/domain';
import { publishLiveEvent } from '@mehrdesk/core/live-events';
import { pgArray } from '@mehrdesk/core/db';

// The in-app half of a ticket notification: one row per user and activity key (a retried
// activity finds its row and adds nothing), announced on the `mehrdesk_events` channel so
// live consoles can show it without polling (core/src/live-events.ts).

/** Saved channels per user for one event; users without a row get their role's default. */
export async function channelsForUsers(em: EntityManager, users: { id: number; role: Role }[], event: NotificationEvent): Promise<Map<number, NotificationChannels>> {
  const ids = users.map((u) => u.id);
  const saved = ids.length
    ? await em.execute<{ user_id: number; email: boolean; in_app: boolean }[]>('select user_id, email, in_app from notification_preferences where event = ? and user_id = any(?::int[])', [
        event,
        pgArray(ids),
      ])
    : [];
  const byUser = new Map(saved.map((r) => [r.user_id, { email: r.email, inApp: r.in_app }]));
  return new Map(users.map((u) => [u.id, channelsFor(u.role, byUser.get(u.id))]));
}

export interface InAppNotification {
  userId: number;
  ticketId: number;
  event: NotificationEvent;
  title: string;
  excerpt: string | null;
  dedupeKey: string;
}

/** Record the notification once; returns its id, or null when an earlier attempt already did. */
export async function notifyInApp(em: EntityManager, n: InAppNotification): Promise<number | null> {
  const [row] = await em.execute<{ id: number }[]>(
    `insert into notifications (user_id, ticket_id, event, title, excerpt, dedupe_key, created_at)
     values (?, ?, ?, ?, ?, ?, now()) on conflict (dedupe_key) do nothing returning id`,
    [n.userId, n.ticketId, n.event, n.title.slice(0, 300), n.excerpt?.slice(0, 500) ?? null, n.dedupeKey.slice(0, 300)],
  );
  if (!row) return null;
  await publishLiveEvent(em, { type: 'notification', userId: n.userId, id: row.id, ticketId: n.ticketId, event: n.event });
  return row.id;
}
