import { ALWAYS_OPEN, type CalendarSpec, type PendingReminders, type SlaPolicySnapshot, type Weekday } from '@mehrdesk/core/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FollowupState } from './contracts';
import {
  autoResolveAt,
  followupView,
  hasFollowupWork,
  needsSurveyPlan,
  nextFollowupAt,
  NO_FOLLOWUP,
  onFollowupPolicyChange,
  onFollowupStatusChange,
  surveyPlanned,
  takeDueFollowups,
} from './customer-followup';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
/** Mon–Fri 09:00–17:00 UTC. */
const OFFICE: CalendarSpec = {
  timeZone: 'UTC',
  shifts: ([1, 2, 3, 4, 5] as Weekday[]).map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
  holidays: [],
};
const FRIDAY_16 = at('2026-11-06T16:00:00Z');

function policy(reminders: Partial<PendingReminders> | null, calendar: CalendarSpec = OFFICE): SlaPolicySnapshot {
  return {
    id: 1,
    name: 'Standard',
    targets: {
      low: { firstResponseSeconds: null, resolutionSeconds: null },
      normal: { firstResponseSeconds: null, resolutionSeconds: null },
      high: { firstResponseSeconds: null, resolutionSeconds: null },
      urgent: { firstResponseSeconds: null, resolutionSeconds: null },
    },
    warningFraction: 0.8,
    escalation: [],
    autoCloseAfterSeconds: null,
    calendar,
    ...(reminders ? { reminders: { remindAfterSeconds: null, remindAgainAfterSeconds: null, autoResolveAfterSeconds: null, ...reminders } } : {}),
  };
}
/** Remind after 2 business hours, again after 8, resolve after 24 (all since entering pending). */
const P = policy({ remindAfterSeconds: 2 * 3600, remindAgainAfterSeconds: 8 * 3600, autoResolveAfterSeconds: 24 * 3600 });

const pendingAt = (now: number, p: SlaPolicySnapshot | null = P) => onFollowupStatusChange(NO_FOLLOWUP, p, 'open', 'pending', now);

describe('survey after a resolution', () => {
  it('a resolution asks for a survey, to be planned once the settings are read', () => {
    const f = onFollowupStatusChange(NO_FOLLOWUP, P, 'open', 'resolved', 1000);
    expect(f.survey).toEqual({ resolvedAt: 1000, sendAt: null });
    expect(needsSurveyPlan(f)).toBe(true);
    expect(hasFollowupWork(f, 1000)).toBe(true);
    const planned = surveyPlanned(f, 1000, 3000);
    expect(needsSurveyPlan(planned)).toBe(false);
    expect(nextFollowupAt(planned)).toBe(3000);
    expect(hasFollowupWork(planned, 2999)).toBe(false);
    expect(takeDueFollowups(planned, P, 2999).due).toEqual([]);
    const { state, due } = takeDueFollowups(planned, P, 3000);
    expect(due).toEqual([{ kind: 'survey', resolvedAt: 1000 }]);
    expect(state.survey).toBeNull();
    expect(takeDueFollowups(state, P, 10_000).due).toEqual([]);
  });

  it('surveys turned off: the resolution gets none', () => {
    const f = onFollowupStatusChange(NO_FOLLOWUP, P, 'open', 'resolved', 1000);
    expect(surveyPlanned(f, 1000, null).survey).toBeNull();
  });

  it('a reopen within the delay cancels it; a second resolution asks again, bound to the new instant', () => {
    let f = surveyPlanned(onFollowupStatusChange(NO_FOLLOWUP, P, 'open', 'resolved', 1000), 1000, 3000);
    f = onFollowupStatusChange(f, P, 'resolved', 'open', 2000);
    expect(f.survey).toBeNull();
    expect(takeDueFollowups(f, P, 3000).due).toEqual([]);
    f = onFollowupStatusChange(f, P, 'open', 'resolved', 4000);
    expect(f.survey).toEqual({ resolvedAt: 4000, sendAt: null });
  });

  it('a plan that arrives after a reopen changes nothing', () => {
    const reopened = onFollowupStatusChange(onFollowupStatusChange(NO_FOLLOWUP, P, 'open', 'resolved', 1000), P, 'resolved', 'open', 1500);
    expect(surveyPlanned(reopened, 1000, 3000)).toBe(reopened);
  });

  it('closing keeps the waiting survey (the workflow sends it as it ends); cancelling drops it', () => {
    const resolved = surveyPlanned(onFollowupStatusChange(NO_FOLLOWUP, P, 'open', 'resolved', 1000), 1000, 99_000);
    expect(onFollowupStatusChange(resolved, P, 'resolved', 'closed', 5000).survey).toEqual({ resolvedAt: 1000, sendAt: 99_000 });
    expect(onFollowupStatusChange(resolved, P, 'resolved', 'cancelled', 5000).survey).toBeNull();
  });
});

