import {
  ALWAYS_OPEN,
  initialClocks,
  markBreached,
  markWarned,
  pauseClock,
  stopClock,
  type CalendarSpec,
  type Priority,
  type SlaClock,
  type SlaPolicySnapshot,
  type SlaTargets,
  type Weekday,
} from '@mehrdesk/core/domain';
import { describe, expect, it } from 'vitest';
import { clockViews, nextWakeAt, onPolicyChange, onPriorityChange, onStatusChange, slaWrite, stopClockNamed, takeDueEvents } from './sla-tracker';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-11-02T09:00:00Z'); // a Monday
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** Mon–Fri 09:00–17:00 UTC. */
const OFFICE: CalendarSpec = {
  timeZone: 'UTC',
  shifts: ([1, 2, 3, 4, 5] as Weekday[]).map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
  holidays: [],
};

const hours = (fr: number | null, res: number | null): SlaTargets => ({
  firstResponseSeconds: fr === null ? null : fr * 3600,
  resolutionSeconds: res === null ? null : res * 3600,
});

function policy(over: Partial<SlaPolicySnapshot> = {}): SlaPolicySnapshot {
  return {
    id: 1,
    name: 'Standard',
    targets: { low: hours(8, 40), normal: hours(4, 10), high: hours(1, 5), urgent: hours(null, 2) },
    warningFraction: 0.8,
    escalation: [],
    autoCloseAfterSeconds: null,
    calendar: ALWAYS_OPEN,
    ...over,
  };
}

const P = policy();
/** Normal priority at T0: first response due T0+4h (warn +3.2h), resolution due T0+10h (warn +8h). */
const fresh = (p: SlaPolicySnapshot = P, priority: Priority = 'normal', now = T0) => initialClocks(p, priority, now);
const named = (clocks: SlaClock[], name: SlaClock['name']) => clocks.find((c) => c.name === name)!;

