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
  capacity: number | null;
  rr_cursor: number;
  strategy: AssignmentStrategy;
}

/**
 * One statement: advance the group's round-robin cursor, which also locks its row until the
 * caller's transaction ends (two tickets created at the same instant must not both see the same
 * "least loaded" agent), and read the eligible agents: active, available staff, ordered by id so
 * round-robin walks a stable ring, with their open tickets counted from the partial index
 * `tickets_open_assignee_index` (its status list is OPEN_STATUSES; assignment.unit.test.ts).
 */
const CANDIDATES = (excluded: number) => `
  with g as (update groups set rr_cursor = rr_cursor + 1 where id = ? and strategy <> 'manual' returning rr_cursor, strategy)
  select u.id, u.email, u.capacity, g.rr_cursor, g.strategy,
         (select count(*) from tickets t
           where t.assignee_id = u.id and t.deleted_at is null and t.status in (${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')})) as open_count
    from g
    join group_members gm on gm.group_id = ?
    join users u on u.id = gm.user_id
   where u.active and u.available and u.role <> 'customer'
     ${excluded ? `and u.id not in (${Array.from({ length: excluded }, () => '?').join(',')})` : ''}
   order by u.id`;

export async function chooseAssignee(em: EntityManager, groupId: number, opts: { exclude?: number[] } = {}): Promise<AssigneeChoice | null> {
  const exclude = opts.exclude ?? [];
  const rows = await em.execute<Candidate[]>(CANDIDATES(exclude.length), [groupId, groupId, ...exclude]);
  // Agents at their capacity are skipped; the cursor counts choices, not agents.
  const pool = rows.filter((r) => r.capacity === null || Number(r.open_count) < r.capacity);
  if (pool.length === 0) return null;
  const pick = pool[0]!.strategy === 'least_open' ? pool.reduce((best, c) => (Number(c.open_count) < Number(best.open_count) ? c : best)) : pool[(pool[0]!.rr_cursor - 1) % pool.length]!;
  return { userId: pick.id, label: pick.email };
}
