import type { EntityManager } from '@mikro-orm/postgresql';
import type { TicketFieldChanges } from '@mehrdesk/core/db';
import { DomainError, cannotProcess, invalidInput, type FieldProblem } from '../errors';
import { applyFieldChanges, type ChangeCtx } from './change-ticket';
import type { UseCaseDeps } from './create-ticket';
import type { TicketRow } from './ticket-row';

// Bulk actions (T7): one field change applied to many tickets, each through its own workflow
// exactly as a single change would be, with a result per ticket so partial failures are visible
// (a ticket that is not visible, finished or refuses the transition fails alone). Macros check
// their field changes with the same reference check.

export const MAX_BULK_IDS = 200;
/** Workflow updates in flight at once: fast enough for 200 tickets, gentle on Temporal. */
const CONCURRENCY = 4;

/** What happened to one ticket: changed, refused (what the single-ticket change would have raised) or failed unexpectedly (logged). */
export type BulkTicketResult = { id: number; outcome: 'changed'; ticket: TicketRow } | { id: number; outcome: 'refused'; error: DomainError } | { id: number; outcome: 'failed' };

export interface BulkChangeResult {
  /** One per id, in the order given. */
  results: BulkTicketResult[];
  succeeded: number;
  failed: number;
}

/** Refuse the whole change when it names an unknown agent or group (`at`: where the caller's input holds the changes). */
export async function checkFieldReferences(em: EntityManager, set: TicketFieldChanges, at: string): Promise<void> {
  const problems: FieldProblem[] = [];
  if (set.assigneeId !== undefined && set.assigneeId !== null) {
    const rows = await em.execute(`select 1 from users where id = ? and active and role <> 'customer'`, [set.assigneeId]);
    if (rows.length === 0) problems.push({ path: `${at}.assigneeId`, message: `No active agent ${set.assigneeId}` });
  }
  if (set.groupId !== undefined && set.groupId !== null) {
    const rows = await em.execute('select 1 from groups where id = ?', [set.groupId]);
    if (rows.length === 0) problems.push({ path: `${at}.groupId`, message: `No group ${set.groupId}` });
  }
  if (problems.length) throw cannotProcess('unprocessable', 'Request refers to unknown records', problems);
}

async function inPool<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

/** The ids a bulk change may name: 1 to MAX_BULK_IDS, each once (field paths as the API names them). */
function checkIds(ids: readonly number[]): void {
  if (ids.length === 0 || ids.length > MAX_BULK_IDS) throw invalidInput(`Give 1 to ${MAX_BULK_IDS} tickets`, [{ path: 'body.ids', message: `${ids.length} tickets given` }]);
  const seen = new Set<number>();
  const twice: FieldProblem[] = [];
  ids.forEach((id, i) => {
    if (seen.has(id)) twice.push({ path: `body.ids.${i}`, message: `ticket ${id} is listed twice` });
    seen.add(id);
  });
  if (twice.length) throw invalidInput('A ticket is listed twice', twice);
}

/**
 * Apply one field change to many tickets. Unknown agents or groups refuse the whole change
 * before any ticket is touched; afterwards each ticket succeeds or fails on its own.
 */
export async function bulkChangeTickets(deps: UseCaseDeps, ctx: ChangeCtx, input: { ids: readonly number[]; set: TicketFieldChanges }): Promise<BulkChangeResult> {
  checkIds(input.ids);
  await checkFieldReferences(ctx.em, input.set, 'body.set');
  const results = await inPool(input.ids, CONCURRENCY, async (id): Promise<BulkTicketResult> => {
    try {
      // Own EntityManager per ticket: the changes run concurrently.
      return { id, outcome: 'changed', ticket: await applyFieldChanges(deps, { ...ctx, em: ctx.em.fork() }, id, input.set) };
    } catch (err) {
      if (err instanceof DomainError) return { id, outcome: 'refused', error: err };
      deps.log.error({ err, ticketId: id, requestId: ctx.requestId }, 'bulk change failed');
      return { id, outcome: 'failed' };
    }
  });
  const succeeded = results.filter((x) => x.outcome === 'changed').length;
  return { results, succeeded, failed: results.length - succeeded };
}
