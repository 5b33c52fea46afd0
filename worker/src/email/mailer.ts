import nodemailer, { type Transporter } from 'nodemailer';

/** SMTP transport from a URL such as smtp://user:pass@host:1025 or smtps://host:465. */
export function createMailer(smtpUrl: string): Transporter {
  return nodemailer.createTransport(smtpUrl, { pool: true, maxConnections: 4 } as object);
}
