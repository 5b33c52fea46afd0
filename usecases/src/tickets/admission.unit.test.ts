import { describe, expect, it } from 'vitest';
import { admissionRefusal } from './admission';

const settings = { maxBacklog: 100, maxBacklogSeconds: 5, checkMs: 1000 };

describe('admission decisions', () => {
  it('admit while the backlog is within both bounds', () => {
    expect(admissionRefusal({ count: 0, ageSeconds: 0 }, settings)).toBeNull();
    expect(admissionRefusal({ count: 100, ageSeconds: 5 }, settings)).toBeNull();
  });

  it('refuse when too many tasks wait, or when the oldest waited too long, with a bounded Retry-After', () => {
    const many = admissionRefusal({ count: 400, ageSeconds: 8 }, settings);
    expect(many?.code).toBe('overloaded');
    expect(many?.retryAfterSeconds).toBe(6); // 8 s × (1 − 100/400), rounded up
    const old = admissionRefusal({ count: 20, ageSeconds: 30 }, settings);
    expect(old?.retryAfterSeconds).toBe(25); // 30 s × (1 − 5/30)
    expect(admissionRefusal({ count: 1_000_000, ageSeconds: 3600 }, settings)?.retryAfterSeconds).toBe(60);
  });

  it('are off with a backlog bound of 0, and ignore age with an age bound of 0', () => {
    expect(admissionRefusal({ count: 1_000_000, ageSeconds: 3600 }, { ...settings, maxBacklog: 0 })).toBeNull();
    expect(admissionRefusal({ count: 20, ageSeconds: 3600 }, { ...settings, maxBacklogSeconds: 0 })).toBeNull();
  });
});
