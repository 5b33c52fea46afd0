import type { EntityManager } from '@mikro-orm/postgresql';
import { compileRuleSet, type CompiledRuleSet, type RuleContext, type RuleDefinition, type SurveyRatingText, type TicketSnapshot, type Trigger } from '@mehrdesk/rules';
import { ALWAYS_OPEN, type CalendarSpec, type Role, type SlaClockName } from '@mehrdesk/core/domain';
import { loadCalendar } from '@mehrdesk/core/services/policies';
import { surveyFacts } from '@mehrdesk/core/services/surveys';

// Everything rules read about a ticket, assembled from PostgreSQL. Shared by the worker
// (real evaluations) and the API (dry-runs), so a dry-run sees exactly what a real run sees.

interface TicketRow {
  status: TicketSnapshot['status'];
  priority: TicketSnapshot['priority'];
  source: TicketSnapshot['source'];
  subject: string;
  category_id: number | null;
  group_id: number | null;
  assignee_id: number | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  sla_state: TicketSnapshot['slaState'];
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  sla_policy_id: number | null;
  requester_email: string;
  requester_name: string;
  requester_org: number | null;
  requester_role: Role;
  status_changed_at: Date | null;
  last_customer_reply_at: Date | null;
  last_agent_reply_at: Date | null;
}

const ms = (d: Date | null) => (d ? new Date(d).getTime() : null);

/** Fields a workflow-side snapshot may carry about the ticket before a change. */
export interface PreviousFields {
  status?: TicketSnapshot['status'];
  priority?: TicketSnapshot['priority'];
  groupId?: number | null;
  assigneeId?: number | null;
  tags?: string[];
  categoryId?: number | null;
}

export interface RuleEventInput {
  type: Trigger;
  at: number;
  clock?: SlaClockName;
  messageId?: number;
  /** The rated survey (survey.received). */
  surveyId?: number;
}

export async function buildRuleContext(em: EntityManager, ticketId: number, event: RuleEventInput, previous: PreviousFields | null, now: number): Promise<RuleContext | null> {
  const [t] = await em.execute<TicketRow[]>(
    `select t.status, t.priority, t.source, t.subject, t.category_id, t.group_id, t.assignee_id, t.tags, t.custom_fields, t.sla_state,
            t.created_at, t.updated_at, t.resolved_at, t.sla_policy_id,
            r.email as requester_email, r.name as requester_name, r.organization_id as requester_org, r.role as requester_role,
            (select max(e.created_at) from timeline_events e where e.ticket_id = t.id and e.type = 'ticket.status_changed') as status_changed_at,
            (select max(m.created_at) from messages m join users u on u.id = m.author_id where m.ticket_id = t.id and m.kind = 'public' and u.role = 'customer') as last_customer_reply_at,
            (select max(m.created_at) from messages m join users u on u.id = m.author_id where m.ticket_id = t.id and m.kind = 'public' and u.role <> 'customer') as last_agent_reply_at
       from tickets t join users r on r.id = t.requester_id
      where t.id = ?`,
    [ticketId],
  );
  if (!t) return null;
  const ticket: TicketSnapshot = {
    status: t.status,
    priority: t.priority,
    source: t.source,
    subject: t.subject,
    categoryId: t.category_id,
    groupId: t.group_id,
    assigneeId: t.assignee_id,
    tags: t.tags ?? [],
    customFields: t.custom_fields ?? {},
    slaState: t.sla_state,
    createdAt: ms(t.created_at)!,
    updatedAt: ms(t.updated_at)!,
    statusChangedAt: ms(t.status_changed_at) ?? ms(t.created_at),
    lastCustomerReplyAt: ms(t.last_customer_reply_at),
    lastAgentReplyAt: ms(t.last_agent_reply_at),
    resolvedAt: ms(t.resolved_at),
  };
  const calendar: CalendarSpec = t.sla_policy_id === null ? ALWAYS_OPEN : await policyCalendar(em, t.sla_policy_id);
  const ctx: RuleContext = {
    event: { type: event.type, at: event.at },
    now,
    ticket,
    requester: { email: t.requester_email, name: t.requester_name, organizationId: t.requester_org, role: t.requester_role },
    calendar,
  };
  if (previous) ctx.previous = { ...ticket, ...definedOnly(previous) };
  if (event.clock) ctx.sla = { clock: event.clock };
  if (event.messageId) {
    const [m] = await em.execute<{ body_text: string; channel: TicketSnapshot['source']; kind: string; role: Role | null }[]>(
      'select m.body_text, m.channel, m.kind, u.role from messages m left join users u on u.id = m.author_id where m.id = ? and m.ticket_id = ?',
      [event.messageId, ticketId],
    );
    if (m) ctx.message = { text: m.body_text, channel: m.channel, senderRole: m.role ?? 'agent', isInternal: m.kind === 'internal' };
  }
  if (event.surveyId) {
    const s = await surveyFacts(em, event.surveyId, ticketId);
    if (s) ctx.survey = { rating: s.rating as SurveyRatingText, positive: s.positive, comment: s.comment };
  }
  return ctx;
}

const definedOnly = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

async function policyCalendar(em: EntityManager, policyId: number): Promise<CalendarSpec> {
  const [p] = await em.execute<{ calendar_id: number }[]>('select calendar_id from sla_policies where id = ?', [policyId]);
  return p ? loadCalendar(em, p.calendar_id) : ALWAYS_OPEN;
}

export interface StoredRule {
  id: number;
  version: number;
  name: string;
  position: number;
  trigger: Trigger;
  definition: RuleDefinition;
}

export async function loadStoredRules(em: EntityManager, where = 'r.enabled', params: unknown[] = []): Promise<StoredRule[]> {
  return em.execute<StoredRule[]>(
    `select r.id, r.current_version as version, r.name, r.position, r.trigger, v.definition
       from rules r join rule_versions v on v.rule_id = r.id and v.version = r.current_version
      where r.deleted_at is null and ${where} order by r.position, r.id`,
    params,
  );
}

let cached: { version: number; set: CompiledRuleSet } | null = null;

/**
 * The enabled rules, compiled once per rule-set version. The version row is bumped in the same
 * transaction as any rule change, so every replica recompiles exactly when something changed.
 */
export async function activeRuleSet(em: EntityManager): Promise<{ version: number; set: CompiledRuleSet }> {
  const [state] = await em.execute<{ version: number }[]>('select version from rule_set_state where id = 1');
  const version = state?.version ?? 0;
  if (cached?.version === version) return cached;
  const set = compileRuleSet(await loadStoredRules(em));
  cached = { version, set };
  return cached;
}
