import { defineEntity, p } from '@mikro-orm/core';
import { Message, Ticket, User } from './entities';

// Inbound e-mail (C2): every received message is kept (raw file + row) before it is processed,
// so a failure never loses mail and any message can be processed again.

const now = () => new Date();

export const InboundEmail = defineEntity({
  name: 'InboundEmail',
  tableName: 'inbound_emails',
  indexes: [{ properties: ['fromAddress', 'createdAt'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    messageId: p.string().length(998).nullable().index(),
    fromAddress: p.string().length(254),
    envelopeTo: p.array(),
    subject: p.string().length(998),
    rawPath: p.string().length(500),
    size: p.integer(),
    status: p.enum(['received', 'ticket_created', 'replied', 'ignored', 'failed'] as const),
    reason: p.string().length(500).nullable(),
    ticketId: () => p.manyToOne(Ticket).mapToPk().nullable().fieldName('ticket_id').deleteRule('set null'),
    createdAt: p.datetime().onCreate(now),
    processedAt: p.datetime().nullable(),
    /**
     * Identity of the message at its source when the source can deliver it twice (IMAP:
     * account, folder, UIDVALIDITY and UID), so a re-fetch after a crash finds the stored row.
     */
    sourceKey: p.string().length(200).nullable().unique(),
  },
});

export const Attachment = defineEntity({
  name: 'Attachment',
  tableName: 'attachments',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** Null while the upload is pending: not yet referenced by a ticket or message. */
    ticketId: () => p.manyToOne(Ticket).mapToPk().nullable().fieldName('ticket_id').deleteRule('cascade').index(),
    messageId: () => p.manyToOne(Message).mapToPk().nullable().fieldName('message_id').deleteRule('set null'),
    /** Who uploaded it (uploads only; inbound mail attachments have none). */
    uploadedBy: () => p.manyToOne(User).mapToPk().nullable().fieldName('uploaded_by').deleteRule('set null'),
    filename: p.string().length(255),
    contentType: p.string().length(255),
    size: p.integer(),
    sha256: p.string().length(64),
    storagePath: p.string().length(500),
    createdAt: p.datetime().onCreate(now),
  },
});

export const TicketParticipant = defineEntity({
  name: 'TicketParticipant',
  tableName: 'ticket_participants',
  uniques: [{ properties: ['ticketId', 'email'] }],
  properties: {
    id: p.integer().primary().autoincrement(),
    ticketId: () => p.manyToOne(Ticket).mapToPk().fieldName('ticket_id').deleteRule('cascade'),
    email: p.string().length(254),
    createdAt: p.datetime().onCreate(now),
  },
});

export const inboundEntities = [InboundEmail, Attachment, TicketParticipant];
