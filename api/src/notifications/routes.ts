import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { DEFAULT_CHANNELS, NOTIFICATION_EVENTS } from '@mehrdesk/core/domain';
import type { AppDeps } from '../deps';
import { bodyId, pathId } from '../http/params';
import { defineRoute } from '../http/route';
import { pgArray } from '@mehrdesk/core/db';

// The in-app notification centre and per-user notification preferences (C1). The worker writes
// notifications while it sends ticket e-mail (worker/src/notifications/in-app.ts); here staff
// read them, mark them read, and choose per event whether they want e-mail and/or in-app.

const NotificationDto = z
  .object({
    id: z.number().int(),
    ticketId: z.number().int().nullable(),
    event: z.enum(NOTIFICATION_EVENTS),
    title: z.string(),
    excerpt: z.string().nullable(),
    readAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Notification' });
const NotificationListDto = z.object({ items: z.array(NotificationDto), unreadCount: z.number().int(), nextCursor: z.string().nullable() }).meta({ id: 'NotificationList' });
const ListQuery = z
  .object({
    unread: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('Only unread (true) or only read (false)'),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: pathId.optional().describe('nextCursor of the previous page'),
  })
  .strict()
  .meta({ id: 'ListNotificationsQuery' });
const MarkReadBody = z
  .object({
    ids: z.array(bodyId).min(1).max(500).optional(),
    all: z.literal(true).optional().describe('Mark every notification read'),
  })
  .strict()
  .refine((b) => (b.ids === undefined) !== (b.all === undefined), { message: 'Give either ids or all: true' })
  .meta({ id: 'MarkNotificationsReadRequest' });
const MarkReadDto = z.object({ updated: z.number().int(), unreadCount: z.number().int() }).meta({ id: 'MarkNotificationsReadResult' });

const PreferenceDto = z
  .object({ event: z.enum(NOTIFICATION_EVENTS), email: z.boolean(), inApp: z.boolean() })
  .strict()
  .meta({ id: 'NotificationPreference' });
const PreferencesDto = z.object({ preferences: z.array(PreferenceDto) }).meta({ id: 'NotificationPreferences' });
const PutPreferencesBody = z
  .object({
    preferences: z
      .array(PreferenceDto)
      .min(1)
      .max(NOTIFICATION_EVENTS.length)
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((p, i) => {
          if (seen.has(p.event)) ctx.addIssue({ code: 'custom', path: [i, 'event'], message: `event ${p.event} appears twice` });
          seen.add(p.event);
        });
      }),
  })
  .strict()
  .meta({ id: 'PutNotificationPreferencesRequest' });

interface NotificationRow {
  id: number;
  ticket_id: number | null;
  event: (typeof NOTIFICATION_EVENTS)[number];
  title: string;
  excerpt: string | null;
  read_at: Date | null;
  created_at: Date;
}

async function unreadCount(em: EntityManager, userId: number): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>('select count(*) as n from notifications where user_id = ? and read_at is null', [userId]);
  return Number(row?.n ?? 0);
}

async function preferencesOf(em: EntityManager, userId: number): Promise<z.infer<typeof PreferenceDto>[]> {
  const rows = await em.execute<{ event: string; email: boolean; in_app: boolean }[]>('select event, email, in_app from notification_preferences where user_id = ?', [userId]);
  const saved = new Map(rows.map((r) => [r.event, { email: r.email, inApp: r.in_app }]));
  return NOTIFICATION_EVENTS.map((event) => ({ event, ...(saved.get(event) ?? DEFAULT_CHANNELS) }));
}

export function notificationRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tags = ['Notifications'];

  defineRoute(router, registry, {
    method: 'get',
    path: '/notifications',
    summary: 'My notifications, newest first, with the unread count',
    tags,
    action: 'notification.manage',
    query: ListQuery,
    response: NotificationListDto,
    handler: async ({ em, user, query }) => {
      const where = ['user_id = ?'];
      const args: unknown[] = [user.id];
      if (query.unread !== undefined) where.push(query.unread ? 'read_at is null' : 'read_at is not null');
      if (query.cursor !== undefined) {
        where.push('id < ?');
        args.push(query.cursor);
      }
      const rows = await em.execute<NotificationRow[]>(`select id, ticket_id, event, title, excerpt, read_at, created_at from notifications where ${where.join(' and ')} order by id desc limit ?`, [
        ...args,
        query.limit + 1,
      ]);
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((r) => ({
          id: r.id,
          ticketId: r.ticket_id,
          event: r.event,
          title: r.title,
          excerpt: r.excerpt,
          readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
          createdAt: new Date(r.created_at).toISOString(),
        })),
        unreadCount: await unreadCount(em, user.id),
        nextCursor: rows.length > query.limit ? String(page.at(-1)!.id) : null,
      };
    },
  });

  defineRoute(router, registry, {
    method: 'post',
    path: '/notifications/read',
    summary: 'Mark some (ids) or all of my notifications read',
    tags,
    action: 'notification.manage',
    body: MarkReadBody,
    response: MarkReadDto,
    handler: async ({ em, user, body }) => {
      // Only the caller's own rows: someone else's ids are silently not theirs to mark.
      const updated = body.ids
        ? await em.execute<{ id: number }[]>('update notifications set read_at = now() where user_id = ? and read_at is null and id = any(?::int[]) returning id', [user.id, pgArray(body.ids)])
        : await em.execute<{ id: number }[]>('update notifications set read_at = now() where user_id = ? and read_at is null returning id', [user.id]);
      return { updated: updated.length, unreadCount: await unreadCount(em, user.id) };
    },
  });

  defineRoute(router, registry, {
    method: 'get',
    path: '/me/notification-preferences',
    summary: 'My e-mail and in-app choices per notification event',
    tags,
    action: 'notification.manage',
    response: PreferencesDto,
    handler: async ({ em, user }) => ({ preferences: await preferencesOf(em, user.id) }),
  });

  defineRoute(router, registry, {
    method: 'put',
    path: '/me/notification-preferences',
    summary: 'Save my choices for the listed events (others keep theirs)',
    tags,
    action: 'notification.manage',
    body: PutPreferencesBody,
    response: PreferencesDto,
    handler: async ({ em, user, body }) => {
      await em.transactional(async (tx) => {
        for (const p of body.preferences) {
          await tx.execute(
            `insert into notification_preferences (user_id, event, email, in_app, updated_at) values (?, ?, ?, ?, now())
             on conflict (user_id, event) do update set email = excluded.email, in_app = excluded.in_app, updated_at = now()`,
            [user.id, p.event, p.email, p.inApp],
          );
        }
      });
      return { preferences: await preferencesOf(em, user.id) };
    },
  });

  return router;
}
