import type { MikroORM } from '@mehrdesk/core/db';
import { pgArray } from '@mehrdesk/core/db';

// What became of the benchmark's messages, read from PostgreSQL by their Message-IDs:
// inbound_emails (status, reason, ticket, processed_at) and the ticket message each produced
// (messages.email_message_id; for a new ticket its first message, written with the ticket row).

const textArray = (xs: string[]) => pgArray(xs);

/** Message-ID → ticket id for the messages that have been turned into a ticket or reply so far. */
export async function processedTickets(orm: MikroORM, messageIds: string[]): Promise<Map<string, number>> {
  if (messageIds.length === 0) return new Map();
  const rows = await orm.em
    .fork()
    .execute<{ message_id: string; ticket_id: number }[]>(
      `select message_id, ticket_id from inbound_emails where message_id = any(?::text[]) and status in ('ticket_created', 'replied') and ticket_id is not null`,
      [textArray(messageIds)],
    );
  return new Map(rows.map((r) => [r.message_id, r.ticket_id]));
}

/** How many of these messages are no longer waiting to be processed. */
export async function doneCount(orm: MikroORM, messageIds: string[]): Promise<number> {
  const [r] = await orm.em
    .fork()
    .execute<{ n: string }[]>(`select count(distinct message_id) as n from inbound_emails where message_id = any(?::text[]) and status not in ('received', 'failed')`, [textArray(messageIds)]);
  return Number(r?.n ?? 0);
}

export interface MessageFate {
  messageId: string;
  /** inbound_emails rows for this Message-ID (1 unless the message was stored twice). */
  inboundRows: number;
  status: string | null;
  reason: string | null;
  ticketId: number | null;
  processedAt: number;
  /** Ticket messages carrying this Message-ID (1 expected; 2+ would be a duplicate). */
  messageRows: number;
  /** created_at of the ticket message (= the ticket row's for a new ticket), ms since epoch. */
  messageAt: number;
  messageTicketId: number | null;
  attachments: number;
}

export async function messageFates(orm: MikroORM, messageIds: string[]): Promise<Map<string, MessageFate>> {
  const rows = await orm.em.fork().execute<
    {
      message_id: string;
      inbound_rows: string;
      status: string | null;
      reason: string | null;
      ticket_id: number | null;
      processed_at: string | null;
      message_rows: string;
      message_at: string | null;
      message_ticket_id: number | null;
      attachments: string;
    }[]
  >(
    `with ids as (select unnest(?::text[]) as message_id)
     select ids.message_id,
            (select count(*) from inbound_emails i where i.message_id = ids.message_id) as inbound_rows,
            i.status, i.reason, i.ticket_id, extract(epoch from i.processed_at) * 1000 as processed_at,
            (select count(*) from messages m where m.email_message_id = ids.message_id) as message_rows,
            extract(epoch from m.created_at) * 1000 as message_at, m.ticket_id as message_ticket_id,
            (select count(*) from attachments a where a.message_id = m.id) as attachments
       from ids
       left join lateral (select * from inbound_emails i where i.message_id = ids.message_id order by i.id limit 1) i on true
       left join lateral (select * from messages m where m.email_message_id = ids.message_id order by m.id limit 1) m on true`,
    [textArray(messageIds)],
  );
  return new Map(
    rows.map((r) => [
      r.message_id,
      {
        messageId: r.message_id,
        inboundRows: Number(r.inbound_rows),
        status: r.status,
        reason: r.reason,
        ticketId: r.ticket_id,
        processedAt: r.processed_at === null ? NaN : Number(r.processed_at),
        messageRows: Number(r.message_rows),
        messageAt: r.message_at === null ? NaN : Number(r.message_at),
        messageTicketId: r.message_ticket_id,
        attachments: Number(r.attachments),
      },
    ]),
  );
}

/** Jobs of the inbound queue that failed (they stay in Redis for bull-board), by inbound status. */
export async function inboundStatusCounts(orm: MikroORM, messageIds: string[]): Promise<Record<string, number>> {
  const rows = await orm.em
    .fork()
    .execute<{ status: string; n: string }[]>('select status, count(*) as n from inbound_emails where message_id = any(?::text[]) group by status order by status', [textArray(messageIds)]);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