describe('onStatusChange', () => {
  it('without a policy nothing happens', () => {
    const clocks = fresh();
    const u = onStatusChange(clocks, null, 'new', 'pending', T0 + HOUR);
    expect(u.clocks).toBe(clocks);
    expect(u.events).toEqual([]);
  });

  it('new → pending pauses every running clock with a paused event', () => {
    const now = T0 + HOUR;
    const u = onStatusChange(fresh(), P, 'new', 'pending', now);
    expect(u.clocks.map((c) => [c.name, c.runningSince, c.consumedMs, c.dueAt])).toEqual([
      ['first_response', null, HOUR, null],
      ['resolution', null, HOUR, null],
    ]);
    expect(u.events).toEqual([
      { clock: 'first_response', type: 'paused', targetAt: T0 + 4 * HOUR, actualAt: now, met: null },
      { clock: 'resolution', type: 'paused', targetAt: T0 + 10 * HOUR, actualAt: now, met: null },
    ]);
  });

  it('new → on_hold pauses too', () => {
    const u = onStatusChange(fresh(), P, 'new', 'on_hold', T0 + HOUR);
    expect(u.clocks.every((c) => c.runningSince === null)).toBe(true);
    expect(u.events.map((e) => e.type)).toEqual(['paused', 'paused']);
  });

  it('pending → on_hold keeps the clocks paused without events', () => {
    const paused = onStatusChange(fresh(), P, 'new', 'pending', T0 + HOUR).clocks;
    const u = onStatusChange(paused, P, 'pending', 'on_hold', T0 + 2 * HOUR);
    expect(u.events).toEqual([]);
    expect(u.clocks).toEqual(paused);
  });

  it('new → open leaves running clocks alone', () => {
    const clocks = fresh();
    const u = onStatusChange(clocks, P, 'new', 'open', T0 + HOUR);
    expect(u.events).toEqual([]);
    expect(u.clocks).toEqual(clocks);
  });

  it('pending → open resumes with a resumed event carrying the new deadline', () => {
    const paused = onStatusChange(fresh(), P, 'new', 'pending', T0 + HOUR).clocks;
    const now = T0 + 5 * HOUR;
    const u = onStatusChange(paused, P, 'pending', 'open', now);
    // 1 h consumed before the pause; the 4 h paused do not count.
    expect(u.clocks.map((c) => [c.name, c.runningSince, c.dueAt])).toEqual([
      ['first_response', now, now + 3 * HOUR],
      ['resolution', now, now + 9 * HOUR],
    ]);
    expect(u.events).toEqual([
      { clock: 'first_response', type: 'resumed', targetAt: now + 3 * HOUR, actualAt: now, met: null },
      { clock: 'resolution', type: 'resumed', targetAt: now + 9 * HOUR, actualAt: now, met: null },
    ]);
  });

  it('→ resolved stops every active clock with met events; met=false for a breached clock', () => {
    let clocks = fresh();
    clocks = clocks.map((c) => (c.name === 'first_response' ? markBreached(c, T0 + 4 * HOUR) : c));
    const now = T0 + 6 * HOUR;
    const u = onStatusChange(clocks, P, 'open', 'resolved', now);
    expect(u.clocks.map((c) => [c.name, c.stoppedAt, c.met, c.runningSince])).toEqual([
      ['first_response', now, false, null],
      ['resolution', now, true, null],
    ]);
    expect(u.events).toEqual([
      { clock: 'first_response', type: 'met', targetAt: T0 + 4 * HOUR, actualAt: now, met: false },
      { clock: 'resolution', type: 'met', targetAt: T0 + 10 * HOUR, actualAt: now, met: true },
    ]);
  });

  it('→ resolved from pending stops paused clocks (no deadline to report)', () => {
    const paused = onStatusChange(fresh(), P, 'new', 'pending', T0 + HOUR).clocks;
    const u = onStatusChange(paused, P, 'pending', 'resolved', T0 + 2 * HOUR);
    expect(u.clocks.every((c) => c.stoppedAt === T0 + 2 * HOUR && c.met === true)).toBe(true);
    expect(u.events.map((e) => [e.clock, e.type, e.targetAt, e.met])).toEqual([
      ['first_response', 'met', null, true],
      ['resolution', 'met', null, true],
    ]);
  });

  it('clocks that were already stopped produce no second met event', () => {
    const clocks = stopClockNamed(fresh(), 'first_response', T0 + HOUR, P).clocks;
    const u = onStatusChange(clocks, P, 'open', 'resolved', T0 + 2 * HOUR);
    expect(u.events.map((e) => e.clock)).toEqual(['resolution']);
    expect(named(u.clocks, 'first_response').stoppedAt).toBe(T0 + HOUR);
  });

  it('resolved → open reopens and resumes the resolution clock, not the first-response clock', () => {
    const resolved = onStatusChange(fresh(), P, 'open', 'resolved', T0 + 6 * HOUR).clocks;
    const now = T0 + 7 * HOUR;
    const u = onStatusChange(resolved, P, 'resolved', 'open', now);
    const res = named(u.clocks, 'resolution');
    expect(res.stoppedAt).toBeNull();
    expect(res.met).toBeNull();
    expect(res.runningSince).toBe(now);
    expect(res.dueAt).not.toBeNull();
    expect(named(u.clocks, 'first_response')).toEqual(named(resolved, 'first_response'));
    expect(u.events).toEqual([{ clock: 'resolution', type: 'resumed', targetAt: res.dueAt, actualAt: now, met: null }]);
    expect(slaWrite(u.clocks, []).resolutionDueAt).toBe(res.dueAt);
  });

  it('a reopened clock that had breached stays breached and schedules nothing', () => {
    let clocks = fresh();
    clocks = clocks.map((c) => (c.name === 'resolution' ? markBreached(c, T0 + 10 * HOUR) : c));
    const resolved = onStatusChange(clocks, P, 'open', 'resolved', T0 + 11 * HOUR).clocks;
    const u = onStatusChange(resolved, P, 'resolved', 'open', T0 + 12 * HOUR);
    const res = named(u.clocks, 'resolution');
    expect(res.stoppedAt).toBeNull();
    expect(res.breached).toBe(true);
    expect(clockViews(u.clocks).find((c) => c.name === 'resolution')!.state).toBe('breached');
    expect(nextWakeAt(u.clocks, null)).toBeNull();
  });

  // BUG (workflows/src/sla-tracker.ts onStatusChange → core/src/domain/sla.ts stopClock): stopping
  // a RUNNING clock does not add the current running span to consumedMs, so on reopen the
  // resolution target restarts almost from scratch instead of "counting from where it
  // stopped". Here 6 h of a 10 h target were used before resolving, so the reopened clock
  // should be due 4 h after reopening; it is due 10 h after. Remove `.fails` once fixed.
  it('resolved → open keeps counting the resolution target from where it stopped', () => {
    const resolved = onStatusChange(fresh(), P, 'open', 'resolved', T0 + 6 * HOUR).clocks;
    const now = T0 + 7 * HOUR;
    const res = named(onStatusChange(resolved, P, 'resolved', 'open', now).clocks, 'resolution');
    expect(res.consumedMs).toBe(6 * HOUR);
    expect(res.dueAt).toBe(now + 4 * HOUR);
  });

  it('pending → resolved → open after a pause keeps the time consumed before the pause', () => {
    // The pause closed the running span, so this path does not hit the bug above.
    const paused = onStatusChange(fresh(), P, 'new', 'pending', T0 + 6 * HOUR).clocks;
    const resolved = onStatusChange(paused, P, 'pending', 'resolved', T0 + 7 * HOUR).clocks;
    const now = T0 + 8 * HOUR;
    const res = named(onStatusChange(resolved, P, 'resolved', 'open', now).clocks, 'resolution');
    expect(res.consumedMs).toBe(6 * HOUR);
    expect(res.dueAt).toBe(now + 4 * HOUR);
  });

  it.each(['closed', 'cancelled'] as const)('→ %s stops every active clock', (to) => {
    const from = to === 'closed' ? 'resolved' : 'open';
    const now = T0 + HOUR;
    const u = onStatusChange(fresh(), P, from, to, now);
    expect(u.clocks.every((c) => c.stoppedAt === now)).toBe(true);
    expect(u.events.map((e) => [e.clock, e.type, e.met])).toEqual([
      ['first_response', 'met', true],
      ['resolution', 'met', true],
    ]);
    expect(nextWakeAt(u.clocks, null)).toBeNull();
  });

  it('resolved → closed: clocks already stopped, no events, nothing reopened', () => {
    const resolved = onStatusChange(fresh(), P, 'open', 'resolved', T0 + HOUR).clocks;
    const u = onStatusChange(resolved, P, 'resolved', 'closed', T0 + 2 * HOUR);
    expect(u.events).toEqual([]);
    expect(u.clocks).toEqual(resolved);
  });

  it('business hours: a pause over the weekend does not move the deadline', () => {
    const p = policy({ calendar: OFFICE });
    const clocks = fresh(p, 'normal', at('2026-11-06T15:00:00Z')); // Friday; first response 4 h
    expect(iso(named(clocks, 'first_response').dueAt)).toBe('2026-11-09T11:00:00Z');
    const paused = onStatusChange(clocks, p, 'new', 'pending', at('2026-11-07T10:00:00Z')).clocks;
    const u = onStatusChange(paused, p, 'pending', 'open', at('2026-11-08T10:00:00Z'));
    expect(iso(named(u.clocks, 'first_response').dueAt)).toBe('2026-11-09T11:00:00Z');
  });
});

