import * as wf from '@temporalio/workflow';
import type { WebhookActivities, WebhookRetrySettings } from './activity-contracts';

const quick = wf.proxyLocalActivities<Pick<WebhookActivities, 'failWebhookDelivery'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Failure types of attemptWebhookDelivery that another try cannot fix. */
const PERMANENT = ['WebhookPermanent', 'WebhookRefused', 'WebhookGone'];

/**
 * Runs started from now on try the receiver first as a local activity, inside the workflow's
 * first task: most receivers answer at once, and a delivery then costs one workflow task rather
 * than two plus an activity task (benchmarks-webhooks.md). Runs recorded before keep their path.
 */
export const LOCAL_FIRST_ATTEMPT_PATCH = 'webhook-local-first-attempt-v1';

/**
 * One webhook delivery (docs/capabilities.md W6): HTTP attempts with exponential backoff over hours. Its
 * own workflow (`webhook-<deliveryId>`), so it outlives the ticket's workflow and ops can watch
 * the attempts in Temporal UI; a manual redelivery is a new run of it.
 */
export async function webhookDelivery(input: { deliveryId: string; run: number; retry: WebhookRetrySettings }): Promise<'succeeded' | 'failed'> {
  const { deliveryId, run, retry } = input;
  let attemptsBefore = 0;
  try {
    if (wf.patched(LOCAL_FIRST_ATTEMPT_PATCH)) {
      try {
        await firstAttempt.attemptWebhookDelivery({ deliveryId, run });
        return 'succeeded';
      } catch (err) {
        if (retry.maximumAttempts <= 1 || permanent(err)) throw err;
      }
      // The backoff continues as if the first try had been an activity attempt.
      attemptsBefore = 1;
      await wf.sleep(retry.initialIntervalMs);
    }
    await laterAttempts(retry, attemptsBefore).attemptWebhookDelivery({ deliveryId, run, ...(attemptsBefore ? { attemptsBefore } : {}) });
    return 'succeeded';
  } catch (err) {
    const failure = attemptFailure(err);
    const cause = failure instanceof Error ? failure.message : String(failure);
    await quick.failWebhookDelivery({ deliveryId, run, reason: cause.slice(0, 500) });
    return 'failed';
  }
}

/** What the attempt threw: an activity's failure arrives wrapped in an ActivityFailure, a local activity's may not. */
const attemptFailure = (err: unknown) => (err instanceof wf.ActivityFailure ? err.cause : err);
const permanent = (err: unknown) => {
  const cause = attemptFailure(err);
  return cause instanceof wf.ApplicationFailure && (cause.nonRetryable || PERMANENT.includes(cause.type ?? ''));
};

/** One try in the workflow task; covers the receiver's timeout plus our bookkeeping. */
const firstAttempt = wf.proxyLocalActivities<Pick<WebhookActivities, 'attemptWebhookDelivery'>>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

/** The remaining tries as a retried activity: intervals double from where the first try left off. */
const laterAttempts = (retry: WebhookRetrySettings, attemptsBefore: number) =>
  wf.proxyActivities<Pick<WebhookActivities, 'attemptWebhookDelivery'>>({
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: Math.min(retry.initialIntervalMs * 2 ** attemptsBefore, retry.maximumIntervalMs),
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs,
      maximumAttempts: retry.maximumAttempts - attemptsBefore,
      nonRetryableErrorTypes: PERMANENT,
    },
  });
