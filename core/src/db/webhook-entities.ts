import { TICKET_EVENTS } from '../domain/enums';
import { defineEntity, p } from '@mikro-orm/core';
import { Ticket } from './entities';

// Webhooks (C4/W6): subscriptions per event type; one delivery per (subscription, event) with a
// stable id receivers de-duplicate on; one attempt row per HTTP try (the delivery log).

const now = () => new Date();
/** The events a subscription can choose (besides `rule.action`, which only a rule's call_webhook sends). */
export const WEBHOOK_EVENTS = TICKET_EVENTS;

export const WebhookSubscription = defineEntity({
  name: 'WebhookSubscription',
  tableName: 'webhook_subscriptions',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(200),
    url: p.string().length(2000),
    secret: p.string().length(200).hidden(),
    events: p.array(),
    active: p.boolean().default(true),
    /** Deliveries that failed for good in a row; reaching the limit disables the subscription. */
    consecutiveFailures: p.integer().default(0),
    disabledAt: p.datetime().nullable(),
    disabledReason: p.string().length(500).nullable(),
    createdAt: p.datetime().onCreate(now),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
    deletedAt: p.datetime().nullable(),
  },
});

export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  indexes: [{ properties: ['subscriptionId', 'createdAt'] }],
  properties: {
    id: p.string().length(64).primary(),
    subscriptionId: () => p.manyToOne(WebhookSubscription).mapToPk().fieldName('subscription_id').deleteRule('cascade'),
    ticketId: () => p.manyToOne(Ticket).mapToPk().nullable().fieldName('ticket_id').deleteRule('set null'),
    eventType: p.string().length(64),
    payload: p.json<Record<string, unknown>>(),
    status: p.enum(['pending', 'succeeded', 'failed'] as const),
    attempts: p.integer().default(0),
    lastStatusCode: p.integer().nullable(),
    lastLatencyMs: p.integer().nullable(),
    lastError: p.text().nullable(),
    createdAt: p.datetime().onCreate(now),
    completedAt: p.datetime().nullable(),
  },
});

export const WebhookAttempt = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempts',
  indexes: [{ properties: ['deliveryId', 'createdAt'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    deliveryId: () => p.manyToOne(WebhookDelivery).mapToPk().fieldName('delivery_id').deleteRule('cascade'),
    /** Which delivery run (0 = the original, n = the n-th manual redelivery). */
    run: p.integer().default(0),
    attempt: p.integer(),
    outcome: p.enum(['success', 'retryable', 'permanent', 'refused'] as const),
    statusCode: p.integer().nullable(),
    latencyMs: p.integer(),
    responseExcerpt: p.text().nullable(),
    error: p.text().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
});

/** Admin-edited notification texts (C1): Liquid subject and body per event and language. */
export const EmailTemplateOverride = defineEntity({
  name: 'EmailTemplateOverride',
  tableName: 'email_templates',
  uniques: [{ properties: ['key', 'locale'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    key: p.string().length(64),
    locale: p.enum(['en', 'fa'] as const),
    subject: p.string().length(500),
    body: p.text(),
    updatedBy: p.integer().nullable(),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export const webhookEntities = [WebhookSubscription, WebhookDelivery, WebhookAttempt, EmailTemplateOverride];
