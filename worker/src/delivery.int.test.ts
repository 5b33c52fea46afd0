import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailCatcher, type MailCatcher } from '@mehrdesk/scripts/mail-catcher';
import { freePort } from '@mehrdesk/scripts/stack/ports';
import { listMail, waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// E-mail delivery is an activity with retries and backoff: with the SMTP server down the
// attempt fails and is recorded; once it is back the same message goes out exactly once.

let h: Harness;
let smtpPort: number;
let catcher: MailCatcher | null = null;

beforeAll(async () => {
  smtpPort = await freePort();
  h = await startHarness({ env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` } });
});
afterAll(async () => {
  await h?.close();
  await catcher?.close();
});

describe('e-mail delivery', () => {
  it('retries with backoff while SMTP is down and delivers exactly once when it is back', async () => {
    const customer = await h.login(h.fx.users.customer.email);
    const t = (await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'SMTP outage', body: 'x', categoryId: h.fx.categoryId })).body;
    const failing = await eventually(async () => {
      const rows = await h.orm.em
        .fork()
        .execute<{ template: string; status: string; attempts: number; last_error: string | null }[]>(
          `select template, status, attempts, last_error from email_log where ticket_id = ? and template = 'ticket_created'`,
          [t.id],
        );
      return rows[0]?.last_error ? rows[0] : null;
    }, 'a failed attempt to be recorded');
    expect(failing.status).toBe('sending');
    expect(failing.last_error).toMatch(/ECONNREFUSED|connect/i);

    await new Promise((r) => setTimeout(r, 3000)); // let at least one more attempt fail
    catcher = await startMailCatcher({ smtpPort, httpPort: 0 });
    const mails = await waitForMail(catcher.url, (m) => m.subject.includes(t.number) && m.subject.includes('We received'), { timeoutMs: 40_000 });
    expect(mails).toHaveLength(1);
    // The catcher has the mail a moment before the activity records the hand-off as sent.
    const row = await eventually(async () => {
      const [r] = await h.orm.em
        .fork()
        .execute<{ status: string; attempts: number; message_id: string }[]>(`select status, attempts, message_id from email_log where ticket_id = ? and template = 'ticket_created'`, [t.id]);
      return r?.status === 'sent' ? r : null;
    }, 'the e-mail row marked sent');
    expect(row!.attempts).toBeGreaterThanOrEqual(2);
    expect(mails[0]!.messageId).toBe(row!.message_id);
    await new Promise((r) => setTimeout(r, 2000));
    const again = (await listMail(catcher.url)).filter((m) => m.subject.includes(t.number) && m.subject.includes('We received'));
    expect(again).toHaveLength(1);
  });
});
