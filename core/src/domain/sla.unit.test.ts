import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN, type CalendarSpec, type Weekday } from './business-hours';
import {
  dueAtOf,
  initialClocks,
  isActive,
  markBreached,
  markWarned,
  MAX_REMINDER_SECONDS,
  nextClockEvent,
  pauseClock,
  reminderProblems,
  remainingMs,
  resumeClock,
  retargetClock,
  slaStateOf,
  startClock,
  stopClock,
  targetMsFor,
  type PendingReminders,
  type SlaClock,
  type SlaPolicySnapshot,
  type SlaTargets,
} from './sla';

const MIN = 60_000;
const HOUR = 60 * MIN;
const WF = 0.8;

/** Epoch ms of an ISO instant; always written with a Z so expectations read as UTC wall time. */
function at(iso: string): number {
  if (!iso.endsWith('Z')) throw new Error(`test bug: ${iso} must be UTC`);
  return Date.parse(iso);
}
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z'));

/** Mon–Fri 09:00–17:00 UTC. 2026-11-02 and 2026-11-09 are Mondays, 2026-11-06 is a Friday. */
const OFFICE: CalendarSpec = {
  timeZone: 'UTC',
  shifts: ([1, 2, 3, 4, 5] as Weekday[]).map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
  holidays: [],
};

const MON_0900 = at('2026-11-02T09:00:00Z');

function running(targetMs: number, cal: CalendarSpec = ALWAYS_OPEN, now = MON_0900, name: SlaClock['name'] = 'resolution') {
  return startClock(name, targetMs, cal, now, WF, true);
}

describe('targetMsFor', () => {
  const targets = (fr: number | null, res: number | null): SlaTargets => ({ firstResponseSeconds: fr, resolutionSeconds: res });
  const policy = {
    targets: { low: targets(600, 3600), normal: targets(null, 7200), high: targets(60, null), urgent: targets(null, null) },
  } as unknown as SlaPolicySnapshot;

  it('converts seconds to milliseconds per clock and priority', () => {
    expect(targetMsFor(policy, 'low', 'first_response')).toBe(600_000);
    expect(targetMsFor(policy, 'low', 'resolution')).toBe(3_600_000);
    expect(targetMsFor(policy, 'high', 'first_response')).toBe(60_000);
  });

  it('returns null when the policy has no target for that clock', () => {
    expect(targetMsFor(policy, 'normal', 'first_response')).toBeNull();
    expect(targetMsFor(policy, 'high', 'resolution')).toBeNull();
    expect(targetMsFor(policy, 'urgent', 'resolution')).toBeNull();
  });
});

describe('startClock', () => {
  it('a running clock on a 24x7 calendar is due after exactly its target, warns at 80 %', () => {
    const c = running(10 * HOUR);
    expect(c).toEqual({
      name: 'resolution',
      targetMs: 10 * HOUR,
      consumedMs: 0,
      runningSince: MON_0900,
      dueAt: MON_0900 + 10 * HOUR,
      warnAt: MON_0900 + 8 * HOUR,
      warned: false,
      breached: false,
      breachedAt: null,
      stoppedAt: null,
      met: null,
    });
    expect(isActive(c)).toBe(true);
  });

  it('the warning instant is floor(target × fraction)', () => {
    const c = startClock('first_response', 1001, ALWAYS_OPEN, 0, 0.8, true);
    expect(c.warnAt).toBe(800); // 800.8 rounded down
    expect(c.dueAt).toBe(1001);
    expect(startClock('first_response', 1000, ALWAYS_OPEN, 0, 0.5, true).warnAt).toBe(500);
  });

  it('a clock started stopped (not running) has no deadlines yet', () => {
    const c = startClock('first_response', HOUR, ALWAYS_OPEN, MON_0900, WF, false);
    expect(c.runningSince).toBeNull();
    expect(c.dueAt).toBeNull();
    expect(c.warnAt).toBeNull();
    expect(c.consumedMs).toBe(0);
    expect(isActive(c)).toBe(true);
    expect(nextClockEvent(c)).toBeNull();
  });

  it('business hours: 10 h from Monday 09:00 warns at Monday closing and is due Tuesday 11:00', () => {
    const c = running(10 * HOUR, OFFICE);
    expect(iso(c.warnAt)).toBe('2026-11-02T17:00:00Z');
    expect(iso(c.dueAt)).toBe('2026-11-03T11:00:00Z');
  });

  it('business hours: 2 h from Friday 16:00 runs over the weekend to Monday 10:00', () => {
    const c = running(2 * HOUR, OFFICE, at('2026-11-06T16:00:00Z'));
    expect(iso(c.warnAt)).toBe('2026-11-09T09:36:00Z'); // 1.6 h = 1 h Friday + 36 min Monday
    expect(iso(c.dueAt)).toBe('2026-11-09T10:00:00Z');
  });

  it('business hours: created on a Saturday starts counting at Monday opening', () => {
    const c = running(HOUR, OFFICE, at('2026-11-07T12:00:00Z'));
    expect(c.runningSince).toBe(at('2026-11-07T12:00:00Z'));
    expect(iso(c.dueAt)).toBe('2026-11-09T10:00:00Z');
    expect(iso(c.warnAt)).toBe('2026-11-09T09:48:00Z');
  });
});

