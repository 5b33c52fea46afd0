import * as wf from '@temporalio/workflow';
import { FAILURE } from '../contracts';
import { ACTIVITY_FAILURES_PATCH } from './patches';
import type { TicketRun } from './run';

// Activities that retrying cannot fix: recorded on the ticket (timeline, the ops table, an error
// log line) so the ticket carries on; what an update cannot store is refused with the reason.

export function failureHandling(run: TicketRun) {
  const { s, patched, db, nextKey } = run;

  function refuse(type: string, message: string): never {
    throw wf.ApplicationFailure.create({ type, message, nonRetryable: true });
  }

  /**
   * The activity behind an error when Temporal gave up on it (non-retryable, or out of
   * attempts). Remote activities fail as an ActivityFailure around the cause; local ones hand
   * the workflow their non-retryable ApplicationFailure itself (the worker names the activity
   * in its details). The workflow's own refusals are not activity failures.
   */
  function gaveUp(err: unknown): { activity: string; type: string; message: string } | null {
    if (err instanceof wf.ActivityFailure) {
      const cause = err.cause;
      return {
        activity: err.activityType,
        type: cause instanceof wf.ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : (cause?.name ?? 'ActivityFailure'),
        message: cause?.message ?? err.message,
      };
    }
    if (err instanceof wf.ApplicationFailure && err.nonRetryable && !(Object.values(FAILURE) as string[]).includes(err.type ?? '')) {
      const named = err.details?.[0] as { activity?: unknown } | undefined;
      return { activity: typeof named?.activity === 'string' ? named.activity : 'unknown', type: err.type ?? 'ApplicationFailure', message: err.message };
    }
    return null;
  }

  /**
   * Record an activity failure that retrying cannot fix (ticket timeline, the ops table and
   * metric, an error log line) and report true, so the caller can carry on; false for any other
   * error, which the caller rethrows.
   */
  async function recordedFailure(err: unknown, context: string, requestId: string): Promise<boolean> {
    const f = gaveUp(err);
    if (!f || !patched(ACTIVITY_FAILURES_PATCH)) return false;
    wf.log.error('activity failed for good; recorded on the ticket', { ...f, context, ticketId: s.ticket.ticketId });
    try {
      await db.recordActivityFailure({ ticketId: s.ticket.ticketId, idempotencyKey: nextKey('failure'), requestId, context, activity: f.activity, errorType: f.type, message: f.message });
    } catch (recordErr) {
      wf.log.error('could not record the activity failure', { error: String(recordErr) });
    }
    return true;
  }

  /** Background work (timers, rules, signals): a permanent failure is recorded and the ticket goes on. */
  async function carryOn(context: string, requestId: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (!(await recordedFailure(err, context, requestId))) throw err;
    }
  }

  /** An update's writes: a permanent failure is recorded and the update refused with a clear reason. */
  async function orRefuse<T>(context: string, requestId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (await recordedFailure(err, context, requestId))
        refuse(FAILURE.notStored, `Ticket ${s.ticket.number}: the ${context} could not be stored (${gaveUp(err)!.type}: ${gaveUp(err)!.message}); this is recorded on the ticket's timeline`);
      throw err;
    }
  }

  return { refuse, gaveUp, recordedFailure, carryOn, orRefuse };
}

export type Failures = ReturnType<typeof failureHandling>;
