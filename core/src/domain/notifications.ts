import type { Role } from './enums';
import { isStaff } from './permissions';

// Per-user notification preferences (C1). Every ticket e-mail event can also appear in the
// console's notification centre; staff choose, per event, e-mail and/or in-app. Customers are
// not asked: e-mail is their conversation with us, so they always get it and have no in-app centre.

export const NOTIFICATION_EVENTS = ['ticket_created', 'ticket_assigned', 'agent_reply', 'customer_reply', 'sla_warning', 'sla_breach', 'ticket_closed'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface NotificationChannels {
  email: boolean;
  inApp: boolean;
}

/** Until a person says otherwise they get everything they got before preferences existed, plus in-app. */
export const DEFAULT_CHANNELS: NotificationChannels = { email: true, inApp: true };

const CUSTOMER_CHANNELS: NotificationChannels = { email: true, inApp: false };

/** Channels for one recipient and event: a saved preference, else the default for their role. */
export function channelsFor(role: Role, saved: NotificationChannels | undefined): NotificationChannels {
  if (!isStaff(role)) return CUSTOMER_CHANNELS;
  return saved ?? DEFAULT_CHANNELS;
}
