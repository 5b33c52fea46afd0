import type { Client } from '@temporalio/client';
import { initialClocks, ticketNumberHead, formatTicketNumberSql, type Priority, type SlaClock, type SlaPolicySnapshot, type TicketListeners } from '@mehrdesk/core/domain';
import type { MikroORM } from '@mehrdesk/core/db';
import { loadPolicySnapshot } from '@mehrdesk/core/services/policies';
import { loadTicketListeners } from '@mehrdesk/core/services/ticket-listeners';
import {
  LEGACY_TICKET_WORKFLOW_TYPE,
  TICKET_WORKFLOW_TYPE,
  ticketSearchAttributes,
  ticketWorkflowId,
  type CarriedState,
  type TicketLifecycleInput,
  type TicketSnapshot,
} from '@mehrdesk/workflows/contracts';
import type { Fixtures } from '../../testing/fixtures';

// Many open tickets, built cheaply but as they would be: ticket rows (and each one's first
// message) inserted in bulk with SQL, then each ticket's workflow started through the Temporal
// client with the input a run has after Continue-As-New (`carried` state: the creation e-mails
// already sent, the SLA clocks running). Such a run does no activity in its first task, it only
// sets its timer: what an idle open ticket costs the worker and Temporal.

export interface SeededTicket {
  id: number;
  number: string;
  createdAt: number;
  assigneeId: number | null;
  assigneeEmail: string;
  clocks: SlaClock[];
}

const PRIORITY: Priority = 'normal';
const CHUNK = 10_000;

/**
 * Insert one open ticket per `createdAt` (ms) for the fixture's customer, category, support group
 * (its two agents alternately) and policy, numbered from the year's counter like any ticket, with
 * the SLA deadlines the domain computes. The search outbox rows the insert triggers are removed in
 * the same transaction: indexing 100,000 documents would be the worker's search drain, not the
 * workflows this benchmark measures.
 */
export async function insertTickets(orm: MikroORM, prefix: string, fx: Fixtures, policy: SlaPolicySnapshot, createdAt: number[], label: string): Promise<SeededTicket[]> {
  const out: SeededTicket[] = [];
  const em = orm.em.fork();
  const [agents] = await em.execute<{ a1: string; a2: string }[]>('select (select email from users where id = ?) as a1, (select email from users where id = ?) as a2', [
    fx.users.agent1.id,
    fx.users.agent2.id,
  ]);
  const emailOf = new Map([
    [fx.users.agent1.id, agents!.a1],
    [fx.users.agent2.id, agents!.a2],
  ]);
  for (let from = 0; from < createdAt.length; from += CHUNK) {
    const part = createdAt.slice(from, from + CHUNK);
    const clocks = part.map((at) => initialClocks(policy, PRIORITY, at));
    const due = (name: string) => clocks.map((cs) => cs.find((c) => c.name === name)?.dueAt ?? null);
    const year = new Date().getUTCFullYear();
    const rows = await em.transactional(async (tx) => {
      const inserted = await tx.execute<{ id: number; number: string; assignee_id: number | null; g: number }[]>(
        `with counter as (
           insert into ticket_counters (year, last) values (?::int, ?::int)
           on conflict (year) do update set last = ticket_counters.last + excluded.last returning last
         ), src as (
           select u.g::int as g, (counter.last - ?::int + u.g)::int as seq, u.c, f.d as fr, r.d as res
             from unnest(?::bigint[]) with ordinality as u(c, g)
             join unnest(?::bigint[]) with ordinality as f(d, g) using (g)
             join unnest(?::bigint[]) with ordinality as r(d, g) using (g)
             cross join counter
         ), t as (
           insert into tickets (number, subject, body_html, requester_id, organization_id, source, category_id, priority, status,
                                group_id, assignee_id, sla_policy_id, sla_state, first_response_due_at, resolution_due_at, tags,
                                custom_fields, created_at, updated_at, workflow_started_at, version)
           select ${formatTicketNumberSql('?::text', 'src.seq')},
                  '[bench ' || ?::text || '] printer on floor 3 jammed (#' || src.g || ')',
                  '<p>Benchmark ticket: the printer on floor 3 reports <b>paper jam</b> again.</p>',
                  ?::int, null, 'web', ?::int, ?::text, 'open', ?::int, case when src.g % 2 = 1 then ?::int else ?::int end, ?::int, 'ok',
                  to_timestamp(src.fr / 1000.0), to_timestamp(src.res / 1000.0), '{}', '{}'::jsonb,
                  to_timestamp(src.c / 1000.0), to_timestamp(src.c / 1000.0), now(), 1
             from src
            order by src.g
           returning id, number, assignee_id, created_at
         ), m as (
           insert into messages (ticket_id, author_id, kind, channel, body_html, body_text, email_message_id, "references", idempotency_key, created_at)
           select t.id, ?::int, 'public', 'web', '<p>Benchmark ticket: the printer on floor 3 reports <b>paper jam</b> again.</p>',
                  'Benchmark ticket: the printer on floor 3 reports paper jam again.', null, '[]'::jsonb, 'ticket-' || t.id || ':initial', t.created_at
             from t
           returning ticket_id
         )
         select t.id, t.number, t.assignee_id, (select count(*) from m) as messages from t order by t.id`,
        [
          year,
          part.length,
          part.length,
          `{${part.join(',')}}`,
          `{${due('first_response').join(',')}}`,
          `{${due('resolution').join(',')}}`,
          ticketNumberHead(prefix, year),
          label,
          fx.users.customer.id,
          fx.categoryId,
          PRIORITY,
          fx.groups.support,
          fx.users.agent1.id,
          fx.users.agent2.id,
          fx.policyId,
          fx.users.customer.id,
        ],
      );
      const ids = inserted.map((r) => r.id);
      await tx.execute(`delete from search_outbox where kind = 'ticket' and doc_id = any(?::int[])`, [`{${ids.join(',')}}`]);
      return inserted;
    });
    // Ids follow the insert order of src.g (one statement, one sequence).
    rows.forEach((r, i) =>
      out.push({ id: r.id, number: r.number, createdAt: part[i]!, assigneeId: r.assignee_id, assigneeEmail: r.assignee_id === null ? '' : (emailOf.get(r.assignee_id) ?? ''), clocks: clocks[i]! }),
    );
  }
  return out;
}

