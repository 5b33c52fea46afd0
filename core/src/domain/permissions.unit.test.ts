import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from './enums';
import { ACTIONS, can, canSeeTicket, isStaff, type Action, type TicketScope, type Viewer } from './permissions';

// The expected role × action matrix, written out independently of the implementation.
// Columns: admin, supervisor, agent, customer. 1 = granted, 0 = refused.
const ROLE_COLUMNS = ['admin', 'supervisor', 'agent', 'customer'] as const;
//                                               adm sup agt cus
const EXPECTED: Record<Action, readonly (0 | 1)[]> = {
  'auth.session': /*           */ [1, 1, 1, 1],
  'ticket.create': /*          */ [1, 1, 1, 1],
  'ticket.createForOthers': /* */ [1, 1, 1, 0],
  'ticket.list': /*            */ [1, 1, 1, 1],
  'ticket.view': /*            */ [1, 1, 1, 1],
  'ticket.reply': /*           */ [1, 1, 1, 1],
  'ticket.note': /*            */ [1, 1, 1, 0],
  'ticket.viewInternal': /*    */ [1, 1, 1, 0],
  'ticket.update': /*          */ [1, 1, 1, 0],
  'ticket.delete': /*          */ [1, 1, 0, 0],
  'ticket.viewSla': /*         */ [1, 1, 1, 0],
  'notification.manage': /*    */ [1, 1, 1, 0],
  'directory.read': /*         */ [1, 1, 1, 0],
  'admin.manage': /*           */ [1, 0, 0, 0],
  'kb.read': /*                */ [1, 1, 1, 0],
  'kb.write': /*               */ [1, 1, 0, 0],
  'search.use': /*             */ [1, 1, 1, 1],
  'portal.deflect': /*         */ [0, 0, 0, 1],
  'ticket.solveOwn': /*        */ [0, 0, 0, 1],
};

const CELLS = (Object.keys(EXPECTED) as Action[]).flatMap((action) => ROLE_COLUMNS.map((role, i) => ({ role, action, granted: EXPECTED[action][i] === 1 })));

describe('can(role, action)', () => {
  it('the expected matrix covers every role and every action', () => {
    expect([...ROLE_COLUMNS]).toEqual([...ROLES]);
    expect(Object.keys(EXPECTED).sort()).toEqual([...ACTIONS].sort());
    expect(CELLS).toHaveLength(ROLES.length * ACTIONS.length);
  });

  it.each(CELLS)('$role may $action: $granted', ({ role, action, granted }) => {
    expect(can(role, action)).toBe(granted);
  });

  it('an unknown action is refused for every role', () => {
    for (const role of ROLES) expect(can(role, 'ticket.explode' as Action)).toBe(false);
  });

  it('isStaff is true for everyone but customers', () => {
    expect(ROLES.filter(isStaff)).toEqual(['admin', 'supervisor', 'agent']);
  });
});

describe('canSeeTicket', () => {
  const viewer = (role: Role, id = 10, groupIds: number[] = [1, 2]): Viewer => ({ id, role, groupIds });
  const ticket = (t: Partial<TicketScope> = {}): TicketScope => ({ requesterId: 99, groupId: 7, assigneeId: 55, ...t });

  describe.each(['admin', 'supervisor'] as const)('%s', (role) => {
    it('sees every ticket, including ones of other groups, unassigned and ungrouped', () => {
      const v = viewer(role, 10, []);
      expect(canSeeTicket(v, ticket())).toBe(true);
      expect(canSeeTicket(v, ticket({ groupId: null, assigneeId: null }))).toBe(true);
      expect(canSeeTicket(v, ticket({ requesterId: 10 }))).toBe(true);
    });
  });

  describe('agent', () => {
    const agent = viewer('agent', 10, [1, 2]);

    it('sees a ticket of one of its groups (assigned to someone else)', () => {
      expect(canSeeTicket(agent, ticket({ groupId: 2, assigneeId: 55 }))).toBe(true);
      expect(canSeeTicket(agent, ticket({ groupId: 1, assigneeId: null }))).toBe(true);
    });

    it('sees a ticket assigned to it, even outside its groups or without a group', () => {
      expect(canSeeTicket(agent, ticket({ groupId: 7, assigneeId: 10 }))).toBe(true);
      expect(canSeeTicket(agent, ticket({ groupId: null, assigneeId: 10 }))).toBe(true);
    });

    it('does not see a ticket of another group assigned to someone else', () => {
      expect(canSeeTicket(agent, ticket({ groupId: 7, assigneeId: 55 }))).toBe(false);
      expect(canSeeTicket(agent, ticket({ groupId: 7, assigneeId: null }))).toBe(false);
    });

    it('does not see an ungrouped, unassigned ticket', () => {
      expect(canSeeTicket(agent, ticket({ groupId: null, assigneeId: null }))).toBe(false);
    });

    it('an agent without groups sees only what is assigned to it', () => {
      const loner = viewer('agent', 10, []);
      expect(canSeeTicket(loner, ticket({ groupId: 1, assigneeId: 55 }))).toBe(false);
      expect(canSeeTicket(loner, ticket({ groupId: 1, assigneeId: 10 }))).toBe(true);
    });

    it('being the requester does not grant an agent visibility', () => {
      expect(canSeeTicket(agent, ticket({ requesterId: 10, groupId: 7, assigneeId: 55 }))).toBe(false);
    });
  });

  describe('customer', () => {
    const customer = viewer('customer', 42, [1, 2]);

    it('sees its own ticket', () => {
      expect(canSeeTicket(customer, ticket({ requesterId: 42 }))).toBe(true);
      expect(canSeeTicket(customer, ticket({ requesterId: 42, groupId: null, assigneeId: null }))).toBe(true);
    });

    it("does not see another customer's ticket, even in its 'groups' or 'assigned' to it", () => {
      expect(canSeeTicket(customer, ticket({ requesterId: 43 }))).toBe(false);
      expect(canSeeTicket(customer, ticket({ requesterId: 43, groupId: 1 }))).toBe(false);
      expect(canSeeTicket(customer, ticket({ requesterId: 43, assigneeId: 42 }))).toBe(false);
    });

    it('sharing an organization does not grant visibility', () => {
      const orgMember: Viewer = { ...customer, organizationId: 5 };
      expect(canSeeTicket(orgMember, ticket({ requesterId: 43 }))).toBe(false);
    });
  });
});
