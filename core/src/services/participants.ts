import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../db/sql';

// Ticket participants: people besides the requester whose e-mail replies thread onto the ticket
// as public replies (mail from anyone else is held for review). Shared by the inbound channel
// (people copied on the requester's mail) and the API (staff adding a held mail's sender).

/** Add addresses (lower-cased) as participants; repeating one is harmless. */
export async function addParticipants(em: EntityManager, ticketId: number, emails: readonly string[]): Promise<void> {
  const list = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e !== '' && e.length <= 254))];
  if (list.length === 0) return;
  await em.execute(`insert into ticket_participants (ticket_id, email, created_at) select ?, unnest(?::text[]), now() on conflict (ticket_id, email) do nothing`, [ticketId, pgArray(list)]);
}
