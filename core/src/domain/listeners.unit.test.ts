import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isListened, newerListeners, type TicketListeners } from './listeners';

const flag = (version: number, rules: string[] = [], webhooks: string[] = []): TicketListeners => ({ version, rules, webhooks });

describe('listener flags', () => {
  it('keep the newest version whatever order they arrive in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 20 }), (versions) => {
        const held = versions.reduce<TicketListeners | undefined>((h, v) => newerListeners(h, flag(v)), undefined);
        expect(held!.version).toBe(Math.max(...versions));
      }),
    );
    expect(newerListeners(flag(3), undefined)).toEqual(flag(3));
  });

  it('skip only events that came with a flag and that nothing listens to', () => {
    const f = flag(2, ['ticket.created'], ['ticket.updated']);
    expect(isListened(f, 'rules', 'ticket.created', true)).toBe(true);
    expect(isListened(f, 'rules', 'ticket.updated', true)).toBe(false);
    expect(isListened(f, 'webhooks', 'ticket.updated', true)).toBe(true);
    expect(isListened(f, 'webhooks', 'message.received', true)).toBe(false);
    // Raised by the workflow's own timers: the flag may predate a new rule, so it always runs.
    expect(isListened(f, 'rules', 'sla.breached', false)).toBe(true);
    // No flag yet (older callers): every event runs.
    expect(isListened(undefined, 'webhooks', 'ticket.updated', true)).toBe(true);
  });
});
