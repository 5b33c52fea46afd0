import { describe, expect, it } from 'vitest';
import type { LiveEvent, LiveTicketScope } from '@mehrdesk/core/live-events';
import { eventFor } from './visibility';

const scope: LiveTicketScope = { requesterId: 100, groupId: 1, assigneeId: 10 };
const at = '2026-01-01T00:00:00.000Z';
const viewers = {
  admin: { id: 1, role: 'admin' as const, groupIds: [] },
  supervisor: { id: 2, role: 'supervisor' as const, groupIds: [] },
  groupAgent: { id: 11, role: 'agent' as const, groupIds: [1] },
  assignee: { id: 10, role: 'agent' as const, groupIds: [] },
  outsider: { id: 12, role: 'agent' as const, groupIds: [2] },
  requester: { id: 100, role: 'customer' as const, groupIds: [] },
  otherCustomer: { id: 101, role: 'customer' as const, groupIds: [] },
};
type Who = keyof typeof viewers;
const receivers = (e: LiveEvent) => (Object.keys(viewers) as Who[]).filter((w) => eventFor(viewers[w], e) !== null);

const updated = (extra: Partial<Extract<LiveEvent, { type: 'ticket.updated' }>> = {}): LiveEvent => ({
  type: 'ticket.updated',
  ticketId: 5,
  version: 3,
  fields: ['priority', 'customFields'],
  values: { priority: 'high', customFields: ['sku'] },
  scope,
  actor: { type: 'user', id: 10 },
  at,
  ...extra,
});

describe('who receives which live event', () => {
  it('ticket.created and ticket.updated: whoever may see the ticket', () => {
    const created: LiveEvent = { type: 'ticket.created', ticketId: 5, number: 'T-1', status: 'new', priority: 'normal', scope, actor: { type: 'user', id: 100 }, at };
    expect(receivers(created)).toEqual(['admin', 'supervisor', 'groupAgent', 'assignee', 'requester']);
    expect(receivers(updated())).toEqual(['admin', 'supervisor', 'groupAgent', 'assignee', 'requester']);
  });

  it('ticket.updated also reaches those who could see it before a reassignment', () => {
    const moved = updated({ scope: { requesterId: 100, groupId: 2, assigneeId: null }, previousScope: scope });
    expect(receivers(moved)).toEqual(['admin', 'supervisor', 'groupAgent', 'assignee', 'outsider', 'requester']);
  });

  it('customers get ticket.updated without custom fields', () => {
    const e = eventFor(viewers.requester, updated()) as Extract<LiveEvent, { type: 'ticket.updated' }>;
    expect(e.fields).toEqual(['priority']);
    expect(e.values).toEqual({ priority: 'high' });
    expect((eventFor(viewers.groupAgent, updated()) as Extract<LiveEvent, { type: 'ticket.updated' }>).fields).toEqual(['priority', 'customFields']);
  });

  it('message.added: internal notes for staff only', () => {
    const msg = (kind: 'public' | 'internal'): LiveEvent => ({ type: 'message.added', ticketId: 5, messageId: 9, kind, channel: 'web', authorId: 10, scope, at });
    expect(receivers(msg('public'))).toEqual(['admin', 'supervisor', 'groupAgent', 'assignee', 'requester']);
    expect(receivers(msg('internal'))).toEqual(['admin', 'supervisor', 'groupAgent', 'assignee']);
  });

  it('sla.changed and presence: staff who may see the ticket', () => {
    const sla: LiveEvent = { type: 'sla.changed', ticketId: 5, state: 'warning', firstResponseDueAt: at, resolutionDueAt: null, scope, at };
    const presence: LiveEvent = { type: 'presence', ticketId: 5, userId: 11, name: 'A', state: 'typing', expiresAt: at, scope, at };
    expect(receivers(sla)).toEqual(['admin', 'supervisor', 'groupAgent', 'assignee']);
    expect(receivers(presence)).toEqual(['admin', 'supervisor', 'groupAgent', 'assignee']);
  });

  it('notification: its own user only, whatever the role', () => {
    expect(receivers({ type: 'notification', userId: 12, id: 1, ticketId: 5, event: 'ticket_assigned' })).toEqual(['outsider']);
    expect(receivers({ type: 'notification', userId: 1, id: 2, ticketId: 5, event: 'sla_breach' })).toEqual(['admin']);
  });

  it('an unknown event type reaches nobody', () => {
    expect(receivers({ type: 'ticket.exploded', ticketId: 5, scope } as unknown as LiveEvent)).toEqual([]);
  });
});
