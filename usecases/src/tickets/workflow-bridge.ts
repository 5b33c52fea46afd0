import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { FAILURE, TICKET_WORKFLOW_TYPE, type TicketLifecycleInput, ticketSearchAttributes, ticketWorkflowId } from '@mehrdesk/workflows/contracts';
import type { Config } from '@mehrdesk/core/config';
import { DomainError, cannotProcess, conflictWith, invalidInput, unavailableNow } from '../errors';

// The only way to change a ticket after creation, for the API and every channel: workflow
// updates, whose failures are translated into domain errors here.

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
    typedSearchAttributes: ticketSearchAttributes(t, 'ok'),
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

const KIND_OF: Record<string, 'conflict' | 'invalid' | 'unprocessable'> = {
  [FAILURE.versionConflict]: 'conflict',
  [FAILURE.illegalTransition]: 'conflict',
  [FAILURE.ticketFinished]: 'conflict',
  [FAILURE.invalidRequest]: 'invalid',
  [FAILURE.notStored]: 'unprocessable',
};

/** Translate a failed workflow update/query into the domain error a caller should see (other errors pass through). */
export function mapWorkflowError(err: unknown, ticketNumber: string): Error {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type ?? '';
    const kind = KIND_OF[type];
    if (kind === 'invalid') return invalidInput(err.cause.message);
    if (kind === 'unprocessable') return cannotProcess('change_not_stored', err.cause.message);
    if (kind === 'conflict')
      return conflictWith(type === FAILURE.versionConflict ? 'version_conflict' : type === FAILURE.illegalTransition ? 'illegal_transition' : 'ticket_finished', err.cause.message);
  }
  if (err instanceof WorkflowNotFoundError) return conflictWith('ticket_finished', `Ticket ${ticketNumber} is no longer active (its lifecycle has ended)`);
  // The caller's own refusals (the API's HTTP errors are domain errors too) pass through.
  if (err instanceof DomainError) return err;
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = (err instanceof Error ? err.message : String(err)) + cause;
  if (/completed|already finished/i.test(message)) return conflictWith('ticket_finished', `Ticket ${ticketNumber} is no longer active (its lifecycle has ended)`);
  return unavailableNow(`Ticket workflow unavailable: ${message}`);
}