export interface StartContext {
  temporal: Client;
  taskQueue: string;
  /** `ticketWorkflow` (new code) or `ticketLifecycle` (old code knows only that one). */
  workflowType: typeof TICKET_WORKFLOW_TYPE | typeof LEGACY_TICKET_WORKFLOW_TYPE;
  policy: SlaPolicySnapshot;
  /** The listener flag (new code only; the old contract has none). */
  listeners: TicketListeners | null;
  fx: Fixtures;
}

/** The input of a run continued as new: everything the previous run knew, nothing left to do at once. */
export function carriedInput(ctx: StartContext, t: SeededTicket): TicketLifecycleInput {
  const ticket: TicketSnapshot = {
    ticketId: t.id,
    number: t.number,
    requesterId: ctx.fx.users.customer.id,
    status: 'open',
    priority: PRIORITY,
    groupId: ctx.fx.groups.support,
    assigneeId: t.assigneeId,
    assigneeLabel: t.assigneeEmail,
    tags: [],
    categoryId: ctx.fx.categoryId,
    version: 1,
  };
  const carried: CarriedState = {
    ticket,
    clocks: t.clocks,
    policy: ctx.policy,
    autoCloseAt: null,
    // The creation e-mails took keys 1 and 2.
    seq: 2,
    createdNotified: true,
    firstResponded: false,
    ...(ctx.listeners
      ? {
          listeners: ctx.listeners,
          published: JSON.stringify(ticketSearchAttributes(ticket, 'ok').map((a) => a.value)),
        }
      : {}),
  };
  return {
    ticket,
    createdAt: t.createdAt,
    policy: ctx.policy,
    requestId: `bench:workflow-scale:${t.id}`,
    carried,
    ...(ctx.listeners ? { listeners: ctx.listeners } : {}),
  };
}

/** Start the workflows of `tickets` with at most `concurrency` start calls in flight; returns start-call latencies (ms). */
export async function startWorkflows(ctx: StartContext, tickets: SeededTicket[], concurrency: number): Promise<{ latencies: number[]; errors: Record<string, number> }> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < tickets.length) {
      const t = tickets[next++]!;
      const input = carriedInput(ctx, t);
      const t0 = performance.now();
      try {
        await ctx.temporal.workflow.start(ctx.workflowType, {
          workflowId: ticketWorkflowId(t.id),
          taskQueue: ctx.taskQueue,
          args: [input],
          memo: { requestId: input.requestId, ticketNumber: t.number },
          typedSearchAttributes: ticketSearchAttributes(input.ticket, 'ok'),
        });
        latencies.push(performance.now() - t0);
      } catch (err) {
        const kind = err instanceof Error ? err.name : 'error';
        errors[kind] = (errors[kind] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors };
}

export async function policyAndListeners(orm: MikroORM, policyId: number): Promise<{ policy: SlaPolicySnapshot; listeners: TicketListeners }> {
  const em = orm.em.fork();
  return { policy: await loadPolicySnapshot(em, policyId), listeners: await loadTicketListeners(em) };
}
