import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { collectErrors, launchChromium, newAgentContext, screenshot, signIn } from './browser';

// An agent opens a ticket on a customer's behalf from the inbox (the "n" shortcut), for an
// e-mail address the helpdesk has never seen, with a file; then answers it with another file.
// Both files upload from the browser with progress, end up on their messages, and download from
// the server through the console's signed links with the bytes that were chosen.

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  browser = await launchChromium();
  context = await newAgentContext(browser, h.baseUrl);
  page = await context.newPage();
  collectErrors(page, errors);
  await signIn(page, h.fx.users.agent1.email);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.close();
});

/** Click an attachment chip; the console opens its signed link in a tab (shown, or downloaded). Returns the link's bytes. */
async function openChip(name: string): Promise<Buffer> {
  const [tab] = await Promise.all([context.waitForEvent('page'), page.locator(`[aria-label^="Download ${name} ("]`).click()]);
  const url = await Promise.race([tab.waitForURL(/\/api\/v1\/attachments\/\d+\/download\?token=/).then(() => tab.url()), tab.waitForEvent('download').then((d) => d.url())]);
  expect(url).toMatch(new RegExp(`^${h.baseUrl}/api/v1/attachments/\\d+/download\\?token=`)); // from the server, never blob:
  const res = await context.request.get(url);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-security-policy']).toMatch(/^sandbox;/);
  await tab.close().catch(() => undefined);
  return Buffer.from(await res.body());
}

describe('a new ticket for a customer, from the inbox', () => {
  const email = `walk-in-${Date.now()}@customer.example`;
  const subject = `Phoned in ${Date.now()}`;

  it('is created for a new e-mail address with an attachment, and opens', async () => {
    await page.getByTestId('new-ticket').waitFor();
    await page.keyboard.press('n');
    const dialog = page.getByTestId('new-ticket-dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'New e-mail address' }).click();
    await dialog.getByLabel('E-mail address').fill(email);
    await dialog.getByLabel('Name (optional)').fill('Walk In');
    await dialog.getByLabel('Subject').fill(subject);
    await dialog.getByTestId('new-ticket-body').click();
    await page.keyboard.type('The customer called: the form is attached.');
    await dialog.getByTestId('new-ticket-group').click();
    await page.getByRole('option', { name: `support-${h.fx.suffix}` }).click();
    await dialog.getByTestId('attachment-input').setInputFiles({ name: 'form.pdf', mimeType: 'application/pdf', buffer: PDF });
    await dialog.locator('[data-testid="attachment-item-form.pdf"][data-status="done"]').waitFor();
    await screenshot(page, 'new-ticket-dialog');
    await dialog.getByTestId('new-ticket-submit').click();

    await page.waitForURL(/\/tickets\/\d+$/);
    await page.getByText('The customer called: the form is attached.').waitFor();
    const ticketId = Number(page.url().split('/').pop());
    const admin = await h.login(h.fx.users.admin.email);
    const ticket = (await h.call(admin, 'GET', `/api/v1/tickets/${ticketId}`)).body;
    expect(ticket).toMatchObject({ subject, requester: { email, name: 'Walk In' }, groupId: h.fx.groups.support, source: 'web' });
    expect((await openChip('form.pdf')).equals(PDF)).toBe(true);
  });

  it('is answered with another attachment, which the customer’s conversation lists and the console downloads', async () => {
    await page.getByTestId('reply-editor').click();
    await page.keyboard.type('Here is a screenshot of the setting.');
    await page.getByTestId('attachment-input').setInputFiles({ name: 'setting.png', mimeType: 'image/png', buffer: PNG });
    await page.locator('[data-testid="attachment-item-setting.png"][data-status="done"]').waitFor();
    await page.getByTestId('send-reply').click();
    await page.locator('[aria-label^="Download setting.png ("]').waitFor();
    // The picker is empty again for the next reply.
    await expect.poll(() => page.locator('[data-testid^="attachment-item-"]').count()).toBe(0);
    expect((await openChip('setting.png')).equals(PNG)).toBe(true);

    const ticketId = Number(page.url().split('/').pop());
    const admin = await h.login(h.fx.users.admin.email);
    const items = (await h.call(admin, 'GET', `/api/v1/tickets/${ticketId}/messages`)).body.items as { kind: string; attachments: { filename: string; contentType: string }[] }[];
    expect(items.map((m) => [m.kind, m.attachments.map((a) => `${a.filename} ${a.contentType}`)])).toEqual([
      ['public', ['form.pdf application/pdf']],
      ['public', ['setting.png image/png']],
    ]);
    await screenshot(page, 'new-ticket-replied');
    expect(errors).toEqual([]);
  });
});
