import {
  FINISHED_STATUSES,
  PAUSED_STATUSES,
  dueAtOf,
  isActive,
  markBreached,
  markWarned,
  nextClockEvent,
  pauseClock,
  resumeClock,
  retargetClock,
  slaStateOf,
  stopClock,
  targetMsFor,
  type Priority,
  type SlaClock,
  type SlaClockName,
  type SlaPolicySnapshot,
  type TicketStatus,
} from '@mehrdesk/core/domain';
import type { SlaEventWrite, SlaWrite } from './activity-contracts';
import type { SlaClockView } from './contracts';

// How ticket events move the SLA clocks. Pure: the workflow calls these with workflow time and
// persists the returned events; unit tests call them directly.

export interface ClockUpdate {
  clocks: SlaClock[];
  events: SlaEventWrite[];
}

const isPaused = (s: TicketStatus) => PAUSED_STATUSES.includes(s);

function event(c: SlaClock, type: SlaEventWrite['type'], now: number): SlaEventWrite {
  return { clock: c.name, type, targetAt: c.dueAt, actualAt: now, met: type === 'met' ? c.met : null };
}

export function onStatusChange(clocks: SlaClock[], policy: SlaPolicySnapshot | null, from: TicketStatus, to: TicketStatus, now: number): ClockUpdate {
  if (!policy) return { clocks, events: [] };
  const cal = policy.calendar;
  const events: SlaEventWrite[] = [];
  const next = clocks.map((c0) => {
    let c = c0;
    if (FINISHED_STATUSES.includes(to)) {
      if (!isActive(c)) return c;
      const target = c.dueAt;
      c = stopClock(c, now, cal);
      events.push({ ...event(c, 'met', now), targetAt: target });
      return c;
    }
    if (from === 'resolved' && c.name === 'resolution' && !isActive(c)) {
      // Reopened: the resolution target keeps counting from where it stopped.
      c = { ...c, stoppedAt: null, met: null, runningSince: null, dueAt: null };
    }
    if (!isActive(c)) return c;
    if (isPaused(to) && c.runningSince !== null) {
      events.push(event(c, 'paused', now));
      return pauseClock(c, cal, now);
    }
    if (!isPaused(to) && c.runningSince === null) {
      c = resumeClock(c, cal, now, policy.warningFraction);
      events.push(event(c, 'resumed', now));
    }
    return c;
  });
  return { clocks: next, events };
}

export function onPriorityChange(clocks: SlaClock[], policy: SlaPolicySnapshot | null, priority: Priority, now: number): SlaClock[] {
  if (!policy) return clocks;
  return clocks.map((c) => {
    const target = targetMsFor(policy, priority, c.name);
    return target === null ? c : retargetClock(c, target, policy.calendar, now, policy.warningFraction);
  });
}

/** Policy edited by an admin: new targets and calendar for every active clock. */
export function onPolicyChange(clocks: SlaClock[], oldPolicy: SlaPolicySnapshot | null, policy: SlaPolicySnapshot, priority: Priority, now: number): SlaClock[] {
  // Close the running span in the old calendar first so consumed time is counted correctly.
  const paused = oldPolicy ? clocks.map((c) => (c.runningSince !== null ? { ...pauseClock(c, oldPolicy.calendar, now), runningSince: -1 } : c)) : clocks;
  return paused.map((c) => {
    const wasRunning = c.runningSince === -1;
    const base: SlaClock = { ...c, runningSince: null };
    const target = targetMsFor(policy, priority, c.name) ?? c.targetMs;
    const retargeted = retargetClock(base, target, policy.calendar, now, policy.warningFraction);
    return wasRunning ? resumeClock(retargeted, policy.calendar, now, policy.warningFraction) : retargeted;
  });
}

export function stopClockNamed(clocks: SlaClock[], name: SlaClockName, now: number, policy: SlaPolicySnapshot | null): ClockUpdate {
  if (!policy) return { clocks, events: [] };
  const events: SlaEventWrite[] = [];
  const next = clocks.map((c) => {
    if (c.name !== name || !isActive(c)) return c;
    const stopped = stopClock(c, now, policy.calendar);
    events.push({ ...event(stopped, 'met', now), targetAt: c.dueAt });
    return stopped;
  });
  return { clocks: next, events };
}

export interface DueEvent {
  clock: SlaClockName;
  kind: 'warning' | 'breach';
  at: number;
}

/** Mark every warning/breach that is due by `now`; returns them in time order. */
export function takeDueEvents(clocks: SlaClock[], now: number): { clocks: SlaClock[]; due: DueEvent[]; events: SlaEventWrite[] } {
  const due: DueEvent[] = [];
  const events: SlaEventWrite[] = [];
  const next = clocks.map((c0) => {
    let c = c0;
    for (let ev = nextClockEvent(c); ev && ev.at <= now; ev = nextClockEvent(c)) {
      due.push({ clock: c.name, kind: ev.kind, at: ev.at });
      events.push({ clock: c.name, type: ev.kind, targetAt: ev.kind === 'breach' ? c.dueAt : c.warnAt, actualAt: now, met: ev.kind === 'breach' ? false : null });
      c = ev.kind === 'warning' ? markWarned(c) : markBreached(c, now);
    }
    return c;
  });
  due.sort((a, b) => a.at - b.at);
  return { clocks: next, due, events };
}

export function nextWakeAt(clocks: SlaClock[], autoCloseAt: number | null): number | null {
  const times = clocks.map((c) => nextClockEvent(c)?.at).filter((t): t is number => t !== undefined);
  if (autoCloseAt !== null) times.push(autoCloseAt);
  return times.length ? Math.min(...times) : null;
}

export function slaWrite(clocks: SlaClock[], events: SlaEventWrite[]): SlaWrite {
  return {
    slaState: slaStateOf(clocks),
    firstResponseDueAt: dueAtOf(clocks, 'first_response'),
    resolutionDueAt: dueAtOf(clocks, 'resolution'),
    events,
  };
}

export function clockViews(clocks: SlaClock[]): SlaClockView[] {
  return clocks.map((c) => ({
    ...c,
    state: !isActive(c) ? (c.met === false || c.breached ? 'breached' : 'met') : c.breached ? 'breached' : c.runningSince === null ? 'paused' : 'running',
  }));
}
