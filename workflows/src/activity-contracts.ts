import type { NotificationEvent, Priority, SlaClockName, SlaState, TicketEvent, TicketStatus } from '@mehrdesk/core/domain';
import { NOTIFICATION_EVENTS } from '@mehrdesk/core/domain';
import type { Actor, RuleActionPlan, TicketSnapshot } from './contracts';

// The activities the ticket workflow calls, declared as an interface so the workflow can
// depend on their types only while the worker provides the implementation.

export interface TimelineEntry {
  type: string;
  field: string | null;
  from: unknown;
  to: unknown;
  meta?: Record<string, unknown>;
}

export interface ApplyTicketChangeInput {
  ticketId: number;
  idempotencyKey: string;
  requestId: string;
  actor: Actor;
  expectedVersion: number;
  set: {
    status?: TicketStatus;
    priority?: Priority;
    assigneeId?: number | null;
    groupId?: number | null;
    firstRespondedAt?: number | null;
    resolvedAt?: number | null;
    closedAt?: number | null;
    tags?: string[];
    deletedAt?: number | null;
    categoryId?: number | null;
    customFields?: Record<string, string | number | boolean | null>;
  };
  timeline: TimelineEntry[];
  sla?: SlaWrite;
}

/** Denormalised SLA columns on the ticket row (list filters) plus the SLA events to log. */
export interface SlaWrite {
  slaState: SlaState;
  firstResponseDueAt: number | null;
  resolutionDueAt: number | null;
  events: SlaEventWrite[];
}

export interface SlaEventWrite {
  clock: SlaClockName;
  type: 'warning' | 'breach' | 'met' | 'paused' | 'resumed';
  targetAt: number | null;
  actualAt: number;
  met: boolean | null;
}

export interface PersistMessageInput {
  ticketId: number;
  idempotencyKey: string;
  requestId: string;
  actor: Actor;
  kind: 'public' | 'internal';
  channel: string;
  bodyHtml: string;
  bodyText: string;
  email?: { messageId: string | null; inReplyTo: string | null; references: string[] };
  /** Stored with review status `held` and the sender's address (see AddMessageRequest). */
  heldForReview?: { from: string };
  /** The author's pending uploads, linked to the message in the transaction that inserts it. */
  attachmentIds?: number[];
  /** Ticket changes caused by the message (reopen, first response), written in the same transaction. */
  change: Omit<ApplyTicketChangeInput, 'ticketId' | 'idempotencyKey' | 'requestId' | 'actor'> | null;
}

export interface RecordSlaInput {
  ticketId: number;
  idempotencyKey: string;
  requestId: string;
  sla: SlaWrite;
}

/** Every notification the system sends; one built-in text per template and language. */
/** Every e-mail event is also a notification event (same keys), so preferences cover them all. */
export const EMAIL_TEMPLATES = NOTIFICATION_EVENTS;
export type EmailTemplate = NotificationEvent;

/**
 * Customer follow-ups the workflow sends itself (customer-followup.ts), each with its own
 * activity because they carry more than a ticket link (signed rating links, the reminder's
 * count): not notification events, not for rules' send_email. Admins edit their texts like the others.
 */
export const FOLLOWUP_TEMPLATES = ['survey_request', 'pending_reminder'] as const;
export type FollowupTemplate = (typeof FOLLOWUP_TEMPLATES)[number];
/** Every template an admin can edit (per language). */
export const EDITABLE_EMAIL_TEMPLATES = [...EMAIL_TEMPLATES, ...FOLLOWUP_TEMPLATES] as const;
export type AnyEmailTemplate = EmailTemplate | FollowupTemplate;

export type EmailRecipient = 'requester' | 'assignee' | 'supervisor' | 'group' | { address: string };

export interface SendTicketEmailInput {
  idempotencyKey: string;
  requestId: string;
  ticketId: number;
  template: EmailTemplate;
  to: EmailRecipient;
  vars?: Record<string, string | number | null>;
}

/** Several e-mails about one event (a new ticket's "created" and "assigned") in one activity. */
export interface SendTicketEmailsInput {
  requestId: string;
  ticketId: number;
  mails: Omit<SendTicketEmailInput, 'requestId' | 'ticketId'>[];
}

/** The details of a sendTicketEmails failure that retrying cannot fix: which templates failed. */
export interface SendTicketEmailsFailure {
  activity: 'sendTicketEmails';
  templates: EmailTemplate[];
}

export interface SendTicketEmailResult {
  /** `muted`: every recipient turned e-mail off for this event (they may still get it in-app). */
  status: 'sent' | 'duplicate' | 'no_recipient' | 'unconfirmed' | 'muted';
  messageId: string | null;
}

/** The events rules run on (the domain's list, which webhooks report too). */
export type RuleEventType = TicketEvent;

export interface EvaluateRulesInput {
  ticketId: number;
  requestId: string;
  event: { type: RuleEventType; at: number; clock?: SlaClockName; messageId?: number; surveyId?: number };
  /** The ticket before the change that caused this event (for changed()/previous() facts). */
  previous: TicketSnapshot | null;
  /** Identifies the originating event; every evaluation caused by it shares the key. */
  chainKey: string;
  chainDepth: number;
  /** Rules that already acted in this chain: a rule never retriggers itself (loop protection). */
  skipRuleIds: number[];
}

export interface PlannedRule {
  ruleId: number;
  version: number;
  name: string;
  actions: RuleActionPlan[];
}