describe('pauseClock / resumeClock', () => {
  it('24x7: pausing for 10 min then resuming shifts dueAt and warnAt by exactly 10 min', () => {
    const c0 = running(4 * HOUR);
    const paused = pauseClock(c0, ALWAYS_OPEN, MON_0900 + HOUR);
    const resumed = resumeClock(paused, ALWAYS_OPEN, MON_0900 + HOUR + 10 * MIN, WF);
    expect(resumed.dueAt! - c0.dueAt!).toBe(10 * MIN);
    expect(resumed.warnAt! - c0.warnAt!).toBe(10 * MIN);
    expect(resumed.consumedMs).toBe(HOUR);
    expect(resumed.runningSince).toBe(MON_0900 + HOUR + 10 * MIN);
  });

  it('pausing records the consumed time and clears the deadlines', () => {
    const c = pauseClock(running(4 * HOUR), ALWAYS_OPEN, MON_0900 + 90 * MIN);
    expect(c.consumedMs).toBe(90 * MIN);
    expect(c.runningSince).toBeNull();
    expect(c.dueAt).toBeNull();
    expect(c.warnAt).toBeNull();
    expect(isActive(c)).toBe(true);
    expect(nextClockEvent(c)).toBeNull();
  });

  it('consumed time accumulates over several running spans', () => {
    let c = running(10 * HOUR);
    c = pauseClock(c, ALWAYS_OPEN, MON_0900 + HOUR); // 1 h
    c = resumeClock(c, ALWAYS_OPEN, MON_0900 + 5 * HOUR, WF);
    c = pauseClock(c, ALWAYS_OPEN, MON_0900 + 7 * HOUR); // + 2 h
    expect(c.consumedMs).toBe(3 * HOUR);
    c = resumeClock(c, ALWAYS_OPEN, MON_0900 + 8 * HOUR, WF);
    expect(c.dueAt).toBe(MON_0900 + 8 * HOUR + 7 * HOUR);
    expect(c.warnAt).toBe(MON_0900 + 8 * HOUR + 5 * HOUR);
  });

  it('a warned clock keeps its warning instant while paused and after resuming', () => {
    const warned = markWarned(running(10 * HOUR));
    const paused = pauseClock(warned, ALWAYS_OPEN, MON_0900 + 9 * HOUR);
    expect(paused.warnAt).toBe(MON_0900 + 8 * HOUR);
    const resumed = resumeClock(paused, ALWAYS_OPEN, MON_0900 + 12 * HOUR, WF);
    expect(resumed.warnAt).toBe(MON_0900 + 8 * HOUR);
    expect(resumed.warned).toBe(true);
    expect(resumed.dueAt).toBe(MON_0900 + 13 * HOUR);
    expect(nextClockEvent(resumed)).toEqual({ at: MON_0900 + 13 * HOUR, kind: 'breach' });
  });

  it('business hours: pausing over a weekend consumes no business time', () => {
    // 4 h target from Friday 15:00: 2 h on Friday, 2 h on Monday.
    const c0 = running(4 * HOUR, OFFICE, at('2026-11-06T15:00:00Z'));
    expect(iso(c0.dueAt)).toBe('2026-11-09T11:00:00Z');
    const paused = pauseClock(c0, OFFICE, at('2026-11-07T10:00:00Z')); // Saturday
    expect(paused.consumedMs).toBe(2 * HOUR);
    const resumed = resumeClock(paused, OFFICE, at('2026-11-08T20:00:00Z'), WF); // Sunday
    expect(resumed.consumedMs).toBe(2 * HOUR);
    expect(iso(resumed.dueAt)).toBe('2026-11-09T11:00:00Z'); // unchanged
    expect(remainingMs(resumed, OFFICE, at('2026-11-09T09:00:00Z'))).toBe(2 * HOUR);
  });

  it('business hours: a pause during open hours moves the deadline by the business time it covered', () => {
    const c0 = running(4 * HOUR, OFFICE, at('2026-11-06T15:00:00Z'));
    const paused = pauseClock(c0, OFFICE, at('2026-11-06T16:00:00Z')); // 1 h consumed
    const resumed = resumeClock(paused, OFFICE, at('2026-11-09T10:00:00Z'), WF); // Fri 16-17 + Mon 9-10 lost
    expect(resumed.consumedMs).toBe(HOUR);
    expect(iso(resumed.dueAt)).toBe('2026-11-09T13:00:00Z');
  });

  it('pausing a paused clock and resuming a running clock change nothing', () => {
    const c = running(HOUR);
    expect(resumeClock(c, ALWAYS_OPEN, MON_0900 + MIN, WF)).toBe(c);
    const p = pauseClock(c, ALWAYS_OPEN, MON_0900 + MIN);
    expect(pauseClock(p, ALWAYS_OPEN, MON_0900 + 30 * MIN)).toBe(p);
  });

  it('stopped clocks can be neither paused nor resumed', () => {
    const stopped = stopClock(running(HOUR), MON_0900 + MIN, ALWAYS_OPEN);
    expect(pauseClock(stopped, ALWAYS_OPEN, MON_0900 + 2 * MIN)).toBe(stopped);
    const stoppedWhilePaused = stopClock(pauseClock(running(HOUR), ALWAYS_OPEN, MON_0900 + MIN), MON_0900 + 2 * MIN, ALWAYS_OPEN);
    expect(resumeClock(stoppedWhilePaused, ALWAYS_OPEN, MON_0900 + 3 * MIN, WF)).toBe(stoppedWhilePaused);
  });

  it('a clock already past the warning fraction warns immediately when resumed', () => {
    let c = running(10 * HOUR);
    c = pauseClock(c, ALWAYS_OPEN, MON_0900 + 9 * HOUR); // 90 % consumed, warning never processed
    expect(c.warned).toBe(false);
    const resumeAt = MON_0900 + 20 * HOUR;
    c = resumeClock(c, ALWAYS_OPEN, resumeAt, WF);
    expect(c.warnAt).toBe(resumeAt);
    expect(c.dueAt).toBe(resumeAt + HOUR);
    expect(nextClockEvent(c)).toEqual({ at: resumeAt, kind: 'warning' });
  });

  it('a clock with its whole target consumed is due (breach, not warning) the moment it resumes', () => {
    let c = pauseClock(running(HOUR), ALWAYS_OPEN, MON_0900 + 2 * HOUR);
    expect(c.consumedMs).toBe(2 * HOUR);
    c = resumeClock(c, ALWAYS_OPEN, MON_0900 + 3 * HOUR, WF);
    expect(c.dueAt).toBe(MON_0900 + 3 * HOUR);
    expect(nextClockEvent(c)).toEqual({ at: MON_0900 + 3 * HOUR, kind: 'breach' });
  });

  it('does not mutate its input', () => {
    const c = running(HOUR);
    const snapshot = structuredClone(c);
    pauseClock(c, ALWAYS_OPEN, MON_0900 + MIN);
    resumeClock(pauseClock(c, ALWAYS_OPEN, MON_0900 + MIN), ALWAYS_OPEN, MON_0900 + 2 * MIN, WF);
    expect(c).toEqual(snapshot);
  });
});

