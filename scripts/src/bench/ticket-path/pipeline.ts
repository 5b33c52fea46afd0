import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mehrdesk/core/db';
import { backlog } from '../lib/temporal-backlog';

// What the worker and Temporal did with the tickets of a step, read from the database: the
// workflow's first activity writes the `ticket_created` row of email_log (so its created_at is
// when the workflow started doing work), the assigned agent gets `ticket_assigned`, and the
// rule activity logs each evaluation in rule_executions.

const idArray = (ids: number[]) => `{${ids.join(',')}}`;

export async function startedCount(orm: MikroORM, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await orm.em.fork().execute<{ n: string }[]>(`select count(distinct ticket_id) as n from email_log where ticket_id = any(?::int[]) and template = 'ticket_created'`, [idArray(ids)]);
  return Number(row?.n ?? 0);
}

/** ms from the ticket row's created_at to its `ticket_created` e-mail row, per started ticket. */
export async function startLags(orm: MikroORM, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await orm.em.fork().execute<{ lag: string }[]>(
    `select extract(epoch from (min(e.created_at) - t.created_at)) * 1000 as lag
       from tickets t join email_log e on e.ticket_id = t.id and e.template = 'ticket_created'
      where t.id = any(?::int[]) group by t.id, t.created_at`,
    [idArray(ids)],
  );
  return rows.map((r) => Number(r.lag));
}

export interface Outcome {
  tickets: number;
  /** Tickets with an assignee (each owes a `ticket_assigned` e-mail). */
  assigned: number;
  createdMails: number;
  assignedMails: number;
  /** E-mail rows of the two templates not (yet) handed to the SMTP server. */
  notSent: number;
  /** rule_executions rows of the round's rule for these tickets. */
  ruleEvaluations: number;
  ruleMatches: number;
  /** Work the workflow gave up on (an activity failed for good), recorded on these tickets' timelines. */
  activityFailures: number;
}

export async function outcome(orm: MikroORM, ids: number[], ruleId: number): Promise<Outcome> {
  const em = orm.em.fork();
  const a = idArray(ids);
  const [t] = await em.execute<{ n: string; assigned: string }[]>('select count(*) as n, count(assignee_id) as assigned from tickets where id = any(?::int[])', [a]);
  const [m] = await em.execute<{ created: string; assigned: string; not_sent: string }[]>(
    `select count(distinct ticket_id) filter (where template = 'ticket_created') as created,
            count(distinct ticket_id) filter (where template = 'ticket_assigned') as assigned,
            count(*) filter (where status <> 'sent') as not_sent
       from email_log where ticket_id = any(?::int[]) and template in ('ticket_created', 'ticket_assigned')`,
    [a],
  );
  const [r] = await em.execute<{ n: string; matched: string }[]>(
    'select count(*) as n, count(*) filter (where matched) as matched from rule_executions where rule_id = ? and ticket_id = any(?::int[])',
    [ruleId, a],
  );
  const [f] = await em.execute<{ n: string }[]>(`select count(*) as n from timeline_events where ticket_id = any(?::int[]) and type = 'system.activity_failed'`, [a]);
  return {
    tickets: Number(t?.n ?? 0),
    assigned: Number(t?.assigned ?? 0),
    createdMails: Number(m?.created ?? 0),
    assignedMails: Number(m?.assigned ?? 0),
    notSent: Number(m?.not_sent ?? 0),
    ruleEvaluations: Number(r?.n ?? 0),
    ruleMatches: Number(r?.matched ?? 0),
    activityFailures: Number(f?.n ?? 0),
  };
}

export interface Drain {
  /** Seconds after the step's last answer until every ticket had its `ticket_created` row; null: not within the wait. */
  startedAfterS: number | null;
  /** Until, besides, both e-mails of every ticket were sent and the task queue was empty; null: not within the wait. */
  settledAfterS: number | null;
  started: number;
}

/**
 * Poll until every ticket's workflow has started, then until its e-mails are sent and the task
 * queue is empty (the rest of the creation work: the assigned e-mail, the rule evaluation), or
 * until `timeoutMs`.
 */
export async function drain(orm: MikroORM, temporal: Client, taskQueue: string, ids: number[], ruleId: number, timeoutMs: number): Promise<Drain> {
  const t0 = performance.now();
  let startedAfterS: number | null = null;
  let started = 0;
  let mailsDoneAt: number | null = null;
  for (;;) {
    const elapsed = performance.now() - t0;
    if (startedAfterS === null) {
      started = await startedCount(orm, ids);
      if (started >= ids.length) startedAfterS = elapsed / 1000;
    }
    if (startedAfterS !== null) {
      const o = await outcome(orm, ids, ruleId);
      if (o.createdMails >= o.tickets && o.assignedMails >= o.assigned && o.notSent === 0) {
        mailsDoneAt ??= performance.now();
        // The backlog count is approximate: 5 s after the last e-mail counts as settled too.
        const b = await backlog(temporal, taskQueue);
        if (b === null || (b.workflowTasks === 0 && b.activityTasks === 0) || performance.now() - mailsDoneAt > 5000) return { startedAfterS, settledAfterS: (performance.now() - t0) / 1000, started };
      }
    }
    if (elapsed >= timeoutMs) return { startedAfterS, settledAfterS: null, started };
    await sleep(250);
  }
}
