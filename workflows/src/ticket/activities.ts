import * as wf from '@temporalio/workflow';
import type { TicketActivities, WebhookActivities } from '../activity-contracts';

// The activities a ticket's workflow calls, with their timeouts and retry policies.

const DB_RETRY = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' } as const;

// Database writes: quick, retried until the database is back (a ticket change must not be lost).
// Single statements and short transactions: a lost worker is noticed within 10 s.
export const remoteDb = wf.proxyActivities<TicketActivities>({ startToCloseTimeout: '10 seconds', retry: DB_RETRY });

// The same activities as local activities: run inside the worker's workflow task with no task
// queue round trip through the server, which roughly halves server work per ticket event and
// lets a timer's work finish in one task. Idempotent, so a re-run after a crash is harmless.
export const localDb = wf.proxyLocalActivities<TicketActivities>({ startToCloseTimeout: '10 seconds', localRetryThreshold: '10 seconds', retry: DB_RETRY });

export type TicketDb = typeof remoteDb;

export const localHooks = wf.proxyLocalActivities<Pick<WebhookActivities, 'enqueueWebhooks'>>({ startToCloseTimeout: '10 seconds', localRetryThreshold: '10 seconds', retry: DB_RETRY });

// E-mail: slower and may fail for long; back off up to an hour between tries, give up after ~1 day.
export const mail = wf.proxyActivities<Pick<TicketActivities, 'sendTicketEmail' | 'sendTicketEmails'>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 hour',
    maximumAttempts: 30,
    nonRetryableErrorTypes: ['InvalidRecipient'],
  },
});

// Survey and reminder e-mails: the same patience as every e-mail; the settings lookup is a quick read.
export const followupMail = wf.proxyActivities<Pick<TicketActivities, 'sendSurvey' | 'sendPendingReminder'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 30, nonRetryableErrorTypes: ['InvalidRecipient'] },
});
export const localFollowup = wf.proxyLocalActivities<Pick<TicketActivities, 'planSurvey'>>({ startToCloseTimeout: '10 seconds', localRetryThreshold: '10 seconds', retry: DB_RETRY });