describe('retargetClock', () => {
  it('a shorter target keeps the consumed time and re-plans what is left', () => {
    const c0 = running(10 * HOUR);
    const now = MON_0900 + 4 * HOUR;
    const c = retargetClock(c0, 6 * HOUR, ALWAYS_OPEN, now, WF);
    expect(c.targetMs).toBe(6 * HOUR);
    expect(c.consumedMs).toBe(4 * HOUR);
    expect(c.runningSince).toBe(now);
    expect(c.dueAt).toBe(now + 2 * HOUR);
    expect(c.warnAt).toBe(now + 48 * MIN); // 80 % of 6 h = 4.8 h, 4 h already used
    expect(remainingMs(c, ALWAYS_OPEN, now)).toBe(2 * HOUR);
  });

  it('a target shorter than the time already consumed is due at once', () => {
    const now = MON_0900 + 4 * HOUR;
    const c = retargetClock(running(10 * HOUR), 3 * HOUR, ALWAYS_OPEN, now, WF);
    expect(c.dueAt).toBe(now);
    expect(nextClockEvent(c)).toEqual({ at: now, kind: 'breach' });
    expect(remainingMs(c, ALWAYS_OPEN, now)).toBe(-HOUR);
  });

  it('a longer target clears an earlier warning that no longer applies', () => {
    const warned = markWarned(running(10 * HOUR));
    const now = MON_0900 + 9 * HOUR;
    const c = retargetClock(warned, 20 * HOUR, ALWAYS_OPEN, now, WF);
    expect(c.warned).toBe(false);
    expect(c.warnAt).toBe(now + 7 * HOUR); // 16 h − 9 h
    expect(c.dueAt).toBe(now + 11 * HOUR);
    expect(nextClockEvent(c)).toEqual({ at: now + 7 * HOUR, kind: 'warning' });
  });

  it('a paused clock gets the new target but stays paused', () => {
    const paused = pauseClock(running(10 * HOUR), ALWAYS_OPEN, MON_0900 + 2 * HOUR);
    const c = retargetClock(paused, 4 * HOUR, ALWAYS_OPEN, MON_0900 + 5 * HOUR, WF);
    expect(c.targetMs).toBe(4 * HOUR);
    expect(c.consumedMs).toBe(2 * HOUR);
    expect(c.runningSince).toBeNull();
    expect(c.dueAt).toBeNull();
    expect(resumeClock(c, ALWAYS_OPEN, MON_0900 + 6 * HOUR, WF).dueAt).toBe(MON_0900 + 8 * HOUR);
  });

  it('a paused, warned clock stays warned when the new target is still past its warning point', () => {
    const paused = pauseClock(markWarned(running(10 * HOUR)), ALWAYS_OPEN, MON_0900 + 9 * HOUR);
    const c = retargetClock(paused, 10 * HOUR, ALWAYS_OPEN, MON_0900 + 10 * HOUR, WF);
    expect(c.warned).toBe(true);
  });

  it('business hours: the remaining time is planned in the calendar', () => {
    // Monday 09:00 + 8 h consumed by Monday 17:00; new target 10 h leaves 2 h → Tuesday 11:00.
    const c = retargetClock(running(40 * HOUR, OFFICE), 10 * HOUR, OFFICE, at('2026-11-02T17:00:00Z'), WF);
    expect(c.consumedMs).toBe(8 * HOUR);
    expect(iso(c.dueAt)).toBe('2026-11-03T11:00:00Z');
    expect(iso(c.warnAt)).toBe('2026-11-02T17:00:00Z'); // 8 h = 80 % already reached
  });

  it('a stopped clock is not retargeted', () => {
    const stopped = stopClock(running(HOUR), MON_0900 + MIN, ALWAYS_OPEN);
    expect(retargetClock(stopped, 5 * HOUR, ALWAYS_OPEN, MON_0900 + 2 * MIN, WF)).toBe(stopped);
  });

  // BUG (sla.ts retargetClock): the "still warned?" check reads `c.consumedMs`, the time
  // consumed BEFORE the current running span, instead of the paused clock's total. A running
  // clock that already warned (9 h of 10 h used) loses `warned` when retargeted to a target
  // whose warning point it has passed, and the same warning fires a second time at once.
  // Remove `.fails` once fixed.
  it('a running, warned clock retargeted to a target whose warning point it passed stays warned', () => {
    const warned = markWarned(running(10 * HOUR));
    const now = MON_0900 + 9 * HOUR;
    const c = retargetClock(warned, 10 * HOUR, ALWAYS_OPEN, now, WF);
    expect(c.consumedMs).toBe(9 * HOUR);
    expect(c.warned).toBe(true);
    expect(nextClockEvent(c)).toEqual({ at: now + HOUR, kind: 'breach' });
  });
});

