// Is an inbound message machine-generated? Automated mail must never open or reopen a
// ticket, and above all must never trigger an outgoing notification: that is how two
// auto-responders (ours and an out-of-office) end up mailing each other forever.
//
// Signals used, first match wins (the reason names the signal):
//   loop:x-mehrdesk-ticket   our own X-Mehrdesk-Ticket header came back (bounced/looped notification)
//   loop:own-address         From is one of our own mailbox addresses
//   auto-submitted:<value>   RFC 3834 Auto-Submitted with any value other than `no`
//   x-autoreply / x-autorespond   presence of these headers (set by auto-responders themselves)
//   precedence:<value>       Precedence bulk | junk | list | auto_reply
//   list:list-id / list:list-unsubscribe   mailing-list / bulk (newsletter) mail
//   bounce:null-return-path  Return-Path present but empty or `<>` (RFC 5321 null reverse-path: DSNs)
//   report:multipart/report  top-level Content-Type multipart/report (RFC 6522)
//   report:<type>            a message/delivery-status or message/feedback-report part
//   sender:<local-part>      mailer-daemon, postmaster, noreply / no-reply (and do-not-reply variants)
//
// Deliberately NOT a signal: X-Auto-Response-Suppress. Outlook/Exchange puts
// `X-Auto-Response-Suppress: All` (or OOF, AutoReply, ...) on ordinary mail a person writes,
// especially meeting mail and mail sent through some clients/gateways. It is a request *to
// the recipient* ("do not send me auto-replies"), not a statement that the message itself is
// automatic. Treating it as automated would silently drop real customer mail. The processor
// may honour it when deciding whether to send an acknowledgement, but that is a different
// question. Only headers an auto-responder sets about its *own* message (Auto-Submitted,
// X-Autoreply, X-Autorespond) mark the message as an auto-reply.
import type { InboundMail } from './parse';

export type AutomatedResult = { automated: false } | { automated: true; reason: string };

export interface ClassifyOptions {
  /** Our own mailbox addresses (support@..., the MAIL_FROM address, aliases). */
  ourAddresses: readonly string[];
}

type MailForClassify = Pick<InboundMail, 'from' | 'headers' | 'attachments'>;

const PRECEDENCE_AUTOMATED = new Set(['bulk', 'junk', 'list', 'auto_reply']);
const EXACT_SENDER_LOCALS = new Set(['mailer-daemon', 'postmaster']);
const NOREPLY_LOCAL_RE = /^(?:no-?reply|no_reply|do-?not-?reply)(?:$|[-._])/;
const REPORT_PART_TYPES = ['message/delivery-status', 'message/feedback-report'];

function header(mail: MailForClassify, name: string): string | undefined {
  return mail.headers[name];
}

/** First token of a header value, lower-cased, without parameters or comments. */
function token(value: string): string {
  return (value.split(/[;(]/)[0] ?? '').trim().toLowerCase();
}

export function classifyAutomated(mail: MailForClassify, options: ClassifyOptions): AutomatedResult {
  const yes = (reason: string): AutomatedResult => ({ automated: true, reason });

  if (header(mail, 'x-mehrdesk-ticket') !== undefined) return yes('loop:x-mehrdesk-ticket');

  const sender = mail.from.address.toLowerCase();
  const ours = options.ourAddresses.map((a) => a.trim().toLowerCase());
  if (sender !== '' && ours.includes(sender)) return yes('loop:own-address');

  const autoSubmitted = header(mail, 'auto-submitted');
  if (autoSubmitted !== undefined) {
    const v = token(autoSubmitted);
    if (v !== 'no') return yes(`auto-submitted:${v}`);
  }

  if (header(mail, 'x-autoreply') !== undefined) return yes('x-autoreply');
  if (header(mail, 'x-autorespond') !== undefined) return yes('x-autorespond');

  const precedence = header(mail, 'precedence');
  if (precedence !== undefined && PRECEDENCE_AUTOMATED.has(token(precedence))) {
    return yes(`precedence:${token(precedence)}`);
  }

  if (header(mail, 'list-id') !== undefined) return yes('list:list-id');
  if (header(mail, 'list-unsubscribe') !== undefined) return yes('list:list-unsubscribe');

  const returnPath = header(mail, 'return-path');
  if (returnPath !== undefined && returnPath.replace(/[<>\s]/g, '') === '') return yes('bounce:null-return-path');

  const contentType = header(mail, 'content-type');
  if (contentType !== undefined && token(contentType) === 'multipart/report') return yes('report:multipart/report');
  const reportPart = mail.attachments.find((a) => REPORT_PART_TYPES.includes(a.contentType));
  if (reportPart) return yes(`report:${reportPart.contentType}`);

  const local = (sender.split('@')[0] ?? '').split('+')[0] ?? '';
  if (EXACT_SENDER_LOCALS.has(local) || NOREPLY_LOCAL_RE.test(local)) return yes(`sender:${local}`);

  return { automated: false };
}
