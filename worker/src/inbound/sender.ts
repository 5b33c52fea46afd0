import { addressParser, decodeWords, type Address, type Header } from 'postal-mime';
import { z } from 'zod';
import { toStorableText } from '@mehrdesk/core/domain';

// Who sent an inbound mail. Real mail has broken From headers (two of them, the first without an
// address; a first address `<>`; an encoded display name with a comma that splits it in two), so
// every address is tried in order: each From address, then Sender, Reply-To, and last the
// envelope sender (SMTP MAIL FROM; for IMAP, which has no envelope, the Return-Path header the
// delivering server wrote). The first syntactically valid one wins. A mail with none has no
// sender at all (address ''), which the processor reports as an unknown sender: never a made-up
// or shared blank customer.

export type SenderSource = 'from' | 'sender' | 'reply-to' | 'envelope';

export interface ResolvedSender {
  /** Lower-cased and valid, or '' when the mail has no usable address. */
  address: string;
  name: string;
  source: SenderSource | null;
}

// The rule the API applies to users' e-mail addresses (api/src/admin/users-routes.ts).
const EmailAddress = z.email().max(254);

/** The address lower-cased when it is a valid e-mail address of at most 254 characters, else null. */
export function usableAddress(value: string): string | null {
  const address = value.trim().toLowerCase();
  return EmailAddress.safeParse(address).success ? address : null;
}

const ENCODED_WORDS = /=\?[^?\s]+\?[bq]\?[^?\s]*\?=(?:\s+=\?[^?\s]+\?[bq]\?[^?\s]*\?=)*/gi;

/**
 * Encoded words (RFC 2047) outside quoted strings replaced by a quoted string of their text, so
 * that a comma inside one (`=?iso-8859-1?Q?B=FCrling,=20Andreas?=`, which RFC 2047 forbids but
 * mailers send) stays part of the display name instead of separating two bogus addresses.
 */
export function quoteEncodedWords(value: string): string {
  return value.replace(/"(?:[^"\\]|\\.)*"?|[^"]+/g, (segment) => (segment.startsWith('"') ? segment : segment.replace(ENCODED_WORDS, (words) => `"${decodeWords(words).replace(/[\\"]/g, '\\$&')}"`)));
}

/** Every mailbox of an address list, group members included. */
export function mailboxes(list: readonly Address[]): { address: string; name: string }[] {
  return list.flatMap((a) => (a.group ? a.group.map((m) => ({ address: m.address, name: m.name })) : a.address !== undefined ? [{ address: a.address, name: a.name }] : []));
}

export function resolveSender(headers: readonly Header[], envelopeFrom: string | undefined): ResolvedSender {
  const listed = (key: string) => headers.filter((h) => h.key === key).flatMap((h) => mailboxes(addressParser(quoteEncodedWords(h.value))));
  const candidates: [SenderSource, { address: string; name: string }[]][] = [
    ['from', listed('from')],
    ['sender', listed('sender')],
    ['reply-to', listed('reply-to')],
    ['envelope', envelopeFrom === undefined ? listed('return-path').map((m) => ({ address: m.address, name: '' })) : [{ address: envelopeFrom, name: '' }]],
  ];
  for (const [source, list] of candidates) {
    for (const m of list) {
      const address = usableAddress(m.address);
      if (address) return { address, name: toStorableText(m.name.trim()), source };
    }
  }
  return { address: '', name: '', source: null };
}
