import * as wf from '@temporalio/workflow';
import { isStaff, slaStateOf, type SlaClock, type SlaPolicySnapshot } from '@mehrdesk/core/domain';
import type { EmailRecipient, EmailTemplate } from './activity-contracts';
import {
  addMessageUpdate,
  changeTicketUpdate,
  FAILURE,
  policyChangedSignal,
  type ScheduledRuleMatch,
  scheduledRuleMatchedSignal,
  slaQuery,
  surveyReceivedSignal,
  type TicketLifecycleInput,
  ticketQuery,
  ticketSearchAttributes,
  type TicketSnapshot,
} from './contracts';
import { followupView, hasFollowupWork, nextFollowupAt, onFollowupPolicyChange } from './customer-followup';
import { clockViews, nextWakeAt, onPolicyChange, slaWrite } from './sla-tracker';
import { automation } from './ticket/automation';
import { ticketChanges } from './ticket/changes';
import { failureHandling } from './ticket/failures';
import { attributesKey, notifications } from './ticket/notify';
import { API_MARKS_STARTED_PATCH, FOLLOWUP_PATCH, RULES_PATCH } from './ticket/patches';
import { startRun } from './ticket/run';
import { timers } from './ticket/timers';

// A ticket's workflow as an outline: its handlers (queries, updates, signals), the first task of
// a new ticket, and the main loop that waits for the next due instant or piece of work. The
// parts live in ./ticket: run.ts (state and queues), changes.ts (field changes, replies),
// notify.ts (e-mails, search attributes), automation.ts (escalation, webhooks, rules),
// timers.ts (SLA, auto-close, follow-ups), failures.ts (what retrying cannot fix).

export { MAX_RULE_CHAIN } from './ticket/automation';

const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/**
 * One ticket's whole life (SLA clocks, escalations, auto-close, surveys, reminders,
 * notifications; docs/capabilities.md W1-W7), for tickets created from now on. It behaves as
 * every patch of ticket/patches.ts applied, records no markers, upserts search attributes only
 * when a value changes, sends a new ticket's two e-mails in one activity, starts webhook
 * deliveries from an activity and skips the rule and webhook activities of events nothing
 * listens to.
 */
export async function ticketWorkflow(input: TicketLifecycleInput): Promise<TicketSnapshot> {
  return runTicket(input, false);
}

/** The same life for tickets started before ticketWorkflow existed: each later change guarded by patched(), as their histories recorded. */
export async function ticketLifecycle(input: TicketLifecycleInput): Promise<TicketSnapshot> {
  return runTicket(input, true);
}

