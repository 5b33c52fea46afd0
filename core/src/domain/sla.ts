import { addBusinessMs, BeyondCalendarHorizon, businessMsBetween, type CalendarSpec } from './business-hours';
import type { Priority, SlaClockName, SlaState } from './enums';

// SLA clock maths (W2), pure so the API (initial deadlines), the workflow (timers) and unit
// tests all compute the same instants. Targets are business time in the policy's calendar.

export interface SlaTargets {
  firstResponseSeconds: number | null;
  resolutionSeconds: number | null;
}

export const ESCALATION_ACTIONS = [
  'notify_assignee',
  'notify_supervisor',
  'raise_priority',
  'reassign_to_escalation_group',
] as const;
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

export function startClock(
  name: SlaClockName,
  targetMs: number,
  cal: CalendarSpec,
  now: number,
  warningFraction: number,
  running: boolean,
): SlaClock {
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
export function retargetClock(
  c: SlaClock,
  targetMs: number,
  cal: CalendarSpec,
  now: number,
  warningFraction: number,
): SlaClock {
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
