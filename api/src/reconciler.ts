import type { AppDeps } from './deps';
import { ensureWorkflow, loadTicketRow } from '@mehrdesk/usecases/tickets/ticket-row';
import { startPeriodic } from './ops/periodic';

/**
 * Start the workflow of any ticket whose creation committed but whose start did not happen
 * (API crashed or Temporal was down in between). Starting is idempotent (USE_EXISTING), so
 * every API replica may run this without coordination.
 */
export function startReconciler(deps: AppDeps, everyMs = 30_000): () => void {
  return startPeriodic(deps.log, 'reconciler', everyMs, async () => {
    const em = deps.orm.em.fork();
    const rows = await em.execute<{ id: number }[]>(
      `select id from tickets where workflow_started_at is null and deleted_at is null
         and created_at < now() - interval '20 seconds' and status not in ('closed', 'cancelled')
       order by id limit 200`,
    );
    for (const { id } of rows) {
      const row = await loadTicketRow(em, id);
      if (!row) continue;
      await ensureWorkflow(deps, em, row, `reconciler:${id}`).catch((err: unknown) => deps.log.warn({ err, ticketId: id }, 'reconciler could not start workflow'));
    }
    if (rows.length) deps.log.info({ count: rows.length }, 'reconciler started missing ticket workflows');
  });
}