describe('pending reminders (business time since entering pending)', () => {
  it('are planned at the business-hours instants: Friday 16:00 + 2 h is Monday 10:00', () => {
    const f = pendingAt(FRIDAY_16);
    expect(f.pending).toEqual({ since: FRIDAY_16, reminded: 0, next: 'remind', nextAt: at('2026-11-09T10:00:00Z') });
    expect(followupView(f, P)).toEqual({ surveyAt: null, nextReminderAt: at('2026-11-09T10:00:00Z'), autoResolveAt: at('2026-11-11T16:00:00Z') });
  });

  it('fire in order — first reminder, second, then the automatic resolution — each exactly once', () => {
    let f = pendingAt(FRIDAY_16);
    const first = at('2026-11-09T10:00:00Z');
    expect(takeDueFollowups(f, P, first - 1).due).toEqual([]);
    let r = takeDueFollowups(f, P, first);
    expect(r.due).toEqual([{ kind: 'remind', reminder: 1, pendingSince: FRIDAY_16, autoResolveAt: at('2026-11-11T16:00:00Z') }]);
    f = r.state;
    // 8 business hours: Fri 16–17 (1) + Mon 09–16 (7).
    expect(f.pending?.nextAt).toBe(at('2026-11-09T16:00:00Z'));
    expect(takeDueFollowups(f, P, first + HOUR).due).toEqual([]);
    r = takeDueFollowups(f, P, at('2026-11-09T16:00:00Z'));
    expect(r.due).toEqual([{ kind: 'remind', reminder: 2, pendingSince: FRIDAY_16, autoResolveAt: at('2026-11-11T16:00:00Z') }]);
    f = r.state;
    // 24 business hours: Fri 1 + Mon 8 + Tue 8 + Wed 7 → Wednesday 16:00.
    expect(f.pending).toMatchObject({ reminded: 2, next: 'auto_resolve', nextAt: at('2026-11-11T16:00:00Z') });
    r = takeDueFollowups(f, P, at('2026-11-11T16:00:00Z'));
    expect(r.due).toEqual([{ kind: 'auto_resolve', pendingSince: FRIDAY_16, reminded: 2 }]);
    expect(nextFollowupAt(r.state)).toBeNull();
    expect(takeDueFollowups(r.state, P, at('2026-12-01T00:00:00Z')).due).toEqual([]);
  });

  it('several steps due at once send one e-mail: the latest reminder, or none when the resolution is due too', () => {
    const f = pendingAt(FRIDAY_16);
    expect(takeDueFollowups(f, P, at('2026-11-10T09:00:00Z')).due).toEqual([{ kind: 'remind', reminder: 2, pendingSince: FRIDAY_16, autoResolveAt: at('2026-11-11T16:00:00Z') }]);
    expect(takeDueFollowups(f, P, at('2026-11-20T09:00:00Z')).due).toEqual([{ kind: 'auto_resolve', pendingSince: FRIDAY_16, reminded: 0 }]);
  });

  it('stop when the ticket leaves pending (the customer answered) and start over when it comes back', () => {
    let f = pendingAt(FRIDAY_16);
    f = takeDueFollowups(f, P, at('2026-11-09T10:00:00Z')).state;
    f = onFollowupStatusChange(f, P, 'pending', 'open', at('2026-11-09T11:00:00Z'));
    expect(f.pending).toBeNull();
    expect(nextFollowupAt(f)).toBeNull();
    const again = at('2026-11-09T12:00:00Z');
    f = onFollowupStatusChange(f, P, 'open', 'pending', again);
    expect(f.pending).toEqual({ since: again, reminded: 0, next: 'remind', nextAt: at('2026-11-09T14:00:00Z') });
  });

  it('only a first reminder, or only the automatic resolution, or nothing', () => {
    const onlyFirst = policy({ remindAfterSeconds: 3600 }, ALWAYS_OPEN);
    let f = pendingAt(0, onlyFirst);
    expect(f.pending).toMatchObject({ next: 'remind', nextAt: HOUR });
    f = takeDueFollowups(f, onlyFirst, HOUR).state;
    expect(f.pending).toMatchObject({ reminded: 1, next: null, nextAt: null });
    const onlyResolve = policy({ autoResolveAfterSeconds: 7200 }, ALWAYS_OPEN);
    expect(pendingAt(0, onlyResolve).pending).toMatchObject({ next: 'auto_resolve', nextAt: 2 * HOUR });
    expect(pendingAt(0, policy(null)).pending).toMatchObject({ next: null, nextAt: null });
    expect(pendingAt(0, null).pending).toMatchObject({ next: null, nextAt: null });
    // A second reminder without a first is not one.
    expect(pendingAt(0, policy({ remindAgainAfterSeconds: 3600 }, ALWAYS_OPEN)).pending).toMatchObject({ next: null });
  });

  it('a policy change re-plans from the same start and keeps the reminders already sent', () => {
    let f = takeDueFollowups(pendingAt(0, policy({ remindAfterSeconds: 3600, remindAgainAfterSeconds: 7200 }, ALWAYS_OPEN)), null, HOUR).state;
    expect(f.pending?.reminded).toBe(1);
    f = onFollowupPolicyChange(f, policy({ remindAfterSeconds: 3600, remindAgainAfterSeconds: 5 * 3600, autoResolveAfterSeconds: 10 * 3600 }, ALWAYS_OPEN));
    expect(f.pending).toEqual({ since: 0, reminded: 1, next: 'remind', nextAt: 5 * HOUR });
    f = onFollowupPolicyChange(f, policy(null, ALWAYS_OPEN));
    expect(f.pending).toEqual({ since: 0, reminded: 1, next: null, nextAt: null });
  });

  it('a step the calendar cannot place within its ~3-year horizon gets no timer (and no failure)', () => {
    const tenYears = 10 * 365 * 86_400;
    const p = policy({ remindAfterSeconds: tenYears, autoResolveAfterSeconds: tenYears + 1 });
    const f = pendingAt(0, p);
    expect(f.pending).toMatchObject({ next: 'remind', nextAt: null });
    expect(nextFollowupAt(f)).toBeNull();
    expect(autoResolveAt(0, p)).toBeNull();
  });

  it('property: whatever the steps and the order of polls, each reminder fires at most once, in order, never before its instant, and never with or after the resolution', () => {
    const steps = fc
      .tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.boolean(), fc.boolean(), fc.boolean())
      .map(([a, b, c, n, m, k]) => ({ remindAfterSeconds: n ? a * 60 : null, remindAgainAfterSeconds: n && m ? (a + b) * 60 : null, autoResolveAfterSeconds: k ? (a + b + c) * 60 : null }));
    fc.assert(
      fc.property(steps, fc.array(fc.integer({ min: 0, max: 700 * 60_000 }), { maxLength: 30 }), (r, polls) => {
        const p = policy(r, ALWAYS_OPEN);
        let f: FollowupState = pendingAt(0, p);
        const fired: { kind: string; at: number; reminder?: number }[] = [];
        for (const now of [...polls].sort((a, b) => a - b)) {
          const out = takeDueFollowups(f, p, now);
          f = out.state;
          for (const d of out.due) fired.push({ kind: d.kind, at: now, ...(d.kind === 'remind' ? { reminder: d.reminder } : {}) });
        }
        const reminders = fired.filter((x) => x.kind === 'remind').map((x) => x.reminder!);
        expect(new Set(reminders).size).toBe(reminders.length);
        expect([...reminders].sort()).toEqual(reminders);
        const thresholds = [r.remindAfterSeconds, r.remindAgainAfterSeconds];
        for (const x of fired.filter((y) => y.kind === 'remind')) expect(x.at).toBeGreaterThanOrEqual(thresholds[x.reminder! - 1]! * 1000);
        const resolved = fired.findIndex((x) => x.kind === 'auto_resolve');
        expect(fired.filter((x) => x.kind === 'auto_resolve').length).toBeLessThanOrEqual(1);
        if (resolved >= 0) {
          expect(resolved).toBe(fired.length - 1);
          expect(fired[resolved]!.at).toBeGreaterThanOrEqual(r.autoResolveAfterSeconds! * 1000);
        }
      }),
    );
  });
});