describe('stopClock', () => {
  it('met when stopped before breaching', () => {
    const c = stopClock(running(HOUR), MON_0900 + 30 * MIN, ALWAYS_OPEN);
    expect(c.stoppedAt).toBe(MON_0900 + 30 * MIN);
    expect(c.met).toBe(true);
    expect(c.runningSince).toBeNull();
    expect(isActive(c)).toBe(false);
    expect(nextClockEvent(c)).toBeNull();
  });

  it('not met when it had breached', () => {
    const c = stopClock(markBreached(running(HOUR), MON_0900 + HOUR), MON_0900 + 2 * HOUR, ALWAYS_OPEN);
    expect(c.met).toBe(false);
    expect(c.breached).toBe(true);
  });

  it('a paused clock can be stopped too', () => {
    const c = stopClock(pauseClock(running(HOUR), ALWAYS_OPEN, MON_0900 + MIN), MON_0900 + 2 * MIN, ALWAYS_OPEN);
    expect(c.stoppedAt).toBe(MON_0900 + 2 * MIN);
    expect(c.met).toBe(true);
  });

  it('stopping twice keeps the first stop', () => {
    const once = stopClock(running(HOUR), MON_0900 + MIN, ALWAYS_OPEN);
    expect(stopClock(once, MON_0900 + 5 * MIN, ALWAYS_OPEN)).toBe(once);
  });
});

