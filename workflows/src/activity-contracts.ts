import type { Priority, SlaClockName, SlaState, TicketStatus } from '@mehrdesk/core/domain';
import type { Actor } from './contracts';

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
  /** Ticket changes caused by the message (reopen, first response), written in the same transaction. */
  change: Omit<ApplyTicketChangeInput, 'ticketId' | 'idempotencyKey' | 'requestId' | 'actor'> | null;
}

export interface RecordSlaInput {
  ticketId: number;
  idempotencyKey: string;
  requestId: string;
  sla: SlaWrite;
}

export type EmailTemplate =
  | 'ticket_created'
  | 'ticket_assigned'
  | 'agent_reply'
  | 'customer_reply'
  | 'sla_warning'
  | 'sla_breach'
  | 'ticket_closed';

export type EmailRecipient = 'requester' | 'assignee' | 'supervisor';

export interface SendTicketEmailInput {
  idempotencyKey: string;
  requestId: string;
  ticketId: number;
  template: EmailTemplate;
  to: EmailRecipient;
  vars?: Record<string, string | number | null>;
}

export interface SendTicketEmailResult {
  status: 'sent' | 'duplicate' | 'no_recipient';
  messageId: string | null;
}

export interface TicketActivities {
  applyTicketChange(input: ApplyTicketChangeInput): Promise<{ version: number; assigneeLabel: string }>;
  persistMessage(input: PersistMessageInput): Promise<{ messageId: number; createdAt: string; version: number; assigneeLabel: string }>;
  recordSla(input: RecordSlaInput): Promise<void>;
  pickAssignee(input: { groupId: number; excludeUserIds: number[]; requestId: string }): Promise<{ userId: number; label: string } | null>;
  escalationGroupOf(input: { groupId: number }): Promise<number | null>;
  sendTicketEmail(input: SendTicketEmailInput): Promise<SendTicketEmailResult>;
  markWorkflowStarted(input: { ticketId: number }): Promise<void>;
}