describe('onPriorityChange', () => {
  it('without a policy nothing happens', () => {
    const clocks = fresh();
    expect(onPriorityChange(clocks, null, 'high', T0 + HOUR)).toBe(clocks);
  });

  it('retargets active clocks to the new priority, keeping consumed time', () => {
    const now = T0 + 30 * MIN;
    const clocks = onPriorityChange(fresh(), P, 'high', now);
    expect(clocks.map((c) => [c.name, c.targetMs, c.consumedMs, c.dueAt])).toEqual([
      ['first_response', HOUR, 30 * MIN, now + 30 * MIN],
      ['resolution', 5 * HOUR, 30 * MIN, now + 270 * MIN],
    ]);
  });

  it('a clock without a target at the new priority keeps its old target', () => {
    const clocks = onPriorityChange(fresh(), P, 'urgent', T0 + HOUR); // urgent: no first-response target
    expect(named(clocks, 'first_response').targetMs).toBe(4 * HOUR);
    expect(named(clocks, 'first_response').dueAt).toBe(T0 + 4 * HOUR);
    expect(named(clocks, 'resolution').targetMs).toBe(2 * HOUR);
    expect(named(clocks, 'resolution').dueAt).toBe(T0 + 2 * HOUR);
  });

  it('a longer target after a warning re-arms the warning at the new warning point', () => {
    const warned = takeDueEvents(fresh(), T0 + 3.5 * HOUR).clocks; // first response warned
    const clocks = onPriorityChange(warned, P, 'low', T0 + 3.5 * HOUR); // 8 h: warn at 6.4 h
    expect(named(clocks, 'first_response').warned).toBe(false);
    expect(takeDueEvents(clocks, T0 + 6.4 * HOUR).due).toEqual([{ clock: 'first_response', kind: 'warning', at: T0 + 6.4 * HOUR }]);
  });

  // BUG (core/src/domain/sla.ts retargetClock, see sla.unit.test.ts): a running clock that
  // already warned loses `warned` on a priority change whose new target it is still within
  // but past 80 % of, so the same warning (and its escalation steps, e.g. raise_priority,
  // which itself changes the priority again) fires a second time. Remove `.fails` once fixed.
  it('a priority change does not fire a warning that was already sent', () => {
    const policyWithEqualTargets = policy({ targets: { ...P.targets, high: hours(4, 10) } });
    const warned = takeDueEvents(fresh(policyWithEqualTargets), T0 + 3.5 * HOUR).clocks;
    const clocks = onPriorityChange(warned, policyWithEqualTargets, 'high', T0 + 3.6 * HOUR);
    expect(takeDueEvents(clocks, T0 + 3.6 * HOUR).due).toEqual([]);
  });

  it('paused clocks stay paused, stopped clocks are untouched', () => {
    const paused = onStatusChange(fresh(), P, 'new', 'pending', T0 + HOUR).clocks;
    const withStop = stopClockNamed(paused, 'first_response', T0 + 2 * HOUR, P).clocks;
    const clocks = onPriorityChange(withStop, P, 'low', T0 + 3 * HOUR);
    expect(named(clocks, 'first_response')).toEqual(named(withStop, 'first_response'));
    const res = named(clocks, 'resolution');
    expect([res.targetMs, res.consumedMs, res.runningSince, res.dueAt]).toEqual([40 * HOUR, HOUR, null, null]);
  });
});

