// Which SMTP failures are final? A 4xx reply, a dropped connection or a timeout may pass, so
// those are retried with backoff. A recipient the server refuses (5xx to RCPT TO, e.g.
// `501 Bad recipient address syntax`, `550 No such user`) or no recipient at all
// (nodemailer's "No recipients defined") fails the same way on every try, as does a message the
// server refuses outright (5xx to DATA): retrying those for a day only hides them.

export type SmtpFailureType = 'InvalidRecipient' | 'MailRejected';

interface NodemailerError {
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
  message?: unknown;
}

/** The permanent failure type of a send error, or null when a retry may succeed. */
export function permanentSmtpFailure(err: unknown): SmtpFailureType | null {
  if (err === null || typeof err !== 'object') return null;
  const e = err as NodemailerError;
  const status = typeof e.responseCode === 'number' ? e.responseCode : null;
  const command = typeof e.command === 'string' ? e.command.toUpperCase() : '';
  if (e.code === 'EENVELOPE') return status !== null && status < 500 ? null : 'InvalidRecipient';
  if (status !== null && status >= 500 && status < 600) return command.startsWith('RCPT') ? 'InvalidRecipient' : command.startsWith('DATA') || e.code === 'EMESSAGE' ? 'MailRejected' : null;
  return null;
}

/** A recipient no SMTP server could accept: refused before any connection is made. */
export function recipientProblem(address: string): string | null {
  const a = address.trim();
  if (a === '') return 'the recipient has no e-mail address';
  // One @ with something on each side, no spaces or angle brackets (full RFC 5321 checks are the server's).
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(a)) return `"${a}" is not an e-mail address`;
  return null;
}
