import * as wf from '@temporalio/workflow';
import type { WebhookActivities, WebhookRetrySettings } from './activity-contracts';

const quick = wf.proxyLocalActivities<Pick<WebhookActivities, 'failWebhookDelivery'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * One webhook delivery (W6): HTTP attempts as a retried activity with exponential backoff over
 * hours. Its own workflow (`webhook-<deliveryId>`), so it outlives the ticket's workflow and ops
 * can watch the attempts in Temporal UI; a manual redelivery is a new run of it.
 */
export async function webhookDelivery(input: { deliveryId: string; run: number; retry: WebhookRetrySettings }): Promise<'succeeded' | 'failed'> {
  const http = wf.proxyActivities<Pick<WebhookActivities, 'attemptWebhookDelivery'>>({
    // Covers the receiver's timeout plus our bookkeeping.
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: input.retry.maximumIntervalMs,
      maximumAttempts: input.retry.maximumAttempts,
      nonRetryableErrorTypes: ['WebhookPermanent', 'WebhookRefused', 'WebhookGone'],
    },
  });
  try {
    await http.attemptWebhookDelivery({ deliveryId: input.deliveryId, run: input.run });
    return 'succeeded';
  } catch (err) {
    const cause = err instanceof wf.ActivityFailure && err.cause instanceof Error ? err.cause.message : String(err);
    await quick.failWebhookDelivery({ deliveryId: input.deliveryId, run: input.run, reason: cause.slice(0, 500) });
    return 'failed';
  }
}
