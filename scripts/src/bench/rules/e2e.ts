import type { MikroORM } from '@mehrdesk/core/db';
import { createLogger } from '@mehrdesk/core/logger';
import type { RuleDefinition } from '@mehrdesk/rules';
import type { TicketSnapshot as WorkflowSnapshot } from '@mehrdesk/workflows/contracts';
import type { Fixtures } from '../../testing/fixtures';
import { distribution, type Distribution } from '../lib/load';
import { PgWaitSampler, type PgWaitSummary } from '../lib/postgres-waits';
import { ruleName, ticketSpec } from './generate';
import { engineRunCount, evaluatedCount, type ImplName, type RulesImpl } from './impl';

// Part 2: the worker activity's path against PostgreSQL, without Temporal, for each side (old,
// new). The N rules are real rows (inserted with the API's statements), the tickets are real rows
// (inserted like the ticket service does, plus messages and status changes so every context
// subquery has data), and each event runs buildRuleContext → activeRuleSet → evaluate as that
// side's evaluateForTicket does, each phase timed. That side's execution log (old: one full row
// per evaluated rule; new: matched rules in full, the others compact) is timed separately, and
// that side's real activity (createRuleActivities().evaluateRules) is run as well, sequentially
// and with concurrent events.

const now = () => performance.now();

export interface BenchTicket {
  id: number;
  /** The snapshot the workflow would pass as `previous` (ids mapped to real rows). */
  previous: WorkflowSnapshot;
}

/** Insert `count` tickets built from ticketSpec (ids of groups/users/categories mapped onto the fixtures). */
export async function insertTickets(orm: MikroORM, fx: Fixtures, count: number, seed: number): Promise<{ tickets: BenchTicket[]; ms: number }> {
  const t0 = now();
  const at = Date.now();
  const groups = [fx.groups.support, fx.groups.tier2, fx.groups.other];
  const agents = [fx.users.agent1.id, fx.users.agent2.id, fx.users.tier2.id];
  const categories = [fx.categoryId, fx.otherCategoryId];
  const group = (g: number | null) => (g === null ? null : groups[g % groups.length]!);
  const agent = (a: number | null) => (a === null ? null : agents[a % agents.length]!);
  const category = (c: number | null) => (c === null ? null : categories[c % categories.length]!);
  const pgArray = (xs: string[]) => `{${xs.map((x) => `"${x}"`).join(',')}}`;
  const tickets: BenchTicket[] = [];
  await orm.em.fork().transactional(async (tx) => {
    for (let i = 0; i < count; i++) {
      const spec = ticketSpec(seed, i, at);
      const t = spec.ticket;
      const requester = i % 3 === 0 ? fx.users.customer2 : fx.users.customer;
      const number = `RB-${fx.suffix}-${String(i + 1).padStart(5, '0')}`;
      const [row] = await tx.execute<{ id: number }[]>(
        `insert into tickets (number, subject, body_html, requester_id, organization_id, source, category_id, priority, status,
                              group_id, assignee_id, sla_policy_id, sla_state, first_response_due_at, resolution_due_at, tags,
                              custom_fields, created_at, updated_at, resolved_at, version)
         values (?, ?, ?, ?, null, ?, ?, ?, ?, ?, ?, ?, ?, null, null, ?::text[], ?::jsonb, ?, ?, ?, 1) returning id`,
        [
          number,
          t.subject,
          `<p>${t.subject}</p>`,
          requester.id,
          t.source,
          category(t.categoryId),
          t.priority,
          t.status,
          group(t.groupId),
          agent(t.assigneeId),
          spec.businessCalendar ? fx.policyId : null,
          t.slaState,
          pgArray(t.tags),
          JSON.stringify(t.customFields),
          new Date(t.createdAt),
          new Date(t.updatedAt),
          t.resolvedAt === null ? null : new Date(t.resolvedAt),
        ],
      );
      const id = row!.id;
      if (t.tags.length) await tx.execute('insert into tags (name) select unnest(?::text[]) on conflict (name) do nothing', [pgArray(t.tags)]);
      const message = (author: number, kind: string, when: number, key: string) =>
        tx.execute(
          `insert into messages (ticket_id, author_id, kind, channel, body_html, body_text, "references", idempotency_key, created_at)
           values (?, ?, ?, ?, ?, ?, '[]'::jsonb, ?, ?)`,
          [id, author, kind, t.source, `<p>${t.subject}</p>`, t.subject, `ticket-${id}:${key}`, new Date(when)],
        );
      await message(requester.id, 'public', t.createdAt, 'initial');
      if (t.lastCustomerReplyAt !== null && t.lastCustomerReplyAt > t.createdAt) await message(requester.id, 'public', t.lastCustomerReplyAt, 'customer-reply');
      if (t.lastAgentReplyAt !== null) await message(fx.users.agent1.id, 'public', t.lastAgentReplyAt, 'agent-reply');
      const timeline = (type: string, when: number, key: string, field: string | null, oldValue: unknown, newValue: unknown) =>
        tx.execute(
          `insert into timeline_events (ticket_id, type, actor_type, actor_id, field, old_value, new_value, meta, idempotency_key, created_at)
           values (?, ?, 'user', ?, ?, ?::jsonb, ?::jsonb, '{}'::jsonb, ?, ?)`,
          [id, type, fx.users.agent1.id, field, JSON.stringify(oldValue), JSON.stringify(newValue), `ticket-${id}:${key}`, new Date(when)],
        );
      await timeline('ticket.created', t.createdAt, 'created', null, null, { number, status: 'new' });
      if (t.statusChangedAt !== null && t.statusChangedAt > t.createdAt) await timeline('ticket.status_changed', t.statusChangedAt, 'status', 'status', 'new', t.status);
      const p = spec.previous;
      tickets.push({
        id,
        previous: {
          ticketId: id,
          number,
          requesterId: requester.id,
          status: p.status,
          priority: p.priority,
          groupId: group(p.groupId),
          assigneeId: agent(p.assigneeId),
          assigneeLabel: '',
          tags: p.tags,
          categoryId: category(p.categoryId),
          version: 1,
        },
      });
    }
  });
  return { tickets, ms: now() - t0 };
}

