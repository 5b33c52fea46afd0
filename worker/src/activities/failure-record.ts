import { Context } from '@temporalio/activity';
import type { RecordActivityFailureInput } from '@mehrdesk/workflows/activity-contracts';
import { recordTimeline } from '@mehrdesk/core/services/timeline';
import type { ActivityDeps } from './ticket-activities';

// The workflow gave up on an activity (a permanent failure, or retries exhausted): keep the
// evidence where people look. One row per failure for ops (counted by the API's /metrics as
// mehrdesk_activity_failures_total, listed for admins), one timeline event on the ticket for
// its agents, one error log line. Idempotent by key, like every workflow write.

export async function recordActivityFailure(deps: ActivityDeps, input: RecordActivityFailureInput): Promise<void> {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? '';
  const message = input.message.slice(0, 4000);
  deps.log.error(
    { requestId: input.requestId, workflowId, ticketId: input.ticketId, failedActivity: input.activity, failureType: input.errorType, context: input.context, message },
    'ticket work failed for good; recorded on the ticket',
  );
  await deps.orm.em.fork().transactional(async (em) => {
    await em.execute(
      `insert into activity_failures (ticket_id, workflow_id, activity, error_type, message, idempotency_key, created_at)
       values (?, ?, ?, ?, ?, ?, now()) on conflict (idempotency_key) do nothing`,
      [input.ticketId, workflowId, input.activity.slice(0, 100), input.errorType.slice(0, 100), message, input.idempotencyKey],
    );
    // The ticket may be the thing that is missing: then the failure row alone tells it.
    await recordTimeline(em, {
      ticketId: input.ticketId,
      type: 'system.activity_failed',
      actor: { type: 'workflow', id: null },
      meta: { activity: input.activity, errorType: input.errorType, context: input.context, message: message.slice(0, 500) },
      idempotencyKey: input.idempotencyKey,
      onlyIfTicketExists: true,
    });
  });
}
