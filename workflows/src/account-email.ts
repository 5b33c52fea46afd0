import * as wf from '@temporalio/workflow';

// E-mails about an account rather than a ticket: the sign-up verification link, the password
// reset link, an admin's invitation (a reset link that lives longer, worded as a welcome), and
// "you already have an account" (sent instead of a verification when someone signs up with an
// address that has one, so the sign-up form reveals nothing), and "your account is locked" (sent
// when repeated wrong passwords lock an account for a while, so its owner learns of the attack). Each is
// its own short workflow (`account-email-<nonce>`): the SMTP hand-off is a retried activity,
// ops see it in Temporal UI, and a duplicate start is refused by the workflow id.
//
// The history holds the link's claims but never the link: the activity signs it with the
// secret only the API and the worker hold.

export const ACCOUNT_EMAIL_KINDS = ['verify', 'reset', 'invite', 'account_exists', 'account_locked'] as const;
export type AccountEmailKind = (typeof ACCOUNT_EMAIL_KINDS)[number];

export interface AccountEmailInput {
  kind: AccountEmailKind;
  /** `verify`: the portal_signups row; the others: the user. */
  recipientId: number;
  /** The link's nonce (also the workflow id's suffix); unused by `account_exists` and `account_locked`. */
  nonce: string;
  /** Unix seconds the link expires at. */
  expiresAt: number;
  /** `reset`, `invite`: the password fingerprint the link is bound to (core/src/services/signed-links.ts). */
  binding?: string;
  /** `account_locked`: how long the lock lasts, and the client address of the attempt that locked it. */
  lock?: { minutes: number; failures: number; clientAddress: string };
  requestId: string;
}

export interface AccountEmailActivities {
  sendAccountEmail(input: AccountEmailInput): Promise<'sent' | 'skipped'>;
}

export const accountEmailWorkflowId = (nonce: string) => `account-email-${nonce}`;

/** Links live for hours: retrying the hand-off after they expired would only send dead links. */
export async function accountEmail(input: AccountEmailInput): Promise<'sent' | 'skipped' | 'failed'> {
  const attemptsUntil = Math.max(60, input.expiresAt - Math.floor(Date.now() / 1000));
  const smtp = wf.proxyActivities<AccountEmailActivities>({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: `${attemptsUntil} seconds`,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: ['InvalidRecipient', 'MailRejected', 'RecipientGone'] },
  });
  try {
    return await smtp.sendAccountEmail(input);
  } catch (err) {
    // Nothing to record on: no ticket. The failure stays visible as this workflow's result.
    wf.log.warn('account e-mail not delivered', { kind: input.kind, error: err instanceof Error ? err.message : String(err) });
    return 'failed';
  }
}
