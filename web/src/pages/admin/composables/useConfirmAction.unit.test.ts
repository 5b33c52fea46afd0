import { describe, expect, it } from 'vitest';
import { useConfirmAction } from './useConfirmAction';

// The confirm-dialog state: asking opens it for one target, a successful action closes it, a
// refused one keeps it open with the message, and closing forgets the target.

describe('useConfirmAction', () => {
  it('runs the action on the asked target and closes when it works', async () => {
    const done: number[] = [];
    const c = useConfirmAction(async (n: number) => void done.push(n));
    expect(c.open.value).toBe(false);
    c.ask(7);
    expect(c.open.value).toBe(true);
    const running = c.confirm();
    expect(c.busy.value).toBe(true);
    await running;
    expect(done).toEqual([7]);
    expect(c.open.value).toBe(false);
    expect(c.target.value).toBeNull();
    expect(c.busy.value).toBe(false);
  });

  it('keeps the dialog open with the error when the action fails, and clears it on the next ask', async () => {
    const c = useConfirmAction(async () => {
      throw new Error('still has articles');
    });
    c.ask('x');
    await c.confirm();
    expect(c.open.value).toBe(true);
    expect(c.error.value).toContain('still has articles');
    expect(c.busy.value).toBe(false);
    c.open.value = false;
    expect(c.target.value).toBeNull();
    c.ask('y');
    expect(c.error.value).toBeNull();
  });

  it('does nothing when confirmed without a target', async () => {
    let calls = 0;
    const c = useConfirmAction(async () => void calls++);
    await c.confirm();
    expect(calls).toBe(0);
  });
});
