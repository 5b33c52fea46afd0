// Which ticket does an inbound message belong to? Pure decision logic; every lookup is
// injected so the BullMQ processor supplies the database side.
//
// Order:
//   1. Forwarded message (Fwd:/FW:/WG:/TR: as the outermost prefix, or a "Forwarded message"
//      block in an unprefixed body): the headers belong to whoever forwarded it and the
//      forwarded original's thread is not trusted -> only the subject token can thread it.
//   2. Header threading: In-Reply-To, then References newest first. Each id is tried as one of
//      our outgoing notification ids, then as a stored message id, then as the
//      `<ticket-<id>@host>` thread id. The first id that resolves wins. If it resolves to a
//      broadcast notification (one notice sent to many tickets), header threading stops: the
//      reply must not be merged into one of those tickets, not even through an older
//      References entry.
//   3. Subject token `[PREFIX-YYYY-NNNNNN]` anywhere in the subject (prefix rewriting such as
//      "AW:", "پاسخ:" or "[EXTERNAL]" tags therefore does not matter).
//   4. Otherwise a new ticket.
// A thread hit on a closed/cancelled ticket becomes `follow_up` (processor opens a linked
// ticket). On an open ticket only its requester, its participants (people copied on mail the
// requester sent) and staff may reply. Anyone else could be phishing through a guessed ticket
// number or a forwarded notification, so their mail is `hold` (an internal note an agent
// publishes or dismisses) or, with `strangerReplies: 'new_ticket'`, a ticket of its own. The
// requester is never changed here, so a BCC'd reply (our address in neither To nor Cc) from
// the requester threads like any other reply.
import type { Config } from '@mehrdesk/core/config';
import type { InboundMail } from './parse';

export type Decision =
  | { action: 'new_ticket'; reason?: string }
  | { action: 'reply'; ticketId: number; reason: string }
  | { action: 'hold'; ticketId: number; from: string; reason: string }
  | { action: 'follow_up'; ofTicketId: number; reason: string };

/** What happens to mail threaded onto a ticket by someone who is not on it. */
export type StrangerReplies = Config['INBOUND_STRANGER_REPLIES'];

/** Who the mail is from, as the processor resolved it. */
export interface ThreadSender {
  address: string;
  /** A staff member (agent, supervisor, admin) may write into any ticket. */
  staff: boolean;
}

export interface ThreadLookups {
  ticketByOutgoingMessageId(id: string): Promise<{ ticketId: number; broadcast: boolean } | null>;
  ticketByStoredMessageId(id: string): Promise<number | null>;
  ticketByNumber(number: string): Promise<{ ticketId: number; requesterEmail: string; participants: string[]; status: string } | null>;
  ticketRequester(ticketId: number): Promise<{ email: string; participants: string[]; status: string }>;
}

export interface ThreadOptions {
  /** Ticket number prefix (config TICKET_NUMBER_PREFIX). Default `TKT`. */
  ticketPrefix?: string;
  /** Statuses for which a reply becomes a follow-up. Default `closed`, `cancelled` (terminal). */
  closedStatuses?: readonly string[];
  /**
   * Hosts accepted in `<ticket-<id>@host>` thread ids. Unset or empty: any host (then a
   * foreign helpdesk using the same pattern could collide, so set it in production).
   */
  threadIdHosts?: readonly string[];
  /** Mail threaded onto a ticket by someone not on it. Default `hold`. */
  strangerReplies?: StrangerReplies;
}

type MailForThread = Pick<InboundMail, 'subject' | 'inReplyTo' | 'references' | 'from' | 'text'>;

const DEFAULT_CLOSED = ['closed', 'cancelled'];

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `TKT-2026-000123` from `[TKT-2026-000123]` anywhere in the subject, or null. */
export function findTicketToken(subject: string, prefix = 'TKT'): string | null {
  // Sequence is 6 digits, more only once a year passes 999999 (formatTicketNumber pads, never truncates).
  const re = new RegExp(`\\[\\s*(${escapeRegExp(prefix)}-\\d{4}-\\d{6,})\\s*\\]`, 'i');
  const m = re.exec(subject);
  return m ? m[1]!.toUpperCase() : null;
}

const REPLY_PREFIX = String.raw`(?:re|aw|sv|vs|antw|antwort|odp|rif|ris|res|رد|پاسخ)`;
const FORWARD_PREFIX = String.raw`(?:fwd?|wg|tr|rv|enc|doorst)`;
const COUNTER = String.raw`(?:\s*(?:\[\d+\]|\(\d+\)))?`;
const REPLY_RE = new RegExp(`^${REPLY_PREFIX}${COUNTER}\\s*[:：]\\s*`, 'iu');
const FORWARD_RE = new RegExp(`^${FORWARD_PREFIX}${COUNTER}\\s*[:：]\\s*`, 'iu');
/** Tags mail gateways insert, e.g. `[EXTERNAL]`, `[Ext]`, `*EXTERNAL*`, `EXTERNAL:`. */
const TAG_RE = /^(?:\[(?:external|extern|ext|caution|warning)\b[^\]]*\]|\*{1,3}\s*external\s*\*{1,3}|external\s*:)\s*/iu;

/** Strip gateway tags and reply/forward prefixes (repeatedly) from the front of a subject. */
export function normalizeSubject(subject: string): string {
  let s = subject.trim();
  for (;;) {
    const next = s.replace(TAG_RE, '').replace(REPLY_RE, '').replace(FORWARD_RE, '').trim();
    if (next === s) return s;
    s = next;
  }
}

