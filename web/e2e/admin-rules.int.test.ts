import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { collectErrors, launchChromium, newAgentContext, screenshot, signIn } from './browser';

// The visual rule editor end to end, in headless Chromium against the real stack: an admin
// builds "ticket created and subject contains 'urgent' → set priority urgent, add tag vip"
// from the catalogue's pickers, dry-runs it against a real ticket (per-condition results and
// the actions that would run), saves it, and a ticket created afterwards gets the rule's
// effect from its workflow. Then the rule is edited, the version history shows the diff, and
// version 1 is restored.

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let customer: string;
let admin: string;
let probe: { id: number; number: string };
let ruleId: number | null = null;
const errors: string[] = [];
const TAG = `vip-${Date.now().toString(36)}`;

beforeAll(async () => {
  // The dry-run's ticket picker finds tickets through the search index (GET /tickets?q=).
  h = await startHarness({ search: true });
  browser = await launchChromium();
  customer = await h.login(h.fx.users.customer.email);
  admin = await h.login(h.fx.users.admin.email);
  // A ticket to dry-run against (created before the rule exists, so it is untouched).
  const created = await h.call(customer, 'POST', '/api/v1/tickets', { subject: `URGENT: payroll export fails ${h.fx.suffix}`, body: '<p>Since the upgrade.</p>', categoryId: h.fx.categoryId });
  expect(created.status).toBe(201);
  probe = { id: created.body.id, number: created.body.number };
  await h.searchCaughtUp();
  context = await newAgentContext(browser, h.baseUrl);
  page = await context.newPage();
  collectErrors(page, errors);
});

afterAll(async () => {
  // The rule must not touch tickets of test files that run after this one.
  if (ruleId !== null) await h.call(admin, 'DELETE', `/api/v1/rules/${ruleId}`);
  await context?.close();
  await browser?.close();
  await h?.close();
  if (errors.length) console.warn(`browser errors:\n${errors.join('\n')}`);
});

