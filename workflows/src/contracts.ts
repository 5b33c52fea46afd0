import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { MessageKind, Priority, Role, SlaClock, SlaPolicySnapshot, SlaState, TicketListeners, TicketSource, TicketStatus } from '@mehrdesk/core/domain';

// The one place where the ticket workflow's wire contract is declared; imported by the API,
// the worker and the workflow so names and payload types cannot drift apart.

/** New tickets: the lifecycle without the patch markers of changes made while tickets were in flight. */
export const TICKET_WORKFLOW_TYPE = 'ticketWorkflow';
/** Tickets started before it keep running (and replaying) as this type. */
export const LEGACY_TICKET_WORKFLOW_TYPE = 'ticketLifecycle';
export const SCHEDULED_RULE_WORKFLOW_TYPE = 'scheduledRuleRun';
export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDelivery';
export const webhookWorkflowId = (deliveryId: string, run = 0): string => (run === 0 ? `webhook-${deliveryId}` : `webhook-${deliveryId}-r${run}`);
export const ruleScheduleId = (ruleId: number): string => `rule-${ruleId}`;
export const ticketWorkflowId = (ticketId: number): string => `ticket-${ticketId}`;

export const ticketNumberKey = defineSearchAttributeKey('TicketNumber', SearchAttributeType.KEYWORD);
export const ticketStatusKey = defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD);
export const ticketPriorityKey = defineSearchAttributeKey('TicketPriority', SearchAttributeType.KEYWORD);
export const ticketAssigneeKey = defineSearchAttributeKey('TicketAssignee', SearchAttributeType.KEYWORD);
export const ticketGroupKey = defineSearchAttributeKey('TicketGroup', SearchAttributeType.KEYWORD);
export const ticketSlaStateKey = defineSearchAttributeKey('TicketSlaState', SearchAttributeType.KEYWORD);

export interface Actor {
  type: 'user' | 'system' | 'workflow' | 'rule';
  id: number | null;
  role: Role | null;
  /** For type 'rule': which rule version acted (shown as "by rule X v3"). */
  rule?: { id: number; version: number; name: string };
}

/**
 * A ticket's search attributes for Temporal UI (number, status, priority, assignee, group, SLA
 * state): one list for the workflow's start and every later upsert.
 */
export function ticketSearchAttributes(t: Pick<TicketSnapshot, 'number' | 'status' | 'priority' | 'assigneeLabel' | 'groupId'>, slaState: SlaState) {
  return [
    { key: ticketNumberKey, value: t.number },
    { key: ticketStatusKey, value: t.status },
    { key: ticketPriorityKey, value: t.priority },
    { key: ticketAssigneeKey, value: t.assigneeLabel },
    { key: ticketGroupKey, value: t.groupId === null ? '' : String(t.groupId) },
    { key: ticketSlaStateKey, value: slaState },
  ] satisfies SearchAttributePair[];
}

/** The ticket as the workflow tracks it; mirrors the row the workflow alone writes. */
export interface TicketSnapshot {
  ticketId: number;
  number: string;
  requesterId: number;
  status: TicketStatus;
  priority: Priority;
  groupId: number | null;
  assigneeId: number | null;
  /** Label for Temporal UI search (the assignee's e-mail); empty when unassigned. */
  assigneeLabel: string;
  /** Absent in histories recorded before tags were tracked; read as []. */
  tags?: string[];
  /** Absent in older histories (unknown); rules compare against it when present. */
  categoryId?: number | null;
  version: number;
}

export interface TicketLifecycleInput {
  ticket: TicketSnapshot;
  createdAt: number;
  policy: SlaPolicySnapshot | null;
  requestId: string;
  /** Continue-As-New once history exceeds this many events (tests); Temporal's own suggestion always applies. */
  historyLimit?: number;
  /** Present only when continuing as new: everything the previous run knew. */
  carried?: CarriedState;
  /** Which events rules and webhooks listen to when the ticket was created (absent: assume all). */
  listeners?: TicketListeners;
}

export interface CarriedState {
  ticket: TicketSnapshot;
  clocks: SlaClock[];
  policy: SlaPolicySnapshot | null;
  autoCloseAt: number | null;
  seq: number;
  /** Webhook events emitted per kind (type, SLA clock, rule): their keys (ticket/automation.ts, hookKey). */
  hookSeq?: Record<string, number>;
  createdNotified: boolean;
  firstResponded: boolean;
  /** Scheduled-rule windows already acted on (`ruleId:windowKey`), so a re-sent signal is a no-op. */
  ruleWindows?: string[];
  /** The survey and pending reminders ahead (customer-followup.ts); absent in runs from before them. */
  followup?: FollowupState;
  /** The newest listener flag heard (absent: every event goes to rules and webhooks). */
  listeners?: TicketListeners;
  /** The search attribute values Temporal holds (ticketWorkflow upserts only when they change). */
  published?: string;
}

/** A survey to send about one resolution, and where a pending ticket's reminders stand. */
export interface FollowupState {
  /** `sendAt` null: not planned yet (the settings are read once, after the resolution). */
  survey: { resolvedAt: number; sendAt: number | null } | null;
  pending: PendingFollowup | null;
}

export interface PendingFollowup {
  /** When the ticket entered pending: every step counts business time from here. */
  since: number;
  /** Reminders already sent in this pending spell. */
  reminded: number;
  next: 'remind' | 'auto_resolve' | null;
  /** When `next` is due; null when there is no next step or the calendar cannot place it. */
  nextAt: number | null;
}