describe('onPolicyChange', () => {
  it('closes the running span in the OLD calendar, then plans in the new one', () => {
    const oldP = policy({ calendar: OFFICE });
    const newP = policy({ calendar: ALWAYS_OPEN, id: 2 });
    const clocks = fresh(oldP, 'normal', at('2026-11-06T16:00:00Z')); // Friday, 1 h before closing
    const now = at('2026-11-07T12:00:00Z'); // Saturday: only 1 h of office time has passed
    const next = onPolicyChange(clocks, oldP, newP, 'normal', now);
    expect(next.map((c) => [c.name, c.consumedMs, c.runningSince, iso(c.dueAt)])).toEqual([
      ['first_response', HOUR, now, '2026-11-07T15:00:00Z'],
      ['resolution', HOUR, now, '2026-11-07T21:00:00Z'],
    ]);
  });

  it('new targets and warning fraction apply', () => {
    const newP = policy({ targets: { ...P.targets, normal: hours(2, 20) }, warningFraction: 0.5 });
    const now = T0 + HOUR;
    const next = onPolicyChange(fresh(), P, newP, 'normal', now);
    expect(next.map((c) => [c.name, c.targetMs, c.dueAt, c.warnAt])).toEqual([
      ['first_response', 2 * HOUR, now + HOUR, now], // 50 % of 2 h already used: warn now
      ['resolution', 20 * HOUR, now + 19 * HOUR, now + 9 * HOUR],
    ]);
  });

  it('a clock the new policy has no target for keeps its target', () => {
    const newP = policy({ targets: { ...P.targets, normal: hours(null, 10) } });
    const next = onPolicyChange(fresh(), P, newP, 'normal', T0 + HOUR);
    expect(named(next, 'first_response').targetMs).toBe(4 * HOUR);
    expect(named(next, 'first_response').dueAt).toBe(T0 + 4 * HOUR);
  });

  it('paused clocks stay paused; stopped clocks stay stopped', () => {
    const paused = onStatusChange(fresh(), P, 'new', 'pending', T0 + HOUR).clocks;
    const withStop = stopClockNamed(paused, 'first_response', T0 + 2 * HOUR, P).clocks;
    const newP = policy({ targets: { ...P.targets, normal: hours(1, 3) } });
    const next = onPolicyChange(withStop, P, newP, 'normal', T0 + 3 * HOUR);
    expect(named(next, 'first_response')).toEqual(named(withStop, 'first_response'));
    const res = named(next, 'resolution');
    expect([res.targetMs, res.consumedMs, res.runningSince, res.dueAt]).toEqual([3 * HOUR, HOUR, null, null]);
  });

  it('keeps the warning of a clock still past its warning point (no second warning)', () => {
    let clocks = takeDueEvents(fresh(), T0 + 9 * HOUR).clocks; // resolution warned at 8 h
    expect(named(clocks, 'resolution').warned).toBe(true);
    clocks = onPolicyChange(clocks, P, policy({ id: 2 }), 'normal', T0 + 9 * HOUR + MIN);
    expect(named(clocks, 'resolution').warned).toBe(true);
    expect(takeDueEvents(clocks, T0 + 9 * HOUR + MIN).due.filter((d) => d.clock === 'resolution')).toEqual([]);
  });

  it('without an old policy there are no clocks to move', () => {
    expect(onPolicyChange([], null, P, 'normal', T0)).toEqual([]);
  });
});

