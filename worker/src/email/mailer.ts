import nodemailer, { type Transporter } from 'nodemailer';

/** SMTP transport from a URL such as smtp://user:pass@host:1025 or smtps://host:465. */
export function createMailer(smtpUrl: string): Transporter {
  return nodemailer.createTransport(smtpUrl, { pool: true, maxConnections: 4 } as object);
}

/** The domain of our Message-IDs: the public host name. */
export function messageDomain(publicUrl: string): string {
  return new URL(publicUrl).hostname || 'mehrdesk.local';
}

/** A notification as the mailer takes it: from MAIL_FROM, to one named person, marked automatic. */
export function outgoingMail(
  from: string,
  to: { name: string; email: string },
  rendered: { subject: string; text: string; html: string },
  extra: { messageId: string; headers: Record<string, string>; inReplyTo?: string; references?: string[] },
) {
  return {
    from,
    to: { name: to.name, address: to.email },
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    messageId: extra.messageId,
    ...(extra.inReplyTo ? { inReplyTo: extra.inReplyTo, references: extra.references } : {}),
    headers: { 'Auto-Submitted': 'auto-generated', ...extra.headers },
  };
}
