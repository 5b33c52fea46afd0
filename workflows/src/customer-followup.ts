import { addBusinessMs, BeyondCalendarHorizon, NO_REMINDERS, type CalendarSpec, type SlaPolicySnapshot, type TicketStatus } from '@mehrdesk/core/domain';
import type { FollowupState, PendingFollowup } from './contracts';

// What the ticket's workflow does for the customer after it stops working on the ticket (W5):
// the satisfaction survey a while after each resolution, and the reminders (then the automatic
// resolution) while the ticket waits on the customer. Pure: the workflow feeds it status
// changes, its policy and workflow time, sets a timer for `nextFollowupAt`, and carries out
// what `takeDueFollowups` hands back; unit tests call it directly.
//
// Survey: a resolution asks once, `delay` after the resolution (the delay is read from the
// settings by the workflow, see `surveyPlanned`); a reopen before that cancels it, and a
// resolution again asks again. Closing a ticket whose survey is still waiting sends it at once
// (the ticket cannot be reopened any more, and the workflow ends).
//
// Reminders: business time in the policy's calendar counted from entering `pending`; a reply
// from the customer (which reopens the ticket) or any status change out of pending stops them,
// and entering pending again starts over. Several steps due at once (a worker that was down, a
// policy shortened meanwhile) give one e-mail: the latest reminder, or none when the automatic
// resolution is due too.

export const NO_FOLLOWUP: FollowupState = Object.freeze({ survey: null, pending: null });

export type FollowupDue =
  { kind: 'survey'; resolvedAt: number } | { kind: 'remind'; reminder: number; pendingSince: number; autoResolveAt: number | null } | { kind: 'auto_resolve'; pendingSince: number; reminded: number };

/** `seconds` of business time after `since`, or null when the calendar cannot place it (~3 years). */
function businessInstant(cal: CalendarSpec, since: number, seconds: number): number | null {
  try {
    return addBusinessMs(cal, since, seconds * 1000);
  } catch (err) {
    if (err instanceof BeyondCalendarHorizon) return null;
    throw err;
  }
}

/** Reminder thresholds of a policy in order (the second only with a first). */
function reminderSeconds(policy: SlaPolicySnapshot | null): number[] {
  const r = policy?.reminders ?? NO_REMINDERS;
  if (r.remindAfterSeconds === null) return [];
  return r.remindAgainAfterSeconds === null ? [r.remindAfterSeconds] : [r.remindAfterSeconds, r.remindAgainAfterSeconds];
}

/** The next step of a pending spell under `policy`, from where it stands (`since`, `reminded`). */
export function planPending(p: Pick<PendingFollowup, 'since' | 'reminded'>, policy: SlaPolicySnapshot | null): PendingFollowup {
  const base = { since: p.since, reminded: p.reminded };
  if (!policy) return { ...base, next: null, nextAt: null };
  const reminders = reminderSeconds(policy);
  if (p.reminded < reminders.length) return { ...base, next: 'remind', nextAt: businessInstant(policy.calendar, p.since, reminders[p.reminded]!) };
  const k = policy.reminders?.autoResolveAfterSeconds ?? null;
  if (k !== null) return { ...base, next: 'auto_resolve', nextAt: businessInstant(policy.calendar, p.since, k) };
  return { ...base, next: null, nextAt: null };
}

/** When a pending spell that started at `since` resolves itself under `policy`, if it does. */
export function autoResolveAt(since: number, policy: SlaPolicySnapshot | null): number | null {
  const k = policy?.reminders?.autoResolveAfterSeconds ?? null;
  return policy && k !== null ? businessInstant(policy.calendar, since, k) : null;
}

/** A status change: a resolution starts a survey, a reopen drops it; entering pending starts the reminders, leaving it stops them. */
export function onFollowupStatusChange(f: FollowupState, policy: SlaPolicySnapshot | null, from: TicketStatus, to: TicketStatus, now: number): FollowupState {
  let survey = f.survey;
  if (to === 'resolved') survey = { resolvedAt: now, sendAt: null };
  else if (to !== 'closed') survey = null; // reopened (or cancelled): that resolution is no longer asked about
  let pending = f.pending;
  if (to === 'pending' && from !== 'pending') pending = planPending({ since: now, reminded: 0 }, policy);
  else if (to !== 'pending') pending = null;
  return { survey, pending };
}

/** The policy changed (targets, calendar, reminder steps): re-plan the next step from the same start. */
export function onFollowupPolicyChange(f: FollowupState, policy: SlaPolicySnapshot | null): FollowupState {
  return f.pending ? { ...f, pending: planPending(f.pending, policy) } : f;
}

/** A survey whose send time has not been looked up yet. */
export const needsSurveyPlan = (f: FollowupState): boolean => f.survey !== null && f.survey.sendAt === null;

/** The survey's send time for the resolution at `resolvedAt` (null: surveys are off, so none). */
export function surveyPlanned(f: FollowupState, resolvedAt: number, sendAt: number | null): FollowupState {
  if (f.survey?.resolvedAt !== resolvedAt) return f; // reopened meanwhile
  return { ...f, survey: sendAt === null ? null : { resolvedAt, sendAt } };
}

/** The earliest instant something is due; null when nothing is scheduled. */
export function nextFollowupAt(f: FollowupState): number | null {
  const times = [f.survey?.sendAt, f.pending?.next ? f.pending.nextAt : null].filter((t): t is number => typeof t === 'number');
  return times.length ? Math.min(...times) : null;
}

/** Whether the workflow has follow-up work at `now` (a survey to plan, or a step due). */
export function hasFollowupWork(f: FollowupState, now: number): boolean {
  const at = nextFollowupAt(f);
  return needsSurveyPlan(f) || (at !== null && at <= now);
}

/** Take every step due by `now`, in order, and the state after them. */
export function takeDueFollowups(f: FollowupState, policy: SlaPolicySnapshot | null, now: number): { state: FollowupState; due: FollowupDue[] } {
  const due: FollowupDue[] = [];
  let survey = f.survey;
  if (survey && survey.sendAt !== null && survey.sendAt <= now) {
    due.push({ kind: 'survey', resolvedAt: survey.resolvedAt });
    survey = null;
  }
  let pending = f.pending;
  let reminder: FollowupDue | null = null;
  let resolve: FollowupDue | null = null;
  while (pending && pending.next !== null && pending.nextAt !== null && pending.nextAt <= now) {
    if (pending.next === 'auto_resolve') {
      // Reminders skipped in this same call were never sent: count only those that were.
      resolve = { kind: 'auto_resolve', pendingSince: pending.since, reminded: f.pending!.reminded };
      pending = { ...pending, next: null, nextAt: null };
      break;
    }
    pending = planPending({ since: pending.since, reminded: pending.reminded + 1 }, policy);
    reminder = { kind: 'remind', reminder: pending.reminded, pendingSince: pending.since, autoResolveAt: autoResolveAt(pending.since, policy) };
  }
  if (resolve) due.push(resolve);
  else if (reminder) due.push(reminder);
  return { state: { survey, pending }, due };
}

/** What the workflow will do next for the customer (the SLA query shows it). */
export function followupView(f: FollowupState, policy: SlaPolicySnapshot | null): { surveyAt: number | null; nextReminderAt: number | null; autoResolveAt: number | null } {
  return {
    surveyAt: f.survey?.sendAt ?? null,
    nextReminderAt: f.pending?.next === 'remind' ? f.pending.nextAt : null,
    autoResolveAt: f.pending && f.pending.next !== null ? autoResolveAt(f.pending.since, policy) : null,
  };
}
