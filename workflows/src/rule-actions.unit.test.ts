import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { STATUSES, canTransition, type SlaPolicySnapshot, type TicketStatus } from '@mehrdesk/core/domain';
import type { RuleActionPlan, TicketSnapshot } from './contracts';
import { escalationSteps, ruleFieldChange, ruleStatusPath } from './rule-actions';

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

describe('ruleFieldChange', () => {
  it('turns field-setting actions into the change they ask for', () => {
    expect(ruleFieldChange({ type: 'set_priority', params: { priority: 'urgent' } }, ticket)).toEqual({ priority: 'urgent' });
    expect(ruleFieldChange({ type: 'set_category', params: { categoryId: 8 } }, ticket)).toEqual({ categoryId: 8 });
    expect(ruleFieldChange({ type: 'set_group', params: { groupId: 4 } }, ticket)).toEqual({ groupId: 4 });
    expect(ruleFieldChange({ type: 'set_field', params: { key: 'plan', value: 'gold' } }, ticket)).toEqual({ customFields: { plan: 'gold' } });
    expect(ruleFieldChange({ type: 'assign_agent', params: { userId: 7 } }, ticket)).toEqual({ assigneeId: 7 });
    expect(ruleFieldChange({ type: 'add_tags', params: { tags: ['urgent'] } }, ticket)).toEqual({ tags: ['billing', 'vpn', 'urgent'] });
    expect(ruleFieldChange({ type: 'remove_tags', params: { tags: ['vpn', 'absent'] } }, ticket)).toEqual({ tags: ['billing'] });
  });

  it('leaves actions that need activities to the workflow', () => {
    const actions: RuleActionPlan[] = [
      { type: 'add_note', params: { body: 'x' } },
      { type: 'send_email', params: { template: 'agent_reply', to: 'requester' } },
      { type: 'call_webhook', params: { subscriptionId: 1 } },
      { type: 'escalate', params: {} },
      { type: 'assign_group', params: { groupId: 2 } },
      { type: 'set_status', params: { status: 'pending' } },
      { type: 'close', params: {} },
    ];
    for (const a of actions) expect(ruleFieldChange(a, ticket), a.type).toBeNull();
  });
});

describe('ruleStatusPath', () => {
  it('set_status: one legal step, or nothing', () => {
    expect(ruleStatusPath({ type: 'set_status', params: { status: 'pending' } }, 'open')).toEqual(['pending']);
    expect(ruleStatusPath({ type: 'set_status', params: { status: 'open' } }, 'open')).toEqual([]);
    expect(ruleStatusPath({ type: 'set_status', params: { status: 'closed' } }, 'open')).toEqual([]);
  });

  it('close: through resolved when needed; never from a final status', () => {
    expect(ruleStatusPath({ type: 'close', params: {} }, 'open')).toEqual(['resolved', 'closed']);
    expect(ruleStatusPath({ type: 'close', params: {} }, 'resolved')).toEqual(['closed']);
    expect(ruleStatusPath({ type: 'close', params: {} }, 'cancelled')).toEqual([]);
  });

  it('property: every step of every path is a legal transition', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATUSES), fc.constantFrom(...STATUSES), fc.boolean(), (from: TicketStatus, to: TicketStatus, close) => {
        const path = ruleStatusPath(close ? { type: 'close', params: {} } : { type: 'set_status', params: { status: to } }, from);
        let at = from;
        for (const next of path) {
          expect(canTransition(at, next)).toBe(true);
          at = next;
        }
      }),
    );
  });
});

describe('escalationSteps', () => {
  const policy = {
    escalation: [
      { on: 'warning', clock: 'any', action: 'notify_assignee' },
      { on: 'breach', clock: 'resolution', action: 'raise_priority' },
      { on: 'breach', clock: 'first_response', action: 'notify_supervisor' },
    ],
  } as unknown as SlaPolicySnapshot;

  it('picks the steps for the event and clock, in order', () => {
    expect(escalationSteps(policy, 'warning', 'resolution').map((s) => s.action)).toEqual(['notify_assignee']);
    expect(escalationSteps(policy, 'breach', 'resolution').map((s) => s.action)).toEqual(['raise_priority']);
    expect(escalationSteps(policy, 'breach', 'first_response').map((s) => s.action)).toEqual(['notify_supervisor']);
    expect(escalationSteps(null, 'breach', 'resolution')).toEqual([]);
  });
});
