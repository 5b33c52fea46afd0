import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Config } from '@mehrdesk/core/config';
import { canSeeTicket, type Priority, type SlaPolicySnapshot, type TicketListeners, type SlaState, type TicketSource, type TicketStatus, type Viewer } from '@mehrdesk/core/domain';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ticketConfigReads } from '@mehrdesk/core/services/policies';
import type { ConfigCache } from '@mehrdesk/core/services/config-cache';
import { loadTicketListeners } from '@mehrdesk/core/services/ticket-listeners';
import type { SurveyScale } from '@mehrdesk/core/services/surveys';
import type { TicketLifecycleInput } from '@mehrdesk/workflows/contracts';
import { DomainError } from '../errors';
import { startTicketWorkflow } from './workflow-bridge';
import { markStartedNow, type StartedMarks } from './started-marks';

// A ticket as stored (its row with requester and assignee), how it is read, and how its
// workflow is started from it: shared by creation, the API's reads and the reconciler.

export interface TicketRow {
  id: number;
  number: string;
  subject: string;
  body_html: string;
  status: TicketStatus;
  priority: Priority;
  source: TicketSource;
  requester_id: number;
  requester_name: string;
  requester_email: string;
  organization_id: number | null;
  category_id: number | null;
  group_id: number | null;
  assignee_id: number | null;
  assignee_email: string | null;
  sla_policy_id: number | null;
  tags: string[];
  sla_state: SlaState;
  first_response_due_at: Date | null;
  resolution_due_at: Date | null;
  created_at: Date;
  updated_at: Date;
  first_responded_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  workflow_started_at: Date | null;
  /** The latest rating (SELECT_TICKET), null when never rated. */
  satisfaction?: { score: number; scale: SurveyScale; comment: string | null; ratedAt: string } | null;
  version: number;
}

export const SELECT_TICKET = `
  select t.*, r.name as requester_name, r.email as requester_email, a.email as assignee_email,
         (select json_build_object('score', s.score, 'scale', s.scale, 'comment', s.comment, 'ratedAt', s.rated_at)
            from ticket_surveys s where s.ticket_id = t.id and s.score is not null order by s.rated_at desc, s.id desc limit 1) as satisfaction
    from tickets t
    join users r on r.id = t.requester_id
    left join users a on a.id = t.assignee_id`;

export async function loadTicketRow(em: EntityManager, id: number): Promise<TicketRow | null> {
  const [row] = await em.execute<TicketRow[]>(`${SELECT_TICKET} where t.id = ? and t.deleted_at is null`, [id]);
  return row ?? null;
}

/** A ticket the viewer may see; others' tickets are "not found" (not "forbidden"), so ids cannot be probed. */
export async function visibleTicketRow(em: EntityManager, viewer: Viewer, id: number): Promise<TicketRow> {
  const row = await loadTicketRow(em, id);
  if (!row || !canSeeTicket(viewer, { requesterId: row.requester_id, groupId: row.group_id, assigneeId: row.assignee_id })) throw new DomainError('not_found', 'not_found', `Ticket ${id} not found`);
  return row;
}

export function workflowInputFrom(row: TicketRow, policy: SlaPolicySnapshot | null, requestId: string): TicketLifecycleInput {
  return {
    ticket: {
      ticketId: row.id,
      number: row.number,
      requesterId: row.requester_id,
      status: row.status,
      priority: row.priority,
      groupId: row.group_id,
      assigneeId: row.assignee_id,
      assigneeLabel: row.assignee_email ?? '',
      tags: row.tags ?? [],
      categoryId: row.category_id,
      version: row.version,
    },
    createdAt: new Date(row.created_at).getTime(),
    policy,
    requestId,
  };
}

/** What creation already knows when it starts the workflow (otherwise read again). */
export interface WorkflowStartFacts {
  policy: SlaPolicySnapshot | null;
  listeners: TicketListeners;
}

/**
 * Start (or find) the workflow of a stored ticket and record that it runs; the one path for
 * creation, its retries and the reconciler (which looks for rows not marked yet).
 */
export async function ensureWorkflow(
  deps: { temporal: Client; config: Config; orm: MikroORM; configCache?: ConfigCache; startedMarks?: StartedMarks },
  em: EntityManager,
  row: TicketRow,
  requestId: string,
  known?: WorkflowStartFacts,
): Promise<void> {
  const policy = known ? known.policy : row.sla_policy_id === null ? null : await ticketConfigReads(em, deps.configCache).policySnapshot(row.sla_policy_id);
  const listeners = known?.listeners ?? (await loadTicketListeners(em, deps.configCache));
  await startTicketWorkflow(deps.temporal, deps.config, { ...workflowInputFrom(row, policy, requestId), listeners });
  if (deps.startedMarks) deps.startedMarks.mark(row.id);
  else await markStartedNow(deps.orm, row.id);
}
