import * as wf from '@temporalio/workflow';
import {
  IllegalTransitionError,
  TERMINAL_STATUSES,
  canTransition,
  initialClocks,
  isStaff,
  raisedPriority,
  slaStateOf,
  type EscalationStep,
  type SlaClock,
  type SlaClockName,
  type SlaPolicySnapshot,
} from '@mehrdesk/core/domain';
import type { EmailRecipient, EmailTemplate, SlaEventWrite, TicketActivities, TimelineEntry } from './activity-contracts';
import {
  FAILURE,
  addMessageUpdate,
  changeTicketUpdate,
  policyChangedSignal,
  slaQuery,
  ticketAssigneeKey,
  ticketGroupKey,
  ticketNumberKey,
  ticketPriorityKey,
  ticketQuery,
  ticketSlaStateKey,
  ticketStatusKey,
  type Actor,
  type AddMessageRequest,
  type AddMessageResult,
  type CarriedState,
  type ChangeTicketRequest,
  type ChangeTicketResult,
  type FieldChange,
  type TicketLifecycleInput,
  type TicketSnapshot,
} from './contracts';
import { WorkflowLock } from './lock';
import {
  clockViews,
  nextWakeAt,
  onPolicyChange,
  onPriorityChange,
  onStatusChange,
  slaWrite,
  stopClockNamed,
  takeDueEvents,
} from './sla-tracker';

// Database writes: quick, retried until the database is back (a ticket change must not be lost).
const db = wf.proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// E-mail: slower and may fail for long; back off up to an hour between tries, give up after ~1 day.
const mail = wf.proxyActivities<Pick<TicketActivities, 'sendTicketEmail'>>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 hour',
    maximumAttempts: 30,
    nonRetryableErrorTypes: ['InvalidRecipient'],
  },
});

const WORKFLOW_ACTOR: Actor = { type: 'workflow', id: null, role: null };