async function runTicket(input: TicketLifecycleInput, legacy: boolean): Promise<TicketSnapshot> {
  const run = startRun(input, legacy);
  const { s, lock, background, ruleEvents, scheduledMatches, workflowId, db, patched, nextKey, finished } = run;
  const failures = failureHandling(run);
  const { refuse, carryOn, orRefuse } = failures;
  const notes = notifications(run, failures);
  const { notify, notifyAll, publishSearchAttributes } = notes;
  const changes = ticketChanges(run, failures, notes);
  const { validateChange, applyChange, addMessage } = changes;
  const auto = automation(run, failures, notes, changes);
  const { processRuleQueues } = auto;
  const { processDue, processFollowups, followUp } = timers(run, failures, notes, changes, auto);

  wf.setHandler(ticketQuery, () => s.ticket);
  wf.setHandler(slaQuery, () => ({
    ticket: s.ticket,
    state: slaStateOf(s.clocks),
    policy: s.policy,
    clocks: clockViews(s.clocks),
    autoCloseAt: s.autoCloseAt,
    ...(s.followup ? { followup: followupView(s.followup, s.policy) } : {}),
  }));
  wf.setHandler(
    changeTicketUpdate,
    (req) =>
      lock.run(async () => {
        validateChange(req); // again under the lock: another update may have run since validation
        run.hear(req.listeners);
        const before = s.ticket;
        const result = await orRefuse('change', req.requestId, () => applyChange(req));
        if (result.changes.length && !finished() && patched(RULES_PATCH)) run.queueRules({ type: 'ticket.updated', previous: before, requestId: req.requestId }, req.listeners !== undefined);
        return result;
      }),
    { validator: validateChange },
  );
  wf.setHandler(
    addMessageUpdate,
    (req) =>
      lock.run(async () => {
        if (finished()) refuse(FAILURE.ticketFinished, `Ticket ${s.ticket.number} is ${s.ticket.status}; replies are not accepted`);
        run.hear(req.listeners);
        const before = s.ticket;
        const result = await orRefuse('message', req.requestId, () => addMessage(req));
        // Held mail is not part of the conversation yet: rules see it once staff publish it.
        if (!req.heldForReview && patched(RULES_PATCH))
          run.queueRules({ type: 'message.received', previous: before, messageId: result.messageId, requestId: req.requestId }, req.listeners !== undefined);
        return result;
      }),
    {
      validator: (req) => {
        if (finished()) refuse(FAILURE.ticketFinished, `Ticket ${s.ticket.number} is ${s.ticket.status}; replies are not accepted`);
        if (req.heldForReview && (req.kind !== 'internal' || req.actor.type !== 'system')) refuse(FAILURE.invalidRequest, 'Held mail is an internal note by the system');
        if (req.kind === 'internal' && !req.heldForReview && (req.actor.role === null || !isStaff(req.actor.role))) refuse(FAILURE.invalidRequest, 'Only staff can add internal notes');
      },
    },
  );
  wf.setHandler(policyChangedSignal, ({ policy }: { policy: SlaPolicySnapshot }) => {
    void lock.run(async () => {
      const now = Date.now();
      const clocks: SlaClock[] = onPolicyChange(s.clocks, s.policy, policy, s.ticket.priority, now);
      await carryOn('sla policy', `${workflowId}:policy`, () =>
        db.recordSla({ ticketId: s.ticket.ticketId, idempotencyKey: nextKey('policy'), requestId: `${workflowId}:policy`, sla: slaWrite(clocks, []) }),
      );
      s.policy = policy;
      s.clocks = clocks;
      if (s.followup) s.followup = onFollowupPolicyChange(s.followup, policy);
      run.wake = true;
    });
  });

  wf.setHandler(scheduledRuleMatchedSignal, (m: ScheduledRuleMatch) => {
    scheduledMatches.push(m);
    run.wake = true;
  });

  // The API stored the first rating of a survey: rules listening to survey.received run now.
  wf.setHandler(surveyReceivedSignal, ({ surveyId, requestId, listeners }) => {
    if (finished() || !patched(FOLLOWUP_PATCH)) return;
    run.hear(listeners);
    run.queueRules({ type: 'survey.received', previous: null, surveyId, requestId }, listeners !== undefined);
  });

  if (!s.createdNotified) {
    s.createdNotified = true;
    run.hear(input.listeners);
    // The starter set the search attributes of a new ticket with an "ok" SLA state.
    if (!legacy) s.published = attributesKey(ticketSearchAttributes(s.ticket, 'ok'));
    publishSearchAttributes();
    // Whoever starts the workflow records that it runs; runs from before kept doing it here.
    if (!patched(API_MARKS_STARTED_PATCH)) await db.markWorkflowStarted({ ticketId: s.ticket.ticketId });
    const mails: { template: EmailTemplate; to: EmailRecipient }[] = [{ template: 'ticket_created', to: 'requester' }];
    if (s.ticket.assigneeId !== null) mails.push({ template: 'ticket_assigned', to: 'assignee' });
    if (legacy) for (const m of mails) notify(m.template, m.to, input.requestId);
    else notifyAll(mails, input.requestId);
    if (patched(RULES_PATCH)) run.queueRules({ type: 'ticket.created', previous: null, requestId: input.requestId }, input.listeners !== undefined);
  }

  while (!finished()) {
    const wakeAt = earliest(nextWakeAt(s.clocks, s.autoCloseAt), s.followup ? nextFollowupAt(s.followup) : null);
    const suggested = () => wf.workflowInfo().continueAsNewSuggested || (input.historyLimit !== undefined && wf.workflowInfo().historyLength > input.historyLimit);
    const woke = () => run.wake || finished() || ruleEvents.length > 0 || scheduledMatches.length > 0 || (suggested() && !lock.isHeld);
    if (wakeAt === null) await wf.condition(woke);
    else await wf.condition(woke, Math.max(1, wakeAt - Date.now()));
    run.wake = false;
    if (!finished()) await lock.run(() => carryOn('timer', `${workflowId}:timer`, processDue));
    if (!finished() && s.followup && hasFollowupWork(s.followup, Date.now())) await lock.run(() => carryOn('follow-up', `${workflowId}:followup`, processFollowups));
    if (!finished() && (ruleEvents.length || scheduledMatches.length)) await lock.run(() => carryOn('rules', `${workflowId}:rules`, processRuleQueues));
    if (!finished() && suggested()) {
      await wf.condition(() => wf.allHandlersFinished() && !lock.isHeld);
      await Promise.all([...background]);
      await wf.continueAsNew<typeof ticketLifecycle>({ ...input, carried: s });
    }
  }
  // Events of the final change (e.g. closing) still notify subscribers.
  if (ruleEvents.length || scheduledMatches.length) await lock.run(() => carryOn('rules', `${workflowId}:rules`, processRuleQueues));
  // Closed before its survey went out: it goes now (the ticket can no longer be reopened).
  const lastSurvey = s.followup?.survey;
  if (lastSurvey && s.ticket.status === 'closed') {
    s.followup = { ...s.followup!, survey: null };
    await followUp({ kind: 'survey', resolvedAt: lastSurvey.resolvedAt }, `${workflowId}:followup`);
  }
  await wf.condition(wf.allHandlersFinished);
  await Promise.all([...background]);
  return s.ticket;
}
