import type { EntityManager } from '@mikro-orm/postgresql';
import { OPEN_STATUSES, type AssignmentStrategy } from '../domain';

// Auto-assignment (W4). Runs inside the caller's transaction; all shared state (the round-robin
// cursor, open-ticket counts) lives in PostgreSQL so any number of API/worker replicas agree.

export interface AssigneeChoice {
  userId: number;
  label: string;
}

interface Candidate {
  id: number;
  email: string;
  open_count: string | number;
}

/**
 * Eligible agents of a group: active, marked available, staff, and under their capacity.
 * Ordered by id so round-robin walks a stable ring.
 */
async function candidates(em: EntityManager, groupId: number, exclude: number[]): Promise<Candidate[]> {
  return em
    .execute<Candidate[]>(
      `select u.id, u.email,
            (select count(*) from tickets t
              where t.assignee_id = u.id and t.deleted_at is null
                and t.status in (${OPEN_STATUSES.map(() => '?').join(',')})) as open_count,
            u.capacity
       from group_members gm
       join users u on u.id = gm.user_id
      where gm.group_id = ? and u.active and u.available and u.role <> 'customer'
        ${exclude.length ? `and u.id not in (${exclude.map(() => '?').join(',')})` : ''}
      order by u.id`,
      [...OPEN_STATUSES, groupId, ...exclude],
    )
    .then((rows) =>
      rows.filter((r) => {
        const cap = (r as unknown as { capacity: number | null }).capacity;
        return cap === null || Number(r.open_count) < cap;
      }),
    );
}

export async function chooseAssignee(em: EntityManager, groupId: number, opts: { exclude?: number[] } = {}): Promise<AssigneeChoice | null> {
  // Serialise choices per group for the rest of the transaction: two tickets created at the
  // same instant must not both see the same "least loaded" agent.
  await em.execute('select pg_advisory_xact_lock(?, ?)', [7301, groupId]);
  const [group] = await em.execute<{ strategy: AssignmentStrategy }[]>('select strategy from groups where id = ?', [groupId]);
  if (!group || group.strategy === 'manual') return null;
  const pool = await candidates(em, groupId, opts.exclude ?? []);
  if (pool.length === 0) return null;
  let pick: Candidate;
  if (group.strategy === 'least_open') {
    pick = pool.reduce((best, c) => (Number(c.open_count) < Number(best.open_count) ? c : best));
  } else {
    const [row] = await em.execute<{ rr_cursor: number }[]>('update groups set rr_cursor = rr_cursor + 1 where id = ? returning rr_cursor', [groupId]);
    pick = pool[(row!.rr_cursor - 1) % pool.length]!;
  }
  return { userId: pick.id, label: pick.email };
}
