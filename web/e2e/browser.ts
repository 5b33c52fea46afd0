import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';

// Headless Chromium for the console's end-to-end tests, driven by playwright-core (which never
// downloads a browser): the executable the launcher found or installed (CHROMIUM_PATH), else
// /usr/bin/chromium. The API under test serves the built console (web/dist).

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');
const DIST_INDEX = path.join(ROOT, 'web', 'dist', 'index.html');

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. Run the console tests through ./mehrdesk test (it finds Chromium, or installs ` +
        "Debian's chromium package when run as root), install it (apt-get install chromium), or set CHROMIUM_PATH.",
    );
  }
  if (!fs.existsSync(DIST_INDEX)) throw new Error('web/dist is missing: run the tests through ./mehrdesk test (it builds the console) or `cd web && npx vite build`');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

export async function newAgentContext(browser: Browser, baseUrl: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1440, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(15_000);
  return context;
}

/**
 * Sign in through the login page, as a user would. Under load the fields were seen empty at
 * submit now and then ("Required" shown, the page still at /login): the text typed right after
 * the first render did not reach the form. So the values are checked before submitting, and a
 * sign-in left on the login page with empty fields is typed again (at most three tries).
 */
export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  const emailField = page.getByLabel('E-mail', { exact: true });
  const passwordField = page.getByLabel('Password', { exact: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    await emailField.fill(email);
    await passwordField.fill(password);
    if ((await emailField.inputValue()) !== email || (await passwordField.inputValue()) !== password) continue;
    await page.getByRole('button', { name: 'Sign in' }).click();
    try {
      await page.waitForURL(/\/inbox/, { timeout: attempt === 3 ? 15_000 : 5_000 });
      return;
    } catch (err) {
      lastError = err;
      // Retried only when the form lost what was typed; any other refusal is the answer.
      if (!/\/login/.test(page.url()) || (await emailField.inputValue().catch(() => email)) !== '') break;
    }
  }
  // Say where the page stayed and what it showed, not only that it timed out.
  const alert = await page
    .getByRole('alert')
    .allInnerTexts()
    .catch(() => []);
  throw new Error(`sign-in of ${email} did not reach the inbox: still at ${page.url()}${alert.length ? `, showing "${alert.join(' | ')}"` : ''} (${String(lastError).split('\n')[0]})`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });
}

/** Collect what the page logs as errors, so a test can show them when it fails. */
/**
 * Record the page's errors into `into` as they happen (uncaught exceptions, console errors,
 * failed requests and API answers of 400 or more), so a failing test can say what the page saw.
 */
export function collectErrors(page: Page, into: string[]): void {
  page.on('pageerror', (err) => into.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') into.push(`console: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => {
    // Leaving a page aborts its open requests (the event stream above all): that is no error.
    const reason = req.failure()?.errorText ?? 'unknown';
    if (reason !== 'net::ERR_ABORTED') into.push(`request failed: ${req.method()} ${req.url()} (${reason})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && res.url().includes('/api/')) into.push(`http ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
}
