// The one writer of single ticket timeline entries (the timeline is the ticket's history: who
// did what, when). Every entry has an idempotency key, so a retried write adds nothing. The
// set-based writers elsewhere (ticket creation's one statement, the tag catalogue's
// rename/delete across every ticket carrying a tag) use TIMELINE_INSERT.

interface Executor {
  execute<T>(sql: string, params?: unknown[]): Promise<T>;
}

export interface TimelineWrite {
  ticketId: number;
  type: string;
  actor: { type: 'user' | 'system' | 'workflow' | 'rule'; id: number | null };
  field?: string | null;
  from?: unknown;
  to?: unknown;
  meta?: Record<string, unknown> | null;
  idempotencyKey: string;
  /** When it happened (default: the transaction's now()). */
  at?: Date;
  /** Write nothing when the ticket row does not exist (failures recorded for a missing ticket). */
  onlyIfTicketExists?: boolean;
}

/** The insert's head, for the set-based writers that select their rows (ticket creation, the tag catalogue). */
export const TIMELINE_INSERT = 'insert into timeline_events (ticket_id, type, actor_type, actor_id, field, old_value, new_value, meta, idempotency_key, created_at)';

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

export async function recordTimeline(em: Executor, e: TimelineWrite): Promise<void> {
  const values = [e.ticketId, e.type, e.actor.type, e.actor.id, e.field ?? null, json(e.from), json(e.to), json(e.meta ?? {}), e.idempotencyKey, e.at ?? null];
  await em.execute(
    `${TIMELINE_INSERT}
     select ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, coalesce(?::timestamptz, now())
      ${e.onlyIfTicketExists ? 'where exists (select 1 from tickets where id = ?)' : ''}
     on conflict (idempotency_key) do nothing`,
    e.onlyIfTicketExists ? [...values, e.ticketId] : values,
  );
}