describe('nextClockEvent / markWarned / markBreached', () => {
  it('warning first, then breach, then nothing', () => {
    const c0 = running(10 * HOUR);
    expect(nextClockEvent(c0)).toEqual({ at: MON_0900 + 8 * HOUR, kind: 'warning' });
    const c1 = markWarned(c0);
    expect(c1.warned).toBe(true);
    expect(nextClockEvent(c1)).toEqual({ at: MON_0900 + 10 * HOUR, kind: 'breach' });
    const c2 = markBreached(c1, MON_0900 + 10 * HOUR + 5);
    expect(c2.breached).toBe(true);
    expect(c2.breachedAt).toBe(MON_0900 + 10 * HOUR + 5);
    expect(nextClockEvent(c2)).toBeNull();
  });

  it('markBreached also marks the clock warned (no late warning after a breach)', () => {
    const c = markBreached(running(HOUR), MON_0900 + HOUR);
    expect(c.warned).toBe(true);
    expect(c.met).toBeNull();
    expect(isActive(c)).toBe(true);
  });

  it('with a warning fraction of 1 there is no separate warning: the first event is the breach', () => {
    const c = startClock('resolution', HOUR, ALWAYS_OPEN, MON_0900, 1, true);
    expect(c.warnAt).toBe(c.dueAt);
    expect(nextClockEvent(c)).toEqual({ at: MON_0900 + HOUR, kind: 'breach' });
  });

  it('mark functions do not mutate their input', () => {
    const c = running(HOUR);
    markWarned(c);
    markBreached(c, MON_0900);
    expect(c.warned).toBe(false);
    expect(c.breached).toBe(false);
  });
});

