import type { TicketStatus } from './enums';

// The ticket status graph (T2). Closed and cancelled are terminal: a customer writing to a
// closed ticket gets a follow-up ticket, as in Zendesk, rather than a reopened one.
const TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  new: ['open', 'pending', 'on_hold', 'resolved', 'cancelled'],
  open: ['pending', 'on_hold', 'resolved', 'cancelled'],
  pending: ['open', 'on_hold', 'resolved', 'cancelled'],
  on_hold: ['open', 'pending', 'resolved', 'cancelled'],
  resolved: ['open', 'closed'],
  closed: [],
  cancelled: [],
};

/** Statuses during which SLA clocks do not run (waiting on someone else). */
export const PAUSED_STATUSES: readonly TicketStatus[] = ['pending', 'on_hold'];
/** Statuses after which no SLA target applies any more. */
export const FINISHED_STATUSES: readonly TicketStatus[] = ['resolved', 'closed', 'cancelled'];
export const TERMINAL_STATUSES: readonly TicketStatus[] = ['closed', 'cancelled'];
/** Statuses that count toward an agent's open workload. */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];

export function allowedTransitions(from: TicketStatus): readonly TicketStatus[] {
  return TRANSITIONS[from];
}

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: TicketStatus,
    readonly to: TicketStatus,
  ) {
    const allowed = TRANSITIONS[from];
    super(from === to ? `Ticket is already ${from}` : `Cannot change status from ${from} to ${to}` + (allowed.length ? ` (allowed from ${from}: ${allowed.join(', ')})` : ` (${from} is final)`));
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: TicketStatus, to: TicketStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
