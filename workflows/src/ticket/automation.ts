import * as wf from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { escapeHtml, raisedPriority, type SlaClockName } from '@mehrdesk/core/domain';
import type { EmailTemplate } from '../activity-contracts';
import { webhookWorkflowId, type Actor, type RuleActionPlan } from '../contracts';
import { escalationSteps, ruleFieldChange, ruleStatusPath } from '../rule-actions';
import { webhookDelivery } from '../webhook-delivery';
import { localHooks } from './activities';
import type { TicketChanges } from './changes';
import type { Failures } from './failures';
import type { Notifications } from './notify';
import { WEBHOOKS_PATCH } from './patches';
import { WORKFLOW_ACTOR, type RuleEvent, type TicketRun } from './run';

// What happens on its own when something happens to a ticket: SLA escalation steps, webhook
// deliveries, and automation rules (their actions applied as the workflow's own changes).

/** Rules triggering rules: at most this many chained evaluations per originating event. */
export const MAX_RULE_CHAIN = 5;

export function automation(run: TicketRun, failures: Failures, notes: Notifications, changes: TicketChanges) {
  const { s, db, legacy, patched, nextKey, finished, ruleEvents, scheduledMatches, workflowId } = run;
  const { carryOn } = failures;
  const { notify } = notes;
  const { applyChange } = changes;

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

  /**
   * The key a webhook event's delivery ids derive from. The local activity that enqueues them
   * runs inside the workflow task, so a task that dies after it (a killed worker) is retried
   * later, at another workflow time, when more (or other) events may come first: a key from the
   * run's one sequence then differs, and one event went out under two ids (docs/chaos.md,
   * finding 2). Counting per kind of event (type, SLA clock, rule) gives the same event the same
   * key however the events around it are ordered. The sequence number is still taken, so every
   * later key of the run keeps its number.
   */
  function hookKey(event: string, clock: SlaClockName | undefined, ruleId: number | undefined): string {
    const sequenced = nextKey(`hook:${event}`);
    if (legacy) return sequenced;
    const kind = [event, clock ?? '', ruleId ?? ''].join(':');
    const n = ((s.hookSeq ??= {})[kind] ?? 0) + 1;
    s.hookSeq[kind] = n;
    return `${workflowId}:hook:${kind}:${n}`;
  }

  /** Record deliveries for the subscribers of an event and start one delivery workflow each. */
  async function emitWebhooks(event: string, requestId: string, extra: { subscriptionIds?: number[]; rule?: { id: number; version: number; name: string } } = {}, clock?: SlaClockName) {
    if (!patched(WEBHOOKS_PATCH)) return;
    const eventKey = hookKey(event, clock, extra.rule?.id);
    const enqueued = await localHooks.enqueueWebhooks({ ticketId: s.ticket.ticketId, event, eventKey, requestId, ...extra, ...(legacy ? {} : { startDeliveries: true }) });
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
      if (ev.webhooks) await emitWebhooks(ev.type, ev.requestId, {}, ev.clock);
      if (ev.rules && !finished()) await runRules(ev);
    }
  }

  return { escalate, emitWebhooks, applyRuleActions, runRules, processRuleQueues };
}

export type Automation = ReturnType<typeof automation>;