// A failing step leaves a screenshot of what the browser showed.
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page) await screenshot(page, `admin-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
});

/** Open a Vuetify select/autocomplete by its label inside `scope` and pick an option. */
async function pick(scope: Locator | Page, label: string, option: RegExp | string, type?: string) {
  const box = scope.getByRole('combobox', { name: label, exact: true }).first();
  // A select's input shrinks to nothing next to its selection: click the field around it.
  await box.locator('xpath=ancestor::div[contains(concat(" ", @class, " "), " v-field ")][1]').click();
  if (type !== undefined) await box.fill(type);
  await page.getByRole('option', { name: option }).first().click();
}

describe('the visual rule editor', () => {
  it('an admin builds a rule from the pickers', async () => {
    await signIn(page, h.fx.users.admin.email);
    await page.getByRole('link', { name: 'Automation rules' }).click();
    await page.waitForURL(/\/admin\/rules$/);
    await page.getByTestId('new-rule').click();
    await page.waitForURL(/\/admin\/rules\/new$/);
    await page.getByTestId('rule-name').getByRole('textbox').fill(`Urgent subjects ${h.fx.suffix}`);

    // When: ticket is created (the first trigger is preselected). If: subject contains "urgent".
    expect(await page.getByTestId('rule-trigger').textContent()).toContain('Ticket is created');
    const condition = page.getByRole('group', { name: 'Conditions, condition 1' });
    await pick(condition, 'Field', /^Subject/, 'Subject');
    await pick(condition, 'Comparison', 'contains');
    await condition.getByLabel('Value').fill('urgent');

    // Then: set priority urgent, add tag vip.
    await pick(page, 'Add an action', 'Set priority');
    await pick(page.getByRole('group', { name: 'Action 1' }), 'Priority', 'Urgent');
    await pick(page, 'Add an action', 'Add tags');
    const tags = page.getByRole('group', { name: 'Action 2' }).getByRole('combobox', { name: 'Tags' });
    await tags.click();
    await tags.fill(TAG);
    await tags.press('Enter');
    await page.getByRole('group', { name: 'Action 2' }).getByText(TAG, { exact: true }).waitFor();
    await screenshot(page, 'admin-01-rule-built');
  });

  it('dry-runs the draft against a real ticket: each condition with its value, and the actions that would run', async () => {
    const before = (await h.call(admin, 'GET', `/api/v1/tickets/${probe.id}`)).body;
    const ticket = page.getByRole('combobox', { name: 'Ticket (number or subject)' });
    await ticket.click();
    await ticket.fill(probe.number);
    await page.getByRole('option', { name: new RegExp(probe.number) }).click();
    await page.getByTestId('dry-run-button').click();
    const result = page.getByTestId('dry-run-result');
    await result.getByText('The rule matches this ticket.').waitFor();
    expect(await result.getByTestId('dry-run-conditions').locator('li').first().textContent()).toContain(`URGENT: payroll export fails ${h.fx.suffix}`);
    expect(await page.getByTestId('dry-run-actions').locator('li').allTextContents()).toEqual(['Set priority (Priority: urgent)', `Add tags (Tags: ${TAG})`]);
    // The result also shows on the condition in the tree.
    const onTree = page.getByRole('group', { name: 'Conditions, condition 1' }).getByTestId('condition-result');
    expect(await onTree.getAttribute('data-result')).toBe('true');
    // Nothing changed on the ticket.
    const t = (await h.call(admin, 'GET', `/api/v1/tickets/${probe.id}`)).body;
    expect([t.priority, t.tags, t.version]).toEqual([before.priority, before.tags, before.version]);
    expect(t.tags).not.toContain(TAG);
    await screenshot(page, 'admin-02-dry-run');
  });

  it('saves the rule (version 1), and a new ticket gets its effect', async () => {
    await page.getByTestId('save-rule').click();
    await page.waitForURL(/\/admin\/rules\/\d+$/);
    ruleId = Number(/\/admin\/rules\/(\d+)$/.exec(page.url())![1]);
    await page.getByText('Version 1 · ran 0 times, matched 0').waitFor();
    const saved = (await h.call(admin, 'GET', `/api/v1/rules/${ruleId}`)).body;
    expect(saved.definition).toEqual({
      trigger: 'ticket.created',
      conditions: { all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'urgent' }] },
      actions: [
        { type: 'set_priority', params: { priority: 'urgent' } },
        { type: 'add_tags', params: { tags: [TAG] } },
      ],
    });
    await screenshot(page, 'admin-03-rule-saved');

    const created = await h.call(customer, 'POST', '/api/v1/tickets', { subject: `Urgent: cannot log in ${h.fx.suffix}`, body: '<p>Locked out.</p>', categoryId: h.fx.categoryId });
    expect(created.status).toBe(201);
    const ticket = await eventually(async () => {
      const r = (await h.call(admin, 'GET', `/api/v1/tickets/${created.body.id}`)).body;
      return r.priority === 'urgent' && r.tags.includes(TAG) ? r : null;
    }, 'the rule to set priority and tag');
    expect(ticket.tags).toEqual([TAG]);
    // The timeline says which rule did it; the ticket page shows the result.
    const timeline = (await h.call(admin, 'GET', `/api/v1/tickets/${created.body.id}/timeline`)).body.items;
    expect(timeline.find((e: { type: string }) => e.type === 'ticket.priority_changed')).toMatchObject({ newValue: 'urgent' });
    await page.goto(`/tickets/${created.body.id}`);
    await page.getByTestId('ticket-subject').filter({ hasText: 'Urgent: cannot log in' }).waitFor();
    await page.getByText(TAG, { exact: true }).first().waitFor();
    await screenshot(page, 'admin-04-ticket-with-rule-effect');
  });

  it('lists the rule with its switch and counters', async () => {
    await page.goto('/admin/rules');
    const row = page.getByTestId(`rule-row-${ruleId}`);
    await row.waitFor();
    expect(await row.getByLabel(`Enable rule Urgent subjects ${h.fx.suffix}`).isChecked()).toBe(true);
    await row.getByText(/matched [1-9]/).waitFor();
    await screenshot(page, 'admin-05-rules-list');
  });

  it('a second version shows in the history with its diff, and version 1 can be restored', async () => {
    await page.goto(`/admin/rules/${ruleId}`);
    const condition = page.getByRole('group', { name: 'Conditions, condition 1' });
    await condition.getByLabel('Value').fill('asap');
    await page.getByLabel('Comment for this version').fill('Also ASAP');
    await page.getByTestId('save-rule').click();
    await page.getByText('Version 2 · ran').waitFor();
    await page.getByRole('tab', { name: 'History' }).click();
    const history = page.getByTestId('version-history');
    await history.getByTestId('version-2').waitFor();
    expect(await history.getByTestId('version-2').textContent()).toContain('Also ASAP');
    const diff = history.getByTestId('version-diff');
    // The changed value, from the old version to the new one.
    await diff.locator('.jsondiffpatch-modified .jsondiffpatch-left-value').filter({ hasText: '"urgent"' }).waitFor();
    await diff.locator('.jsondiffpatch-modified .jsondiffpatch-right-value').filter({ hasText: '"asap"' }).waitFor();
    await screenshot(page, 'admin-06-version-diff');
    await history.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByText('Version 3 · ran').waitFor();
    expect((await h.call(admin, 'GET', `/api/v1/rules/${ruleId}`)).body.definition.conditions).toEqual({ all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'urgent' }] });
    expect(await page.getByRole('group', { name: 'Conditions, condition 1' }).getByLabel('Value').inputValue()).toBe('urgent');
  });

  it('the editor in Persian is right to left, with the catalogue in Persian', async () => {
    await page.getByTestId('locale-switch').click();
    await page.getByRole('menuitemradio', { name: 'فارسی' }).click();
    await expect.poll(async () => page.locator('html').getAttribute('dir')).toBe('rtl');
    await page
      .getByRole('group', { name: 'شرط‌ها، شرط ۱' })
      .or(page.getByRole('group', { name: 'شرط‌ها، شرط 1' }))
      .first()
      .waitFor();
    await page.getByText('تنظیم اولویت').first().waitFor();
    await screenshot(page, 'admin-07-rule-editor-fa');
    await page.getByTestId('locale-switch').click();
    await page.getByRole('menuitemradio', { name: 'English' }).click();
  });

  it('every admin screen loads from the real API', async () => {
    const screens: [string, string][] = [
      ['/admin/sla-policies', 'SLA policies'],
      ['/admin/calendars', 'Business hours'],
      ['/admin/groups', 'Groups'],
      ['/admin/users', 'Users and roles'],
      ['/admin/categories', 'Categories'],
      ['/admin/tags', 'Tags'],
      ['/admin/email-templates', 'E-mail templates'],
      ['/admin/webhooks', 'Webhooks'],
      ['/admin/inbound-mail', 'Inbound mail review'],
      ['/admin/activity-failures', 'Activity failures'],
    ];
    for (const [url, heading] of screens) {
      await page.goto(url);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.getByTestId('admin-loading').waitFor({ state: 'detached' });
      expect(await page.locator('.admin-page > .v-alert[role="alert"]').count(), `${url} shows an error`).toBe(0);
      await screenshot(page, `admin-08-${url.split('/').pop()}`);
    }
    // Fixture data shows up where it belongs; the edit dialogs open filled in.
    await page.goto('/admin/groups');
    await page
      .getByRole('cell', { name: `support-${h.fx.suffix}`, exact: true })
      .first()
      .waitFor();
    await page.getByRole('button', { name: `Edit support-${h.fx.suffix}` }).click();
    const groupDialog = page.getByRole('dialog', { name: `Group: support-${h.fx.suffix}` });
    expect(await groupDialog.getByLabel('Name', { exact: true }).inputValue()).toBe(`support-${h.fx.suffix}`);
    await groupDialog.getByText(`tier2-${h.fx.suffix}`).waitFor();
    await page.waitForTimeout(400); // the dialog's fade-in
    await screenshot(page, 'admin-09-group-dialog');
    await groupDialog.getByRole('button', { name: 'Cancel' }).click();

    await page.goto('/admin/sla-policies');
    await page.getByRole('button', { name: `Edit policy-${h.fx.suffix}` }).click();
    const policyDialog = page.getByRole('dialog', { name: `SLA policy: policy-${h.fx.suffix}` });
    await policyDialog.getByLabel('First response, Urgent', { exact: true }).first().waitFor();
    await page.waitForTimeout(400);
    await screenshot(page, 'admin-10-sla-dialog');
    await policyDialog.getByRole('button', { name: 'Cancel' }).click();

    // E-mail templates preview in both languages, Persian right to left.
    await page.goto('/admin/email-templates');
    await page.getByRole('button', { name: 'Preview in both languages' }).first().click();
    const preview = page.getByTestId('email-preview');
    await preview.locator('iframe').nth(1).waitFor();
    expect(await preview.locator('[lang="fa"] p[dir="rtl"]').count()).toBe(1);
    await screenshot(page, 'admin-11-email-preview');
  });
});
