import * as wf from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  IllegalTransitionError,
  TERMINAL_STATUSES,
  canTransition,
  escapeHtml,
  initialClocks,
  isListened,
  isStaff,
  newerListeners,
  raisedPriority,
  slaStateOf,
  type SlaClock,
  type SlaClockName,
  type SlaPolicySnapshot,
  type TicketListeners,
  type TicketStatus,
} from '@mehrdesk/core/domain';
import type { EmailRecipient, EmailTemplate, RuleEventType, SendTicketEmailsFailure, SlaEventWrite, TicketActivities, TimelineEntry, WebhookActivities } from './activity-contracts';
import { webhookDelivery } from './webhook-delivery';
import { diffChange } from './change-diff';
import { escalationSteps, ruleFieldChange, ruleStatusPath } from './rule-actions';
import {
  type Actor,
  type AddMessageRequest,
  type AddMessageResult,
  addMessageUpdate,
  type CarriedState,
  type ChangeTicketRequest,
  type ChangeTicketResult,
  changeTicketUpdate,
  FAILURE,
  type FieldChange,
  policyChangedSignal,
  type RuleActionPlan,
  type ScheduledRuleMatch,
  scheduledRuleMatchedSignal,
  slaQuery,
  surveyReceivedSignal,
  type TicketLifecycleInput,
  ticketQuery,
  ticketSearchAttributes,
  type TicketSnapshot,
  webhookWorkflowId,
} from './contracts';
import { WorkflowLock } from './lock';
import { clockViews, nextWakeAt, onPolicyChange, onPriorityChange, onStatusChange, slaWrite, stopClockNamed, takeDueEvents } from './sla-tracker';
import {
  followupView,
  hasFollowupWork,
  needsSurveyPlan,
  nextFollowupAt,
  NO_FOLLOWUP,
  onFollowupPolicyChange,
  onFollowupStatusChange,
  surveyPlanned,
  takeDueFollowups,
  type FollowupDue,
} from './customer-followup';

const DB_RETRY = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' } as const;

// Database writes: quick, retried until the database is back (a ticket change must not be lost).
// Single statements and short transactions: a lost worker is noticed within 10 s.
const remoteDb = wf.proxyActivities<TicketActivities>({ startToCloseTimeout: '10 seconds', retry: DB_RETRY });

// The same activities as local activities: run inside the worker's workflow task with no task
// queue round trip through the server, which roughly halves server work per ticket event and
// lets a timer's work finish in one task. Idempotent, so a re-run after a crash is harmless.
const localDb = wf.proxyLocalActivities<TicketActivities>({ startToCloseTimeout: '10 seconds', localRetryThreshold: '10 seconds', retry: DB_RETRY });

const localHooks = wf.proxyLocalActivities<Pick<WebhookActivities, 'enqueueWebhooks'>>({ startToCloseTimeout: '10 seconds', localRetryThreshold: '10 seconds', retry: DB_RETRY });
const API_MARKS_STARTED_PATCH = 'api-marks-started-v1';
/** Webhooks arrived after tickets were already in flight: guard their new commands. */
const WEBHOOKS_PATCH = 'webhooks-v1';

/** Runs recorded before local activities keep their remote ones (decided once per run). */
const LOCAL_DB_PATCH = 'local-db-activities-v1';
/**
 * Activities that fail for good (non-retryable, or out of attempts) are recorded on the ticket
 * and the ticket carries on; before, they failed the update or, from timers and rules, the run.
 * Decided where a failure happens, so a run already waiting on such an activity takes it up.
 */
const ACTIVITY_FAILURES_PATCH = 'activity-failures-v1';

// E-mail: slower and may fail for long; back off up to an hour between tries, give up after ~1 day.
const mail = wf.proxyActivities<Pick<TicketActivities, 'sendTicketEmail' | 'sendTicketEmails'>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 hour',
    maximumAttempts: 30,
    nonRetryableErrorTypes: ['InvalidRecipient'],
  },
});