/** Insert rules `from`…`to-1` exactly as POST /api/v1/rules does (one transaction here), then bump the rule-set version. */
export async function insertRules(orm: MikroORM, defs: readonly RuleDefinition[], from: number, to: number, authorId: number): Promise<number> {
  const t0 = now();
  await orm.em.fork().transactional(async (tx) => {
    for (let i = from; i < to; i++) {
      const def = defs[i]!;
      const name = ruleName(i, def);
      const [row] = await tx.execute<{ id: number }[]>(
        `insert into rules (name, description, trigger, position, enabled, current_version, schedule_every_minutes, runs, matches, created_at, updated_at)
         values (?, ?, ?, coalesce((select max(position) from rules where deleted_at is null), 0) + 10, ?, 1, ?, 0, 0, now(), now()) returning id`,
        [name, null, def.trigger, true, def.schedule?.everyMinutes ?? null],
      );
      await tx.execute(`insert into rule_versions (rule_id, version, name, definition, author_id, comment, created_at) values (?, 1, ?, ?::jsonb, ?, ?, now())`, [
        row!.id,
        name,
        JSON.stringify(def),
        authorId,
        'benchmark',
      ]);
    }
    await tx.execute('update rule_set_state set version = version + 1, updated_at = now() where id = 1');
  });
  return now() - t0;
}

export interface E2eOptions {
  warmup: number;
  events: number;
  activityEvents: number;
  concurrentEvents: number;
  concurrency: number;
  /** Per measured loop; at least 20 events are always measured. */
  maxSeconds: number;
}

export interface ConcurrentRun {
  concurrency: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  latency: Distribution;
  errors: Record<string, number>;
  /** pg_stat_activity sampled every 100 ms during the run. */
  waits: PgWaitSummary;
}

export interface E2eRun {
  impl: ImplName;
  n: number;
  insertMs: number;
  /** First activeRuleSet after the version bump: load the rows + compile. */
  coldRuleSetMs: number;
  events: number;
  evaluatedPerEvent: number;
  engineRunsPerEvent: number;
  matchedShare: number;
  eventsWithMatch: number;
  context: Distribution;
  ruleSet: Distribution;
  evaluate: Distribution;
  /** context + rule set + evaluate: the activity without the execution log. */
  total: Distribution;
  /** That side's logExecutions, as its worker calls it. */
  logAll: Distribution;
  /** JSON size of the logged conditions + actions per event (mean of the first 10 events). */
  logBytesPerEvent: number;
  /** The same statement with only the matched rules (no statement at all when nothing matched). */
  logMatched: Distribution;
  /** createRuleActivities().evaluateRules, one event at a time (fast path, context, evaluate, log). */
  activity: { events: number; latency: Distribution };
  concurrent: ConcurrentRun | null;
  executionRows: number;
  executionTableBytes: number;
}

let chainSeq = 0;
const chainKey = (n: number, what: string) => `bench:${n}:${what}:${++chainSeq}`;

