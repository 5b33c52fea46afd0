import { describe, expect, it } from 'vitest';
import { loadConfig, parseImapUrl } from './config';

// The IMAP source's settings: a bad value must stop the process with a message that names the
// variable, and must never repeat the URL (it carries the mailbox password).

const problem = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe('INBOUND_IMAP_* config', () => {
  it('is off by default, with the documented defaults for the rest', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      INBOUND_IMAP_URL: '',
      INBOUND_IMAP_MAILBOX: 'INBOX',
      INBOUND_IMAP_POLL_SECONDS: 60,
      INBOUND_IMAP_AFTER: { action: 'move', folder: 'Mehrdesk/Processed' },
    });
  });

  it('parses imap:// and imaps:// URLs with default ports and %-encoded credentials', () => {
    expect(parseImapUrl('imaps://support%40example.com:p%40ss%3Aword@mail.example.com')).toEqual({
      secure: true,
      host: 'mail.example.com',
      port: 993,
      user: 'support@example.com',
      password: 'p@ss:word',
    });
    expect(parseImapUrl('imap://u:p@127.0.0.1:1143/')).toEqual({ secure: false, host: '127.0.0.1', port: 1143, user: 'u', password: 'p' });
    expect(parseImapUrl('imap://u:p@[::1]')).toMatchObject({ host: '::1', port: 143 });
    expect(loadConfig({ INBOUND_IMAP_URL: 'imaps://u:p@mail.example.com' }).INBOUND_IMAP_URL).toBe('imaps://u:p@mail.example.com');
  });

  it.each([
    ['https://u:hunter22@mail.example.com', /scheme is "https:"/],
    ['imaps://mail.example.com', /user name or password is missing/],
    ['imaps://u@mail.example.com', /user name or password is missing/],
    ['imaps://u:hunter22@mail.example.com/INBOX', /INBOUND_IMAP_MAILBOX, not in the URL/],
    ['imaps://u:hunter22@mail.example.com?tls=off', /INBOUND_IMAP_MAILBOX, not in the URL/],
    ['imaps://u:hunter22%zz@mail.example.com', /broken %-escape/],
    ['imaps://u:hunter22@mail.example.com:99999', /must look like imaps:/],
    ['hunter22', /must look like imaps:/],
  ])('refuses INBOUND_IMAP_URL=%s naming the variable, without quoting the password', (url, why) => {
    const message = problem({ INBOUND_IMAP_URL: url });
    expect(message).toMatch(/^Invalid environment:\n {2}INBOUND_IMAP_URL: /);
    expect(message).toMatch(why);
    expect(message).not.toContain('hunter22');
    expect(() => parseImapUrl(url)).toThrow(/^INBOUND_IMAP_URL /);
  });

  it('reads INBOUND_IMAP_AFTER as seen, delete or move:<folder>', () => {
    expect(loadConfig({ INBOUND_IMAP_AFTER: 'seen' }).INBOUND_IMAP_AFTER).toEqual({ action: 'seen' });
    expect(loadConfig({ INBOUND_IMAP_AFTER: 'delete' }).INBOUND_IMAP_AFTER).toEqual({ action: 'delete' });
    expect(loadConfig({ INBOUND_IMAP_AFTER: 'move:Archive/Helpdesk 2026' }).INBOUND_IMAP_AFTER).toEqual({ action: 'move', folder: 'Archive/Helpdesk 2026' });
  });

  it.each([
    [{ INBOUND_IMAP_AFTER: 'archive' }, 'INBOUND_IMAP_AFTER: must be `seen`, `delete` or `move:<folder>`'],
    [{ INBOUND_IMAP_AFTER: 'move:' }, 'INBOUND_IMAP_AFTER: move:<folder>: the folder must be 1-200 characters'],
    [{ INBOUND_IMAP_AFTER: 'move:Done//x' }, 'INBOUND_IMAP_AFTER: move:<folder>: the folder must not have empty levels'],
    [{ INBOUND_IMAP_AFTER: 'move:inbox' }, 'INBOUND_IMAP_AFTER: must move processed mail to a folder other than INBOUND_IMAP_MAILBOX'],
    [{ INBOUND_IMAP_MAILBOX: 'Support', INBOUND_IMAP_AFTER: 'move:Support' }, 'INBOUND_IMAP_AFTER: must move processed mail'],
    [{ INBOUND_IMAP_MAILBOX: '/Support' }, 'INBOUND_IMAP_MAILBOX: must not have empty levels'],
    [{ INBOUND_IMAP_MAILBOX: 'In\r\nbox' }, 'INBOUND_IMAP_MAILBOX: must not contain control characters'],
    [{ INBOUND_IMAP_POLL_SECONDS: '0' }, 'INBOUND_IMAP_POLL_SECONDS:'],
    [{ INBOUND_IMAP_POLL_SECONDS: '3601' }, 'INBOUND_IMAP_POLL_SECONDS:'],
  ])('refuses %j', (env, message) => {
    expect(problem(env)).toContain(message);
  });
});
