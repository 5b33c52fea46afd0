import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SCHEDULED_RULE_WORKFLOW_TYPE, ruleScheduleId } from '@mehrdesk/workflows/contracts';
import type { AppDeps } from '../deps';

/**
 * Keep a rule's Temporal Schedule in step with the rule (R3): one schedule per time-based rule,
 * firing every N minutes, paused while the rule is disabled, deleted with it. Visible in
 * Temporal UI under Schedules as `rule-<id>`.
 */
export async function syncRuleSchedule(deps: AppDeps, em: EntityManager, ruleId: number): Promise<void> {
  const [rule] = await em.execute<{ trigger: string; enabled: boolean; deleted_at: Date | null; schedule_every_minutes: number | null; name: string }[]>(
    'select trigger, enabled, deleted_at, schedule_every_minutes, name from rules where id = ?',
    [ruleId],
  );
  const handle = deps.temporal.schedule.getHandle(ruleScheduleId(ruleId));
  const wanted = rule && !rule.deleted_at && rule.trigger === 'schedule' && rule.schedule_every_minutes;
  if (!wanted) {
    await handle.delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return;
  }
  const every = `${rule.schedule_every_minutes} minutes`;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: SCHEDULED_RULE_WORKFLOW_TYPE,
    workflowId: `rule-run-${ruleId}`,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    args: [{ ruleId }],
  };
  try {
    await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every }] }, action, state: { ...prev.state, paused: !rule.enabled, note: rule.name } }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await deps.temporal.schedule.create({
      scheduleId: ruleScheduleId(ruleId),
      spec: { intervals: [{ every }] },
      action,
      // A slow run is never stacked with the next one; a missed run is not replayed in bulk.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state: { paused: !rule.enabled, note: rule.name },
    });
  }
}