export interface ChangeTicketRequest {
  actor: Actor;
  requestId: string;
  /** Optimistic lock: refused with a VersionConflict failure when it is not current. */
  expectedVersion?: number;
  status?: TicketStatus;
  priority?: Priority;
  assigneeId?: number | null;
  groupId?: number | null;
  /** Replaces the whole tag set. */
  tags?: string[];
  categoryId?: number | null;
  /** Merged into the ticket's custom fields (null removes a key). */
  customFields?: Record<string, string | number | boolean | null>;
  /** Soft delete: the ticket is cancelled, hidden from every list, and its workflow ends. */
  delete?: boolean;
  /** The caller's current listener flag (see TicketLifecycleInput.listeners). */
  listeners?: TicketListeners;
}

export interface FieldChange {
  field: 'status' | 'priority' | 'assigneeId' | 'groupId' | 'tags' | 'deleted' | 'categoryId' | 'customFields';
  from: unknown;
  to: unknown;
}

export interface ChangeTicketResult {
  ticket: TicketSnapshot;
  changes: FieldChange[];
}

export interface AddMessageRequest {
  actor: Actor;
  requestId: string;
  kind: Extract<MessageKind, 'public' | 'internal'>;
  channel: TicketSource;
  bodyHtml: string;
  bodyText: string;
  /** Caller-chosen key so a retried request never adds the message twice. */
  idempotencyKey: string;
  /** E-mail threading headers of a message that arrived by e-mail. */
  email?: { messageId: string | null; inReplyTo: string | null; references: string[] };
  /**
   * Inbound mail from someone who is not on the ticket: stored as an internal note by the
   * system actor and held until staff publish or dismiss it (it changes nothing and notifies nobody).
   */
  heldForReview?: { from: string };
  /** The author's pending uploads to attach (api/src/uploads), linked when the message is stored. */
  attachmentIds?: number[];
  /** The caller's current listener flag (see TicketLifecycleInput.listeners). */
  listeners?: TicketListeners;
}

export interface AddMessageResult {
  messageId: number;
  createdAt: string;
  ticket: TicketSnapshot;
  changes: FieldChange[];
}

export interface SlaClockView extends SlaClock {
  state: 'running' | 'paused' | 'met' | 'breached';
}

export interface SlaView {
  ticket: TicketSnapshot;
  state: SlaState;
  policy: SlaPolicySnapshot | null;
  clocks: SlaClockView[];
  autoCloseAt: number | null;
  /** What the workflow will do for the customer next (absent in runs from before follow-ups). */
  followup?: { surveyAt: number | null; nextReminderAt: number | null; autoResolveAt: number | null };
}

/** Failure types the API maps to HTTP statuses. */
export const FAILURE = {
  versionConflict: 'VersionConflict',
  illegalTransition: 'IllegalTransition',
  ticketFinished: 'TicketFinished',
  invalidRequest: 'InvalidRequest',
  /** An activity failed in a way retrying cannot fix; recorded on the ticket's timeline. */
  notStored: 'ChangeNotStored',
} as const;

export const changeTicketUpdate = defineUpdate<ChangeTicketResult, [ChangeTicketRequest]>('changeTicket');
export const addMessageUpdate = defineUpdate<AddMessageResult, [AddMessageRequest]>('addMessage');
export const slaQuery = defineQuery<SlaView>('sla');
export const ticketQuery = defineQuery<TicketSnapshot>('ticket');
export const policyChangedSignal = defineSignal<[{ policy: SlaPolicySnapshot }]>('policyChanged');

/** A time-based rule matched this ticket in a new condition window: apply its actions. */
export interface ScheduledRuleMatch {
  ruleId: number;
  version: number;
  name: string;
  windowKey: string;
  actions: RuleActionPlan[];
}
export const scheduledRuleMatchedSignal = defineSignal<[ScheduledRuleMatch]>('scheduledRuleMatched');

/** The customer rated a resolution (the API stored it): run the `survey.received` rules. */
export interface SurveyReceived {
  surveyId: number;
  requestId: string;
  /** The caller's current listener flag (see TicketLifecycleInput.listeners). */
  listeners?: TicketListeners;
}
export const surveyReceivedSignal = defineSignal<[SurveyReceived]>('surveyReceived');

/**
 * An automation action as the workflow applies it (validated by @mehrdesk/rules when the
 * rule was saved; the workflow treats it as data). Spelled out here because workflow code may
 * not load the rules package; rule-action-plan.unit.test.ts keeps it equal to rules' `Action`.
 */
export type RuleActionPlan =
  | { type: 'set_status'; params: { status: TicketStatus } }
  | { type: 'set_priority'; params: { priority: Priority } }
  | { type: 'set_category'; params: { categoryId: number } }
  | { type: 'set_group'; params: { groupId: number } }
  | { type: 'set_field'; params: { key: string; value: string | number | boolean | null } }
  | { type: 'assign_agent'; params: { userId: number } }
  | { type: 'assign_group'; params: { groupId: number } }
  | { type: 'add_tags'; params: { tags: string[] } }
  | { type: 'remove_tags'; params: { tags: string[] } }
  | { type: 'add_note'; params: { body: string } }
  | { type: 'send_email'; params: { template: string; to: 'requester' | 'assignee' | 'group' | 'supervisor' | { address: string } } }
  | { type: 'call_webhook'; params: { subscriptionId: number } }
  | { type: 'escalate'; params: { groupId?: number } }
  | { type: 'close'; params: Record<string, never> };
