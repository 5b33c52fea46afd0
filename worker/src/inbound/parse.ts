// Inbound e-mail: raw RFC 5322 message -> the plain data the decision logic works on.
// Pure apart from the MIME parse itself (postal-mime, no I/O).
import PostalMime from 'postal-mime';
import type { Address, Email } from 'postal-mime';

export interface InboundAttachment {
  /** Decoded file name, '' when the part names none. */
  filename: string;
  /** Lower-case MIME type, e.g. `application/pdf`, `message/delivery-status`. */
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  content: Uint8Array;
}

export interface InboundMail {
  /** `<id>` form, or null when the message has none. */
  messageId: string | null;
  /** First id of In-Reply-To in `<id>` form, or null. */
  inReplyTo: string | null;
  /** References in header order (oldest first), `<id>` form, de-duplicated. */
  references: string[];
  subject: string;
  /** Lower-cased address; '' when the message has no usable From. */
  from: { address: string; name: string };
  to: string[];
  cc: string[];
  /**
   * Envelope recipients (RCPT TO) when the receiving side passes them in
   * (`ParseOptions.envelopeTo`); otherwise every Delivered-To / X-Original-To header.
   * This, not To/Cc, is how a BCC'd copy reached us.
   */
  deliveredTo: string[];
  /** Lower-case keys; when a header repeats, the first (top-most) occurrence wins. */
  headers: Record<string, string>;
  /** text/plain body; '' when the message has only HTML or no body. */
  text: string;
  html: string | null;
  attachments: InboundAttachment[];
  /** Outlook Thread-Index header (base64), or null. */
  threadIndex: string | null;
  /** ISO 8601 when the Date header parses, the raw header value otherwise, null when absent. */
  date: string | null;
}

export interface ParseOptions {
  /** Envelope recipients from the SMTP transaction / mail provider webhook. */
  envelopeTo?: readonly string[];
}

const ANGLE_ID_RE = /<([^<>\s]+)>/g;

/** All message ids in a header value, in order, each normalised to `<id>`. */
export function extractMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  const ids: string[] = [];
  for (const m of value.matchAll(ANGLE_ID_RE)) ids.push(`<${m[1]!}>`);
  if (ids.length > 0) return ids;
  // Some broken mailers drop the angle brackets: accept bare `local@domain` tokens.
  for (const token of value.split(/[\s,]+/)) {
    if (/^[^@\s<>]+@[^@\s<>]+$/.test(token)) ids.push(`<${token}>`);
  }
  return ids;
}

/** Normalise one message id to `<id>`, or null when there is none. */
export function normalizeMessageId(value: string | null | undefined): string | null {
  return extractMessageIds(value)[0] ?? null;
}

function flatten(list: Address[] | undefined): { address: string; name: string }[] {
  const out: { address: string; name: string }[] = [];
  for (const a of list ?? []) {
    if (a.group) {
      for (const m of a.group) out.push({ address: m.address, name: m.name });
    } else if (a.address !== undefined) {
      out.push({ address: a.address, name: a.name });
    }
  }
  return out;
}

function addresses(list: Address[] | undefined): string[] {
  const out: string[] = [];
  for (const a of flatten(list)) {
    const addr = a.address.trim().toLowerCase();
    if (addr && !out.includes(addr)) out.push(addr);
  }
  return out;
}

function envelopeFromHeaders(email: Email): string[] {
  const out: string[] = [];
  for (const h of email.headers) {
    if (h.key !== 'delivered-to' && h.key !== 'x-original-to') continue;
    for (const m of h.value.matchAll(/[^\s<>,;"]+@[^\s<>,;"]+/g)) {
      const addr = m[0].toLowerCase();
      if (!out.includes(addr)) out.push(addr);
    }
  }
  return out;
}

export async function parseInbound(raw: Buffer | string, options: ParseOptions = {}): Promise<InboundMail> {
  const email = await PostalMime.parse(raw);

  const headers: Record<string, string> = {};
  for (const h of email.headers) {
    if (!(h.key in headers)) headers[h.key] = h.value.trim();
  }

  const references: string[] = [];
  for (const id of extractMessageIds(email.references)) {
    if (!references.includes(id)) references.push(id);
  }

  const fromList = flatten(email.from ? [email.from] : undefined);
  const from = fromList[0]
    ? { address: fromList[0].address.trim().toLowerCase(), name: fromList[0].name }
    : { address: '', name: '' };

  const deliveredTo = options.envelopeTo
    ? [...new Set(options.envelopeTo.map((a) => a.trim().toLowerCase()).filter((a) => a !== ''))]
    : envelopeFromHeaders(email);

  const attachments: InboundAttachment[] = email.attachments.map((a) => {
    const content =
      typeof a.content === 'string'
        ? new TextEncoder().encode(a.content)
        : a.content instanceof Uint8Array
          ? a.content
          : new Uint8Array(a.content);
    return { filename: a.filename ?? '', contentType: a.mimeType.toLowerCase(), size: content.byteLength, content };
  });

  return {
    messageId: normalizeMessageId(email.messageId),
    inReplyTo: normalizeMessageId(email.inReplyTo),
    references,
    subject: (email.subject ?? '').trim(),
    from,
    to: addresses(email.to),
    cc: addresses(email.cc),
    deliveredTo,
    headers,
    text: email.text ?? '',
    html: email.html ?? null,
    attachments,
    threadIndex: headers['thread-index'] || null,
    date: email.date ?? null,
  };
}
