import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import {
  FAILURE,
  TICKET_WORKFLOW_TYPE,
  ticketAssigneeKey,
  ticketGroupKey,
  ticketNumberKey,
  ticketPriorityKey,
  ticketSlaStateKey,
  ticketStatusKey,
  ticketWorkflowId,
  type TicketLifecycleInput,
} from '@mehrdesk/workflows/contracts';
import type { Config } from '@mehrdesk/core/config';
import { HttpError, badRequest, conflict, unavailable } from '../http/errors';

// The API's only way to change a ticket after creation: workflow updates, whose failures are
// mapped to HTTP statuses here.

export async function startTicketWorkflow(temporal: Client, config: Config, input: TicketLifecycleInput): Promise<void> {
  const t = input.ticket;
  await temporal.workflow.start(TICKET_WORKFLOW_TYPE, {
    workflowId: ticketWorkflowId(t.ticketId),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    args: [input],
    // A retry of the same creation finds the running workflow instead of starting another.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    memo: { requestId: input.requestId, ticketNumber: t.number },
    typedSearchAttributes: [
      { key: ticketNumberKey, value: t.number },
      { key: ticketStatusKey, value: t.status },
      { key: ticketPriorityKey, value: t.priority },
      { key: ticketAssigneeKey, value: t.assigneeLabel },
      { key: ticketGroupKey, value: t.groupId === null ? '' : String(t.groupId) },
      { key: ticketSlaStateKey, value: 'ok' },
    ],
  });
}

// Same wording test as the 409 mapping below: anything that maps to "finished" is retried first.
const RUN_CLOSED = /completed|already finished|continued as new|closed/i;

/**
 * Run a workflow update, riding over Continue-As-New: an update that reaches a run just as it
 * continues as new is refused by that run, and the retry (addressed by workflow id) reaches the
 * new one. Only a run that stays closed is reported as finished.
 */
async function withRunRetry<R>(fn: () => Promise<R>, attempts = 5): Promise<R> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const closed = err instanceof WorkflowNotFoundError || (err instanceof Error && RUN_CLOSED.test(`${err.message} ${err.cause instanceof Error ? err.cause.message : ''}`));
      if (!closed || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100 * i));
    }
  }
}

/** The one way to send an update to a ticket's workflow (retried across Continue-As-New). */
export function executeTicketUpdate<Ret, Args extends [unknown, ...unknown[]]>(
  temporal: Client,
  ticketId: number,
  update: UpdateDefinition<Ret, Args>,
  options: { args: Args; updateId?: string },
): Promise<Ret> {
  return withRunRetry(() => temporal.workflow.getHandle(ticketWorkflowId(ticketId)).executeUpdate(update, options));
}

const STATUS_OF: Record<string, number> = {
  [FAILURE.versionConflict]: 409,
  [FAILURE.illegalTransition]: 409,
  [FAILURE.ticketFinished]: 409,
  [FAILURE.invalidRequest]: 400,
  [FAILURE.notStored]: 422,
};

/** Translate a failed workflow update/query into the HTTP error a client should see. */
export function mapWorkflowError(err: unknown, ticketNumber: string): HttpError {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type ?? '';
    const status = STATUS_OF[type];
    if (status === 400) return badRequest(err.cause.message);
    if (status === 422) return new HttpError(422, 'change_not_stored', err.cause.message);
    if (status === 409) return conflict(type === FAILURE.versionConflict ? 'version_conflict' : type === FAILURE.illegalTransition ? 'illegal_transition' : 'ticket_finished', err.cause.message);
  }
  if (err instanceof WorkflowNotFoundError) return conflict('ticket_finished', `Ticket ${ticketNumber} is no longer active (its lifecycle has ended)`);
  if (err instanceof HttpError) return err;
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = (err instanceof Error ? err.message : String(err)) + cause;
  if (/completed|already finished/i.test(message)) return conflict('ticket_finished', `Ticket ${ticketNumber} is no longer active (its lifecycle has ended)`);
  return unavailable(`Ticket workflow unavailable: ${message}`);
}
