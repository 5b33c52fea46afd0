import { addBusinessMs, BeyondCalendarHorizon, businessMsBetween, type CalendarSpec } from './business-hours';
import type { Priority, SlaClockName, SlaState } from './enums';

// SLA clock maths (W2), pure so the API (initial deadlines), the workflow (timers) and unit
// tests all compute the same instants. Targets are business time in the policy's calendar.

export interface SlaTargets {
  firstResponseSeconds: number | null;
  resolutionSeconds: number | null;
}

export const ESCALATION_ACTIONS = ['notify_assignee', 'notify_supervisor', 'raise_priority', 'reassign_to_escalation_group'] as const;
export type EscalationAction = (typeof ESCALATION_ACTIONS)[number];

export interface EscalationStep {
  on: 'warning' | 'breach';
  clock: SlaClockName | 'any';
  action: EscalationAction;
}

/** Everything the workflow needs from a policy, carried in its state so timers need no I/O. */
export interface SlaPolicySnapshot {
  id: number;
  name: string;
  targets: Record<Priority, SlaTargets>;
  warningFraction: number;
  escalation: EscalationStep[];
  autoCloseAfterSeconds: number | null;
  calendar: CalendarSpec;
  /** Reminders for tickets pending on the customer; absent in snapshots taken before they existed. */
  reminders?: PendingReminders;
}

/**
 * "Remind the customer after N business seconds pending, again after M, resolve after K": each
 * counted in the policy's calendar from the moment the ticket entered `pending`, so N < M < K.
 * Null = that step is off.
 */
export interface PendingReminders {
  remindAfterSeconds: number | null;
  remindAgainAfterSeconds: number | null;
  autoResolveAfterSeconds: number | null;
}

export const NO_REMINDERS: PendingReminders = Object.freeze({ remindAfterSeconds: null, remindAgainAfterSeconds: null, autoResolveAfterSeconds: null });

/** Upper bound of each reminder step: 90 days of business time. */
export const MAX_REMINDER_SECONDS = 90 * 86_400;

/** What is wrong with a set of reminder steps (field name → message); empty when sensible. */
export function reminderProblems(r: PendingReminders): { field: keyof PendingReminders; message: string }[] {
  const problems: { field: keyof PendingReminders; message: string }[] = [];
  for (const field of ['remindAfterSeconds', 'remindAgainAfterSeconds', 'autoResolveAfterSeconds'] as const) {
    const v = r[field];
    if (v !== null && (!Number.isInteger(v) || v < 1 || v > MAX_REMINDER_SECONDS)) problems.push({ field, message: `must be a whole number of seconds from 1 to ${MAX_REMINDER_SECONDS}` });
  }
  if (problems.length) return problems;
  const { remindAfterSeconds: n, remindAgainAfterSeconds: m, autoResolveAfterSeconds: k } = r;
  if (m !== null && n === null) problems.push({ field: 'remindAgainAfterSeconds', message: 'needs a first reminder (remindAfterSeconds)' });
  else if (m !== null && n !== null && m <= n) problems.push({ field: 'remindAgainAfterSeconds', message: 'must be later than the first reminder (both count from entering pending)' });
  const last = m ?? n;
  if (k !== null && last !== null && k <= last) problems.push({ field: 'autoResolveAfterSeconds', message: 'must be later than the last reminder (all count from entering pending)' });
  return problems;
}

export interface SlaClock {
  name: SlaClockName;
  targetMs: number;
  /** Business time consumed before `runningSince` (i.e. across earlier running spans). */
  consumedMs: number;
  runningSince: number | null;
  dueAt: number | null;
  warnAt: number | null;
  warned: boolean;
  breached: boolean;
  breachedAt: number | null;
  /** Set when the clock's goal was reached (or the ticket ended). */
  stoppedAt: number | null;
  met: boolean | null;
}

export function targetMsFor(policy: SlaPolicySnapshot, priority: Priority, clock: SlaClockName): number | null {
  const t = policy.targets[priority];
  const s = clock === 'first_response' ? t.firstResponseSeconds : t.resolutionSeconds;
  return s === null || s === undefined ? null : s * 1000;
}

/**
 * The instant `durationMs` of business time after `now`, or null when the calendar has too little
 * open time in the next ~3 years to place it (a calendar whose shifts are all holidays, a target
 * of years): the clock then runs with no deadline rather than failing the ticket's workflow on
 * every attempt, which would freeze the ticket.
 */
function deadline(cal: CalendarSpec, now: number, durationMs: number): number | null {
  try {
    return addBusinessMs(cal, now, durationMs);
  } catch (err) {
    if (err instanceof BeyondCalendarHorizon) return null;
    throw err;
  }
}