/** One ticket's whole life: SLA clocks, escalations, auto-close, notifications (W1-W7). */
export async function ticketLifecycle(input: TicketLifecycleInput): Promise<TicketSnapshot> {
  const { workflowId } = wf.workflowInfo();
  const s: CarriedState = input.carried ?? {
    ticket: input.ticket,
    clocks: initialClocks(input.policy, input.ticket.priority, input.createdAt),
    policy: input.policy,
    autoCloseAt: null,
    seq: 0,
    createdNotified: false,
    firstResponded: false,
  };
  const lock = new WorkflowLock();
  const background = new Set<Promise<unknown>>();
  let wake = false;

  const nextKey = (what: string) => `${workflowId}:${++s.seq}:${what}`;
  const finished = () => TERMINAL_STATUSES.includes(s.ticket.status);

  /** Fire-and-track: e-mails must not delay an agent's update, but must finish before we end. */
  function notify(template: EmailTemplate, to: EmailRecipient, requestId: string, vars?: Record<string, string | number | null>) {
    const p = mail
      .sendTicketEmail({ idempotencyKey: nextKey(`mail:${template}:${to}`), requestId, ticketId: s.ticket.ticketId, template, to, vars })
      .catch((err: unknown) => wf.log.error('e-mail gave up', { template, to, error: String(err) }));
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  function publishSearchAttributes() {
    wf.upsertSearchAttributes([
      { key: ticketNumberKey, value: s.ticket.number },
      { key: ticketStatusKey, value: s.ticket.status },
      { key: ticketPriorityKey, value: s.ticket.priority },
      { key: ticketAssigneeKey, value: s.ticket.assigneeLabel },
      { key: ticketGroupKey, value: s.ticket.groupId === null ? '' : String(s.ticket.groupId) },
      { key: ticketSlaStateKey, value: slaStateOf(s.clocks) },
    ]);
  }

  function refuse(type: string, message: string): never {
    throw wf.ApplicationFailure.create({ type, message, nonRetryable: true });
  }

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
  async function applyChange(req: ChangeTicketRequest, extraEvents: SlaEventWrite[] = []): Promise<ChangeTicketResult> {
    const now = Date.now();
    const t = s.ticket;
    const changes: FieldChange[] = [];
    if (req.status !== undefined && req.status !== t.status) changes.push({ field: 'status', from: t.status, to: req.status });
    if (req.priority !== undefined && req.priority !== t.priority) changes.push({ field: 'priority', from: t.priority, to: req.priority });
    if (req.assigneeId !== undefined && req.assigneeId !== t.assigneeId) changes.push({ field: 'assigneeId', from: t.assigneeId, to: req.assigneeId });
    if (req.groupId !== undefined && req.groupId !== t.groupId) changes.push({ field: 'groupId', from: t.groupId, to: req.groupId });
    const tags = req.tags === undefined ? undefined : [...new Set(req.tags)].sort();
    if (tags !== undefined && tags.join('\n') !== (t.tags ?? []).join('\n')) changes.push({ field: 'tags', from: t.tags ?? [], to: tags });
    if (req.delete) {
      changes.push({ field: 'deleted', from: false, to: true });
      // Deletion cancels whatever the status was (an admin action, not a workflow transition).
      if (t.status !== 'cancelled') changes.push({ field: 'status', from: t.status, to: 'cancelled' });
      req = { ...req, status: 'cancelled' };
    }
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
    if (req.delete) set.deletedAt = now;

    const timeline: TimelineEntry[] = changes.map((c) => ({ type: c.field === 'deleted' ? 'ticket.deleted' : `ticket.${c.field}_changed`, field: c.field, from: c.from, to: c.to }));
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
    s.ticket = { ...t, status, priority, groupId: set.groupId !== undefined ? set.groupId : t.groupId, assigneeId: set.assigneeId !== undefined ? set.assigneeId : t.assigneeId, assigneeLabel: res.assigneeLabel, tags: set.tags ?? t.tags ?? [], version: res.version };
    afterChange(changes, req, now);
    return { ticket: s.ticket, changes };
  }

  function afterChange(changes: FieldChange[], req: { actor: Actor; requestId: string }, now: number) {
    for (const c of changes) {
      if (c.field === 'status' && c.to === 'resolved' && s.policy?.autoCloseAfterSeconds != null)
        s.autoCloseAt = now + s.policy.autoCloseAfterSeconds * 1000;
      if (c.field === 'status' && c.from === 'resolved') s.autoCloseAt = null;
      if (c.field === 'assigneeId' && c.to !== null && c.to !== req.actor.id) notify('ticket_assigned', 'assignee', req.requestId);
    }
    publishSearchAttributes();
    wake = true;
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

  async function escalate(kind: 'warning' | 'breach', clock: SlaClockName, requestId: string) {
    const steps = (s.policy?.escalation ?? []).filter((st: EscalationStep) => st.on === kind && (st.clock === 'any' || st.clock === clock));
    const template: EmailTemplate = kind === 'warning' ? 'sla_warning' : 'sla_breach';
    const vars = { clock };
    for (const step of steps) {
      switch (step.action) {
        case 'notify_assignee':
          notify(template, 'assignee', requestId, vars);
          break;
        case 'notify_supervisor':
          notify(template, 'supervisor', requestId, vars);
          break;
        case 'raise_priority': {
          const next = raisedPriority(s.ticket.priority);
          if (next !== s.ticket.priority) await applyChange({ actor: WORKFLOW_ACTOR, requestId, priority: next });
          break;
        }
        case 'reassign_to_escalation_group': {
          if (s.ticket.groupId === null) break;
          const target = await db.escalationGroupOf({ groupId: s.ticket.groupId });
          if (target === null || target === s.ticket.groupId) break;
          const exclude = s.ticket.assigneeId === null ? [] : [s.ticket.assigneeId];
          const pick = await db.pickAssignee({ groupId: target, excludeUserIds: exclude, requestId });
          await applyChange({ actor: WORKFLOW_ACTOR, requestId, groupId: target, assigneeId: pick?.userId ?? null, assigneeLabel: pick?.label ?? '' });
          break;
        }
      }
    }
  }

  /** Timer work: fire due warnings/breaches exactly once each, then auto-close. */
  async function processDue() {
    const now = Date.now();
    const requestId = `${workflowId}:timer`;
    const { clocks, due, events } = takeDueEvents(s.clocks, now);
    if (due.length > 0) {
      await db.recordSla({ ticketId: s.ticket.ticketId, idempotencyKey: nextKey('sla'), requestId, sla: slaWrite(clocks, events) });
      s.clocks = clocks;
      publishSearchAttributes();
      for (const d of due) await escalate(d.kind, d.clock, requestId);
    }
    if (s.autoCloseAt !== null && now >= s.autoCloseAt && s.ticket.status === 'resolved') {
      s.autoCloseAt = null;
      await applyChange({ actor: WORKFLOW_ACTOR, requestId, status: 'closed' });
      notify('ticket_closed', 'requester', requestId);
    }
  }

  wf.setHandler(ticketQuery, () => s.ticket);
  wf.setHandler(slaQuery, () => ({ ticket: s.ticket, state: slaStateOf(s.clocks), policy: s.policy, clocks: clockViews(s.clocks), autoCloseAt: s.autoCloseAt }));
  wf.setHandler(changeTicketUpdate, (req) => lock.run(async () => {
    validateChange(req); // again under the lock: another update may have run since validation
    return applyChange(req);
  }), { validator: validateChange });
  wf.setHandler(addMessageUpdate, (req) => lock.run(async () => {
    if (finished()) refuse(FAILURE.ticketFinished, `Ticket ${s.ticket.number} is ${s.ticket.status}; replies are not accepted`);
    return addMessage(req);
  }), {
    validator: (req) => {
      if (finished()) refuse(FAILURE.ticketFinished, `Ticket ${s.ticket.number} is ${s.ticket.status}; replies are not accepted`);
      if (req.kind === 'internal' && (req.actor.role === null || !isStaff(req.actor.role))) refuse(FAILURE.invalidRequest, 'Only staff can add internal notes');
    },
  });
  wf.setHandler(policyChangedSignal, ({ policy }: { policy: SlaPolicySnapshot }) => {
    void lock.run(async () => {
      const now = Date.now();
      const clocks: SlaClock[] = onPolicyChange(s.clocks, s.policy, policy, s.ticket.priority, now);
      await db.recordSla({ ticketId: s.ticket.ticketId, idempotencyKey: nextKey('policy'), requestId: `${workflowId}:policy`, sla: slaWrite(clocks, []) });
      s.policy = policy;
      s.clocks = clocks;
      wake = true;
    });
  });

  if (!s.createdNotified) {
    s.createdNotified = true;
    publishSearchAttributes();
    await db.markWorkflowStarted({ ticketId: s.ticket.ticketId });
    notify('ticket_created', 'requester', input.requestId);
    if (s.ticket.assigneeId !== null) notify('ticket_assigned', 'assignee', input.requestId);
  }

  while (!finished()) {
    const wakeAt = nextWakeAt(s.clocks, s.autoCloseAt);
    const suggested = () => wf.workflowInfo().continueAsNewSuggested || (input.historyLimit !== undefined && wf.workflowInfo().historyLength > input.historyLimit);
    const woke = () => wake || finished() || (suggested() && !lock.isHeld);
    if (wakeAt === null) await wf.condition(woke);
    else await wf.condition(woke, Math.max(1, wakeAt - Date.now()));
    wake = false;
    if (!finished()) await lock.run(processDue);
    if (!finished() && suggested()) {
      await wf.condition(() => wf.allHandlersFinished() && !lock.isHeld);
      await Promise.all([...background]);
      await wf.continueAsNew<typeof ticketLifecycle>({ ...input, carried: s });
    }
  }
  await wf.condition(wf.allHandlersFinished);
  await Promise.all([...background]);
  return s.ticket;
}
