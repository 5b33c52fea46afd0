import type { EntityManager } from '@mikro-orm/postgresql';
import { compileRuleSet, evaluate, type Condition, type RuleDefinition, type RuleEvaluation, HOURS_SINCE_EVENTS, type HoursSinceEvent, type RuleContext, type UnmatchedRule } from '@mehrdesk/rules';
import { activeRuleSet, buildRuleContext, loadStoredRules } from '@mehrdesk/usecases/rules/rule-context';
import type { RuleActionPlan } from '@mehrdesk/workflows/contracts';
import type { EvaluateRulesInput, PlannedRule, ScheduledRulePage } from '@mehrdesk/workflows/activity-contracts';
import type { RuleDeps } from './rule-activities';

/**
 * Record one evaluation per rule in one statement, and move the counters of the rows actually
 * inserted (an activity retry inserts nothing and counts nothing). `results` are logged in full
 * (condition report, actions, duration); `unmatched` rules get a compact row (matched = false,
 * no conditions or actions): the execution log (GET /api/v1/rules/executions) still lists every
 * rule that ran for the event and the counters still count every run, without writing a
 * condition report nobody asked for. A dry-run shows the full report of any rule on demand.
 */
export async function logExecutions(
  em: EntityManager,
  ticketId: number,
  eventType: string,
  chainKey: string,
  depth: number,
  results: readonly RuleEvaluation[],
  unmatched: readonly UnmatchedRule[] = [],
) {
  if (results.length === 0 && unmatched.length === 0) return;
  const keyPrefix = `${chainKey}:${depth}:`;
  const rows = results.map((r) => ({
    rule_id: r.ruleId,
    rule_version: r.version,
    matched: r.matched,
    conditions: r.conditions,
    actions: r.actions,
    duration_ms: r.durationMs,
    error: r.error ?? null,
    idempotency_key: `${keyPrefix}${r.ruleId}`,
  }));
  await em.execute(
    `with rows as (
       select x.rule_id, x.rule_version, x.matched, x.conditions, x.actions, x.duration_ms, x.error, x.idempotency_key
         from jsonb_to_recordset(?::jsonb) as x(rule_id int, rule_version int, matched boolean, conditions jsonb, actions jsonb, duration_ms double precision, error text, idempotency_key text)
       union all
       select u.rule_id, u.rule_version, false, '[]'::jsonb, '[]'::jsonb, 0, null, ?::text || u.rule_id
         from unnest(?::int[], ?::int[]) as u(rule_id, rule_version)),
     inserted as (
       insert into rule_executions (rule_id, rule_version, ticket_id, event_type, chain_key, chain_depth, matched, conditions, actions, duration_ms, error, idempotency_key, created_at)
       select rule_id, rule_version, ?, ?, ?, ?, matched, conditions, actions, duration_ms, error, idempotency_key, now() from rows order by rule_id
       on conflict (idempotency_key) do nothing
       returning rule_id, matched)
     -- Rule rows are locked in id order whatever matched, so concurrent events cannot deadlock on the counters.
     update rules r set runs = r.runs + 1, matches = r.matches + (case when i.matched then 1 else 0 end),
                        last_matched_at = case when i.matched then now() else r.last_matched_at end
       from inserted i where r.id = i.rule_id`,
    [JSON.stringify(rows), keyPrefix, `{${unmatched.map((u) => u.ruleId).join(',')}}`, `{${unmatched.map((u) => u.version).join(',')}}`, ticketId, eventType, chainKey, depth],
  );
}

// The rules package validated these actions against the same catalogue the workflow applies.
const plan = (r: RuleEvaluation): PlannedRule => ({ ruleId: r.ruleId, version: r.version, name: r.name, actions: r.actions as RuleActionPlan[] });

