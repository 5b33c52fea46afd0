// Shared test fixtures: a Tehran business calendar and a rule context builder.
import type { CalendarSpec, Weekday } from '@mehrdesk/core/domain';
import { DateTime } from 'luxon';
import type { RuleContext, TicketSnapshot } from '../facts';

/** Iranian working week: Saturday–Wednesday 08:00–16:00, Thursday 08:00–12:00, Friday closed; Nowruz off. */
export const TEHRAN: CalendarSpec = {
  timeZone: 'Asia/Tehran',
  shifts: [...([6, 7, 1, 2, 3] as Weekday[]).map((weekday) => ({ weekday, start: '08:00', end: '16:00' })), { weekday: 4, start: '08:00', end: '12:00' }],
  holidays: [{ date: '2026-03-21', recurringYearly: true, name: 'Nowruz' }],
};

/** Epoch ms of a Tehran wall-clock time ('2026-11-21T10:00'); Tehran is UTC+03:30 all year. */
export function tehran(local: string): number {
  const dt = DateTime.fromISO(local, { zone: 'Asia/Tehran' });
  if (!dt.isValid) throw new Error(`bad time ${local}`);
  return dt.toMillis();
}

// 2026-11-21 is a Saturday (a working day in Tehran); 2026-11-20 a Friday (closed).
export const SAT_10 = tehran('2026-11-21T10:00');

export function ticket(overrides: Partial<TicketSnapshot> = {}): TicketSnapshot {
  return {
    status: 'open',
    priority: 'normal',
    source: 'email',
    subject: 'Printer on fire',
    categoryId: 3,
    groupId: 2,
    assigneeId: null,
    tags: ['printer', 'vip'],
    customFields: { plan: 'gold', seats: '12', vip: true },
    slaState: 'ok',
    createdAt: tehran('2026-11-21T08:30'),
    updatedAt: tehran('2026-11-21T09:00'),
    statusChangedAt: tehran('2026-11-21T09:00'),
    lastCustomerReplyAt: tehran('2026-11-18T15:00'), // Wednesday
    lastAgentReplyAt: null,
    resolvedAt: null,
    ...overrides,
  };
}

export function context(overrides: Partial<RuleContext> = {}): RuleContext {
  return {
    event: { type: 'ticket.created', at: SAT_10 },
    now: SAT_10,
    ticket: ticket(),
    requester: { email: 'sara@example.com', name: 'Sara Ahmadi', organizationId: 8, role: 'customer' },
    calendar: TEHRAN,
    ...overrides,
  };
}
