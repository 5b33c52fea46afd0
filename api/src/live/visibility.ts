import { can, canSeeTicket, isStaff, type Viewer } from '@mehrdesk/core/domain';
import type { LiveEvent } from '@mehrdesk/core/live-events';

// Who receives which live event: decided from the ticket scope carried in the event, so the
// fan-out needs no query per event and client. Mirrors the REST rules: tickets by canSeeTicket,
// internal notes and SLA clocks for staff only, notifications for their own user only.

/** The event as `viewer` may receive it, or null when it is not theirs to see. */
export function eventFor(viewer: Viewer, event: LiveEvent): LiveEvent | null {
  const sees = (scope: Parameters<typeof canSeeTicket>[1] | undefined) => scope !== undefined && canSeeTicket(viewer, scope);
  switch (event.type) {
    case 'notification':
      return event.userId === viewer.id ? event : null;
    case 'presence':
      return isStaff(viewer.role) && sees(event.scope) ? event : null;
    case 'sla.changed':
      return can(viewer.role, 'ticket.viewSla') && sees(event.scope) ? event : null;
    case 'message.added':
      if (event.kind === 'internal' && !can(viewer.role, 'ticket.viewInternal')) return null;
      return sees(event.scope) ? event : null;
    case 'ticket.created':
      return sees(event.scope) ? event : null;
    case 'ticket.updated': {
      // The previous owners hear of a reassignment too, so their lists can drop the ticket.
      if (!sees(event.scope) && !sees(event.previousScope)) return null;
      if (isStaff(viewer.role)) return event;
      // Customers' ticket view has no custom fields: leave them out of what changed.
      const { customFields: _hidden, ...values } = event.values;
      return { ...event, fields: event.fields.filter((f) => f !== 'customFields'), values };
    }
    default:
      // A type this process does not know (a newer writer): nobody gets it rather than everybody.
      return null;
  }
}