/**
 * Satisfaction surveys after a resolution and reminders while pending (customer-followup.ts)
 * arrived after tickets were already in flight: decided at each status change (and rating), so
 * a run replaying its old history keeps none, and takes them up from its next live change on.
 */
const FOLLOWUP_PATCH = 'customer-followup-v1';
// Survey and reminder e-mails: the same patience as every e-mail; the settings lookup is a quick read.
const followupMail = wf.proxyActivities<Pick<TicketActivities, 'sendSurvey' | 'sendPendingReminder'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 30, nonRetryableErrorTypes: ['InvalidRecipient'] },
});
const localFollowup = wf.proxyLocalActivities<Pick<TicketActivities, 'planSurvey'>>({ startToCloseTimeout: '10 seconds', localRetryThreshold: '10 seconds', retry: DB_RETRY });

const WORKFLOW_ACTOR: Actor = { type: 'workflow', id: null, role: null };

/** Rules triggering rules: at most this many chained evaluations per originating event. */
export const MAX_RULE_CHAIN = 5;
/** Automation arrived after tickets were already in flight: guard its new commands. */
const RULES_PATCH = 'automation-rules-v1';

interface RuleEvent {
  type: RuleEventType;
  /** Whether rules and webhook subscriptions listen to it (decided when it was queued). */
  rules: boolean;
  webhooks: boolean;
  at: number;
  previous: TicketSnapshot | null;
  clock?: SlaClockName;
  messageId?: number;
  surveyId?: number;
  requestId: string;
}

const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/** The search attribute values as one string, to tell whether Temporal already holds them. */
const attributesKey = (attrs: ReturnType<typeof ticketSearchAttributes>) => JSON.stringify(attrs.map((a) => a.value));

/**
 * One ticket's whole life (SLA clocks, escalations, auto-close, surveys, reminders,
 * notifications; docs/capabilities.md W1-W7), for tickets created from now on. It behaves as
 * every patch below applied, records no markers, upserts search attributes only when a value
 * changes, sends a new ticket's two e-mails in one activity and skips the rule and webhook
 * activities of events nothing listens to.
 */
export async function ticketWorkflow(input: TicketLifecycleInput): Promise<TicketSnapshot> {
  return runTicket(input, false);
}

/** The same life for tickets started before ticketWorkflow existed: each later change guarded by patched(), as their histories recorded. */
export async function ticketLifecycle(input: TicketLifecycleInput): Promise<TicketSnapshot> {
  return runTicket(input, true);
}

