import type { Config } from '@mehrdesk/core/config';
import type { WebhookRetrySettings } from '@mehrdesk/workflows/activity-contracts';

/** How a webhook delivery retries: the first interval and the attempts from config, doubling up to an hour. */
export function webhookRetrySettings(config: Pick<Config, 'WEBHOOK_RETRY_INITIAL_MS' | 'WEBHOOK_MAX_ATTEMPTS'>): WebhookRetrySettings {
  return { initialIntervalMs: config.WEBHOOK_RETRY_INITIAL_MS, maximumIntervalMs: 3_600_000, maximumAttempts: config.WEBHOOK_MAX_ATTEMPTS };
}
