import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { WEBHOOK_EVENTS, pgArray } from '@mehrdesk/core/db';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE, webhookWorkflowId } from '@mehrdesk/workflows/contracts';
import { checkWebhookUrl } from '@mehrdesk/usecases/webhooks/ssrf';
import { newWebhookSecret } from '@mehrdesk/usecases/webhooks/signing';
import { webhookRetrySettings } from '@mehrdesk/usecases/webhooks/retry';
import type { AppDeps } from '../deps';
import { badRequest, conflict, notFound } from '../http/errors';
import { IdParams } from '../http/params';
import { defineRoute } from '../http/route';
import { auditChange, without } from '../audit/record';

// Webhook subscriptions and their delivery log (C4). Deliveries themselves run in the worker
// as `webhook-<deliveryId>` workflows; redelivery starts a new run of one. Subscription changes
// are audited (`webhook.*`) in their transaction; the signing secret never is.

const Events = z
  .array(z.enum([...WEBHOOK_EVENTS, 'rule.action']))
  .min(1)
  .max(20);
const CreateBody = z
  .object({ name: z.string().trim().min(1).max(200), url: z.string().trim().max(2000), events: Events, active: z.boolean().default(true) })
  .strict()
  .meta({ id: 'CreateWebhookRequest' });
const PatchBody = z
  .object({ name: z.string().trim().min(1).max(200), url: z.string().trim().max(2000), events: Events, active: z.boolean() })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to change' })
  .meta({ id: 'PatchWebhookRequest' });
const SubscriptionDto = z
  .object({
    id: z.number().int(),
    name: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    active: z.boolean(),
    consecutiveFailures: z.number().int(),
    disabledAt: z.string().nullable(),
    disabledReason: z.string().nullable(),
    createdAt: z.string(),
    secret: z.string().optional().describe('Only in the answer to create and rotate-secret: keep it, it is not shown again'),
  })
  .meta({ id: 'WebhookSubscription' });
const AttemptDto = z.object({
  run: z.number().int(),
  attempt: z.number().int(),
  outcome: z.string(),
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  responseExcerpt: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
});
const DeliveryDto = z
  .object({
    id: z.string(),
    subscriptionId: z.number().int(),
    ticketId: z.number().int().nullable(),
    event: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastLatencyMs: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()).optional(),
    log: z.array(AttemptDto).optional(),
  })
  .meta({ id: 'WebhookDelivery' });
const DeliveryParams = z.object({ deliveryId: z.string().regex(/^whd_[0-9a-f]{32}$/, 'not a delivery id') }).strict();

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

interface SubRow {
  id: number;
  name: string;
  url: string;
  events: string[];
  active: boolean;
  consecutive_failures: number;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
}
interface DeliveryRow {
  id: string;
  subscription_id: number;
  ticket_id: number | null;
  event_type: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

async function subscription(em: EntityManager, id: number): Promise<z.infer<typeof SubscriptionDto>> {
  const [s] = await em.execute<SubRow[]>('select * from webhook_subscriptions where id = ? and deleted_at is null', [id]);
  if (!s) throw notFound(`Webhook ${id}`);
  return {
    id: s.id,
    name: s.name,
    url: s.url,
    events: s.events,
    active: s.active,
    consecutiveFailures: s.consecutive_failures,
    disabledAt: iso(s.disabled_at),
    disabledReason: s.disabled_reason,
    createdAt: iso(s.created_at)!,
  };
}

/** A subscription as the audit log records it: its settings, not the delivery health figures. */
const audited = (s: z.infer<typeof SubscriptionDto>) => without(s, 'consecutiveFailures', 'createdAt', 'secret');

const deliveryDto = (d: DeliveryRow) => ({
  id: d.id,
  subscriptionId: d.subscription_id,
  ticketId: d.ticket_id,
  event: d.event_type,
  status: d.status,
  attempts: d.attempts,
  lastStatusCode: d.last_status_code,
  lastLatencyMs: d.last_latency_ms,
  lastError: d.last_error,
  createdAt: iso(d.created_at)!,
  completedAt: iso(d.completed_at),
});

export function webhookRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  const tags = ['admin: webhooks'];

