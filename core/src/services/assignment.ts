import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../db/sql';
import { OPEN_STATUSES } from '../domain';

// Auto-assignment (W4): all shared state (the round-robin cursor, open-ticket counts) lives in
// PostgreSQL so any number of API/worker replicas agree. The choice is SQL (ASSIGNEE_PICK), so
// ticket creation can make it inside its one statement and escalations by themselves.

export interface AssigneeChoice {
  userId: number;
  label: string;
}

const OPEN = OPEN_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Common table expressions ending in `assign_pick` (id, email): the agent a new ticket of a group
 * goes to, or no row. The group's round-robin cursor advances, which locks its row until the
 * statement's transaction ends: two round-robin picks at the same instant get consecutive
 * positions (the update re-reads the locked row). The open-ticket counts of least-open are read
 * from the statement's snapshot, taken before that lock is granted, so concurrent least-open
 * picks must first take {@link lockLeastOpenPicks} in their transaction. Eligible: active, available staff of the group, not excluded, under
 * their capacity (open tickets counted from the partial index `tickets_open_assignee_index`,
 * whose status list is OPEN_STATUSES: assignment.unit.test.ts). Round-robin walks them in id
 * order; least-open takes the fewest open tickets, then the lowest id; manual picks nobody.
 * Parameters, in order: the group id (null: pick nobody), the group id again, the excluded ids (int[]).
 */
export const ASSIGNEE_PICK = `
  assign_group as (
    update groups set rr_cursor = rr_cursor + 1
     where id = ?::int and strategy <> 'manual'
    returning rr_cursor, strategy
  ), assign_pool as (
    select c.id, c.email, c.open_count, row_number() over (order by c.id) - 1 as pos, count(*) over () as size
      from (select u.id, u.email, u.capacity,
                   (select count(*) from tickets t
                     where t.assignee_id = u.id and t.deleted_at is null and t.status in (${OPEN})) as open_count
              from assign_group
              join group_members gm on gm.group_id = ?::int
              join users u on u.id = gm.user_id
             where u.active and u.available and u.role <> 'customer' and not (u.id = any(?::int[]))) c
     where c.capacity is null or c.open_count < c.capacity
  ), assign_pick as (
    select p.id, p.email
      from assign_pool p cross join assign_group g
     where g.strategy = 'least_open' or p.pos = (g.rr_cursor - 1) % p.size
     order by case when g.strategy = 'least_open' then p.open_count end, p.id
     limit 1
  )`;

/** The parameters of ASSIGNEE_PICK. */
export const assigneePickParams = (groupId: number | null, exclude: readonly number[] = []): unknown[] => [groupId, groupId, pgArray(exclude)];

/** Choose an agent of `groupId` now (escalations, rule actions); inside the caller's transaction when there is one. */
export async function chooseAssignee(em: EntityManager, groupId: number, opts: { exclude?: number[] } = {}): Promise<AssigneeChoice | null> {
  const [pick] = await em.execute<{ id: number; email: string }[]>(`with ${ASSIGNEE_PICK} select id, email from assign_pick`, assigneePickParams(groupId, opts.exclude));
  return pick ? { userId: pick.id, label: pick.email } : null;
}

/** The first key of the advisory locks that serialise least-open picks (the second is the group id). */
const LEAST_OPEN_LOCK = 0x4d444c4f; // 'MDLO'

/**
 * Serialises least-open picks of `groupId` until `tx` ends. Taken in its own statement before
 * the statement that picks: under READ COMMITTED that statement's snapshot is then taken after the
 * previous pick committed, so it counts the ticket just given out and the load stays balanced.
 */
export async function lockLeastOpenPicks(tx: Pick<EntityManager, 'execute'>, groupId: number): Promise<void> {
  await tx.execute('select pg_advisory_xact_lock(?, ?)', [LEAST_OPEN_LOCK, groupId]);
}
