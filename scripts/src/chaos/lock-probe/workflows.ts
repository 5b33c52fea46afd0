import * as wf from '@temporalio/workflow';
import { WorkflowLock } from '../../../../workflows/src/lock';

// A minimal workflow around the ticket workflow's WorkflowLock (the real class, not a copy):
// the main function holds the lock until two signal handlers queue behind it, then releases
// it. A mutex lets one of them in at a time; the result says how many were inside at once.

export const enterSignal = wf.defineSignal<[string]>('enter');

export async function lockProbe(): Promise<{ maxInside: number; order: string[] }> {
  const lock = new WorkflowLock();
  let inside = 0;
  let maxInside = 0;
  const order: string[] = [];
  const pending: Promise<void>[] = [];
  wf.setHandler(enterSignal, (name: string) => {
    pending.push(
      lock.run(async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        order.push(`${name} in`);
        await wf.sleep(50);
        order.push(`${name} out`);
        inside--;
      }),
    );
  });
  await lock.run(() => wf.condition(() => pending.length >= 2));
  await Promise.all(pending);
  return { maxInside, order };
}
