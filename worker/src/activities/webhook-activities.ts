import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Transporter } from 'nodemailer';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { WebhookActivities, WebhookRetrySettings } from '@mehrdesk/workflows/activity-contracts';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE, webhookWorkflowId } from '@mehrdesk/workflows/contracts';
import { deliverWebhook } from '../webhooks/deliver';
import { webhookRetrySettings } from '@mehrdesk/usecases/webhooks/retry';
import { pgArray } from '@mehrdesk/core/db';
import { LISTENING_SUBSCRIPTION } from '@mehrdesk/core/services/ticket-listeners';

// Webhook deliveries (C4/W6). A delivery row per (event, subscription) with a stable id that
// receivers de-duplicate on; every HTTP try is an attempt row (the delivery log); retries and
// backoff are Temporal's, driven by the failure type thrown here.

export interface WebhookDeps {
  orm: MikroORM;
  mailer: Transporter;
  config: Config;
  log: Logger;
  /** Starts delivery workflows for ticketWorkflow runs; without it they start them as children. */
  temporal?: Client;
}

interface TicketPayloadRow {
  id: number;
  number: string;
  subject: string;
  status: string;
  priority: string;
  source: string;
  group_id: number | null;
  assignee_id: number | null;
  category_id: number | null;
  tags: string[];
  sla_state: string;
  requester_email: string;
  created_at: Date;
  updated_at: Date;
}

export function createWebhookActivities(deps: WebhookDeps): WebhookActivities {
  const { orm, config } = deps;
  return {
    async enqueueWebhooks(input) {
      const em = orm.em.fork();
      const retry = webhookRetrySettings(config);
      const subs = input.subscriptionIds
        ? await em.execute<{ id: number }[]>(`select id from webhook_subscriptions where ${LISTENING_SUBSCRIPTION} and id = any(?::int[])`, [pgArray(input.subscriptionIds)])
        : await em.execute<{ id: number }[]>(`select id from webhook_subscriptions where ${LISTENING_SUBSCRIPTION} and ? = any(events)`, [input.event]);
      if (subs.length === 0) return { deliveryIds: [], retry };
      const [t] = await em.execute<TicketPayloadRow[]>(
        `select t.id, t.number, t.subject, t.status, t.priority, t.source, t.group_id, t.assignee_id, t.category_id, t.tags, t.sla_state, u.email as requester_email, t.created_at, t.updated_at
           from tickets t join users u on u.id = t.requester_id where t.id = ?`,
        [input.ticketId],
      );
      if (!t) return { deliveryIds: [], retry };
      const deliveryIds: string[] = [];
      for (const sub of subs) {
        // Deterministic id: a retried activity finds the same row instead of making a second one.
        const id = `whd_${createHash('sha256').update(`${input.eventKey}:${sub.id}`).digest('hex').slice(0, 32)}`;
        const payload = {
          id,
          event: input.event,
          occurredAt: new Date().toISOString(),
          ...(input.rule ? { rule: input.rule } : {}),
          ticket: {
            id: t.id,
            number: t.number,
            subject: t.subject,
            status: t.status,
            priority: t.priority,
            source: t.source,
            groupId: t.group_id,
            assigneeId: t.assignee_id,
            categoryId: t.category_id,
            tags: t.tags,
            slaState: t.sla_state,
            requesterEmail: t.requester_email,
            createdAt: new Date(t.created_at).toISOString(),
            updatedAt: new Date(t.updated_at).toISOString(),
          },
        };
        await em.execute(
          `insert into webhook_deliveries (id, subscription_id, ticket_id, event_type, payload, status, attempts, created_at)
           values (?, ?, ?, ?, ?::jsonb, 'pending', 0, now()) on conflict (id) do nothing`,
          [id, sub.id, t.id, input.event, JSON.stringify(payload)],
        );
        deliveryIds.push(id);
      }
      if (!input.startDeliveries || !deps.temporal) return { deliveryIds, retry };
      // Started here, not as children of the ticket's workflow: its history (and its work) stays
      // the same however many subscribers an event has, and all deliveries start at once.
      await startDeliveries(deps.temporal, Context.current().info.taskQueue, deliveryIds, retry);
      return { deliveryIds, retry, started: true };
    },

    async attemptWebhookDelivery({ deliveryId, run, attemptsBefore = 0 }) {
      const em = orm.em.fork();
      // Attempts number on across a run's first try (a local activity) and its retried activity.
      const attempt = attemptsBefore + Context.current().info.attempt;
      const [d] = await em.execute<{ payload: unknown; event_type: string; url: string; secret: string; active: boolean; deleted_at: Date | null; status: string }[]>(
        `select d.payload, d.event_type, d.status, s.url, s.secret, s.active, s.deleted_at
           from webhook_deliveries d join webhook_subscriptions s on s.id = d.subscription_id where d.id = ?`,
        [deliveryId],
      );
      if (!d) throw ApplicationFailure.nonRetryable(`delivery ${deliveryId} does not exist`, 'WebhookGone');
      if (!d.active || d.deleted_at) throw ApplicationFailure.nonRetryable('the subscription is disabled or deleted', 'WebhookGone');
      const body = JSON.stringify(d.payload);
      const out = await deliverWebhook({
        url: d.url,
        secret: d.secret,
        deliveryId,
        event: d.event_type,
        body,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
        nowSec: Math.floor(Date.now() / 1000),
      });
      await em.transactional(async (tx) => {
        await tx.execute(`insert into webhook_attempts (delivery_id, run, attempt, outcome, status_code, latency_ms, response_excerpt, error, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, now())`, [
          deliveryId,
          run,
          attempt,
          out.outcome,
          out.statusCode,
          Math.round(out.latencyMs),
          out.responseExcerpt,
          out.error,
        ]);
        await tx.execute(
          `update webhook_deliveries set attempts = attempts + 1, last_status_code = ?, last_latency_ms = ?, last_error = ?,
                  status = case when ? then 'succeeded' else status end, completed_at = case when ? then now() else completed_at end
            where id = ?`,
          [out.statusCode, Math.round(out.latencyMs), out.error, out.outcome === 'success', out.outcome === 'success', deliveryId],
        );
        if (out.outcome === 'success')
          await tx.execute('update webhook_subscriptions set consecutive_failures = 0 where id = (select subscription_id from webhook_deliveries where id = ?)', [deliveryId]);
      });
      const log = deps.log.child({ deliveryId, run, attempt, workflowId: Context.current().info.workflowExecution?.workflowId });
      if (out.outcome === 'success') {
        log.info({ status: out.statusCode, ms: out.latencyMs }, 'webhook delivered');
        return { statusCode: out.statusCode };
      }
      const message = out.error ?? `HTTP ${out.statusCode}`;
      log.warn({ status: out.statusCode, outcome: out.outcome, error: out.error }, 'webhook attempt failed');
      if (out.outcome === 'retryable') throw ApplicationFailure.retryable(message, 'WebhookRetryable');
      throw ApplicationFailure.nonRetryable(message, out.outcome === 'refused' ? 'WebhookRefused' : 'WebhookPermanent');
    },

    async failWebhookDelivery({ deliveryId, reason }) {
      const em = orm.em.fork();
      const disabled = await em.transactional(async (tx) => {
        const [d] = await tx.execute<{ subscription_id: number; status: string }[]>(`select subscription_id, status from webhook_deliveries where id = ? for update`, [deliveryId]);
        if (!d || d.status === 'failed') return null; // already recorded (activity retry)
        await tx.execute(`update webhook_deliveries set status = 'failed', completed_at = now(), last_error = ? where id = ?`, [reason, deliveryId]);
        const [s] = await tx.execute<{ id: number; name: string; url: string; consecutive_failures: number; active: boolean }[]>(
          'update webhook_subscriptions set consecutive_failures = consecutive_failures + 1 where id = ? returning id, name, url, consecutive_failures, active',
          [d.subscription_id],
        );
        if (!s || !s.active || s.consecutive_failures < config.WEBHOOK_DISABLE_AFTER) return null;
        const why = `Disabled after ${s.consecutive_failures} failed deliveries in a row; last: ${reason}`.slice(0, 500);
        await tx.execute('update webhook_subscriptions set active = false, disabled_at = now(), disabled_reason = ? where id = ?', [why, s.id]);
        return { ...s, why };
      });
      if (disabled) await notifyAdmins(deps, disabled);
    },
  };
}