  /** Only http(s), no credentials, and (unless allowed in config) no loopback/private targets. */
  async function checkedUrl(url: string): Promise<string> {
    const check = await checkWebhookUrl(url, { allowPrivate: deps.config.WEBHOOK_ALLOW_PRIVATE });
    if (!check.ok) throw badRequest('Webhook URL refused', [{ path: 'body.url', message: check.reason }]);
    return check.url.toString();
  }

  defineRoute(r, registry, {
    method: 'get',
    path: '/webhooks',
    summary: 'Webhook subscriptions',
    tags,
    action: 'admin.manage',
    response: z.object({ items: z.array(SubscriptionDto) }),
    handler: async ({ em }) => {
      const ids = await em.execute<{ id: number }[]>('select id from webhook_subscriptions where deleted_at is null order by id');
      return { items: await Promise.all(ids.map((x) => subscription(em, x.id))) };
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/webhooks',
    summary: 'Subscribe a URL to ticket events; the answer carries the signing secret once',
    tags,
    action: 'admin.manage',
    body: CreateBody,
    status: 201,
    response: SubscriptionDto,
    handler: async ({ em, req, body }) => {
      const url = await checkedUrl(body.url);
      const secret = newWebhookSecret();
      const id = await em.transactional(async (tx) => {
        const [row] = await tx.execute<{ id: number }[]>(
          `insert into webhook_subscriptions (name, url, secret, events, active, consecutive_failures, created_at, updated_at) values (?, ?, ?, ?::text[], ?, 0, now(), now()) returning id`,
          [body.name, url, secret, pgArray([...new Set(body.events)]), body.active],
        );
        await auditChange(tx, req, { action: 'webhook.created', targetType: 'webhook', targetId: row!.id, after: audited(await subscription(tx, row!.id)) });
        return row!.id;
      });
      return { ...(await subscription(em, id)), secret };
    },
  });
  // Static paths before '/webhooks/:id'.
  defineRoute(r, registry, {
    method: 'get',
    path: '/webhooks/deliveries/:deliveryId',
    summary: 'One delivery with its payload and every attempt',
    tags,
    action: 'admin.manage',
    params: DeliveryParams,
    response: DeliveryDto,
    errors: [404],
    handler: async ({ em, params }) => {
      const [d] = await em.execute<DeliveryRow[]>('select * from webhook_deliveries where id = ?', [params.deliveryId]);
      if (!d) throw notFound(`Delivery ${params.deliveryId}`);
      const attempts = await em.execute<Record<string, unknown>[]>('select * from webhook_attempts where delivery_id = ? order by id', [d.id]);
      return {
        ...deliveryDto(d),
        payload: d.payload,
        log: attempts.map((a) => ({
          run: a.run as number,
          attempt: a.attempt as number,
          outcome: a.outcome as string,
          statusCode: (a.status_code as number | null) ?? null,
          latencyMs: a.latency_ms as number,
          responseExcerpt: (a.response_excerpt as string | null) ?? null,
          error: (a.error as string | null) ?? null,
          createdAt: iso(a.created_at as Date)!,
        })),
      };
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/webhooks/deliveries/:deliveryId/redeliver',
    summary: 'Send a delivery again (same delivery id, so receivers can de-duplicate)',
    tags,
    action: 'admin.manage',
    params: DeliveryParams,
    status: 202,
    response: DeliveryDto,
    errors: [404, 409],
    handler: async ({ em, req, params }) => {
      const [d] = await em.execute<(DeliveryRow & { active: boolean })[]>(
        'select d.*, s.active from webhook_deliveries d join webhook_subscriptions s on s.id = d.subscription_id where d.id = ? and s.deleted_at is null',
        [params.deliveryId],
      );
      if (!d) throw notFound(`Delivery ${params.deliveryId}`);
      if (!d.active) throw conflict('subscription_disabled', 'The subscription is disabled: enable it before redelivering');
      if (d.status === 'pending') throw conflict('delivery_in_progress', 'This delivery is still being attempted');
      const [{ run }] = await em.execute<[{ run: number }]>('select coalesce(max(run), 0) + 1 as run from webhook_attempts where delivery_id = ?', [d.id]);
      await em.execute(`update webhook_deliveries set status = 'pending', completed_at = null where id = ?`, [d.id]);
      await deps.temporal.workflow.start(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
        workflowId: webhookWorkflowId(d.id, run),
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        args: [{ deliveryId: d.id, run, retry: webhookRetrySettings(deps.config) }],
      });
      await auditChange(em, req, { action: 'webhook.redelivered', targetType: 'webhook', targetId: d.subscription_id, detail: { deliveryId: d.id, run } });
      const [fresh] = await em.execute<DeliveryRow[]>('select * from webhook_deliveries where id = ?', [d.id]);
      return deliveryDto(fresh!);
    },
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/webhooks/:id',
    summary: 'One subscription',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: SubscriptionDto,
    errors: [404],
    handler: async ({ em, params }) => subscription(em, params.id),
  });
  defineRoute(r, registry, {
    method: 'patch',
    path: '/webhooks/:id',
    summary: 'Change a subscription; enabling it again resets its failure count',
    tags,
    action: 'admin.manage',
    params: IdParams,
    body: PatchBody,
    response: SubscriptionDto,
    errors: [404],
    handler: async ({ em, req, params, body }) => {
      const before = await subscription(em, params.id);
      const url = body.url === undefined ? undefined : await checkedUrl(body.url);
      await em.transactional(async (tx) => {
        await tx.execute(
          `update webhook_subscriptions set name = coalesce(?, name), url = coalesce(?, url), events = coalesce(?::text[], events),
                active = coalesce(?, active),
                consecutive_failures = case when ? then 0 else consecutive_failures end,
                disabled_at = case when ? then null else disabled_at end,
                disabled_reason = case when ? then null else disabled_reason end,
                updated_at = now()
          where id = ?`,
          [body.name ?? null, url ?? null, body.events ? pgArray([...new Set(body.events)]) : null, body.active ?? null, body.active === true, body.active === true, body.active === true, params.id],
        );
        await auditChange(tx, req, { action: 'webhook.updated', targetType: 'webhook', targetId: params.id, before: audited(before), after: audited(await subscription(tx, params.id)) });
      });
      return subscription(em, params.id);
    },
  });
  defineRoute(r, registry, {
    method: 'post',
    path: '/webhooks/:id/rotate-secret',
    summary: 'Issue a new signing secret (shown once)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    response: SubscriptionDto,
    errors: [404],
    handler: async ({ em, req, params }) => {
      await subscription(em, params.id);
      const secret = newWebhookSecret();
      await em.transactional(async (tx) => {
        await tx.execute('update webhook_subscriptions set secret = ?, updated_at = now() where id = ?', [secret, params.id]);
        // That it changed, never the value.
        await auditChange(tx, req, { action: 'webhook.secret_rotated', targetType: 'webhook', targetId: params.id });
      });
      return { ...(await subscription(em, params.id)), secret };
    },
  });
  defineRoute(r, registry, {
    method: 'delete',
    path: '/webhooks/:id',
    summary: 'Delete a subscription (its delivery log is kept)',
    tags,
    action: 'admin.manage',
    params: IdParams,
    status: 204,
    errors: [404],
    handler: async ({ em, req, params }) => {
      const before = await subscription(em, params.id);
      await em.transactional(async (tx) => {
        await tx.execute('update webhook_subscriptions set deleted_at = now(), active = false where id = ?', [params.id]);
        await auditChange(tx, req, { action: 'webhook.deleted', targetType: 'webhook', targetId: params.id, before: audited(before) });
      });
      return undefined;
    },
  });
  defineRoute(r, registry, {
    method: 'get',
    path: '/webhooks/:id/deliveries',
    summary: 'Deliveries of a subscription, newest first',
    tags,
    action: 'admin.manage',
    params: IdParams,
    query: z.object({ status: z.enum(['pending', 'succeeded', 'failed']).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }).strict(),
    response: z.object({ items: z.array(DeliveryDto) }),
    errors: [404],
    handler: async ({ em, params, query }) => {
      await subscription(em, params.id);
      const rows = await em.execute<DeliveryRow[]>(
        `select * from webhook_deliveries where subscription_id = ? ${query.status ? 'and status = ?' : ''} order by created_at desc, id limit ?`,
        query.status ? [params.id, query.status, query.limit] : [params.id, query.limit],
      );
      return { items: rows.map(deliveryDto) };
    },
  });
  return r;
}
