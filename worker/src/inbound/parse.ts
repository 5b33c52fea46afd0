// Inbound e-mail: raw RFC 5322 message -> the plain data the decision logic works on.
// Pure apart from the MIME parse itself (postal-mime, no I/O). Mail cannot be refused, so every
// text it yields is storable (NULs removed, lone surrogates replaced: toStorableText).
import mime from 'mime';
import PostalMime, { decodeWords } from 'postal-mime';
import type { Address, Attachment, Email } from 'postal-mime';
import { toStorableText } from '@mehrdesk/core/domain';
import { declareUndeclaredCharsets } from './charset';
import { mailboxes, resolveSender, type SenderSource } from './sender';

export interface InboundAttachment {
  /** Decoded file name; for a part that names none, one made up by partName. */
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
  /** The sender (see sender.ts): a valid lower-cased address, or '' when the message has none. */
  from: { address: string; name: string };
  /** Where the sender's address was found; null when nowhere. */
  fromSource: SenderSource | null;
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
  /** Envelope sender (MAIL FROM, '' for the null sender); when absent (IMAP) the Return-Path header stands in. */
  envelopeFrom?: string;
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

function addresses(list: Address[] | undefined): string[] {
  const out: string[] = [];
  for (const a of mailboxes(list ?? [])) {
    const addr = toStorableText(a.address.trim().toLowerCase());
    if (addr && !out.includes(addr)) out.push(addr);
  }
  return out;
}

/** A file-name-safe form of a text (a subject): no path or shell specials, no control characters. */
const fileNameOf = (text: string) =>
  text
    .replace(/[\p{Cc}\\/:*?"<>|]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 100)
    .trim();

/** The Subject of an attached message, read from its header block. */
function attachedSubject(content: Uint8Array): string {
  const head = new TextDecoder().decode(content.subarray(0, 64 * 1024)).split(/\r?\n\r?\n/)[0] ?? '';
  const m = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head);
  return m ? decodeWords(m[1]!.replace(/\r?\n/g, '')) : '';
}

/**
 * A name for a part that names none: its Content-ID (`<image001.png@01DC…>` -> `image001.png`),
 * the subject of an attached message (`Order 4711.eml`), else `attachment-<n>` — each with the
 * extension of its type when it does not already have one.
 */
export function partName(a: Pick<Attachment, 'mimeType' | 'contentId'>, content: Uint8Array, n: number): string {
  const type = a.mimeType.toLowerCase();
  const extension = mime.getExtension(type);
  const cid = fileNameOf((a.contentId ?? '').replace(/^<|>$/g, '').split('@')[0] ?? '');
  const base = cid || (type === 'message/rfc822' ? fileNameOf(attachedSubject(content)) : '') || `attachment-${n}`;
  const known = mime.getAllExtensions(type);
  const hasExtension = known !== null && [...known].some((e) => base.toLowerCase().endsWith(`.${e}`));
  return extension && !hasExtension ? `${base}.${extension}` : base;
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
  const email = await PostalMime.parse(declareUndeclaredCharsets(typeof raw === 'string' ? Buffer.from(raw) : raw));
  const storable = (s: string | undefined) => toStorableText(s ?? '');

  const headers: Record<string, string> = {};
  for (const h of email.headers) {
    const key = storable(h.key);
    if (!(key in headers)) headers[key] = storable(h.value.trim());
  }

  const references: string[] = [];
  for (const id of extractMessageIds(storable(email.references))) {
    if (!references.includes(id)) references.push(id);
  }

  const sender = resolveSender(email.headers, options.envelopeFrom);

  const deliveredTo = options.envelopeTo ? [...new Set(options.envelopeTo.map((a) => storable(a.trim().toLowerCase())).filter((a) => a !== ''))] : envelopeFromHeaders(email).map(storable);

  const attachments: InboundAttachment[] = email.attachments.map((a, i) => {
    const content = typeof a.content === 'string' ? new TextEncoder().encode(a.content) : a.content instanceof Uint8Array ? a.content : new Uint8Array(a.content);
    const filename = storable(a.filename ?? '').trim() || storable(partName(a, content, i + 1));
    return { filename, contentType: storable(a.mimeType.toLowerCase()), size: content.byteLength, content };
  });

  return {
    messageId: normalizeMessageId(storable(email.messageId)),
    inReplyTo: normalizeMessageId(storable(email.inReplyTo)),
    references,
    subject: storable(email.subject).trim(),
    from: { address: sender.address, name: sender.name },
    fromSource: sender.source,
    to: addresses(email.to),
    cc: addresses(email.cc),
    deliveredTo,
    headers,
    text: storable(email.text),
    html: email.html === undefined ? null : storable(email.html),
    attachments,
    threadIndex: headers['thread-index'] || null,
    date: email.date === undefined ? null : storable(email.date),
  };
}