describe('stopClockNamed', () => {
  it('stops only the named clock with a met event', () => {
    const now = T0 + HOUR;
    const u = stopClockNamed(fresh(), 'first_response', now, P);
    expect(named(u.clocks, 'first_response').stoppedAt).toBe(now);
    expect(named(u.clocks, 'first_response').met).toBe(true);
    expect(named(u.clocks, 'resolution')).toEqual(named(fresh(), 'resolution'));
    expect(u.events).toEqual([{ clock: 'first_response', type: 'met', targetAt: T0 + 4 * HOUR, actualAt: now, met: true }]);
  });

  it('met=false when the clock had breached', () => {
    const clocks = takeDueEvents(fresh(), T0 + 5 * HOUR).clocks;
    const u = stopClockNamed(clocks, 'first_response', T0 + 6 * HOUR, P);
    expect(u.events).toEqual([{ clock: 'first_response', type: 'met', targetAt: T0 + 4 * HOUR, actualAt: T0 + 6 * HOUR, met: false }]);
  });

  it('a second stop, or an unknown clock, does nothing', () => {
    const once = stopClockNamed(fresh(), 'first_response', T0 + HOUR, P).clocks;
    const twice = stopClockNamed(once, 'first_response', T0 + 2 * HOUR, P);
    expect(twice.events).toEqual([]);
    expect(twice.clocks).toEqual(once);
    const onlyRes = fresh(P, 'urgent'); // no first-response clock at all
    expect(stopClockNamed(onlyRes, 'first_response', T0, P).events).toEqual([]);
  });
});

