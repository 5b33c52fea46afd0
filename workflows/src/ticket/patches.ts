// Changes made while tickets were in flight. A `ticketLifecycle` run asks patched() for each (a
// run replaying history recorded before the change keeps the old behaviour); a `ticketWorkflow`
// run was born with all of them and records no markers (run.ts, `patched`).

export const API_MARKS_STARTED_PATCH = 'api-marks-started-v1';
/** Webhooks arrived after tickets were already in flight: guard their new commands. */
export const WEBHOOKS_PATCH = 'webhooks-v1';

/** Runs recorded before local activities keep their remote ones (decided once per run). */
export const LOCAL_DB_PATCH = 'local-db-activities-v1';
/**
 * Activities that fail for good (non-retryable, or out of attempts) are recorded on the ticket
 * and the ticket carries on; before, they failed the update or, from timers and rules, the run.
 * Decided where a failure happens, so a run already waiting on such an activity takes it up.
 */
export const ACTIVITY_FAILURES_PATCH = 'activity-failures-v1';

/**
 * Satisfaction surveys after a resolution and reminders while pending (customer-followup.ts)
 * arrived after tickets were already in flight: decided at each status change (and rating), so
 * a run replaying its old history keeps none, and takes them up from its next live change on.
 */
export const FOLLOWUP_PATCH = 'customer-followup-v1';

/** Automation arrived after tickets were already in flight: guard its new commands. */
export const RULES_PATCH = 'automation-rules-v1';