/** Recompute due and warning instants of a running clock from what is left of its target. */
function schedule(c: SlaClock, cal: CalendarSpec, now: number, warningFraction: number): SlaClock {
  const left = Math.max(0, c.targetMs - c.consumedMs);
  const warnLeft = Math.max(0, Math.floor(c.targetMs * warningFraction) - c.consumedMs);
  return {
    ...c,
    runningSince: now,
    dueAt: deadline(cal, now, left),
    warnAt: c.warned ? c.warnAt : deadline(cal, now, warnLeft),
  };
}

export function startClock(name: SlaClockName, targetMs: number, cal: CalendarSpec, now: number, warningFraction: number, running: boolean): SlaClock {
  const c: SlaClock = {
    name,
    targetMs,
    consumedMs: 0,
    runningSince: null,
    dueAt: null,
    warnAt: null,
    warned: false,
    breached: false,
    breachedAt: null,
    stoppedAt: null,
    met: null,
  };
  return running ? schedule(c, cal, now, warningFraction) : c;
}

export function isActive(c: SlaClock): boolean {
  return c.stoppedAt === null;
}

export function pauseClock(c: SlaClock, cal: CalendarSpec, now: number): SlaClock {
  if (!isActive(c) || c.runningSince === null) return c;
  return {
    ...c,
    consumedMs: c.consumedMs + businessMsBetween(cal, c.runningSince, now),
    runningSince: null,
    dueAt: null,
    warnAt: c.warned ? c.warnAt : null,
  };
}

export function resumeClock(c: SlaClock, cal: CalendarSpec, now: number, warningFraction: number): SlaClock {
  if (!isActive(c) || c.runningSince !== null) return c;
  return schedule(c, cal, now, warningFraction);
}

/** A new target (priority or policy changed): keep what was consumed, re-plan the rest. */
export function retargetClock(c: SlaClock, targetMs: number, cal: CalendarSpec, now: number, warningFraction: number): SlaClock {
  if (!isActive(c)) return c;
  const running = c.runningSince !== null;
  const paused = pauseClock(c, cal, now);
  const next: SlaClock = { ...paused, targetMs, warned: c.warned && paused.consumedMs >= targetMs * warningFraction };
  return running ? schedule(next, cal, now, warningFraction) : next;
}

/** Goal reached (or ticket ended): bank the running span so a reopen continues from here. */
export function stopClock(c: SlaClock, now: number, cal: CalendarSpec): SlaClock {
  if (!isActive(c)) return c;
  const banked = pauseClock(c, cal, now);
  return { ...banked, stoppedAt: now, met: !c.breached, dueAt: c.dueAt, runningSince: null };
}

/** The next instant at which this clock needs attention (warning or breach), if any. */
export function nextClockEvent(c: SlaClock): { at: number; kind: 'warning' | 'breach' } | null {
  if (!isActive(c) || c.runningSince === null || c.breached) return null;
  if (!c.warned && c.warnAt !== null && c.dueAt !== null && c.warnAt < c.dueAt) return { at: c.warnAt, kind: 'warning' };
  return c.dueAt === null ? null : { at: c.dueAt, kind: 'breach' };
}

export function markWarned(c: SlaClock): SlaClock {
  return { ...c, warned: true };
}

export function markBreached(c: SlaClock, at: number): SlaClock {
  return { ...c, warned: true, breached: true, breachedAt: at };
}

/** The ticket-level SLA state used by list filters: the worst of the active clocks. */
export function slaStateOf(clocks: readonly SlaClock[]): SlaState {
  const active = clocks.filter(isActive);
  if (active.some((c) => c.breached)) return 'breached';
  if (active.some((c) => c.warned)) return 'warning';
  return 'ok';
}

/** Business time still left on a clock at `now` (negative once breached). */
export function remainingMs(c: SlaClock, cal: CalendarSpec, now: number): number {
  const consumed = c.consumedMs + (c.runningSince !== null ? businessMsBetween(cal, c.runningSince, now) : 0);
  return c.targetMs - consumed;
}

/** Clocks of a brand-new ticket: every clock the policy defines for its priority, running. */
export function initialClocks(policy: SlaPolicySnapshot | null, priority: Priority, now: number): SlaClock[] {
  if (!policy) return [];
  const clocks: SlaClock[] = [];
  for (const name of ['first_response', 'resolution'] as const) {
    const target = targetMsFor(policy, priority, name);
    if (target !== null) clocks.push(startClock(name, target, policy.calendar, now, policy.warningFraction, true));
  }
  return clocks;
}

export function dueAtOf(clocks: readonly SlaClock[], name: SlaClockName): number | null {
  const c = clocks.find((x) => x.name === name);
  return c && isActive(c) ? c.dueAt : null;
}
