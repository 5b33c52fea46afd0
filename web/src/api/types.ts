import type { components } from './schema';

// Short names for the API's shapes (all generated from its OpenAPI document).
type Schemas = components['schemas'];

export type Ticket = Schemas['Ticket'];
export type TicketStatus = Ticket['status'];
export type Priority = Ticket['priority'];
export type SlaState = Ticket['slaState'];
export type Message = Schemas['Message'];
export type Attachment = Schemas['Attachment'];
export type TimelineEvent = Schemas['TimelineEvent'];
export type Sla = Schemas['Sla'];
export type SlaClock = Sla['clocks'][number];
export type User = Schemas['User'];
export type Locale = User['locale'];
export type Notification = Schemas['Notification'];
export type NotificationEvent = Notification['event'];
export type NotificationPreference = Schemas['NotificationPreference'];
export type Group = Schemas['Group'];
export type DirectoryUser = Schemas['DirectoryUser'];
export type TicketFieldChanges = Schemas['TicketFieldChanges'];
export type BulkResult = Schemas['BulkTicketsResult']['results'][number];
export type Macro = Schemas['Macro'];
export type PresenceEntry = Schemas['PresenceEntry'];

export const STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold', 'resolved', 'closed', 'cancelled'];
export const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high', 'urgent'];
export const SLA_STATES: readonly SlaState[] = ['ok', 'warning', 'breached'];
/** Statuses a ticket can still be worked in (the "open" views). */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];

/** The status graph of core/src/domain/status-machine.ts, to offer only legal moves (transitions.unit.test.ts proves them equal). */
export const TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  new: ['open', 'pending', 'on_hold', 'resolved', 'cancelled'],
  open: ['pending', 'on_hold', 'resolved', 'cancelled'],
  pending: ['open', 'on_hold', 'resolved', 'cancelled'],
  on_hold: ['open', 'pending', 'resolved', 'cancelled'],
  resolved: ['open', 'closed'],
  closed: [],
  cancelled: [],
};

// The admins' review lists of work that did not go through (pages/admin/inbound-mail, activity-failures).
export type InboundEmail = Schemas['InboundEmail'];
export type ActivityFailure = Schemas['ActivityFailure'];
// Admin settings (pages/admin/inbound-settings).
export type InboundSettings = Schemas['InboundSettings'];
export type StrangerReplies = InboundSettings['strangerReplies'];
export type PortalSettings = Schemas['PortalSettings'];
export type SignupMode = PortalSettings['signup'];
export type UploadSettings = Schemas['UploadSettings'];