describe('slaStateOf', () => {
  const ok = running(HOUR);
  const warned = markWarned(running(HOUR));
  const breached = markBreached(running(HOUR), MON_0900 + HOUR);

  it('the worst state of the active clocks', () => {
    expect(slaStateOf([])).toBe('ok');
    expect(slaStateOf([ok])).toBe('ok');
    expect(slaStateOf([ok, warned])).toBe('warning');
    expect(slaStateOf([warned, ok, breached])).toBe('breached');
    expect(slaStateOf([breached])).toBe('breached');
  });

  it('stopped clocks no longer count', () => {
    expect(slaStateOf([stopClock(breached, MON_0900 + 2 * HOUR, ALWAYS_OPEN), ok])).toBe('ok');
    expect(slaStateOf([stopClock(warned, MON_0900 + 2 * HOUR, ALWAYS_OPEN)])).toBe('ok');
  });

  it('paused clocks still count', () => {
    expect(slaStateOf([pauseClock(warned, ALWAYS_OPEN, MON_0900 + MIN)])).toBe('warning');
  });
});

describe('remainingMs', () => {
  it('running on 24x7: target minus elapsed, negative once past due', () => {
    const c = running(HOUR);
    expect(remainingMs(c, ALWAYS_OPEN, MON_0900)).toBe(HOUR);
    expect(remainingMs(c, ALWAYS_OPEN, MON_0900 + 20 * MIN)).toBe(40 * MIN);
    expect(remainingMs(c, ALWAYS_OPEN, MON_0900 + 90 * MIN)).toBe(-30 * MIN);
  });

  it('paused: frozen at the moment of the pause', () => {
    const p = pauseClock(running(HOUR), ALWAYS_OPEN, MON_0900 + 20 * MIN);
    expect(remainingMs(p, ALWAYS_OPEN, MON_0900 + 20 * MIN)).toBe(40 * MIN);
    expect(remainingMs(p, ALWAYS_OPEN, MON_0900 + 20 * HOUR)).toBe(40 * MIN);
  });

  it('business hours: only open time counts', () => {
    const c = running(4 * HOUR, OFFICE, at('2026-11-06T15:00:00Z'));
    expect(remainingMs(c, OFFICE, at('2026-11-07T12:00:00Z'))).toBe(2 * HOUR);
    expect(remainingMs(c, OFFICE, at('2026-11-09T10:30:00Z'))).toBe(30 * MIN);
  });
});

describe('initialClocks / dueAtOf', () => {
  const policy = (over: Partial<SlaPolicySnapshot> = {}): SlaPolicySnapshot => ({
    id: 1,
    name: 'Standard',
    targets: {
      low: { firstResponseSeconds: 8 * 3600, resolutionSeconds: 40 * 3600 },
      normal: { firstResponseSeconds: 4 * 3600, resolutionSeconds: 16 * 3600 },
      high: { firstResponseSeconds: null, resolutionSeconds: 8 * 3600 },
      urgent: { firstResponseSeconds: null, resolutionSeconds: null },
    },
    warningFraction: 0.5,
    escalation: [],
    autoCloseAfterSeconds: null,
    calendar: ALWAYS_OPEN,
    ...over,
  });

  it('no policy, no clocks', () => {
    expect(initialClocks(null, 'normal', MON_0900)).toEqual([]);
  });

  it('one running clock per defined target, first response first, with the policy fraction', () => {
    const clocks = initialClocks(policy(), 'normal', MON_0900);
    expect(clocks.map((c) => c.name)).toEqual(['first_response', 'resolution']);
    expect(clocks.map((c) => c.targetMs)).toEqual([4 * HOUR, 16 * HOUR]);
    expect(clocks.every((c) => c.runningSince === MON_0900)).toBe(true);
    expect(clocks.map((c) => c.warnAt)).toEqual([MON_0900 + 2 * HOUR, MON_0900 + 8 * HOUR]);
  });

  it('skips clocks without a target for the priority', () => {
    expect(initialClocks(policy(), 'high', MON_0900).map((c) => c.name)).toEqual(['resolution']);
    expect(initialClocks(policy(), 'urgent', MON_0900)).toEqual([]);
  });

  it("plans in the policy's calendar", () => {
    const clocks = initialClocks(policy({ calendar: OFFICE }), 'normal', at('2026-11-06T15:00:00Z'));
    expect(clocks.map((c) => iso(c.dueAt))).toEqual(['2026-11-09T11:00:00Z', '2026-11-10T15:00:00Z'] /* 4 h: Fri 2 + Mon 2; 16 h: Fri 2 + Mon 8 + Tue 6 */);
  });

  it('dueAtOf: the due instant of an active clock, null when paused, stopped or absent', () => {
    const [fr, res] = initialClocks(policy(), 'normal', MON_0900) as [SlaClock, SlaClock];
    expect(dueAtOf([fr, res], 'first_response')).toBe(MON_0900 + 4 * HOUR);
    expect(dueAtOf([fr, res], 'resolution')).toBe(MON_0900 + 16 * HOUR);
    expect(dueAtOf([stopClock(fr, MON_0900 + MIN, ALWAYS_OPEN), res], 'first_response')).toBeNull();
    expect(dueAtOf([fr, pauseClock(res, ALWAYS_OPEN, MON_0900 + MIN)], 'resolution')).toBeNull();
    expect(dueAtOf([res], 'first_response')).toBeNull();
  });
});