export async function runE2e(impl: RulesImpl, orm: MikroORM, n: number, tickets: BenchTicket[], opts: E2eOptions, insertMs: number): Promise<E2eRun> {
  const ticketAt = (k: number) => tickets[(k * 37) % tickets.length]!;
  const cold0 = now();
  await impl.activeRuleSet(orm.em.fork());
  const coldRuleSetMs = now() - cold0;

  const ctxMs: number[] = [];
  const setMs: number[] = [];
  const evalMs: number[] = [];
  const totalMs: number[] = [];
  const logAllMs: number[] = [];
  const logMatchedMs: number[] = [];
  let evaluated = 0;
  let engineRuns = 0;
  let matched = 0;
  let eventsWithMatch = 0;
  let logBytes = 0;
  const started = now();
  for (let k = -opts.warmup; k < opts.events; k++) {
    if (k >= 20 && now() - started > opts.maxSeconds * 1000) break;
    const t = ticketAt(k + opts.warmup);
    const em = orm.em.fork();
    const event = { type: 'ticket.updated' as const, at: Date.now() };
    const a = now();
    const ctx = await impl.buildRuleContext(em, t.id, event, t.previous, Date.now());
    const b = now();
    const { set } = await impl.activeRuleSet(em);
    const c = now();
    if (!ctx) throw new Error(`ticket ${t.id} has no context`);
    const result = await impl.evaluate(set, ctx, { trigger: event.type, skipRuleIds: [] });
    const d = now();
    const key = chainKey(n, `${impl.name}:phases`);
    await em.transactional((tx) => impl.logExecutions(tx, t.id, event.type, key, 0, result.results, result.unmatched ?? []));
    const e = now();
    const hits = result.results.filter((r) => r.matched);
    if (hits.length > 0) await em.transactional((tx) => impl.logExecutions(tx, t.id, event.type, `${key}:matched`, 0, hits, []));
    const f = now();
    if (k < 0) continue;
    ctxMs.push(b - a);
    setMs.push(c - b);
    evalMs.push(d - c);
    totalMs.push(d - a);
    logAllMs.push(e - d);
    logMatchedMs.push(f - e);
    evaluated += evaluatedCount(result);
    engineRuns += engineRunCount(result);
    matched += hits.length;
    if (hits.length > 0) eventsWithMatch++;
    if (k < 10) logBytes += Buffer.byteLength(JSON.stringify(result.results.map((r) => ({ conditions: r.conditions, actions: r.actions }))));
  }

  // The real activity, as the workflow calls it.
  const activities = impl.createRuleActivities({ orm, log: createLogger('bench-rules', 'warn') });
  const input = (t: BenchTicket, what: string) => ({
    ticketId: t.id,
    requestId: `bench-${n}`,
    event: { type: 'ticket.updated' as const, at: Date.now() },
    previous: t.previous,
    chainKey: chainKey(n, `${impl.name}:${what}`),
    chainDepth: 0,
    skipRuleIds: [],
  });
  const activityMs: number[] = [];
  const actStarted = now();
  for (let k = 0; k < opts.activityEvents; k++) {
    if (k >= 20 && now() - actStarted > opts.maxSeconds * 1000) break;
    const t = ticketAt(k * 11 + 5);
    const a = now();
    await activities.evaluateRules(input(t, 'activity'));
    activityMs.push(now() - a);
  }

  let concurrent: ConcurrentRun | null = null;
  if (opts.concurrentEvents > 0 && opts.concurrency > 1) {
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    let next = 0;
    const sampler = new PgWaitSampler(orm, 100);
    sampler.start();
    const cStarted = now();
    const worker = async () => {
      while (next < opts.concurrentEvents && now() - cStarted < opts.maxSeconds * 1000) {
        const t = ticketAt(next++ * 13 + 3);
        const a = now();
        try {
          await activities.evaluateRules(input(t, 'concurrent'));
          latencies.push(now() - a);
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          const kind = /deadlock detected/i.test(msg) ? 'deadlock detected' : msg.slice(0, 80);
          errors[kind] = (errors[kind] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const seconds = (now() - cStarted) / 1000;
    const waits = await sampler.stop();
    concurrent = { concurrency: opts.concurrency, events: latencies.length, seconds, eventsPerSecond: latencies.length / seconds, latency: distribution(latencies), errors, waits };
  }

  const [size] = await orm.em.fork().execute<{ rows: string; bytes: string }[]>(`select (select count(*) from rule_executions) as rows, pg_total_relation_size('rule_executions') as bytes`);
  return {
    impl: impl.name,
    n,
    insertMs,
    coldRuleSetMs,
    events: totalMs.length,
    evaluatedPerEvent: evaluated / Math.max(1, totalMs.length),
    engineRunsPerEvent: engineRuns / Math.max(1, totalMs.length),
    matchedShare: evaluated ? matched / evaluated : 0,
    eventsWithMatch,
    context: distribution(ctxMs),
    ruleSet: distribution(setMs),
    evaluate: distribution(evalMs),
    total: distribution(totalMs),
    logAll: distribution(logAllMs),
    logBytesPerEvent: logBytes / Math.max(1, Math.min(10, totalMs.length)),
    logMatched: distribution(logMatchedMs),
    activity: { events: activityMs.length, latency: distribution(activityMs) },
    concurrent,
    executionRows: Number(size?.rows ?? 0),
    executionTableBytes: Number(size?.bytes ?? 0),
  };
}
