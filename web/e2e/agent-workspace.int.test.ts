import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { collectErrors, launchChromium, newAgentContext, screenshot, signIn } from './browser';

// The agent workspace end to end, in headless Chromium against the real stack (API serving the
// built console, worker, Temporal, PostgreSQL): an agent signs in, finds a new ticket in the
// inbox, opens it, sees its SLA countdown, replies, changes the status; a second agent in
// another browser context sees the first one on the ticket (collision warning), watches the
// reply and the status change arrive live; switching to Persian turns the page right to left.

let h: Harness;
let browser: Browser;
let one: BrowserContext;
let two: BrowserContext;
let ticket: { id: number; number: string };
const errors: string[] = [];

async function ticketPage(page: Page) {
  await page.goto(`/tickets/${ticket.id}`);
  await page.getByTestId('ticket-number').filter({ hasText: ticket.number }).waitFor();
}

beforeAll(async () => {
  h = await startHarness();
  browser = await launchChromium();
  const customer = await h.login(h.fx.users.customer.email);
  const created = await h.call(customer, 'POST', '/api/v1/tickets', {
    subject: `Printer on floor 3 is jammed ${h.fx.suffix}`,
    body: '<p>It prints blank pages since this morning.</p>',
    categoryId: h.fx.categoryId,
    priority: 'high',
  });
  expect(created.status).toBe(201);
  ticket = { id: created.body.id, number: created.body.number };
  one = await newAgentContext(browser, h.baseUrl);
  two = await newAgentContext(browser, h.baseUrl);
});

afterAll(async () => {
  await one?.close();
  await two?.close();
  await browser?.close();
  await h?.close();
  if (errors.length) console.warn(`browser errors:\n${errors.join('\n')}`);
});

describe('agent workspace in the browser', () => {
  let a: Page;
  let b: Page;

  it('an agent signs in and finds the new ticket in the inbox', async () => {
    a = await one.newPage();
    collectErrors(a, errors);
    await a.goto('/');
    await a.waitForURL(/\/login/);
    await screenshot(a, '01-login');
    await signIn(a, h.fx.users.agent1.email);
    await a.getByRole('link', { name: 'All open' }).click();
    await a.waitForURL(/\/inbox\/allOpen/);
    const link = a.getByTestId(`ticket-link-${ticket.id}`);
    await link.waitFor();
    expect(await link.textContent()).toBe(ticket.number);
    await screenshot(a, '02-inbox');
  });

  it('opens the ticket: header, conversation and a running SLA countdown', async () => {
    await a.getByTestId(`ticket-link-${ticket.id}`).click();
    await a.waitForURL(new RegExp(`/tickets/${ticket.id}$`));
    await a.getByTestId('ticket-subject').filter({ hasText: 'Printer on floor 3' }).waitFor();
    await a.getByText('It prints blank pages since this morning.').waitFor();
    const firstResponse = a.getByRole('timer', { name: /First response: on track, due in/ });
    await firstResponse.waitFor();
    expect(await firstResponse.getAttribute('data-sla-state')).toBe('ok');
    expect(await a.getByTestId('temporal-link').getAttribute('href')).toContain(`ticket-${ticket.id}`);
    await screenshot(a, '03-ticket');
  });

  it('a second agent on the same ticket sees a collision warning, and the first sees them typing', async () => {
    b = await two.newPage();
    collectErrors(b, errors);
    await signIn(b, h.fx.users.agent2.email);
    await ticketPage(b);
    const agent1Name = `agent1 ${h.fx.suffix}`;
    const agent2Name = `agent2 ${h.fx.suffix}`;
    await b.getByTestId('presence-viewing').filter({ hasText: agent1Name }).waitFor();
    await a.getByTestId('presence-viewing').filter({ hasText: agent2Name }).waitFor();

    await b.getByTestId('reply-editor').click();
    await b.keyboard.type('Looking at it too');
    await a
      .getByTestId('presence-typing')
      .filter({ hasText: `${agent2Name} is typing a reply` })
      .waitFor();
    await screenshot(a, '04-collision-warning');
    await b.getByRole('button', { name: 'Undo' }).click();
  });

  it('the reply appears in both browsers, the second one without reloading', async () => {
    await a.getByTestId('reply-editor').click();
    await a.keyboard.type('We are sending a technician to floor 3.');
    await a.getByTestId('send-reply').click();
    await a.getByText('Reply sent').waitFor();
    await a.locator('[data-message-kind="public"]').filter({ hasText: 'We are sending a technician to floor 3.' }).waitFor();
    await b.locator('[data-message-kind="public"]').filter({ hasText: 'We are sending a technician to floor 3.' }).waitFor();
    // The first response was given: that clock is met.
    await a.getByRole('timer', { name: /First response: met/ }).waitFor();
  });

  it('a status change is saved, pauses the clocks, and shows up live for the other agent', async () => {
    await a.getByTestId('field-status').click();
    await a.getByRole('option', { name: 'Pending' }).click();
    await a.getByText('Saved').first().waitFor();
    await expect.poll(async () => (await h.call(await h.login(h.fx.users.agent1.email), 'GET', `/api/v1/tickets/${ticket.id}`)).body.status).toBe('pending');
    await a.getByRole('timer', { name: /Resolution: paused/ }).waitFor();
    await b.getByTestId('field-status').locator('.v-select__selection-text').filter({ hasText: 'Pending' }).waitFor();
    await screenshot(b, '05-ticket-live-update');
  });

  it('switching to Persian turns the console right to left, with Persian labels and dates', async () => {
    await a.getByTestId('locale-switch').click();
    await a.getByRole('menuitemradio', { name: 'فارسی' }).click();
    const html = a.locator('html');
    await expect.poll(async () => `${await html.getAttribute('dir')} ${await html.getAttribute('lang')}`).toBe('rtl fa');
    await a.getByRole('tab', { name: 'گفت‌وگو' }).waitFor();
    expect(await a.locator('.v-application').getAttribute('class')).toContain('v-locale--is-rtl');
    await screenshot(a, '06-ticket-fa');
    // Remembered: a reload keeps Persian.
    await a.reload();
    await a.getByRole('tab', { name: 'گفت‌وگو' }).waitFor();
    expect(await html.getAttribute('dir')).toBe('rtl');
    await a.goto('/inbox/allOpen');
    await a.getByTestId(`ticket-link-${ticket.id}`).waitFor();
    await screenshot(a, '07-inbox-fa');
  });

  it('the bell counts notifications and opens the notification centre', async () => {
    // The ticket was assigned to one of the two agents when it was created.
    const assignee = (await h.call(await h.login(h.fx.users.agent1.email), 'GET', `/api/v1/tickets/${ticket.id}`)).body.assigneeId;
    const page = assignee === h.fx.users.agent1.id ? a : b;
    const bell = page.getByTestId('notification-bell');
    await expect.poll(() => bell.getAttribute('aria-label')).toMatch(/Notifications, [1-9]\d* unread|اعلان‌ها، [۱-۹][۰-۹]* خوانده‌نشده/);
    await bell.click();
    await page.getByRole('link', { name: /See all notifications|دیدن همهٔ اعلان‌ها/ }).click();
    await page.waitForURL(/\/notifications$/);
    // "Assigned to you" for this ticket; opening it marks it read and goes to the ticket.
    const item = page.locator('.v-list-item').filter({ hasText: ticket.number }).first();
    await item.waitFor();
    await screenshot(page, '08-notifications');
    await item.click();
    await page.waitForURL(new RegExp(`/tickets/${ticket.id}$`));
  });
});
