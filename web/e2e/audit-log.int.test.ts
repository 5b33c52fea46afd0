import fs from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { collectErrors, launchChromium, newAgentContext, screenshot, signIn } from './browser';

// The audit log screen end to end, in headless Chromium against the real stack: an admin renames
// a group, finds the change on the audit screen by its filters and opens it to the name before
// and after; changes the retention on the same screen and sees that change recorded too; and
// downloads the filtered entries as CSV.

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let admin: string;
let groupId: number;
const errors: string[] = [];

beforeAll(async () => {
  h = await startHarness({ worker: false });
  browser = await launchChromium();
  admin = await h.login(h.fx.users.admin.email);
  const g = await h.call(admin, 'POST', '/api/v1/groups', { name: `Audit e2e ${h.fx.suffix}` });
  expect(g.status).toBe(201);
  groupId = g.body.id;
  context = await newAgentContext(browser, h.baseUrl);
  page = await context.newPage();
  collectErrors(page, errors);
});

afterAll(async () => {
  if (groupId) await h.call(admin, 'DELETE', `/api/v1/groups/${groupId}`);
  await context?.close();
  await browser?.close();
  await h?.close();
  if (errors.length) console.warn(`browser errors:\n${errors.join('\n')}`);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page) await screenshot(page, `audit-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
});

describe('the audit log screen', () => {
  it('shows an admin change with its actor, target and before/after', async () => {
    const renamed = await h.call(admin, 'PATCH', `/api/v1/groups/${groupId}`, { name: `Audit e2e renamed ${h.fx.suffix}` }, { 'x-forwarded-for': '198.51.100.23' });
    expect(renamed.status).toBe(200);
    await signIn(page, h.fx.users.admin.email);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(/\/admin\/audit-log$/);
    await page.getByLabel('Action', { exact: true }).fill('group.updated');
    await page.getByLabel('Target id', { exact: true }).fill(String(groupId));
    const table = page.getByTestId('audit-table');
    const row = table.getByRole('row').filter({ hasText: `group #${groupId}` });
    // Until the filters apply (a moment after typing), the group's creation is listed too.
    await eventually(async () => (await row.count()) === 1 && (await row.textContent())!.includes('group.updated'), 'the filtered list');
    const text = await row.textContent();
    expect(text).toContain(h.fx.users.admin.email);
    expect(text).toContain('group.updated');
    expect(text).toContain('198.51.100.23');
    await row.getByRole('button', { name: 'Show the changes of group.updated' }).click();
    const diff = page.getByTestId('audit-diff');
    const name = diff.getByRole('row').filter({ hasText: 'name' });
    expect(await name.locator('td').allTextContents()).toEqual(['name', `Audit e2e ${h.fx.suffix}`, `Audit e2e renamed ${h.fx.suffix}`]);
    await screenshot(page, 'audit-01-group-change');
  });

  it('records a retention change made on the same screen', async () => {
    const days = page.getByLabel('Keep entries for (days)');
    await days.fill('400');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Audit log retention saved').waitFor();
    await page.getByLabel('Actor e-mail', { exact: true }).fill(h.fx.users.admin.email);
    await page.getByLabel('Target id', { exact: true }).fill('audit');
    await page.getByLabel('Action', { exact: true }).fill('setting.');
    const row = page.getByTestId('audit-table').getByRole('row').filter({ hasText: 'setting.updated' });
    await row.first().waitFor();
    await row.first().getByRole('button', { name: 'Show the changes of setting.updated' }).click();
    const retention = page.getByTestId('audit-diff').getByRole('row').filter({ hasText: 'retentionDays' });
    expect((await retention.first().locator('td').allTextContents())[2]).toBe('400');
    await screenshot(page, 'audit-02-retention');
    // Put the default back for whoever runs next.
    expect((await h.call(admin, 'PUT', '/api/v1/settings/audit', { retentionDays: 365 })).status).toBe(200);
  });

  it('downloads the filtered entries as CSV', async () => {
    await page.getByLabel('Action', { exact: true }).fill('group.updated');
    await page.getByLabel('Target id', { exact: true }).fill(String(groupId));
    await page
      .getByTestId('audit-table')
      .getByRole('row')
      .filter({ hasText: `group #${groupId}` })
      .first()
      .waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
    expect(download.suggestedFilename()).toMatch(/^audit-log-\d{4}-\d\d-\d\d\.csv$/);
    const csv = (await fs.readFile((await download.path())!, 'utf8')).replace(/^\uFEFF/, '');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toMatch(/^id,at,actor_kind,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,group.updated,group,${groupId},198.51.100.23,`);
  });
});