describe('deadlines beyond the calendar horizon', () => {
  // Never open: every day of the year is a recurring holiday, so every shift is cancelled.
  const everyDay = Array.from({ length: 366 }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));
  const CLOSED: CalendarSpec = { ...OFFICE, holidays: everyDay.map((date) => ({ date, recurringYearly: true })) };

  it('runs the clock with no deadline instead of failing (a throw here would freeze the ticket workflow)', () => {
    const c = startClock('first_response', HOUR, CLOSED, at('2026-11-02T10:00:00Z'), WF, true);
    expect(c).toMatchObject({ runningSince: at('2026-11-02T10:00:00Z'), dueAt: null, warnAt: null, breached: false });
    expect(nextClockEvent(c)).toBeNull();
    // Paused and resumed, it still plans nothing and throws nothing.
    const resumed = resumeClock(pauseClock(c, CLOSED, at('2026-11-02T11:00:00Z')), CLOSED, at('2026-11-02T12:00:00Z'), WF);
    expect(resumed.dueAt).toBeNull();
  });

  it('a target of more business time than three years hold has no deadline either', () => {
    const tenYears = 10 * 365 * 24 * HOUR;
    expect(startClock('resolution', tenYears, OFFICE, at('2026-11-02T10:00:00Z'), WF, true).dueAt).toBeNull();
  });
});

describe('reminderProblems (pending reminders of a policy)', () => {
  const r = (n: number | null, m: number | null, k: number | null): PendingReminders => ({ remindAfterSeconds: n, remindAgainAfterSeconds: m, autoResolveAfterSeconds: k });

  it('accepts any sensible subset: all off, a first reminder, reminders then resolution, resolution alone', () => {
    for (const ok of [r(null, null, null), r(3600, null, null), r(3600, 7200, null), r(3600, 7200, 10_800), r(null, null, 3600), r(3600, null, 7200), r(1, 2, MAX_REMINDER_SECONDS)])
      expect(reminderProblems(ok), JSON.stringify(ok)).toEqual([]);
  });

  it('refuses a second reminder without a first, steps out of order, and values out of range', () => {
    expect(reminderProblems(r(null, 3600, null))).toEqual([{ field: 'remindAgainAfterSeconds', message: 'needs a first reminder (remindAfterSeconds)' }]);
    expect(reminderProblems(r(7200, 7200, null)).map((p) => p.field)).toEqual(['remindAgainAfterSeconds']);
    expect(reminderProblems(r(3600, 7200, 7200)).map((p) => p.field)).toEqual(['autoResolveAfterSeconds']);
    expect(reminderProblems(r(3600, null, 60)).map((p) => p.field)).toEqual(['autoResolveAfterSeconds']);
    for (const bad of [0, -1, 1.5, MAX_REMINDER_SECONDS + 1, Number.NaN])
      expect(
        reminderProblems(r(bad, null, null)).map((p) => p.field),
        String(bad),
      ).toEqual(['remindAfterSeconds']);
  });
});
