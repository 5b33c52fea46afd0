import { describe, expect, it } from 'vitest';
import { ACTION_TYPES, type Action } from '@mehrdesk/rules';
import type { RuleActionPlan } from './contracts';

// Workflow code may not import @mehrdesk/rules (it pulls the rule engine into the sandbox), so
// the workflow's RuleActionPlan spells out the actions the rules package validates. This file
// keeps the two the same: the type checker refuses it (the full test run type-checks) when an
// action or a parameter differs in either direction, and the test compares the action names.

const planFromAction = (a: Action): RuleActionPlan => a;
const actionFromPlan = (p: RuleActionPlan): Action => p;

const PLAN_TYPES: Record<RuleActionPlan['type'], true> = {
  set_status: true,
  set_priority: true,
  set_category: true,
  set_group: true,
  set_field: true,
  assign_agent: true,
  assign_group: true,
  add_tags: true,
  remove_tags: true,
  add_note: true,
  send_email: true,
  call_webhook: true,
  escalate: true,
  close: true,
};

describe('RuleActionPlan', () => {
  it('names exactly the actions @mehrdesk/rules validates', () => {
    expect(Object.keys(PLAN_TYPES).sort()).toEqual([...ACTION_TYPES].sort());
  });

  it('carries an action through unchanged both ways', () => {
    const close: Action = { type: 'close', params: {} };
    expect(actionFromPlan(planFromAction(close))).toEqual(close);
  });
});