describe('takeDueEvents', () => {
  it('nothing due yet: no changes', () => {
    const clocks = fresh();
    const r = takeDueEvents(clocks, T0 + 3 * HOUR);
    expect(r.due).toEqual([]);
    expect(r.events).toEqual([]);
    expect(r.clocks).toEqual(clocks);
  });

  it('only the warning is due', () => {
    const now = T0 + 3.5 * HOUR;
    const r = takeDueEvents(fresh(), now);
    expect(r.due).toEqual([{ clock: 'first_response', kind: 'warning', at: T0 + 3.2 * HOUR }]);
    expect(r.events).toEqual([{ clock: 'first_response', type: 'warning', targetAt: T0 + 3.2 * HOUR, actualAt: now, met: null }]);
    expect(named(r.clocks, 'first_response').warned).toBe(true);
    expect(named(r.clocks, 'first_response').breached).toBe(false);
    expect(named(r.clocks, 'resolution').warned).toBe(false);
  });

  it('warning and breach both due at once: each fires exactly once, in time order', () => {
    const now = T0 + 4 * HOUR + MIN; // first response: warn 3.2 h, due 4 h
    const r = takeDueEvents(fresh(), now);
    expect(r.due).toEqual([
      { clock: 'first_response', kind: 'warning', at: T0 + 3.2 * HOUR },
      { clock: 'first_response', kind: 'breach', at: T0 + 4 * HOUR },
    ]);
    expect(r.events).toEqual([
      { clock: 'first_response', type: 'warning', targetAt: T0 + 3.2 * HOUR, actualAt: now, met: null },
      { clock: 'first_response', type: 'breach', targetAt: T0 + 4 * HOUR, actualAt: now, met: false },
    ]);
    const fr = named(r.clocks, 'first_response');
    expect([fr.warned, fr.breached, fr.breachedAt]).toEqual([true, true, now]);

    const again = takeDueEvents(r.clocks, now + HOUR);
    expect(again.due).toEqual([]);
    expect(again.events).toEqual([]);
    expect(again.clocks).toEqual(r.clocks);
  });

  it('events of several clocks are returned sorted by due instant', () => {
    const r = takeDueEvents(fresh(), T0 + 11 * HOUR);
    expect(r.due.map((d) => `${d.clock}:${d.kind}`)).toEqual([
      'first_response:warning', // 3.2 h
      'first_response:breach', // 4 h
      'resolution:warning', // 8 h
      'resolution:breach', // 10 h
    ]);
    expect(r.due.map((d) => d.at)).toEqual([T0 + 3.2 * HOUR, T0 + 4 * HOUR, T0 + 8 * HOUR, T0 + 10 * HOUR]);
    expect(slaWrite(r.clocks, r.events).slaState).toBe('breached');
  });

  it('an event exactly at now is due', () => {
    expect(takeDueEvents(fresh(), T0 + 3.2 * HOUR).due).toHaveLength(1);
    expect(takeDueEvents(fresh(), T0 + 3.2 * HOUR - 1).due).toHaveLength(0);
  });

  it('paused and stopped clocks never fall due', () => {
    const paused = onStatusChange(fresh(), P, 'new', 'pending', T0 + HOUR).clocks;
    expect(takeDueEvents(paused, T0 + 100 * HOUR).due).toEqual([]);
    const stopped = onStatusChange(fresh(), P, 'open', 'resolved', T0 + HOUR).clocks;
    expect(takeDueEvents(stopped, T0 + 100 * HOUR).due).toEqual([]);
  });
});

