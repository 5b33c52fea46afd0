// Closed vocabularies shared by API validation, entities, workflows and tests.
export const ROLES = ['admin', 'supervisor', 'agent', 'customer'] as const;
export type Role = (typeof ROLES)[number];
/** The console's roles (everyone but customers). */
export const STAFF_ROLES = ['admin', 'supervisor', 'agent'] as const satisfies readonly Role[];
export type StaffRole = (typeof STAFF_ROLES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const STATUSES = ['new', 'open', 'pending', 'on_hold', 'resolved', 'closed', 'cancelled'] as const;
export type TicketStatus = (typeof STATUSES)[number];

export const SOURCES = ['web', 'portal', 'email', 'api', 'telegram', 'phone'] as const;
export type TicketSource = (typeof SOURCES)[number];

export const MESSAGE_KINDS = ['public', 'internal', 'system', 'automated'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
/** Inbound mail from someone not on the ticket: held for staff, then published or dismissed. */
export const MESSAGE_REVIEW_STATUSES = ['held', 'published', 'dismissed'] as const;
export type MessageReviewStatus = (typeof MESSAGE_REVIEW_STATUSES)[number];

export const ASSIGNMENT_STRATEGIES = ['round_robin', 'least_open', 'manual'] as const;
export type AssignmentStrategy = (typeof ASSIGNMENT_STRATEGIES)[number];

export const SLA_STATES = ['ok', 'warning', 'breached'] as const;
export type SlaState = (typeof SLA_STATES)[number];

export const SLA_CLOCKS = ['first_response', 'resolution'] as const;
export type SlaClockName = (typeof SLA_CLOCKS)[number];

export const LOCALES = ['en', 'fa'] as const;
export type Locale = (typeof LOCALES)[number];

export function raisedPriority(p: Priority): Priority {
  const i = PRIORITIES.indexOf(p);
  return PRIORITIES[Math.min(i + 1, PRIORITIES.length - 1)]!;
}

/** What happens to a ticket that rules react to and webhooks report: one list for both. */
export const TICKET_EVENTS = ['ticket.created', 'ticket.updated', 'message.received', 'sla.warning', 'sla.breached', 'survey.received'] as const;
export type TicketEvent = (typeof TICKET_EVENTS)[number];

/** What a rule can be triggered by: every ticket event, and `schedule` (time-based rules). */
export const RULE_TRIGGERS = [...TICKET_EVENTS, 'schedule'] as const;
