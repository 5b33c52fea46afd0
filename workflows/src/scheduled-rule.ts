import * as wf from '@temporalio/workflow';
import type { TicketActivities } from './activity-contracts';
import { scheduledRuleMatchedSignal, ticketWorkflowId } from './contracts';

const db = wf.proxyActivities<Pick<TicketActivities, 'scanScheduledRule'>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * One run of a time-based rule (R3), started by its Temporal Schedule. Scans open tickets page
 * by page; every ticket that matches in a new condition window gets a signal, and its own
 * workflow applies the actions (so they are in that ticket's history and timeline).
 */
export async function scheduledRuleRun(input: { ruleId: number; afterTicketId?: number }): Promise<{ matched: number; scanned: number }> {
  const runKey = wf.workflowInfo().runId;
  let after = input.afterTicketId ?? 0;
  let matched = 0;
  let scanned = 0;
  for (;;) {
    const page = await db.scanScheduledRule({ ruleId: input.ruleId, afterTicketId: after, runKey });
    scanned += page.scanned;
    if (page.rule) {
      for (const m of page.matches) {
        await wf
          .getExternalWorkflowHandle(ticketWorkflowId(m.ticketId))
          .signal(scheduledRuleMatchedSignal, { ruleId: page.rule.id, version: page.rule.version, name: page.rule.name, windowKey: m.windowKey, actions: page.rule.actions })
          .catch((err: unknown) => wf.log.warn('ticket workflow not reachable; skipped', { ticketId: m.ticketId, error: String(err) }));
        matched++;
      }
    }
    if (page.nextAfter === null) return { matched, scanned };
    after = page.nextAfter;
    if (wf.workflowInfo().continueAsNewSuggested) await wf.continueAsNew<typeof scheduledRuleRun>({ ruleId: input.ruleId, afterTicketId: after });
  }
}