async function runTicket(input: TicketLifecycleInput, legacy: boolean): Promise<TicketSnapshot> {
  /**
   * The patches above: a legacy run asks Temporal (recording a marker); a new one was born with
   * them. A change made from now on calls wf.patched() itself, in both types.
   */
  const patched = (id: string) => !legacy || wf.patched(id);
  const db = patched(LOCAL_DB_PATCH) ? localDb : remoteDb;
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
  const ruleEvents: RuleEvent[] = [];
  const scheduledMatches: ScheduledRuleMatch[] = [];
  /** Whether anything listens to `event`; `fresh` when the event came with the caller's flag. */
  const hears = (kind: 'rules' | 'webhooks', event: string, fresh: boolean) => legacy || isListened(s.listeners, kind, event, fresh);
  const hear = (flag: TicketListeners | undefined) => {
    if (!legacy) s.listeners = newerListeners(s.listeners, flag);
  };
  /** Queue an event for rules and webhooks, unless nothing listens to it. */
  const queueRules = (ev: Omit<RuleEvent, 'at' | 'rules' | 'webhooks'>, fresh = false) => {
    const rules = hears('rules', ev.type, fresh);
    const webhooks = hears('webhooks', ev.type, fresh);
    if (!rules && !webhooks) return;
    ruleEvents.push({ ...ev, at: Date.now(), rules, webhooks });
    wake = true;
  };

  const nextKey = (what: string) => `${workflowId}:${++s.seq}:${what}`;
  const finished = () => TERMINAL_STATUSES.includes(s.ticket.status);

  /** Fire-and-track: e-mails must not delay an agent's update, but must finish before we end. */
  function notify(template: EmailTemplate, to: EmailRecipient, requestId: string, vars?: Record<string, string | number | null>) {
    const p = mail
      .sendTicketEmail({ idempotencyKey: nextKey(`mail:${template}:${typeof to === 'string' ? to : 'address'}`), requestId, ticketId: s.ticket.ticketId, template, to, vars })
      .catch(async (err: unknown) => {
        // An invalid recipient or a refused message fails once and shows on the ticket.
        if (!(await recordedFailure(err, `e-mail ${template}`, requestId))) wf.log.error('e-mail gave up', { template, to, error: String(err) });
      });
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  /** Fire-and-track several e-mails about one event in one activity. */
  function notifyAll(mails: { template: EmailTemplate; to: EmailRecipient }[], requestId: string) {
    const p = mail
      .sendTicketEmails({ requestId, ticketId: s.ticket.ticketId, mails: mails.map((m) => ({ ...m, idempotencyKey: nextKey(`mail:${m.template}:${typeof m.to === 'string' ? m.to : 'address'}`) })) })
      .then(() => undefined)
      .catch(async (err: unknown) => {
        const failed = err instanceof wf.ActivityFailure && err.cause instanceof wf.ApplicationFailure ? (err.cause.details?.[0] as SendTicketEmailsFailure | undefined)?.templates : undefined;
        const templates = (failed ?? mails.map((m) => m.template)).join(', ');
        if (!(await recordedFailure(err, `e-mail ${templates}`, requestId))) wf.log.error('e-mails gave up', { templates, error: String(err) });
      });
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  /** Fire-and-track a follow-up e-mail: a failure that retrying cannot fix is recorded, never fatal. */
  function track(work: Promise<unknown>, context: string, requestId: string) {
    const p = work.catch(async (err: unknown) => {
      if (!(await recordedFailure(err, context, requestId))) wf.log.error('follow-up gave up', { context, error: String(err) });
    });
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  function publishSearchAttributes() {
    const attrs = ticketSearchAttributes(s.ticket, slaStateOf(s.clocks));
    if (!legacy) {
      const key = attributesKey(attrs);
      if (key === s.published) return;
      s.published = key;
    }
    wf.upsertSearchAttributes(attrs);
  }

  function refuse(type: string, message: string): never {
    throw wf.ApplicationFailure.create({ type, message, nonRetryable: true });
  }

  /**
   * The activity behind an error when Temporal gave up on it (non-retryable, or out of
   * attempts). Remote activities fail as an ActivityFailure around the cause; local ones hand
   * the workflow their non-retryable ApplicationFailure itself (the worker names the activity
   * in its details). The workflow's own refusals are not activity failures.
   */
  function gaveUp(err: unknown): { activity: string; type: string; message: string } | null {
    if (err instanceof wf.ActivityFailure) {
      const cause = err.cause;
      return {
        activity: err.activityType,
        type: cause instanceof wf.ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : (cause?.name ?? 'ActivityFailure'),
        message: cause?.message ?? err.message,
      };
    }
    if (err instanceof wf.ApplicationFailure && err.nonRetryable && !(Object.values(FAILURE) as string[]).includes(err.type ?? '')) {
      const named = err.details?.[0] as { activity?: unknown } | undefined;
      return { activity: typeof named?.activity === 'string' ? named.activity : 'unknown', type: err.type ?? 'ApplicationFailure', message: err.message };
    }
    return null;
  }

  /**
   * Record an activity failure that retrying cannot fix (ticket timeline, the ops table and
   * metric, an error log line) and report true, so the caller can carry on; false for any other
   * error, which the caller rethrows.
   */
  async function recordedFailure(err: unknown, context: string, requestId: string): Promise<boolean> {
    const f = gaveUp(err);
    if (!f || !patched(ACTIVITY_FAILURES_PATCH)) return false;
    wf.log.error('activity failed for good; recorded on the ticket', { ...f, context, ticketId: s.ticket.ticketId });
    try {
      await db.recordActivityFailure({ ticketId: s.ticket.ticketId, idempotencyKey: nextKey('failure'), requestId, context, activity: f.activity, errorType: f.type, message: f.message });
    } catch (recordErr) {
      wf.log.error('could not record the activity failure', { error: String(recordErr) });
    }
    return true;
  }

  /** Background work (timers, rules, signals): a permanent failure is recorded and the ticket goes on. */
  async function carryOn(context: string, requestId: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (!(await recordedFailure(err, context, requestId))) throw err;
    }
  }

  /** An update's writes: a permanent failure is recorded and the update refused with a clear reason. */
  async function orRefuse<T>(context: string, requestId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (await recordedFailure(err, context, requestId))
        refuse(FAILURE.notStored, `Ticket ${s.ticket.number}: the ${context} could not be stored (${gaveUp(err)!.type}: ${gaveUp(err)!.message}); this is recorded on the ticket's timeline`);
      throw err;
    }
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

  async function escalate(kind: 'warning' | 'breach', clock: SlaClockName, requestId: string) {
    const steps = escalationSteps(s.policy, kind, clock);
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
          await applyChange({ actor: WORKFLOW_ACTOR, requestId, groupId: target, assigneeId: pick?.userId ?? null });
          break;
        }
      }
    }
  }

  /** Record deliveries for the subscribers of an event and start one delivery workflow each. */
  async function emitWebhooks(event: string, requestId: string, extra: { subscriptionIds?: number[]; rule?: { id: number; version: number; name: string } } = {}) {
    if (!patched(WEBHOOKS_PATCH)) return;
    const enqueued = await localHooks.enqueueWebhooks({ ticketId: s.ticket.ticketId, event, eventKey: nextKey(`hook:${event}`), requestId, ...extra, ...(legacy ? {} : { startDeliveries: true }) });
    if (enqueued.started) return;
    const start = (deliveryId: string) =>
      wf
        .startChild(webhookDelivery, {
          workflowId: webhookWorkflowId(deliveryId),
          args: [{ deliveryId, run: 0, retry: enqueued.retry }],
          // Deliveries retry for hours: they must outlive a ticket that closes meanwhile.
          parentClosePolicy: 'ABANDON',
        })
        .catch((err: unknown) => {
          // Already started by an earlier attempt of this task: nothing to do.
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        });
    // Legacy runs started them one after the other, as their histories recorded.
    if (legacy) for (const id of enqueued.deliveryIds) await start(id);
    else await Promise.all(enqueued.deliveryIds.map(start));
  }

  const ruleActor = (p: { ruleId: number; version: number; name: string }): Actor => ({ type: 'rule', id: null, role: null, rule: { id: p.ruleId, version: p.version, name: p.name } });

  /** Apply one rule's actions as the workflow's own transitions; each lands in the timeline "by rule". */
  async function applyRuleActions(p: { ruleId: number; version: number; name: string; actions: RuleActionPlan[] }, requestId: string) {
    const actor = ruleActor(p);
    for (const a of p.actions) {
      if (finished()) return;
      await carryOn(`rule ${p.ruleId} ${a.type}`, requestId, () => applyRuleAction(a, actor, p, requestId));
    }
  }

  async function applyRuleAction(a: RuleActionPlan, actor: Actor, p: { ruleId: number; version: number; name: string }, requestId: string) {
    const t = s.ticket;
    const fields = ruleFieldChange(a, t);
    if (fields) {
      await applyChange({ actor, requestId, ...fields });
      return;
    }
    switch (a.type) {
      case 'set_status':
      case 'close': {
        const path = ruleStatusPath(a, t.status);
        if (a.type === 'set_status' && path.length === 0 && a.params.status !== t.status)
          wf.log.warn('rule asked for an illegal transition; skipped', { rule: p.ruleId, from: t.status, to: a.params.status });
        for (const status of path) await applyChange({ actor, requestId, status });
        break;
      }
      case 'assign_group': {
        const pick = await db.pickAssignee({ groupId: a.params.groupId, excludeUserIds: [], requestId });
        await applyChange({ actor, requestId, groupId: a.params.groupId, assigneeId: pick?.userId ?? null });
        break;
      }
      case 'add_note':
        await db.persistMessage({
          ticketId: t.ticketId,
          idempotencyKey: nextKey('rule-note'),
          requestId,
          actor,
          kind: 'internal',
          channel: 'web',
          bodyHtml: `<p>${escapeHtml(a.params.body)}</p>`,
          bodyText: a.params.body,
          change: null,
        });
        break;
      case 'send_email':
        notify(a.params.template as EmailTemplate, a.params.to, requestId, { rule: p.name });
        break;
      case 'escalate': {
        const target = a.params.groupId ?? (t.groupId === null ? null : await db.escalationGroupOf({ groupId: t.groupId }));
        if (target !== null && target !== t.groupId) {
          const pick = await db.pickAssignee({ groupId: target, excludeUserIds: t.assigneeId === null ? [] : [t.assigneeId], requestId });
          await applyChange({ actor, requestId, groupId: target, assigneeId: pick?.userId ?? null });
        }
        notify('sla_breach', 'supervisor', requestId, { rule: p.name });
        break;
      }
      case 'call_webhook':
        await emitWebhooks('rule.action', requestId, { subscriptionIds: [a.params.subscriptionId], rule: actor.rule! });
        break;
    }
  }

  /** Evaluate rules for one event, apply what matched, and follow the chain it causes (bounded). */
  async function runRules(ev: RuleEvent) {
    const chainKey = nextKey(`rules:${ev.type}`);
    const fired = new Set<number>();
    let event = ev;
    for (let depth = 0; ; depth++) {
      if (depth >= MAX_RULE_CHAIN) {
        await db.recordRuleChainLimit({ ticketId: s.ticket.ticketId, chainKey, depth, firedRuleIds: [...fired], requestId: ev.requestId });
        return;
      }
      const before = s.ticket;
      const { planned } = await db.evaluateRules({
        ticketId: s.ticket.ticketId,
        requestId: ev.requestId,
        event: {
          type: event.type,
          at: event.at,
          ...(event.clock ? { clock: event.clock } : {}),
          ...(event.messageId ? { messageId: event.messageId } : {}),
          ...(event.surveyId ? { surveyId: event.surveyId } : {}),
        },
        previous: event.previous,
        chainKey,
        chainDepth: depth,
        skipRuleIds: [...fired],
      });
      for (const p of planned) {
        fired.add(p.ruleId);
        await applyRuleActions(p, ev.requestId);
      }
      if (finished() || s.ticket.version === before.version) return;
      event = { ...event, type: 'ticket.updated', at: Date.now(), previous: before, requestId: ev.requestId };
    }
  }

  async function processRuleQueues() {
    while (scheduledMatches.length) {
      const m = scheduledMatches.shift()!;
      const key = `${m.ruleId}:${m.windowKey}`;
      if ((s.ruleWindows ??= []).includes(key) || finished()) continue;
      s.ruleWindows = [...s.ruleWindows.slice(-199), key];
      const before = s.ticket;
      await applyRuleActions(m, `${workflowId}:schedule:${m.ruleId}`);
      // Processed in this same pass (below), so no wake-up: histories recorded this way replay.
      if (s.ticket.version !== before.version)
        ruleEvents.push({ type: 'ticket.updated', at: Date.now(), previous: before, requestId: `${workflowId}:schedule:${m.ruleId}`, rules: true, webhooks: true });
    }
    while (ruleEvents.length) {
      const ev = ruleEvents.shift()!;
      if (ev.webhooks) await emitWebhooks(ev.type, ev.requestId);
      if (ev.rules && !finished()) await runRules(ev);
    }
  }

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
        if (patched(RULES_PATCH)) queueRules({ type: d.kind === 'warning' ? 'sla.warning' : 'sla.breached', clock: d.clock, previous: before, requestId });
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
        if (patched(RULES_PATCH)) queueRules({ type: 'ticket.updated', previous: before, requestId });
        break;
      }
    }
  }

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
        hear(req.listeners);
        const before = s.ticket;
        const result = await orRefuse('change', req.requestId, () => applyChange(req));
        if (result.changes.length && !finished() && patched(RULES_PATCH)) queueRules({ type: 'ticket.updated', previous: before, requestId: req.requestId }, req.listeners !== undefined);
        return result;
      }),
    { validator: validateChange },
  );
  wf.setHandler(
    addMessageUpdate,
    (req) =>
      lock.run(async () => {
        if (finished()) refuse(FAILURE.ticketFinished, `Ticket ${s.ticket.number} is ${s.ticket.status}; replies are not accepted`);
        hear(req.listeners);
        const before = s.ticket;
        const result = await orRefuse('message', req.requestId, () => addMessage(req));
        // Held mail is not part of the conversation yet: rules see it once staff publish it.
        if (!req.heldForReview && patched(RULES_PATCH)) queueRules({ type: 'message.received', previous: before, messageId: result.messageId, requestId: req.requestId }, req.listeners !== undefined);
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
      wake = true;
    });
  });

  wf.setHandler(scheduledRuleMatchedSignal, (m: ScheduledRuleMatch) => {
    scheduledMatches.push(m);
    wake = true;
  });

  // The API stored the first rating of a survey: rules listening to survey.received run now.
  wf.setHandler(surveyReceivedSignal, ({ surveyId, requestId, listeners }) => {
    if (finished() || !patched(FOLLOWUP_PATCH)) return;
    hear(listeners);
    queueRules({ type: 'survey.received', previous: null, surveyId, requestId }, listeners !== undefined);
  });

  if (!s.createdNotified) {
    s.createdNotified = true;
    hear(input.listeners);
    // The starter set the search attributes of a new ticket with an "ok" SLA state.
    if (!legacy) s.published = attributesKey(ticketSearchAttributes(s.ticket, 'ok'));
    publishSearchAttributes();
    // Whoever starts the workflow records that it runs; runs from before kept doing it here.
    if (!patched(API_MARKS_STARTED_PATCH)) await db.markWorkflowStarted({ ticketId: s.ticket.ticketId });
    const mails: { template: EmailTemplate; to: EmailRecipient }[] = [{ template: 'ticket_created', to: 'requester' }];
    if (s.ticket.assigneeId !== null) mails.push({ template: 'ticket_assigned', to: 'assignee' });
    if (legacy) for (const m of mails) notify(m.template, m.to, input.requestId);
    else notifyAll(mails, input.requestId);
    if (patched(RULES_PATCH)) queueRules({ type: 'ticket.created', previous: null, requestId: input.requestId }, input.listeners !== undefined);
  }

  while (!finished()) {
    const wakeAt = earliest(nextWakeAt(s.clocks, s.autoCloseAt), s.followup ? nextFollowupAt(s.followup) : null);
    const suggested = () => wf.workflowInfo().continueAsNewSuggested || (input.historyLimit !== undefined && wf.workflowInfo().historyLength > input.historyLimit);
    const woke = () => wake || finished() || ruleEvents.length > 0 || scheduledMatches.length > 0 || (suggested() && !lock.isHeld);
    if (wakeAt === null) await wf.condition(woke);
    else await wf.condition(woke, Math.max(1, wakeAt - Date.now()));
    wake = false;
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
