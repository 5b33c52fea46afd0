import { takeDueEvents, slaWrite } from '../sla-tracker';
import { NO_FOLLOWUP, needsSurveyPlan, surveyPlanned, takeDueFollowups, type FollowupDue } from '../customer-followup';
import { followupMail, localFollowup } from './activities';
import type { Automation } from './automation';
import type { TicketChanges } from './changes';
import type { Failures } from './failures';
import type { Notifications } from './notify';
import { RULES_PATCH } from './patches';
import { WORKFLOW_ACTOR, type TicketRun } from './run';

// Work that comes due: SLA warnings and breaches (each exactly once), auto-close, surveys,
// pending reminders and the automatic resolution of a ticket left pending.

export function timers(run: TicketRun, failures: Failures, notes: Notifications, changes: TicketChanges, auto: Automation) {
  const { s, db, patched, nextKey, workflowId } = run;
  const { carryOn, recordedFailure } = failures;
  const { notify, track, publishSearchAttributes } = notes;
  const { applyChange } = changes;
  const { escalate } = auto;

  /** Timer work: fire due warnings/breaches exactly once each, then auto-close. */
  async function processDue() {
    const now = Date.now();
    const requestId = `${workflowId}:timer`;
    const { clocks, due, events } = takeDueEvents(s.clocks, now);
    if (due.length > 0) {
      // Advance the clocks even when the write fails for good: each warning and breach fires once.
      await carryOn('sla', requestId, () => db.recordSla({ ticketId: s.ticket.ticketId, idempotencyKey: nextKey('sla'), requestId, sla: slaWrite(clocks, events) }));
      s.clocks = clocks;
      publishSearchAttributes();
      for (const d of due) {
        const before = s.ticket;
        await escalate(d.kind, d.clock, requestId);
        if (patched(RULES_PATCH)) run.queueRules({ type: d.kind === 'warning' ? 'sla.warning' : 'sla.breached', clock: d.clock, previous: before, requestId });
      }
    }
    if (s.autoCloseAt !== null && now >= s.autoCloseAt && s.ticket.status === 'resolved') {
      s.autoCloseAt = null;
      await applyChange({ actor: WORKFLOW_ACTOR, requestId, status: 'closed' });
      notify('ticket_closed', 'requester', requestId);
    }
  }

  /** Follow-up timers: plan a new resolution's survey, then send what is due (surveys, reminders) or resolve a ticket left pending. */
  async function processFollowups() {
    const requestId = `${workflowId}:followup`;
    let f = s.followup ?? NO_FOLLOWUP;
    if (needsSurveyPlan(f)) {
      const resolvedAt = f.survey!.resolvedAt;
      let sendAt: number | null = null;
      try {
        ({ sendAt } = await localFollowup.planSurvey({ ticketId: s.ticket.ticketId, resolvedAt }));
      } catch (err) {
        // No plan, no survey: recorded, and the ticket goes on.
        if (!(await recordedFailure(err, 'survey', requestId))) throw err;
      }
      f = surveyPlanned(s.followup ?? NO_FOLLOWUP, resolvedAt, sendAt);
      s.followup = f;
    }
    const { state, due } = takeDueFollowups(f, s.policy, Date.now());
    s.followup = state;
    for (const d of due) await followUp(d, requestId);
  }

  async function followUp(d: FollowupDue, requestId: string) {
    switch (d.kind) {
      case 'survey':
        track(followupMail.sendSurvey({ ticketId: s.ticket.ticketId, resolvedAt: d.resolvedAt, idempotencyKey: nextKey('survey'), requestId }), 'e-mail survey_request', requestId);
        break;
      case 'remind':
        track(
          followupMail.sendPendingReminder({
            ticketId: s.ticket.ticketId,
            idempotencyKey: nextKey(`reminder:${d.reminder}`),
            requestId,
            reminder: d.reminder,
            pendingSince: d.pendingSince,
            autoResolveAt: d.autoResolveAt,
          }),
          'e-mail pending_reminder',
          requestId,
        );
        break;
      case 'auto_resolve': {
        if (s.ticket.status !== 'pending') break;
        const before = s.ticket;
        await applyChange(
          { actor: WORKFLOW_ACTOR, requestId, status: 'resolved' },
          [],
          [{ type: 'ticket.auto_resolved', field: null, from: null, to: { pendingSince: new Date(d.pendingSince).toISOString(), reminders: d.reminded } }],
        );
        if (patched(RULES_PATCH)) run.queueRules({ type: 'ticket.updated', previous: before, requestId });
        break;
      }
    }
  }

  return { processDue, processFollowups, followUp };
}
