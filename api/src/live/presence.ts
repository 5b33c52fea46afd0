import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { PRESENCE_STATES, publishLiveEvent, scopeOf } from '@mehrdesk/core/live-events';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { TicketIdParams } from '../tickets/schemas';
import { visibleTicket } from '../tickets/service';

// Presence and collision warnings (T9): staff say every few seconds that they view or type on
// a ticket; the row lives in PostgreSQL (shared by every API replica) with a short expiry, and
// each post is announced as a `presence` live event to the others who may see the ticket.

/** How long a post counts; clients re-post every 10 s, so one lost request does not flicker. */
export const PRESENCE_TTL_SECONDS = 30;

const PresenceBody = z
  .object({ state: z.enum(PRESENCE_STATES).describe('viewing or typing (re-post every 10 s), left when the ticket is closed in the UI') })
  .strict()
  .meta({ id: 'PresenceRequest' });

const PresenceEntryDto = z
  .object({
    userId: z.number().int(),
    name: z.string(),
    state: z.enum(['viewing', 'typing']),
    since: z.string().describe('Last post'),
    expiresAt: z.string(),
  })
  .meta({ id: 'PresenceEntry' });
const PresenceListDto = z.object({ ticketId: z.number().int(), items: z.array(PresenceEntryDto) }).meta({ id: 'PresenceList' });

async function present(em: EntityManager, ticketId: number): Promise<z.infer<typeof PresenceEntryDto>[]> {
  const rows = await em.execute<{ user_id: number; name: string; state: 'viewing' | 'typing'; updated_at: Date; expires_at: Date }[]>(
    `select p.user_id, u.name, p.state, p.updated_at, p.expires_at
       from ticket_presence p join users u on u.id = p.user_id
      where p.ticket_id = ? and p.expires_at > now() order by p.updated_at, p.user_id`,
    [ticketId],
  );
  return rows.map((r) => ({ userId: r.user_id, name: r.name, state: r.state, since: new Date(r.updated_at).toISOString(), expiresAt: new Date(r.expires_at).toISOString() }));
}

/** Drop rows nobody refreshed (they are already invisible; this only keeps the table small). */
export async function sweepExpiredPresence(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ ticket_id: number }[]>('delete from ticket_presence where expires_at < now() returning ticket_id');
  return rows.length;
}

export function presenceRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();

  defineRoute(r, registry, {
    method: 'post',
    path: '/tickets/:id/presence',
    summary: `Say that I view, type on, or left a ticket (staff; counts for ${PRESENCE_TTL_SECONDS} s, re-post every 10 s)`,
    tags: ['tickets'],
    action: 'ticket.viewInternal',
    params: TicketIdParams,
    body: PresenceBody,
    response: PresenceListDto,
    errors: [404],
    handler: async ({ params, body, user, em }) => {
      const row = await visibleTicket(em, user, params.id);
      await em.transactional(async (tx) => {
        let expiresAt: string | null = null;
        if (body.state === 'left') {
          await tx.execute('delete from ticket_presence where ticket_id = ? and user_id = ?', [row.id, user.id]);
        } else {
          const [p] = await tx.execute<{ expires_at: Date }[]>(
            `insert into ticket_presence (ticket_id, user_id, state, expires_at, updated_at)
             values (?, ?, ?, now() + make_interval(secs => ?), now())
             on conflict (ticket_id, user_id) do update set state = excluded.state, expires_at = excluded.expires_at, updated_at = excluded.updated_at
             returning expires_at`,
            [row.id, user.id, body.state, PRESENCE_TTL_SECONDS],
          );
          expiresAt = new Date(p!.expires_at).toISOString();
        }
        // Every post is announced (not only changes): each one extends the entry's expiresAt for the others.
        await publishLiveEvent(tx, { type: 'presence', ticketId: row.id, userId: user.id, name: user.name, state: body.state, expiresAt, scope: scopeOf(row), at: new Date().toISOString() });
      });
      return { ticketId: row.id, items: await present(em, row.id) };
    },
  });

  defineRoute(r, registry, {
    method: 'get',
    path: '/tickets/:id/presence',
    summary: 'Who views or types on a ticket now (staff; expired entries are left out)',
    tags: ['tickets'],
    action: 'ticket.viewInternal',
    params: TicketIdParams,
    response: PresenceListDto,
    errors: [404],
    handler: async ({ params, user, em }) => {
      const row = await visibleTicket(em, user, params.id);
      return { ticketId: row.id, items: await present(em, row.id) };
    },
  });

  return r;
}
