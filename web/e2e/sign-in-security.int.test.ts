import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { codeAt } from '@mehrdesk/api/auth/totp';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';
import { collectErrors, launchChromium, newAgentContext, screenshot, signIn } from './browser';

// Sign-in security end to end, in headless Chromium against the real stack: an agent turns on
// two-factor sign-in from the Security page (QR code, setup key, first code, recovery codes),
// signs out, and signs in again with password and code to the inbox; an admin makes an API key,
// sees it once, and revokes it. The global security setting (PUT /settings/security) is shared
// by every test file running in parallel, so it is never changed here (the card has unit tests).

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let admin: string;
let keyName: string;
const errors: string[] = [];

beforeAll(async () => {
  h = await startHarness({ worker: false });
  browser = await launchChromium();
  admin = await h.login(h.fx.users.admin.email);
  keyName = `E2E form ${h.fx.suffix}`;
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.close();
  if (errors.length) console.warn(`browser errors:\n${errors.join('\n')}`);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page) await screenshot(page, `sign-in-security-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
});

/**
 * The password step of the login page, up to the locator `next` appearing. As in signIn()
 * (browser.ts), text typed right after the page renders was seen to land in the wrong field
 * under load: the values are checked before submitting, and typed again if they were lost.
 */
async function passwordStep(email: string, next: Locator) {
  const emailField = page.getByLabel('E-mail', { exact: true });
  const passwordField = page.getByLabel('Password', { exact: true });
  for (let attempt = 1; attempt <= 3; attempt++) {
    await emailField.fill(email);
    await passwordField.fill(PASSWORD);
    if ((await emailField.inputValue()) !== email || (await passwordField.inputValue()) !== PASSWORD) continue;
    await page.getByRole('button', { name: 'Sign in' }).click();
    if (
      await next.waitFor({ timeout: attempt === 3 ? 15_000 : 5_000 }).then(
        () => true,
        () => false,
      )
    )
      return;
  }
  await next.waitFor();
}

async function freshPage() {
  await context?.close();
  context = await newAgentContext(browser, h.baseUrl);
  page = await context.newPage();
  collectErrors(page, errors);
}

describe('two-factor sign-in', () => {
  it('an agent turns it on from the Security page, signs out, and signs in with password and code', async () => {
    await freshPage();
    const agent = h.fx.users.agent1;
    await signIn(page, agent.email);

    // Account menu → Security.
    await page.getByRole('button', { name: /^Account of / }).click();
    await page
      .getByRole('menuitem', { name: 'Security' })
      .or(page.getByRole('link', { name: 'Security' }))
      .first()
      .click();
    await page.waitForURL(/\/settings\/security$/);
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toContain('Off');
    // This session is listed as this device.
    await expect.poll(() => page.getByTestId('this-device').count()).toBe(1);

    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const qr = page.getByRole('img', { name: 'QR code to add this account to an authenticator app' });
    await qr.waitFor();
    expect(await qr.evaluate((el) => el.tagName.toLowerCase())).toBe('svg');
    await screenshot(page, 'sign-in-security-01-setup');
    const secret = (await page.getByTestId('mfa-secret').textContent())!.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    await page.getByLabel('Authentication code', { exact: true }).fill(codeAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();

    const codes = page.getByRole('list', { name: 'Recovery codes' });
    await codes.waitFor();
    const recovery = await codes.getByRole('listitem').allTextContents();
    expect(recovery).toHaveLength(10);
    await screenshot(page, 'sign-in-security-02-recovery-codes');
    expect(recovery.every((c) => /^[a-z0-9]{5}-[a-z0-9]{5}$/i.test(c.trim()))).toBe(true);
    await page.getByRole('button', { name: 'I have saved my codes' }).click();
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toContain('On since');
    await expect.poll(() => page.getByTestId('codes-left').textContent()).toContain('10');

    // Sign out, then in again: the password alone is not enough.
    await page.getByRole('button', { name: /^Account of / }).click();
    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login/);
    const code = page.getByLabel('Authentication code', { exact: true });
    await passwordStep(agent.email, code);
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    await screenshot(page, 'sign-in-security-03-code-step');
    // Nothing is remembered while the code is due (a pending sign-in is not a session).
    expect(await page.evaluate(() => localStorage.getItem('mehrdesk.token'))).toBeNull();

    // Enabling used this step's code; the next step's is accepted (one step of clock drift).
    await code.fill(codeAt(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(/\/inbox/);
    expect(await page.evaluate(() => localStorage.getItem('mehrdesk.token'))).not.toBeNull();

    const status = await h.call(await page.evaluate(() => localStorage.getItem('mehrdesk.token')), 'GET', '/api/v1/auth/mfa');
    expect(status.body).toMatchObject({ enabled: true, recoveryCodesLeft: 10 });

    // The Security page in Persian: right to left, Jalali dates, Persian digits.
    await page.goto('/settings/security');
    await page.getByTestId('locale-switch').click();
    await page.getByRole('menuitemradio', { name: 'فارسی' }).click();
    await expect.poll(() => page.locator('html').getAttribute('dir')).toBe('rtl');
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toMatch(/روشن از .*[۰-۹]/);
    await screenshot(page, 'sign-in-security-04-security-fa');
  });
});

describe('API keys', () => {
  it('an admin makes a key, sees it once, and revokes it', async () => {
    await freshPage();
    await signIn(page, h.fx.users.admin.email);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(/\/admin\/api-keys$/);
    await page.getByTestId('new-api-key').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill(keyName);
    await dialog.getByLabel('Read tickets', { exact: true }).check();
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const shown = page.getByTestId('api-key-shown');
    await shown.waitFor();
    expect(await shown.textContent()).toContain('This is the only time the key is shown.');
    const key = await shown.getByLabel('API key', { exact: true }).inputValue();
    await screenshot(page, 'sign-in-security-05-api-key-shown');
    expect(key.length).toBeGreaterThan(20);
    // The key works, within its scope.
    expect((await h.call(key, 'GET', '/api/v1/tickets?limit=1')).status).toBe(200);
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(key);

    const row = page.getByTestId('api-keys').getByRole('row').filter({ hasText: keyName });
    await expect.poll(() => row.textContent()).toContain('Active');
    expect(await row.textContent()).toContain(key.slice(0, 8));
    await row.getByRole('button', { name: `Revoke ${keyName}` }).click();
    const confirm = page.getByRole('dialog');
    expect(await confirm.textContent()).toContain(`Every request with ${keyName} is refused from now on.`);
    await confirm.getByRole('button', { name: 'Revoke', exact: true }).click();
    await expect.poll(() => row.textContent()).toContain('Revoked');
    expect((await h.call(key, 'GET', '/api/v1/tickets?limit=1')).status).toBe(401);

    const listed = await h.call(admin, 'GET', '/api/v1/api-keys');
    expect(listed.body.items.find((k: { name: string }) => k.name === keyName)?.revokedAt).not.toBeNull();
  });
});
