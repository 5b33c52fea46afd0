import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '@mehrdesk/core/logger';
import type { EvaluateRulesInput, PlannedRule, TicketActivities } from '@mehrdesk/workflows/activity-contracts';
import { insertTimeline } from './ticket-writes';
import { evaluateForTicket, scanScheduledRule } from './rule-evaluation';
import { LISTENING_RULE } from '@mehrdesk/core/services/ticket-listeners';

// Rule evaluation inside the ticket's decision path (R1/R4): load the active rule set (cached
// per rule-set version), evaluate it against the ticket as stored (the rule index hands
// json-rules-engine only the rules that can match), log every evaluation (matches in full), and
// hand the workflow the actions of the rules that matched. Nothing is changed here: the
// workflow applies the actions itself, so they are in its history and the ticket's timeline.

export interface RuleDeps {
  orm: MikroORM;
  log: Logger;
}

export function createRuleActivities(deps: RuleDeps): Pick<TicketActivities, 'evaluateRules' | 'recordRuleChainLimit' | 'scanScheduledRule'> {
  return {
    async evaluateRules(input: EvaluateRulesInput): Promise<{ planned: PlannedRule[] }> {
      const em = deps.orm.em.fork();
      // Fast path: no enabled rule listens to this trigger (the common case for most events).
      const [{ n }] = await em.execute<[{ n: number }]>(`select count(*)::int as n from rules where ${LISTENING_RULE} and trigger = ?`, [input.event.type]);
      if (n === 0) return { planned: [] };
      return evaluateForTicket(deps, em, input);
    },

    scanScheduledRule: (input) => scanScheduledRule(deps, input),

    async recordRuleChainLimit(input) {
      deps.log.warn({ ticketId: input.ticketId, chainKey: input.chainKey, depth: input.depth, rules: input.firedRuleIds, requestId: input.requestId }, 'rule chain limit reached');
      await deps.orm.em
        .fork()
        .transactional((em) =>
          insertTimeline(em, input.ticketId, `${input.chainKey}:limit`, { type: 'workflow', id: null, role: null }, [
            { type: 'rules.chain_limit', field: null, from: null, to: { depth: input.depth, ruleIds: input.firedRuleIds }, meta: { chainKey: input.chainKey } },
          ]),
        );
    },
  };
}
