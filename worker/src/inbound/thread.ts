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
// ticket). A sender who is neither requester nor participant is returned as
// `addParticipant` (a CC'd third party replying); the requester is never changed here, so a
// BCC'd reply (our address in neither To nor Cc) threads like any other reply.
import type { InboundMail } from './parse';

export type Decision =
  | { action: 'new_ticket' }
  | { action: 'reply'; ticketId: number; addParticipant: string | null; reason: string }
  | { action: 'follow_up'; ofTicketId: number; reason: string };

export interface ThreadLookups {
  ticketByOutgoingMessageId(id: string): Promise<{ ticketId: number; broadcast: boolean } | null>;
  ticketByStoredMessageId(id: string): Promise<number | null>;
  ticketByNumber(
    number: string,
  ): Promise<{ ticketId: number; requesterEmail: string; participants: string[]; status: string } | null>;
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

const FORWARD_BLOCK_RE =
  /^[ \t]*(?:-{2,}[ \t]*(?:forwarded message|weitergeleitete nachricht|message transféré)[ \t]*-{2,}|begin forwarded message:)/imu;

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

function decide(
  ticketId: number,
  ticket: { email: string; participants: string[]; status: string },
  sender: string,
  reason: string,
  options: ThreadOptions,
): Decision {
  const closed = options.closedStatuses ?? DEFAULT_CLOSED;
  if (closed.includes(ticket.status)) return { action: 'follow_up', ofTicketId: ticketId, reason };
  const s = sender.toLowerCase();
  const known = [ticket.email, ...ticket.participants].map((a) => a.toLowerCase());
  const addParticipant = s === '' || known.includes(s) ? null : s;
  return { action: 'reply', ticketId, addParticipant, reason };
}

export async function decideThread(
  mail: MailForThread,
  lookups: ThreadLookups,
  options: ThreadOptions = {},
): Promise<Decision> {
  const sender = mail.from.address;
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
      return decide(
        t.ticketId,
        { email: t.requesterEmail, participants: t.participants, status: t.status },
        sender,
        'subject-token',
        options,
      );
    }
  }

  return { action: 'new_ticket' };
}
