import type { Client } from '@temporalio/client';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import { isStaff, toStorableText } from '@mehrdesk/core/domain';
import { addParticipants } from '@mehrdesk/core/services/participants';
import { ensureCustomer, type CustomerAccount } from '@mehrdesk/core/services/customers';
import { inboundSettings } from '@mehrdesk/core/services/settings';
import { addMessageUpdate } from '@mehrdesk/workflows/contracts';
import { createTicket } from '@mehrdesk/usecases/tickets/create-ticket';
import { sanitizeRichText } from '@mehrdesk/core/sanitize';
import { executeTicketUpdate } from '@mehrdesk/usecases/tickets/workflow-bridge';
import { loadTicketListeners } from '@mehrdesk/core/services/ticket-listeners';
import { ticketBodyHtml } from './body';
import { classifyAutomated } from './classify';
import { parseInbound, type InboundMail } from './parse';
import { detectContentType } from '@mehrdesk/core/attachments/content-type';
import { readStored, storeFile } from '@mehrdesk/core/attachments/storage';
import { copiedAddresses, decideThread, type ThreadLookups } from './thread';

// Turns one stored inbound message into a new ticket, a reply on the right ticket, or nothing
// (auto-replies, bounces, loops). Safe to run twice: the row's status and the idempotency keys
// derived from the inbound id make a retried job a no-op.

export interface InboundDeps {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  log: Logger;
}

const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
const MAX_ATTACHMENTS = 20;

/** Who wrote the mail: an existing user, or the customer created for the address. */
type Sender = CustomerAccount;

const ourAddresses = (config: Config) =>
  config.INBOUND_ADDRESSES.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

/** Why a mail without any usable sender address is ignored (see sender.ts): it waits in the admins' review list. */
export const UNKNOWN_SENDER_REASON = 'unknown sender: no usable From, Sender, Reply-To or envelope address';

function lookups(em: EntityManager): ThreadLookups {
  const ticketInfo = async (where: string, param: unknown) => {
    const [t] = await em.execute<{ id: number; email: string; status: string; participants: string[] | null }[]>(
      `select t.id, u.email, t.status, array(select p.email from ticket_participants p where p.ticket_id = t.id) as participants
         from tickets t join users u on u.id = t.requester_id where ${where} and t.deleted_at is null`,
      [param],
    );
    return t ?? null;
  };
  return {
    async ticketByOutgoingMessageId(id) {
      const rows = await em.execute<{ ticket_id: number }[]>('select distinct ticket_id from email_log where message_id = ? and ticket_id is not null', [id]);
      // One notification sent for several tickets (a broadcast) must not merge them.
      return rows.length === 0 ? null : { ticketId: rows[0]!.ticket_id, broadcast: rows.length > 1 };
    },
    async ticketByStoredMessageId(id) {
      const [m] = await em.execute<{ ticket_id: number }[]>('select ticket_id from messages where email_message_id = ? order by id limit 1', [id]);
      return m?.ticket_id ?? null;
    },
    async ticketByNumber(number) {
      const t = await ticketInfo('t.number = ?', number);
      return t ? { ticketId: t.id, requesterEmail: t.email, participants: t.participants ?? [], status: t.status } : null;
    },
    async ticketRequester(ticketId) {
      const t = await ticketInfo('t.id = ?', ticketId);
      return { email: t?.email ?? '', participants: t?.participants ?? [], status: t?.status ?? 'closed' };
    },
  };
}

async function senderOf(deps: InboundDeps, em: EntityManager, mail: InboundMail): Promise<Sender | null> {
  const [u] = await em.execute<Sender[]>('select id, email, name, role, locale, organization_id from users where email = ? and active', [mail.from.address]);
  if (u) return u;
  if (!deps.config.INBOUND_CREATE_CUSTOMERS) return null;
  return ensureCustomer(em, mail.from.address, mail.from.name);
}

async function storeAttachments(deps: InboundDeps, em: EntityManager, mail: InboundMail, ticketId: number, messageId: number | null) {
  for (const a of mail.attachments.slice(0, MAX_ATTACHMENTS)) {
    if (a.size > MAX_ATTACHMENT_BYTES) {
      deps.log.warn({ ticketId, filename: a.filename, size: a.size }, 'attachment over the size limit; not stored');
      continue;
    }
    const stored = await storeFile(deps.config.STORAGE_DIR, 'attachments', a.content);
    const type = await detectContentType(a.contentType, a.content);
    if (type.declaredMismatch)
      deps.log.info({ ticketId, filename: a.filename, declared: type.declaredMismatch, detected: type.contentType }, 'attachment is not what its Content-Type says; stored as detected');
    await em.execute(`insert into attachments (ticket_id, message_id, filename, content_type, size, sha256, storage_path, created_at) values (?, ?, ?, ?, ?, ?, ?, now())`, [
      ticketId,
      messageId,
      a.filename.slice(0, 255),
      type.contentType.slice(0, 255),
      a.size,
      stored.sha256,
      stored.path,
    ]);
  }
}

