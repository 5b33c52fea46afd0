import { defineEntity, p } from '@mikro-orm/core';
import { Ticket, User } from './entities';

// Notifications (C1): what staff see in the console's notification centre, and which events
// each of them wants by e-mail and/or in the app.

const now = () => new Date();

export const Notification = defineEntity({
  name: 'Notification',
  tableName: 'notifications',
  indexes: [{ properties: ['userId', 'id'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    userId: () => p.manyToOne(User).mapToPk().fieldName('user_id').deleteRule('cascade'),
    ticketId: () => p.manyToOne(Ticket).mapToPk().nullable().fieldName('ticket_id').deleteRule('cascade'),
    /** One of the e-mail template keys (ticket_assigned, sla_breach, …). */
    event: p.string().length(40),
    title: p.string().length(300),
    excerpt: p.string().length(500).nullable(),
    /** The activity's idempotency key per user: a retried activity never notifies twice. */
    dedupeKey: p.string().length(300).unique(),
    readAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(now),
  },
});

export const NotificationPreference = defineEntity({
  name: 'NotificationPreference',
  tableName: 'notification_preferences',
  properties: {
    userId: () => p.manyToOne(User).primary().mapToPk().fieldName('user_id').deleteRule('cascade'),
    event: p.string().length(40).primary(),
    email: p.boolean(),
    inApp: p.boolean(),
    updatedAt: p.datetime().onCreate(now).onUpdate(now),
  },
});

export const notificationEntities = [Notification, NotificationPreference];
