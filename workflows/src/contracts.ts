import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type {
  MessageKind,
  Priority,
  Role,
  SlaClock,
  SlaPolicySnapshot,
  SlaState,
  TicketSource,
  TicketStatus,
} from '@mehrdesk/core/domain';

// The one place where the ticket workflow's wire contract is declared; imported by the API,
// the worker and the workflow so names and payload types cannot drift apart.

export const TICKET_WORKFLOW_TYPE = 'ticketLifecycle';
export const ticketWorkflowId = (ticketId: number): string => `ticket-${ticketId}`;

export const ticketNumberKey = defineSearchAttributeKey('TicketNumber', SearchAttributeType.KEYWORD);
export const ticketStatusKey = defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD);
export const ticketPriorityKey = defineSearchAttributeKey('TicketPriority', SearchAttributeType.KEYWORD);
export const ticketAssigneeKey = defineSearchAttributeKey('TicketAssignee', SearchAttributeType.KEYWORD);
export const ticketGroupKey = defineSearchAttributeKey('TicketGroup', SearchAttributeType.KEYWORD);
export const ticketSlaStateKey = defineSearchAttributeKey('TicketSlaState', SearchAttributeType.KEYWORD);

export interface Actor {
  type: 'user' | 'system' | 'workflow';
  id: number | null;
  role: Role | null;
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
}

export interface CarriedState {
  ticket: TicketSnapshot;
  clocks: SlaClock[];
  policy: SlaPolicySnapshot | null;
  autoCloseAt: number | null;
  seq: number;
  createdNotified: boolean;
  firstResponded: boolean;
}

export interface ChangeTicketRequest {
  actor: Actor;
  requestId: string;
  /** Optimistic lock: refused with a VersionConflict failure when it is not current. */
  expectedVersion?: number;
  status?: TicketStatus;
  priority?: Priority;
  assigneeId?: number | null;
  /** E-mail of the new assignee, resolved by the API when it validated the id. */
  assigneeLabel?: string;
  groupId?: number | null;
  /** Replaces the whole tag set. */
  tags?: string[];
  /** Soft delete: the ticket is cancelled, hidden from every list, and its workflow ends. */
  delete?: boolean;
}

export interface FieldChange {
  field: 'status' | 'priority' | 'assigneeId' | 'groupId' | 'tags' | 'deleted';
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
}

/** Failure types the API maps to HTTP statuses. */
export const FAILURE = {
  versionConflict: 'VersionConflict',
  illegalTransition: 'IllegalTransition',
  ticketFinished: 'TicketFinished',
  invalidRequest: 'InvalidRequest',
} as const;

export const changeTicketUpdate = defineUpdate<ChangeTicketResult, [ChangeTicketRequest]>('changeTicket');
export const addMessageUpdate = defineUpdate<AddMessageResult, [AddMessageRequest]>('addMessage');
export const slaQuery = defineQuery<SlaView>('sla');
export const ticketQuery = defineQuery<TicketSnapshot>('ticket');
export const policyChangedSignal = defineSignal<[{ policy: SlaPolicySnapshot }]>('policyChanged');
