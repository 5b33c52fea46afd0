import * as wf from '@temporalio/workflow';
import type * as activities from './activities';

// The smallest workflows that do what one ticket asks of Temporal, one shape each: the cost of
// Temporal's own bookkeeping, with no database or mail behind the activities.

const remote = wf.proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
const local = wf.proxyLocalActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** Start, one workflow task, complete. */
export async function floorEmpty(): Promise<number> {
  return 0;
}

/** Start, a workflow task that schedules an activity, the activity task, a second workflow task: a ticket's creation e-mails. */
export async function floorActivity(): Promise<number> {
  return remote.noop(1);
}

/** Start, one workflow task in which a local activity runs: a delivery's first try, a rule evaluation. */
export async function floorLocalActivity(): Promise<number> {
  return local.noop(1);
}

/** A ticket's first task as the new code runs it: an activity scheduled and a timer set, then the activity's completion wakes it. */
export async function floorActivityAndTimer(): Promise<number> {
  const mail = remote.noop(1);
  await Promise.race([mail, wf.sleep('1 hour')]);
  return 1;
}
