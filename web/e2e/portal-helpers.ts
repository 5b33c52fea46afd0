import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { waitForMail, type CaughtMail } from '@mehrdesk/scripts/mail-catcher-client';
import { screenshot } from './browser';

// Helpers of the portal's end-to-end tests: a customer's browser context, accessibility checks
// with axe-core (injected into the page; the context bypasses the CSP only so that the test can
// inject it), screenshots of every page, and links read from the mail catcher.

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function newCustomerContext(browser: Browser, baseUrl: string, opts: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1280, height: 860 },
    locale: 'en-US',
    timezoneId: 'UTC',
    bypassCSP: true,
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
  });
  context.setDefaultTimeout(15_000);
  return context;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Run axe-core on the page as it is now: no serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${name}: ${JSON.stringify(bad, null, 2)}`).toEqual([]);
}

/** Screenshot (saved under test-artifacts/e2e) and accessibility check of a portal page. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, `portal-${name}`);
  await expectAccessible(page, name);
  // Nothing sticks out sideways (in right-to-left pages that shows as a page scrolled off its content).
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${name}: the page is ${overflow}px wider than the window`).toBeLessThanOrEqual(0);
}

/**
 * The server-rendered page as a reader without JavaScript gets it, checked with axe: the portal's
 * own scripts are blocked (so the app never replaces the markup) while the page can still run axe.
 */
export async function checkServerRendered(browser: Browser, baseUrl: string, path: string, name: string): Promise<number | undefined> {
  const context = await newCustomerContext(browser, baseUrl);
  try {
    const page = await context.newPage();
    await page.route('**/assets/*.js', (route) => route.abort());
    const res = await page.goto(path);
    await checkPage(page, name);
    return res?.status();
  } finally {
    await context.close();
  }
}

/** The path and query of the first link in the mail matching `pattern` (links carry PUBLIC_URL; the test's API is elsewhere). */
export function linkIn(mail: CaughtMail, pattern: RegExp): string {
  const hrefs = [...(mail.html ?? '').matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
  const texts = [...(mail.text ?? '').matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
  const found = [...hrefs, ...texts].find((u) => pattern.test(u));
  if (!found) throw new Error(`no link matching ${pattern} in "${mail.subject}": ${[...hrefs, ...texts].join(' ')}`);
  const url = new URL(found);
  return `${url.pathname}${url.search}`;
}

export async function mailTo(mailUrl: string, to: string, subject: RegExp, timeoutMs = 30_000): Promise<CaughtMail> {
  const [mail] = await waitForMail(mailUrl, (m) => m.to.includes(to) && subject.test(m.subject), { timeoutMs, filter: { to } });
  return mail!;
}