async function finish(em: EntityManager, id: number, status: string, reason: string | null, ticketId: number | null) {
  await em.execute('update inbound_emails set status = ?, reason = ?, ticket_id = ?, processed_at = now() where id = ?', [status, reason, ticketId, id]);
}

/**
 * Records that a mail could not be processed, with why, on its row: the admins' review list
 * (GET /api/v1/inbound-emails?status=failed) shows it and can queue it again. Called for the
 * last attempt of a job, so a failure never lives only in the queue.
 */
export async function markFailed(deps: InboundDeps, inboundId: number, reason: string): Promise<void> {
  await deps.orm.em
    .fork()
    .execute(`update inbound_emails set status = 'failed', reason = ?, processed_at = now() where id = ? and status in ('received', 'failed')`, [toStorableText(reason.slice(0, 500)), inboundId]);
}

export async function processInbound(deps: InboundDeps, inboundId: number): Promise<{ status: string; ticketId: number | null; reason: string | null }> {
  const em = deps.orm.em.fork();
  const [row] = await em.execute<{ raw_path: string; status: string; envelope_to: string[]; from_address: string; ticket_id: number | null; reason: string | null; source_key: string | null }[]>(
    'select raw_path, status, envelope_to, from_address, ticket_id, reason, source_key from inbound_emails where id = ?',
    [inboundId],
  );
  if (!row) throw new Error(`inbound e-mail ${inboundId} does not exist`);
  if (row.status !== 'received' && row.status !== 'failed') return { status: row.status, ticketId: row.ticket_id, reason: row.reason };
  // Sources without an SMTP envelope (IMAP) store none; Delivered-To headers stand in for it then.
  // Only SMTP rows (no source key) hold MAIL FROM; an IMAP row's from_address came from the headers.
  const raw = await readStored(deps.config.STORAGE_DIR, row.raw_path);
  const envelope = { ...(row.envelope_to.length > 0 ? { envelopeTo: row.envelope_to } : {}), ...(row.source_key === null ? { envelopeFrom: row.from_address } : {}) };
  let mail: InboundMail;
  try {
    mail = await parseInbound(raw, envelope);
  } catch (err) {
    // The parser's limits (header size, nesting): the same bytes fail the same way on every retry.
    const reason = toStorableText(`unparseable message: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500));
    await finish(em, inboundId, 'failed', reason, null);
    return { status: 'failed', ticketId: null, reason };
  }
  const log = deps.log.child({ inboundId, from: mail.from.address, messageId: mail.messageId });
  // The decoded subject (encoded words, detected charsets) for the review list.
  await em.execute('update inbound_emails set subject = ? where id = ?', [toStorableText(mail.subject.slice(0, 998)), inboundId]);

  const ours = ourAddresses(deps.config);
  const automated = classifyAutomated(mail, { ourAddresses: ours });
  if (automated.automated) {
    await finish(em, inboundId, 'ignored', automated.reason, null);
    log.info({ reason: automated.reason }, 'inbound mail ignored');
    return { status: 'ignored', ticketId: null, reason: automated.reason };
  }
  if (!mail.from.address) {
    // Never a customer without an address (all such mail would share one): a person decides.
    await finish(em, inboundId, 'ignored', UNKNOWN_SENDER_REASON, null);
    log.info({ reason: UNKNOWN_SENDER_REASON }, 'inbound mail ignored');
    return { status: 'ignored', ticketId: null, reason: UNKNOWN_SENDER_REASON };
  }
  const [{ n }] = await em.execute<[{ n: number }]>(`select count(*)::int as n from inbound_emails where from_address = ? and created_at > now() - interval '10 minutes'`, [mail.from.address]);
  if (n > deps.config.INBOUND_MAX_PER_SENDER) {
    const reason = `mail loop suspected: ${n} messages from ${mail.from.address} in 10 minutes`;
    await finish(em, inboundId, 'ignored', reason, null);
    return { status: 'ignored', ticketId: null, reason };
  }
  const sender = await senderOf(deps, em, mail);
  if (!sender) {
    const reason = `unknown sender ${mail.from.address} (INBOUND_CREATE_CUSTOMERS=false)`;
    await finish(em, inboundId, 'ignored', reason, null);
    return { status: 'ignored', ticketId: null, reason };
  }
  const host = new URL(deps.config.PUBLIC_URL).hostname;
  const decision = await decideThread(
    mail,
    lookups(em),
    // Read per mail: an admin's change applies to the next mail without a restart.
    { ticketPrefix: deps.config.TICKET_NUMBER_PREFIX, threadIdHosts: [host, 'mehrdesk.local'], strangerReplies: (await inboundSettings(em, deps.config)).strangerReplies },
    { address: sender.email, staff: isStaff(sender.role) },
  );
  const html = ticketBodyHtml(mail);
  const requestId = `inbound:${inboundId}`;
  const headers = { messageId: mail.messageId, inReplyTo: mail.inReplyTo, references: mail.references };

  if (decision.action === 'reply' || decision.action === 'hold') {
    // A stranger's mail (see thread.ts) is stored as an internal note held for staff review: it
    // reaches neither the requester nor the ticket's state until an agent publishes it.
    const held = decision.action === 'hold';
    // Whom a sender on the ticket copies joins the conversation; a stranger adds nobody.
    if (!held) await addParticipants(em, decision.ticketId, copiedAddresses(mail, ours));
    const reason = held ? `held for review (${decision.reason}): ${decision.from || 'the sender'} is not the requester, a participant or staff` : decision.reason;
    const clean = sanitizeRichText(html);
    const message = held
      ? { actor: { type: 'system' as const, id: null, role: null }, kind: 'internal' as const, heldForReview: { from: decision.from } }
      : { actor: { type: 'user' as const, id: sender.id, role: sender.role }, kind: 'public' as const };
    const listeners = await loadTicketListeners(em);
    try {
      const res = await executeTicketUpdate(deps.temporal, decision.ticketId, addMessageUpdate, {
        updateId: requestId,
        args: [{ ...message, requestId, channel: 'email', bodyHtml: clean.html, bodyText: clean.text || mail.text, idempotencyKey: requestId, email: headers, listeners }],
      });
      await storeAttachments(deps, em, mail, decision.ticketId, res.messageId);
      await finish(em, inboundId, 'replied', reason, decision.ticketId);
      log.info({ ticketId: decision.ticketId, reason }, held ? 'inbound mail held for review on ticket' : 'inbound mail added to ticket');
      return { status: 'replied', ticketId: decision.ticketId, reason };
    } catch (err) {
      // The ticket ended between the decision and the update: treat the mail as a follow-up.
      log.warn({ err, ticketId: decision.ticketId }, 'reply refused by the ticket workflow; opening a follow-up');
      return openTicket(deps, em, inboundId, mail, sender, html, headers, `Follow-up to ticket ${decision.ticketId}`);
    }
  }
  return openTicket(deps, em, inboundId, mail, sender, html, headers, decision.action === 'follow_up' ? `Follow-up to ticket ${decision.ofTicketId}: ${decision.reason}` : (decision.reason ?? null));
}

async function openTicket(deps: InboundDeps, em: EntityManager, inboundId: number, mail: InboundMail, sender: Sender, html: string, headers: { messageId: string | null }, note: string | null) {
  const user = { id: sender.id, email: sender.email, name: sender.name, role: sender.role, locale: sender.locale, organizationId: sender.organization_id, groupIds: [] };
  const subject = (mail.subject || '(no subject)').slice(0, 300);
  const { row } = await createTicket(
    { config: deps.config, orm: deps.orm, temporal: deps.temporal, log: deps.log },
    em,
    // Staff writing in by e-mail open tickets as themselves; the channel, not the body, sets the source.
    { ...user, role: sender.role === 'customer' ? 'customer' : sender.role },
    { subject, body: html, priority: 'normal' },
    `inbound:${inboundId}`,
    `inbound:${inboundId}`,
    { source: 'email', emailMessageId: headers.messageId, ...(note ? { note } : {}) },
  );
  // Whom the first mail copies are participants: their replies thread as replies (see thread.ts).
  await addParticipants(em, row.id, copiedAddresses(mail, ourAddresses(deps.config)));
  const [initial] = await em.execute<{ id: number }[]>('select id from messages where idempotency_key = ?', [`ticket-${row.id}:initial`]);
  await storeAttachments(deps, em, mail, row.id, initial?.id ?? null);
  await finish(em, inboundId, 'ticket_created', note, row.id);
  deps.log.info({ inboundId, ticketId: row.id, number: row.number }, 'inbound mail opened a ticket');
  return { status: 'ticket_created', ticketId: row.id, reason: note };
}