export interface ScheduledRulePage {
  /** Tickets that matched in a window not acted on before (marks are already recorded). */
  matches: { ticketId: number; windowKey: string }[];
  rule: { id: number; version: number; name: string; actions: RuleActionPlan[] } | null;
  scanned: number;
  /** Resume after this ticket id; null when the scan is complete. */
  nextAfter: number | null;
}

export interface WebhookRetrySettings {
  initialIntervalMs: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

export interface EnqueueWebhooksInput {
  ticketId: number;
  event: string;
  /** Identifies the originating event: deliveries are keyed by it, so a retry enqueues nothing new. */
  eventKey: string;
  requestId: string;
  /** Only these subscriptions (a rule's call_webhook action); otherwise every one subscribed to the event. */
  subscriptionIds?: number[];
  rule?: { id: number; version: number; name: string };
  /** Start each delivery's workflow too (ticketWorkflow), rather than leave it to the caller as a child. */
  startDeliveries?: boolean;
}

export interface WebhookActivities {
  /** `started`: the delivery workflows run already (asked for, and the worker has a Temporal client). */
  enqueueWebhooks(input: EnqueueWebhooksInput): Promise<{ deliveryIds: string[]; retry: WebhookRetrySettings; started?: boolean }>;
  /** One HTTP try; throws a retryable failure (5xx, timeout, network) or a non-retryable one. */
  attemptWebhookDelivery(input: { deliveryId: string; run: number; attemptsBefore?: number }): Promise<{ statusCode: number | null }>;
  /** The delivery failed for good: record it and disable a subscription that keeps failing. */
  failWebhookDelivery(input: { deliveryId: string; run: number; reason: string }): Promise<void>;
}

/** An activity the workflow gave up on (non-retryable, or out of attempts). */
export interface RecordActivityFailureInput {
  ticketId: number;
  idempotencyKey: string;
  requestId: string;
  activity: string;
  /** ApplicationFailure type, e.g. `UnstorableData`, `InvalidRecipient`, `TicketRowMissing`. */
  errorType: string;
  message: string;
  /** What the ticket was doing, e.g. `reply`, `change`, `sla`, `rule 12`, `e-mail ticket_created`. */
  context: string;
}

/** The resolution a survey asks about, as the workflow recorded it (the ticket's resolved_at). */
export interface PlanSurveyInput {
  ticketId: number;
  resolvedAt: number;
}

export interface SendSurveyInput {
  ticketId: number;
  resolvedAt: number;
  idempotencyKey: string;
  requestId: string;
}

export interface SendSurveyResult {
  /** `disabled`: surveys were turned off meanwhile; `stale`: the ticket no longer stands at that resolution. */
  status: SendTicketEmailResult['status'] | 'disabled' | 'stale';
  surveyId: number | null;
}

export interface SendPendingReminderInput {
  ticketId: number;
  idempotencyKey: string;
  requestId: string;
  /** 1 for the first reminder, 2 for the second. */
  reminder: number;
  pendingSince: number;
  /** When the ticket will resolve itself unless the customer answers; null when the policy does not. */
  autoResolveAt: number | null;
}

export interface SendPendingReminderResult {
  /** `stale`: the ticket left pending before the reminder went out. */
  status: SendTicketEmailResult['status'] | 'stale';
  messageId: string | null;
}

export interface TicketActivities {
  /** One page of a time-based rule's scan over open tickets. */
  scanScheduledRule(input: { ruleId: number; afterTicketId: number; runKey: string }): Promise<ScheduledRulePage>;
  evaluateRules(input: EvaluateRulesInput): Promise<{ planned: PlannedRule[] }>;
  recordRuleChainLimit(input: { ticketId: number; chainKey: string; depth: number; firedRuleIds: number[]; requestId: string }): Promise<void>;
  applyTicketChange(input: ApplyTicketChangeInput): Promise<{ version: number; assigneeLabel: string }>;
  persistMessage(input: PersistMessageInput): Promise<{ messageId: number; createdAt: string; version: number; assigneeLabel: string }>;
  recordSla(input: RecordSlaInput): Promise<void>;
  pickAssignee(input: { groupId: number; excludeUserIds: number[]; requestId: string }): Promise<{ userId: number; label: string } | null>;
  escalationGroupOf(input: { groupId: number }): Promise<number | null>;
  sendTicketEmail(input: SendTicketEmailInput): Promise<SendTicketEmailResult>;
  /** Each mail as sendTicketEmail would send it; retried as a whole (each mail is sent once by its key). */
  sendTicketEmails(input: SendTicketEmailsInput): Promise<SendTicketEmailResult[]>;
  markWorkflowStarted(input: { ticketId: number }): Promise<void>;
  recordActivityFailure(input: RecordActivityFailureInput): Promise<void>;
  /** When the survey of a resolution goes out (resolution + the configured delay), or null when surveys are off. */
  planSurvey(input: PlanSurveyInput): Promise<{ sendAt: number | null }>;
  /** Open the resolution's survey and e-mail the requester the rating links (idempotent by key). */
  sendSurvey(input: SendSurveyInput): Promise<SendSurveyResult>;
  /** Remind the requester that the ticket waits on them (idempotent by key); recorded on the timeline. */
  sendPendingReminder(input: SendPendingReminderInput): Promise<SendPendingReminderResult>;
}
