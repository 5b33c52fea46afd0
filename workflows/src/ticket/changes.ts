import { IllegalTransitionError, canTransition, isStaff, type TicketStatus } from '@mehrdesk/core/domain';
import type { SlaEventWrite, TicketActivities, TimelineEntry } from '../activity-contracts';
import { diffChange } from '../change-diff';
import { FAILURE, type Actor, type AddMessageRequest, type AddMessageResult, type ChangeTicketRequest, type ChangeTicketResult, type FieldChange } from '../contracts';
import { NO_FOLLOWUP, onFollowupStatusChange } from '../customer-followup';
import { onPriorityChange, onStatusChange, slaWrite, stopClockNamed } from '../sla-tracker';
import type { Failures } from './failures';
import type { Notifications } from './notify';
import { FOLLOWUP_PATCH } from './patches';
import type { TicketRun } from './run';

// Changes to the ticket (field changes, replies and notes): validated, persisted with their
// timeline entries, SLA clocks moved, search attributes kept current, people notified.

export function ticketChanges(run: TicketRun, failures: Failures, notes: Notifications) {
  const { s, db, patched, nextKey, finished, workflowId } = run;
  const { refuse } = failures;
  const { notify, publishSearchAttributes } = notes;

  function validateChange(req: ChangeTicketRequest) {
    if (finished()) refuse(FAILURE.ticketFinished, `Ticket ${s.ticket.number} is ${s.ticket.status} and can no longer change`);
    if (req.expectedVersion !== undefined && req.expectedVersion !== s.ticket.version)
      refuse(FAILURE.versionConflict, `Ticket ${s.ticket.number} was changed meanwhile: version ${req.expectedVersion} is stale, current is ${s.ticket.version}`);
    if (!req.delete && req.status !== undefined && req.status !== s.ticket.status && !canTransition(s.ticket.status, req.status))
      refuse(FAILURE.illegalTransition, new IllegalTransitionError(s.ticket.status, req.status).message);
  }

  /**
   * Apply field changes: persist them with their timeline entries, move the SLA clocks, keep
   * Temporal's search attributes current and notify. Callers hold the lock.
   */
  async function applyChange(req: ChangeTicketRequest, extraEvents: SlaEventWrite[] = [], extraTimeline: TimelineEntry[] = []): Promise<ChangeTicketResult> {
    const now = Date.now();
    const t = s.ticket;
    const diff = diffChange(t, req);
    const { changes, tags } = diff;
    req = diff.req;
    if (changes.length === 0 && extraEvents.length === 0) return { ticket: t, changes };

    let clocks = s.clocks;
    const events = [...extraEvents];
    const set: Parameters<TicketActivities['applyTicketChange']>[0]['set'] = {};
    const status = req.status ?? t.status;
    const priority = req.priority ?? t.priority;
    if (status !== t.status) {
      const u = onStatusChange(clocks, s.policy, t.status, status, now);
      clocks = u.clocks;
      events.push(...u.events);
      set.status = status;
      if (status === 'resolved') set.resolvedAt = now;
      if (t.status === 'resolved' && status === 'open') set.resolvedAt = null;
      if (status === 'closed' || status === 'cancelled') set.closedAt = now;
    }
    if (priority !== t.priority) {
      clocks = onPriorityChange(clocks, s.policy, priority, now);
      set.priority = priority;
    }
    if (req.assigneeId !== undefined && req.assigneeId !== t.assigneeId) set.assigneeId = req.assigneeId;
    if (req.groupId !== undefined && req.groupId !== t.groupId) set.groupId = req.groupId;
    if (changes.some((c) => c.field === 'tags')) set.tags = tags;
    if (changes.some((c) => c.field === 'categoryId')) set.categoryId = req.categoryId;
    if (req.customFields !== undefined && Object.keys(req.customFields).length) set.customFields = req.customFields;
    if (req.delete) set.deletedAt = now;

    const timeline: TimelineEntry[] = [
      ...changes.map((c) => ({ type: c.field === 'deleted' ? 'ticket.deleted' : `ticket.${c.field}_changed`, field: c.field, from: c.from, to: c.to })),
      ...extraTimeline,
    ];
    const res = await db.applyTicketChange({
      ticketId: t.ticketId,
      idempotencyKey: nextKey('change'),
      requestId: req.requestId,
      actor: req.actor,
      expectedVersion: t.version,
      set,
      timeline,
      sla: slaWrite(clocks, events),
    });
    s.clocks = clocks;
    s.ticket = {
      ...t,
      status,
      priority,
      groupId: set.groupId !== undefined ? set.groupId : t.groupId,
      assigneeId: set.assigneeId !== undefined ? set.assigneeId : t.assigneeId,
      assigneeLabel: res.assigneeLabel,
      tags: set.tags ?? t.tags ?? [],
      ...(set.categoryId !== undefined ? { categoryId: set.categoryId } : {}),
      version: res.version,
    };
    afterChange(changes, req, now);
    return { ticket: s.ticket, changes };
  }

  function afterChange(changes: FieldChange[], req: { actor: Actor; requestId: string }, now: number) {
    for (const c of changes) {
      if (c.field === 'status' && c.to === 'resolved' && s.policy?.autoCloseAfterSeconds != null) s.autoCloseAt = now + s.policy.autoCloseAfterSeconds * 1000;
      if (c.field === 'status' && c.from === 'resolved') s.autoCloseAt = null;
      if (c.field === 'status' && patched(FOLLOWUP_PATCH)) s.followup = onFollowupStatusChange(s.followup ?? NO_FOLLOWUP, s.policy, c.from as TicketStatus, c.to as TicketStatus, now);
      if (c.field === 'assigneeId' && c.to !== null && c.to !== req.actor.id) notify('ticket_assigned', 'assignee', req.requestId);
    }
    publishSearchAttributes();
    run.wake = true;
  }

  async function addMessage(req: AddMessageRequest): Promise<AddMessageResult> {
    const now = Date.now();
    const t = s.ticket;
    const byStaff = req.actor.role !== null && isStaff(req.actor.role);
    const isPublic = req.kind === 'public';
    let status = t.status;
    let clocks = s.clocks;
    const events: SlaEventWrite[] = [];
    const set: Parameters<TicketActivities['applyTicketChange']>[0]['set'] = {};

    if (isPublic && byStaff) {
      if (!s.firstResponded) set.firstRespondedAt = now;
      const u = stopClockNamed(clocks, 'first_response', now, s.policy);
      clocks = u.clocks;
      events.push(...u.events);
      if (t.status === 'new') status = 'open';
    } else if (isPublic && !byStaff && (t.status === 'resolved' || t.status === 'pending')) {
      status = 'open'; // the customer answered: back to the agents (reopen from resolved)
    }
    const changes: FieldChange[] = status !== t.status ? [{ field: 'status', from: t.status, to: status }] : [];
    if (status !== t.status) {
      const u = onStatusChange(clocks, s.policy, t.status, status, now);
      clocks = u.clocks;
      events.push(...u.events);
      set.status = status;
      if (t.status === 'resolved') set.resolvedAt = null;
    }
    const hasChange = changes.length > 0 || events.length > 0 || set.firstRespondedAt !== undefined;
    const res = await db.persistMessage({
      ticketId: t.ticketId,
      idempotencyKey: `${workflowId}:message:${req.idempotencyKey}`,
      requestId: req.requestId,
      actor: req.actor,
      kind: req.kind,
      channel: req.channel,
      bodyHtml: req.bodyHtml,
      bodyText: req.bodyText,
      ...(req.email ? { email: req.email } : {}),
      ...(req.heldForReview ? { heldForReview: req.heldForReview } : {}),
      // Only the activity's input grows (no new command), so histories replay unchanged.
      ...(req.attachmentIds?.length ? { attachmentIds: req.attachmentIds } : {}),
      change: hasChange
        ? {
            expectedVersion: t.version,
            set,
            timeline: changes.map((c) => ({ type: `ticket.${c.field}_changed`, field: c.field, from: c.from, to: c.to, meta: { cause: 'message' } })),
            sla: slaWrite(clocks, events),
          }
        : null,
    });
    if (set.firstRespondedAt !== undefined) s.firstResponded = true;
    s.clocks = clocks;
    s.ticket = { ...t, status, version: res.version };
    afterChange(changes, req, now);
    if (isPublic && byStaff) notify('agent_reply', 'requester', req.requestId, { messageId: res.messageId });
    if (isPublic && !byStaff) notify('customer_reply', 'assignee', req.requestId, { messageId: res.messageId });
    return { messageId: res.messageId, createdAt: res.createdAt, ticket: s.ticket, changes };
  }

  return { validateChange, applyChange, addMessage };
}

export type TicketChanges = ReturnType<typeof ticketChanges>;
