import type { MikroORM } from '@mehrdesk/core/db';
import { pgArray } from '@mehrdesk/core/db';

// What the database says about the deliveries of a set of tickets: the delivery rows
// (webhook_deliveries) and the delivery log (webhook_attempts, one row per HTTP try).

const idArray = (ids: number[]) => pgArray(ids);

export interface DeliveryProgress {
  rows: number;
  /** Rows with at least one logged attempt. */
  attempted: number;
  pending: number;
  succeeded: number;
  failed: number;
  attempts: number;
}

export async function deliveryProgress(orm: MikroORM, ticketIds: number[]): Promise<DeliveryProgress> {
  const [r] = await orm.em.fork().execute<Record<keyof DeliveryProgress, string>[]>(
    `select count(*) as rows, count(*) filter (where attempts > 0) as attempted, count(*) filter (where status = 'pending') as pending,
            count(*) filter (where status = 'succeeded') as succeeded, count(*) filter (where status = 'failed') as failed,
            coalesce(sum(attempts), 0) as attempts
       from webhook_deliveries where ticket_id = any(?::int[])`,
    [idArray(ticketIds)],
  );
  return {
    rows: Number(r?.rows ?? 0),
    attempted: Number(r?.attempted ?? 0),
    pending: Number(r?.pending ?? 0),
    succeeded: Number(r?.succeeded ?? 0),
    failed: Number(r?.failed ?? 0),
    attempts: Number(r?.attempts ?? 0),
  };
}

/** Deliveries by their final number of attempts: { 1: 2000, 2: 13, ... }. */
export async function attemptsHistogram(orm: MikroORM, ticketIds: number[]): Promise<Record<number, number>> {
  const rows = await orm.em
    .fork()
    .execute<{ attempts: number; n: string }[]>('select attempts, count(*) as n from webhook_deliveries where ticket_id = any(?::int[]) group by attempts order by attempts', [idArray(ticketIds)]);
  return Object.fromEntries(rows.map((r) => [r.attempts, Number(r.n)]));
}

export interface FailedAttemptsBefore {
  deliveryId: string;
  /** Failed attempts logged before the receiver came back. */
  failed: number;
  /** When the last of them was logged (ms since epoch). */
  lastAt: number;
}

/** Per delivery of these tickets: its failed attempts before `at` (the receiver's recovery). */
export async function failedAttemptsBefore(orm: MikroORM, ticketIds: number[], at: Date): Promise<FailedAttemptsBefore[]> {
  const rows = await orm.em.fork().execute<{ id: string; failed: string; last_at: string }[]>(
    `select d.id, count(a.id) as failed, extract(epoch from max(a.created_at)) * 1000 as last_at
       from webhook_deliveries d join webhook_attempts a on a.delivery_id = d.id and a.outcome <> 'success' and a.created_at < ?
      where d.ticket_id = any(?::int[]) group by d.id`,
    [at, idArray(ticketIds)],
  );
  return rows.map((r) => ({ deliveryId: r.id, failed: Number(r.failed), lastAt: Number(r.last_at) }));
}

export interface SubscriptionState {
  id: number;
  active: boolean;
  consecutiveFailures: number;
  disabledReason: string | null;
}

export async function subscriptionStates(orm: MikroORM, ids: number[]): Promise<SubscriptionState[]> {
  const rows = await orm.em
    .fork()
    .execute<{ id: number; active: boolean; consecutive_failures: number; disabled_reason: string | null }[]>(
      'select id, active, consecutive_failures, disabled_reason from webhook_subscriptions where id = any(?::int[]) order by id',
      [idArray(ids)],
    );
  return rows.map((r) => ({ id: r.id, active: r.active, consecutiveFailures: r.consecutive_failures, disabledReason: r.disabled_reason }));
}

/** Delivery ids recorded for these tickets (to compare with what the receiver saw). */
export async function deliveryIds(orm: MikroORM, ticketIds: number[]): Promise<string[]> {
  const rows = await orm.em.fork().execute<{ id: string }[]>('select id from webhook_deliveries where ticket_id = any(?::int[])', [idArray(ticketIds)]);
  return rows.map((r) => r.id);
}