/** Tell the admins a subscription was switched off (once per disabling). */
async function notifyAdmins(deps: WebhookDeps, s: { id: number; name: string; url: string; why: string }) {
  const em = deps.orm.em.fork();
  const admins = await em.execute<{ email: string }[]>(`select email from users where role = 'admin' and active order by id`);
  const subject = `Webhook "${s.name}" was disabled`;
  const text = `${s.why}\n\nURL: ${s.url}\nRe-enable it in the admin console (PATCH /api/v1/webhooks/${s.id} {"active": true}) once the receiver works again.`;
  for (const a of admins) {
    const key = `webhook-disabled:${s.id}:${Date.now()}:${a.email}`;
    await em.execute(
      `insert into email_log (idempotency_key, ticket_id, template, to_address, subject, message_id, status, attempts, created_at) values (?, null, 'webhook_disabled', ?, ?, ?, 'sending', 1, now())`,
      [key, a.email, subject, `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@mehrdesk>`],
    );
    await deps.mailer.sendMail({ from: deps.config.MAIL_FROM, to: a.email, subject, text, headers: { 'Auto-Submitted': 'auto-generated' } });
    await em.execute(`update email_log set status = 'sent', sent_at = now() where idempotency_key = ?`, [key]);
  }
  deps.log.warn({ subscriptionId: s.id, reason: s.why }, 'webhook subscription disabled');
}

/**
 * One workflow per delivery, started at most once: a retried enqueue finds it running (or done,
 * which REJECT_DUPLICATE refuses) and leaves it be, so a receiver never gets a second first try.
 */
async function startDeliveries(temporal: Client, taskQueue: string, deliveryIds: string[], retry: WebhookRetrySettings): Promise<void> {
  await Promise.all(
    deliveryIds.map((deliveryId) =>
      temporal.workflow
        .start(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
          workflowId: webhookWorkflowId(deliveryId),
          taskQueue,
          args: [{ deliveryId, run: 0, retry }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        })
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }),
    ),
  );
}
