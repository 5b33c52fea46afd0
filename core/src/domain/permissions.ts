import type { Role } from './enums';

// Who may do what (X2). Pure so that the API, the workflow validators and the role-matrix
// tests share one definition.
export const ACTIONS = [
  'auth.session',
  'ticket.create',
  'ticket.createForOthers',
  'ticket.list',
  'ticket.view',
  'ticket.reply',
  'ticket.note',
  'ticket.viewInternal',
  'ticket.update',
  'ticket.delete',
  'ticket.viewSla',
  /** The in-app notification centre and notification preferences (staff only, see domain/notifications). */
  'notification.manage',
  /** Read the directory (users, groups, categories, tags) for pickers: staff only. */
  'directory.read',
  'admin.manage',
  /** Read the knowledge base as staff (every article, drafts and internal ones included). */
  'kb.read',
  /** Write the knowledge base: categories, articles, translations, images. */
  'kb.write',
  /** Global search (tickets, customers, articles), each role within what it may see. */
  'search.use',
  /** Record that a suggested article answered a ticket about to be written (customers only: staff write tickets for others). */
  'portal.deflect',
  /** Mark one's own ticket solved, or reopen it while it is resolved (its requester; staff change statuses with ticket.update). */
  'ticket.solveOwn',
] as const;
export type Action = (typeof ACTIONS)[number];

/** What only customers do (the portal's own steps), so no staff role is granted them. */
const CUSTOMER_ONLY: readonly Action[] = ['portal.deflect', 'ticket.solveOwn'];
const STAFF_ACTIONS = ACTIONS.filter((a) => !CUSTOMER_ONLY.includes(a));

const GRANTS: Readonly<Record<Role, readonly Action[]>> = {
  admin: STAFF_ACTIONS,
  supervisor: STAFF_ACTIONS.filter((a) => a !== 'admin.manage'),
  agent: STAFF_ACTIONS.filter((a) => a !== 'admin.manage' && a !== 'ticket.delete' && a !== 'kb.write'),
  customer: ['auth.session', 'ticket.create', 'ticket.list', 'ticket.view', 'ticket.reply', 'search.use', ...CUSTOMER_ONLY],
};

export function can(role: Role, action: Action): boolean {
  return GRANTS[role].includes(action);
}

export interface Viewer {
  id: number;
  role: Role;
  groupIds: readonly number[];
  organizationId?: number | null;
}

export interface TicketScope {
  requesterId: number;
  groupId: number | null;
  assigneeId: number | null;
}

/**
 * Row-level visibility: admins and supervisors see everything, agents see tickets of their
 * groups or assigned to them, customers only their own tickets.
 */
export function canSeeTicket(viewer: Viewer, t: TicketScope): boolean {
  switch (viewer.role) {
    case 'admin':
    case 'supervisor':
      return true;
    case 'agent':
      return t.assigneeId === viewer.id || (t.groupId !== null && viewer.groupIds.includes(t.groupId));
    case 'customer':
      return t.requesterId === viewer.id;
  }
}

/**
 * canSeeTicket as an SQL condition over a row with `requester_id`, `group_id` and `assignee_id`
 * columns under `alias` (tickets, search documents), for lists and search. Kept beside
 * canSeeTicket: api/test/visibility.int.test.ts proves the two agree on random rows and viewers.
 */
export function ticketScopeSql(viewer: Viewer, alias: string): { sql: string; params: unknown[] } {
  switch (viewer.role) {
    case 'admin':
    case 'supervisor':
      return { sql: 'true', params: [] };
    case 'agent':
      return { sql: `(${alias}.assignee_id = ? or ${alias}.group_id = any(?::int[]))`, params: [viewer.id, `{${viewer.groupIds.map((g) => Math.trunc(g)).join(',')}}`] };
    case 'customer':
      return { sql: `${alias}.requester_id = ?`, params: [viewer.id] };
  }
}

export function isStaff(role: Role): boolean {
  return role !== 'customer';
}
