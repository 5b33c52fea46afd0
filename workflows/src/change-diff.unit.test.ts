import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ChangeTicketRequest, TicketSnapshot } from './contracts';
import { diffChange } from './change-diff';

const ticket: TicketSnapshot = {
  ticketId: 1,
  number: 'TKT-2026-000001',
  requesterId: 9,
  status: 'open',
  priority: 'normal',
  groupId: 2,
  assigneeId: 5,
  assigneeLabel: 'a@x',
  tags: ['billing', 'vpn'],
  categoryId: 3,
  version: 4,
};
const req = (r: Partial<ChangeTicketRequest>): ChangeTicketRequest => ({ actor: { type: 'user', id: 1, role: 'agent' }, requestId: 'r', ...r });

describe('diffChange', () => {
  it('lists only fields whose value really changes, with from and to', () => {
    const d = diffChange(ticket, req({ status: 'pending', priority: 'normal', assigneeId: null, groupId: 2, categoryId: 7 }));
    expect(d.changes).toEqual([
      { field: 'status', from: 'open', to: 'pending' },
      { field: 'assigneeId', from: 5, to: null },
      { field: 'categoryId', from: 3, to: 7 },
    ]);
    expect(d.tags).toBeUndefined();
  });

  it('compares tag sets without order or duplicates, and stores them sorted', () => {
    expect(diffChange(ticket, req({ tags: ['vpn', 'billing', 'vpn'] })).changes).toEqual([]);
    const d = diffChange(ticket, req({ tags: ['vpn', 'urgent'] }));
    expect(d.tags).toEqual(['urgent', 'vpn']);
    expect(d.changes).toEqual([{ field: 'tags', from: ['billing', 'vpn'], to: ['urgent', 'vpn'] }]);
  });

  it('a deletion is also a change of the status to cancelled', () => {
    const d = diffChange(ticket, req({ delete: true }));
    expect(d.changes).toEqual([
      { field: 'deleted', from: false, to: true },
      { field: 'status', from: 'open', to: 'cancelled' },
    ]);
    expect(d.req.status).toBe('cancelled');
    expect(diffChange({ ...ticket, status: 'cancelled' }, req({ delete: true })).changes).toEqual([{ field: 'deleted', from: false, to: true }]);
  });

  it('property: a request repeating the ticket changes nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom('new', 'open', 'pending', 'on_hold', 'resolved') as fc.Arbitrary<TicketSnapshot['status']>, fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd')), (status, tags) => {
        const t = { ...ticket, status, tags: [...tags].sort() };
        expect(diffChange(t, req({ status, priority: t.priority, assigneeId: t.assigneeId, groupId: t.groupId, categoryId: t.categoryId ?? null, tags: [...tags].reverse() })).changes).toEqual([]);
      }),
    );
  });
});
