import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { collectErrors, launchChromium, newAgentContext, signIn } from './browser';

// Opening attachments from the console, in headless Chromium: the file must come from the
// server with its sandbox headers (the tab has an opaque origin, nothing runs as the console),
// never as a blob: URL of the console's own origin.

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const HTML = '<!doctype html><html><body><script>window.opener && window.opener.alert("pwned")</script></body></html>';

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let ticketId: number;
const errors: string[] = [];

beforeAll(async () => {
  h = await startHarness({ inbound: true });
  browser = await launchChromium();
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.inbound!.smtpPort, secure: false, ignoreTLS: true });
  const sent = await transport.sendMail({
    from: h.fx.users.customer.email,
    to: 'support@mehrdesk.local',
    subject: `Files for you ${h.fx.suffix}`,
    text: 'Two files',
    attachments: [
      { filename: 'screen.png', content: PNG, contentType: 'image/png' },
      { filename: 'page.html', content: HTML, contentType: 'text/html' },
    ],
  });
  ticketId = await eventually(async () => {
    const [r] = await h.orm.em.fork().execute<{ ticket_id: number | null }[]>('select ticket_id from inbound_emails where message_id = ?', [sent.messageId]);
    return r?.ticket_id ?? null;
  }, 'the ticket from the mail');
  context = await newAgentContext(browser, h.baseUrl);
  page = await context.newPage();
  collectErrors(page, errors);
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await signIn(page, h.fx.users.admin.email);
  await page.goto(`/tickets/${ticketId}`);
  await page.getByText('Two files').waitFor();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.close();
});

const chip = (name: string) => page.locator(`[aria-label^="Download ${name} ("]`);

describe('attachments opened from the console', () => {
  it('an image opens in a new tab from the server, sandboxed', async () => {
    const [tab] = await Promise.all([context.waitForEvent('page'), chip('screen.png').click()]);
    await tab.waitForURL(/\/api\/v1\/attachments\/\d+\/download\?token=/);
    expect(tab.url()).toMatch(new RegExp(`^${h.baseUrl}/`)); // not blob:
    // The CSP sandbox gives the document an opaque origin: it cannot reach the console or its storage.
    expect(await tab.evaluate(() => self.origin)).toBe('null');
    expect(await tab.evaluate(() => window.opener)).toBeNull();
    await tab.close();
  });

  it('an HTML file is downloaded, never run as the console', async () => {
    // The new tab may start its download before an awaited `tab.waitForEvent` could listen, so
    // the listener is attached inside the 'page' event, before any later event is dispatched.
    const opened = new Promise<{ tab: Page; download: Promise<Download> }>((resolve) => context.once('page', (tab) => resolve({ tab, download: tab.waitForEvent('download', { timeout: 30_000 }) })));
    await chip('page.html').click();
    const { tab, download: downloading } = await opened;
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('page.html');
    expect(download.url()).toMatch(/\/api\/v1\/attachments\/\d+\/download\?token=/);
    await tab.close();
    expect(errors.filter((e) => e.includes('pwned'))).toEqual([]);
  });
});
