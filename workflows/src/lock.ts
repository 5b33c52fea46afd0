import { condition } from '@temporalio/workflow';

/**
 * Serialises async handlers inside one workflow: updates, signals and timer processing each
 * read-modify-write the ticket state across activity awaits, so they must not interleave.
 * Deterministic (built on `condition`), so replay takes the same order.
 */
export class WorkflowLock {
  private held = false;

  get isHeld(): boolean {
    return this.held;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !this.held);
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}
