import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '@mehrdesk/core/logger';
import { TemplateRenderError } from '@mehrdesk/usecases/email/custom-templates';
import { TicketRowMissing } from './ticket-writes';

// Which activity failures can a retry fix? Temporal retries whatever an activity throws, and the
// ticket workflow's database activities retry without limit (a database outage must not lose a
// change). That is right for a lost connection and wrong for a value the database refuses: the
// same statement fails again forever and the ticket's workflow waits behind it. Every activity
// is wrapped here, so a failure that retrying cannot fix becomes a non-retryable
// ApplicationFailure whose type names the kind; the workflow then records it on the ticket and
// carries on (workflows/src/ticket-lifecycle.ts).

/** ApplicationFailure types of permanent failures, as the workflow and the timeline show them. */
export const PERMANENT = {
  /** PostgreSQL refused a value (SQLSTATE class 22, 08P01: encoding, NUL, out of range, bad date). */
  unstorableData: 'UnstorableData',
  /** A constraint refused the row (class 23), the same every time. */
  constraintViolation: 'ConstraintViolation',
  /** A statement the database can never run (class 42: the code and schema disagree; class 54: limits). */
  invalidStatement: 'InvalidStatement',
  ticketRowMissing: 'TicketRowMissing',
  /** A programming error (TypeError, RangeError...): the same input fails the same way. */
  activityBug: 'ActivityBug',
  /** An admin's e-mail template broke a rendering limit (time, size): it does so every time. */
  templateRejected: 'TemplateRejected',
} as const;

/** SQLSTATE classes (and single codes) whose errors repeat whatever the number of tries. */
const PERMANENT_SQLSTATE: [RegExp, string][] = [
  [/^22/, PERMANENT.unstorableData],
  [/^08P01$/, PERMANENT.unstorableData],
  [/^23/, PERMANENT.constraintViolation],
  [/^(42|54|2B|44)/, PERMANENT.invalidStatement],
];

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The permanent failure type of an error, or null when a retry may succeed (connections, deadlocks, timeouts). */
export function permanentFailureType(err: unknown): string | null {
  if (err instanceof TicketRowMissing) return PERMANENT.ticketRowMissing;
  if (err instanceof TemplateRenderError) return PERMANENT.templateRejected;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && SQLSTATE.test(code)) {
    for (const [re, type] of PERMANENT_SQLSTATE) if (re.test(code)) return type;
    return null;
  }
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return PERMANENT.activityBug;
  return null;
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

/**
 * Wrap every activity of a set: permanent failures leave as non-retryable ApplicationFailures
 * (logged once, at error level, for ops); everything else is rethrown for Temporal to retry.
 */
export function classifyFailures<T extends Record<string, AnyActivity>>(activities: T, log: Logger): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        const type = permanentFailureType(err);
        if (type === null) throw err;
        const message = err instanceof Error ? err.message : String(err);
        log.error({ err, activity: name, failureType: type }, 'activity failed in a way retrying cannot fix');
        // `details` name the activity: a local activity's failure reaches the workflow without it.
        throw ApplicationFailure.create({ type, message: `${name}: ${message}`.slice(0, 2000), nonRetryable: true, details: [{ activity: name }], cause: err instanceof Error ? err : undefined });
      }
    };
  }
  return wrapped as T;
}
