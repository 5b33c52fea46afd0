import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '@mehrdesk/core/logger';
import { startPeriodic } from './periodic';

describe('startPeriodic', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs one pass at a time, carries on after a failed one, and stops', async () => {
    const warn = vi.fn();
    const log = { warn } as unknown as Logger;
    let calls = 0;
    let release: () => void = () => {};
    const stop = startPeriodic(log, 'test task', 1000, async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      if (calls === 2) await new Promise<void>((r) => (release = r));
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ task: 'test task' }), 'test task pass failed');
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(2);
    // The second pass still runs: ticks meanwhile are skipped, not queued.
    await vi.advanceTimersByTimeAsync(3000);
    expect(calls).toBe(2);
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(3);
    stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(3);
  });
});