export async function evaluateForTicket(deps: RuleDeps, em: EntityManager, input: EvaluateRulesInput): Promise<{ planned: PlannedRule[] }> {
  const ctx = await buildRuleContext(em, input.ticketId, input.event, input.previous, Date.now());
  if (!ctx) return { planned: [] };
  const { set } = await activeRuleSet(em);
  // The index hands json-rules-engine only the rules that can match; only they are reported in full.
  const result = await evaluate(set, ctx, { trigger: input.event.type, skipRuleIds: input.skipRuleIds, report: 'matched' });
  await em.transactional((tx) => logExecutions(tx, input.ticketId, input.event.type, input.chainKey, input.chainDepth, result.results, result.unmatched));
  const planned = result.results.filter((r) => r.matched && r.actions.length > 0).map(plan);
  deps.log.debug(
    {
      ticketId: input.ticketId,
      event: input.event.type,
      evaluated: result.results.length + result.unmatched.length,
      engineRuns: result.engineRuns,
      matched: planned.map((p) => p.ruleId),
      ms: result.durationMs,
      requestId: input.requestId,
    },
    'rules evaluated',
  );
  return { planned };
}

function hoursSinceEvents(c: Condition, out: Set<HoursSinceEvent>): Set<HoursSinceEvent> {
  if ('all' in c) c.all.forEach((x) => hoursSinceEvents(x, out));
  else if ('any' in c) c.any.forEach((x) => hoursSinceEvents(x, out));
  else if ('not' in c) hoursSinceEvents(c.not, out);
  else if (c.fact === 'hoursSince' && typeof c.params?.event === 'string') out.add(c.params.event as HoursSinceEvent);
  return out;
}

/**
 * The condition window of a time-based rule for one ticket: the timestamps its hoursSince
 * conditions count from. "Pending for 72 h" acts once per pending spell (status_changed), not
 * once a minute forever; a rule without such conditions acts once per ticket.
 */
export function windowKey(def: RuleDefinition, ctx: RuleContext): string {
  const events = [...hoursSinceEvents(def.conditions, new Set())].sort();
  if (events.length === 0) return 'once';
  return events.map((e) => `${e}=${ctx.ticket[HOURS_SINCE_EVENTS[e]] ?? 'none'}`).join('|');
}

const PAGE = 200;

export async function scanScheduledRule(deps: RuleDeps, input: { ruleId: number; afterTicketId: number; runKey: string }): Promise<ScheduledRulePage> {
  const em = deps.orm.em.fork();
  const [stored] = await loadStoredRules(em, `r.enabled and r.id = ? and r.trigger = 'schedule'`, [input.ruleId]);
  if (!stored) return { matches: [], rule: null, scanned: 0, nextAfter: null };
  const set = compileRuleSet([stored]);
  const tickets = await em.execute<{ id: number }[]>(`select id from tickets where id > ? and deleted_at is null and status not in ('closed', 'cancelled') order by id limit ?`, [
    input.afterTicketId,
    PAGE,
  ]);
  const now = Date.now();
  const matches: ScheduledRulePage['matches'] = [];
  for (const { id } of tickets) {
    const ctx = await buildRuleContext(em, id, { type: 'schedule', at: now }, null, now);
    if (!ctx) continue;
    const { results } = await evaluate(set, ctx, { trigger: 'schedule', report: 'matched' });
    const r = results[0];
    if (!r?.matched) continue;
    const key = windowKey(stored.definition, ctx);
    // The mark is the "acted on" record: a later run in the same window finds it and skips.
    const fresh = await em.execute<{ id: number }[]>(
      'insert into rule_marks (rule_id, ticket_id, window_key, created_at) values (?, ?, ?, now()) on conflict (rule_id, ticket_id, window_key) do nothing returning id',
      [stored.id, id, key],
    );
    if (fresh.length === 0) continue;
    await logExecutions(em, id, 'schedule', `schedule:${input.runKey}`, 0, [r]);
    matches.push({ ticketId: id, windowKey: key });
  }
  return {
    matches,
    rule: { id: stored.id, version: stored.version, name: stored.name, actions: stored.definition.actions as RuleActionPlan[] },
    scanned: tickets.length,
    nextAfter: tickets.length === PAGE ? tickets[tickets.length - 1]!.id : null,
  };
}
