import { condition } from '@temporalio/workflow';

/**
 * Serialises async handlers inside one workflow: updates, signals and timer processing each
 * read-modify-write the ticket state across activity awaits, so they must not interleave.
 * Deterministic (built on `condition`), so replay takes the same order.
 *
 * The lock is taken inside the condition's predicate: the SDK resolves every satisfied condition
 * in one pass, so waiting for `!held` and setting `held` after the await let two waiters in at
 * once (both saw it free), in an order that depended on how jobs were batched into activations
 * and so could differ on replay: a nondeterminism error froze the ticket
 * (scripts/src/chaos/lock.int.test.ts). Legacy `ticketLifecycle` runs ask for it with a marker and
 * keep the old behaviour when replaying history recorded before it; `ticketWorkflow` runs, born
 * with every patch, take it without one.
 */
export const WORKFLOW_LOCK_PATCH = 'workflow-lock-v2';

export class WorkflowLock {
  private held = false;

  /** `patched`: the run's own (ticket/run.ts: runs born with every patch answer true without a marker). */
  constructor(private readonly patched: (id: string) => boolean = () => true) {}

  get isHeld(): boolean {
    return this.held;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.patched(WORKFLOW_LOCK_PATCH)) {
      await condition(() => {
        if (this.held) return false;
        this.held = true;
        return true;
      });
    } else {
      await condition(() => !this.held);
      this.held = true;
    }
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}