describe('nextWakeAt', () => {
  it('the earliest clock event, or the auto-close instant if that is earlier', () => {
    const clocks = fresh();
    expect(nextWakeAt(clocks, null)).toBe(T0 + 3.2 * HOUR);
    expect(nextWakeAt(clocks, T0 + HOUR)).toBe(T0 + HOUR);
    expect(nextWakeAt(clocks, T0 + 50 * HOUR)).toBe(T0 + 3.2 * HOUR);
  });

  it('moves on to the breach once the warning has been taken', () => {
    const r = takeDueEvents(fresh(), T0 + 3.5 * HOUR);
    expect(nextWakeAt(r.clocks, null)).toBe(T0 + 4 * HOUR);
  });

  it('nothing scheduled: null, or just the auto-close instant', () => {
    expect(nextWakeAt([], null)).toBeNull();
    const resolved = onStatusChange(fresh(), P, 'open', 'resolved', T0 + HOUR).clocks;
    expect(nextWakeAt(resolved, null)).toBeNull();
    expect(nextWakeAt(resolved, T0 + 72 * HOUR)).toBe(T0 + 72 * HOUR);
    const paused = onStatusChange(fresh(), P, 'new', 'pending', T0 + HOUR).clocks;
    expect(nextWakeAt(paused, null)).toBeNull();
  });
});

describe('slaWrite', () => {
  it('denormalised state and due dates plus the events given', () => {
    const events = [{ clock: 'resolution' as const, type: 'resumed' as const, targetAt: 1, actualAt: 2, met: null }];
    expect(slaWrite(fresh(), events)).toEqual({
      slaState: 'ok',
      firstResponseDueAt: T0 + 4 * HOUR,
      resolutionDueAt: T0 + 10 * HOUR,
      events,
    });
  });

  it('warning state; stopped and paused clocks have no due date', () => {
    let clocks = takeDueEvents(fresh(), T0 + 3.5 * HOUR).clocks;
    expect(slaWrite(clocks, []).slaState).toBe('warning');
    clocks = stopClockNamed(clocks, 'first_response', T0 + 3.6 * HOUR, P).clocks;
    expect(slaWrite(clocks, [])).toEqual({ slaState: 'ok', firstResponseDueAt: null, resolutionDueAt: T0 + 10 * HOUR, events: [] });
    clocks = onStatusChange(clocks, P, 'open', 'pending', T0 + 4 * HOUR).clocks;
    expect(slaWrite(clocks, []).resolutionDueAt).toBeNull();
  });

  it('no clocks (no policy): ok with no deadlines', () => {
    expect(slaWrite([], [])).toEqual({ slaState: 'ok', firstResponseDueAt: null, resolutionDueAt: null, events: [] });
  });
});

describe('clockViews', () => {
  const base = fresh()[1]!;
  const cases: [string, SlaClock, string][] = [
    ['running', base, 'running'],
    ['running, warned', markWarned(base), 'running'],
    ['paused', pauseClock(base, ALWAYS_OPEN, T0 + HOUR), 'paused'],
    ['active, breached', markBreached(base, T0 + 10 * HOUR), 'breached'],
    ['paused after breach', pauseClock(markBreached(base, T0 + 10 * HOUR), ALWAYS_OPEN, T0 + 11 * HOUR), 'breached'],
    ['stopped in time', stopClock(base, T0 + HOUR, ALWAYS_OPEN), 'met'],
    ['stopped after breach', stopClock(markBreached(base, T0 + 10 * HOUR), T0 + 11 * HOUR, ALWAYS_OPEN), 'breached'],
  ];

  it.each(cases)('%s → %s', (_label, clock, state) => {
    const [view] = clockViews([clock]);
    expect(view!.state).toBe(state);
    const { state: _state, ...rest } = view!;
    expect(rest).toEqual(clock);
  });

  it('one view per clock, in order', () => {
    expect(clockViews(fresh()).map((v) => v.name)).toEqual(['first_response', 'resolution']);
    expect(clockViews([])).toEqual([]);
  });
});
