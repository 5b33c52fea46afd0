import { describe, expect, it } from 'vitest';
import { permanentSmtpFailure, recipientProblem } from './smtp-failures';

const smtpError = (props: Record<string, unknown>) => Object.assign(new Error(String(props.message ?? 'smtp')), props);

describe('permanent SMTP failures', () => {
  it('treats refused and missing recipients as invalid recipients', () => {
    expect(permanentSmtpFailure(smtpError({ code: 'EENVELOPE', responseCode: 501, command: 'RCPT TO', message: '501 Bad recipient address syntax' }))).toBe('InvalidRecipient');
    expect(permanentSmtpFailure(smtpError({ code: 'EENVELOPE', message: 'No recipients defined' }))).toBe('InvalidRecipient');
    expect(permanentSmtpFailure(smtpError({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }))).toBe('InvalidRecipient');
  });

  it('treats a refused message as rejected', () => {
    expect(permanentSmtpFailure(smtpError({ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }))).toBe('MailRejected');
  });

  it('retries temporary replies, lost connections and timeouts', () => {
    expect(permanentSmtpFailure(smtpError({ code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' }))).toBeNull();
    expect(permanentSmtpFailure(smtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }))).toBeNull();
    expect(permanentSmtpFailure(smtpError({ code: 'ETIMEDOUT' }))).toBeNull();
    expect(permanentSmtpFailure(smtpError({ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }))).toBeNull();
    expect(permanentSmtpFailure('not an error')).toBeNull();
  });

  it('refuses recipients that are not addresses before connecting', () => {
    expect(recipientProblem('')).toMatch(/no e-mail address/);
    expect(recipientProblem('two words@example.com')).toMatch(/not an e-mail address/);
    expect(recipientProblem('no-at-sign')).toMatch(/not an e-mail address/);
    expect(recipientProblem('a@example.com')).toBeNull();
  });
});
