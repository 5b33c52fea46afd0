import { canTransition, type EscalationStep, type SlaClockName, type SlaPolicySnapshot, type TicketStatus } from '@mehrdesk/core/domain';
import type { ChangeTicketRequest, RuleActionPlan, TicketSnapshot } from './contracts';

// What rule actions and escalation steps do to a ticket, decided without I/O so the workflow
// only carries the decisions out (and unit tests can check every case).

export type FieldChangeRequest = Omit<ChangeTicketRequest, 'actor' | 'requestId'>;

/**
 * The change a field-setting rule action asks for, or null when the action is not one (notes,
 * e-mails, webhooks, assignment by strategy and escalation need activities) or changes nothing.
 */
export function ruleFieldChange(a: RuleActionPlan, t: TicketSnapshot): FieldChangeRequest | null {
  switch (a.type) {
    case 'set_priority':
      return { priority: a.params.priority };
    case 'set_category':
      return { categoryId: a.params.categoryId };
    case 'set_group':
      return { groupId: a.params.groupId };
    case 'set_field':
      return { customFields: { [a.params.key]: a.params.value } };
    case 'assign_agent':
      return { assigneeId: a.params.userId };
    case 'add_tags':
      return { tags: [...(t.tags ?? []), ...a.params.tags] };
    case 'remove_tags':
      return { tags: (t.tags ?? []).filter((x) => !a.params.tags.includes(x)) };
    default:
      return null;
  }
}

/** The statuses a rule's "set status" or "close" walks the ticket through, legal steps only (empty: nothing to do or not allowed). */
export function ruleStatusPath(a: Extract<RuleActionPlan, { type: 'set_status' | 'close' }>, from: TicketStatus): TicketStatus[] {
  if (a.type === 'set_status') return a.params.status !== from && canTransition(from, a.params.status) ? [a.params.status] : [];
  // Close: through resolved when the ticket is not resolved yet (and may be).
  const path: TicketStatus[] = [];
  let at = from;
  if (at !== 'resolved' && canTransition(at, 'resolved')) path.push((at = 'resolved'));
  if (at === 'resolved') path.push('closed');
  return path;
}

/** The escalation steps of the policy that apply to a warning or breach of `clock`. */
export function escalationSteps(policy: SlaPolicySnapshot | null, kind: 'warning' | 'breach', clock: SlaClockName): EscalationStep[] {
  return (policy?.escalation ?? []).filter((st) => st.on === kind && (st.clock === 'any' || st.clock === clock));
}