/** Kind of the outermost prefix after gateway tags: 'reply', 'forward' or null. */
export function subjectPrefixKind(subject: string): 'reply' | 'forward' | null {
  let s = subject.trim();
  for (;;) {
    const next = s.replace(TAG_RE, '').trim();
    if (next === s) break;
    s = next;
  }
  if (FORWARD_RE.test(s)) return 'forward';
  if (REPLY_RE.test(s)) return 'reply';
  return null;
}

const FORWARD_BLOCK_RE = /^[ \t]*(?:-{2,}[ \t]*(?:forwarded message|weitergeleitete nachricht|message transféré)[ \t]*-{2,}|begin forwarded message:)/imu;

/**
 * Forwarded: the outermost subject prefix is a forward prefix, or (when the subject carries
 * no reply prefix) the body has a forwarded-message block outside quoted (`>`) lines. A reply
 * that merely quotes an earlier forward is not a forward.
 */
export function isForwarded(mail: Pick<InboundMail, 'subject' | 'text'>): boolean {
  const kind = subjectPrefixKind(mail.subject);
  if (kind === 'forward') return true;
  if (kind === 'reply') return false;
  const unquoted = mail.text
    .split(/\r?\n/)
    .filter((line) => !/^\s*>/.test(line))
    .join('\n');
  return FORWARD_BLOCK_RE.test(unquoted);
}

const THREAD_ID_RE = /^<ticket-(\d+)@([^<>\s]+)>$/i;

function threadIdTicket(id: string, hosts: readonly string[] | undefined): number | null {
  const m = THREAD_ID_RE.exec(id);
  if (!m) return null;
  if (hosts && hosts.length > 0 && !hosts.some((h) => h.toLowerCase() === m[2]!.toLowerCase())) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

type Hit = { ticketId: number; reason: string } | { broadcast: true } | null;

async function threadByHeaders(mail: MailForThread, lookups: ThreadLookups, options: ThreadOptions): Promise<Hit> {
  const candidates: { id: string; via: string }[] = [];
  if (mail.inReplyTo) candidates.push({ id: mail.inReplyTo, via: 'in-reply-to' });
  for (const id of [...mail.references].reverse()) {
    if (!candidates.some((c) => c.id === id)) candidates.push({ id, via: 'references' });
  }
  for (const { id, via } of candidates) {
    const outgoing = await lookups.ticketByOutgoingMessageId(id);
    if (outgoing) {
      if (outgoing.broadcast) return { broadcast: true };
      return { ticketId: outgoing.ticketId, reason: `${via}:outgoing` };
    }
    const stored = await lookups.ticketByStoredMessageId(id);
    if (stored !== null) return { ticketId: stored, reason: `${via}:stored` };
    const fromThreadId = threadIdTicket(id, options.threadIdHosts);
    if (fromThreadId !== null) return { ticketId: fromThreadId, reason: `${via}:thread-id` };
  }
  return null;
}

function decide(ticketId: number, ticket: { email: string; participants: string[]; status: string }, sender: ThreadSender, reason: string, options: ThreadOptions): Decision {
  const closed = options.closedStatuses ?? DEFAULT_CLOSED;
  // A follow-up is a ticket of the sender's own: nothing reaches the closed ticket's requester.
  if (closed.includes(ticket.status)) return { action: 'follow_up', ofTicketId: ticketId, reason };
  const s = sender.address.toLowerCase();
  const known = [ticket.email, ...ticket.participants].map((a) => a.toLowerCase());
  if (sender.staff || (s !== '' && known.includes(s))) return { action: 'reply', ticketId, reason };
  if (options.strangerReplies === 'new_ticket') return { action: 'new_ticket', reason: `${s || 'an unknown sender'} is not on ticket ${ticketId} (${reason})` };
  return { action: 'hold', ticketId, from: s, reason };
}

/** How many copied addresses one mail may make participants (a mail to a whole list is not a conversation). */
const MAX_COPIED = 50;

/**
 * People the sender copied (To and Cc), minus our own addresses and the sender: they become
 * participants of the ticket, so their replies thread as replies rather than being held.
 */
export function copiedAddresses(mail: Pick<InboundMail, 'from' | 'to' | 'cc'>, ourAddresses: readonly string[]): string[] {
  const skip = new Set([...ourAddresses, mail.from.address].map((a) => a.toLowerCase()));
  const out = new Set<string>();
  for (const a of [...mail.to, ...mail.cc].map((x) => x.trim().toLowerCase())) {
    if (a !== '' && !skip.has(a)) out.add(a);
  }
  return [...out].slice(0, MAX_COPIED);
}

export async function decideThread(mail: MailForThread, lookups: ThreadLookups, options: ThreadOptions = {}, sender: ThreadSender = { address: mail.from.address, staff: false }): Promise<Decision> {
  const token = findTicketToken(mail.subject, options.ticketPrefix ?? 'TKT');

  if (!isForwarded(mail)) {
    const hit = await threadByHeaders(mail, lookups, options);
    if (hit && 'ticketId' in hit) {
      const ticket = await lookups.ticketRequester(hit.ticketId);
      return decide(hit.ticketId, ticket, sender, hit.reason, options);
    }
  }

  if (token !== null) {
    const t = await lookups.ticketByNumber(token);
    if (t) {
      return decide(t.ticketId, { email: t.requesterEmail, participants: t.participants, status: t.status }, sender, 'subject-token', options);
    }
  }

  return { action: 'new_ticket' };
}
