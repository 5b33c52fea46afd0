import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { collectErrors, launchChromium } from './browser';
import { checkPage, checkServerRendered, linkIn, mailTo, newCustomerContext } from './portal-helpers';
import { screenshot } from './browser';

// The customer portal end to end, in headless Chromium against the real stack (API serving the
// built portal and rendering public articles, worker sending the account and survey e-mails, the
// search index, the mail catcher), once in English and once in Persian (right to left, Jalali
// dates): a customer signs up and confirms the address from the e-mail, searches the knowledge
// base and opens an article, starts a request and is shown a matching article ("this solved my
// problem": a deflection, no ticket), submits a second one with an attachment, sees a support
// reply arrive live (never the internal note), marks the request solved, rates it from the
// survey e-mail's one-click link, and the agent sees the rating. Every page is screenshotted
// (test-artifacts/e2e/portal-*.png) and checked with axe-core (no serious or critical violation).
// A reader without JavaScript gets the article from the server.

type Lang = 'en' | 'fa';

let h: Harness;
let browser: Browser;
let supervisor: string;
const errors: string[] = [];
const articles = {} as Record<Lang, { id: number; translationId: number; slug: string; title: string; word: string }>;

// Words unique to this run: hex digits mapped to letters (search drops digits from prefixes).
const latin = (hex: string) => hex.replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)]!);
const persian = (hex: string) => [...hex].map((c) => 'ابپتثجچحخدذرزسشص'['0123456789abcdef'.indexOf(c)]).join('');

const UI = {
  en: { name: 'Name', email: 'E-mail', password: 'Password', verifySubject: /Confirm your e-mail address/, surveySubject: /How did we do/, solved: 'Solved', support: 'Support' },
  fa: { name: 'نام', email: 'ایمیل', password: 'گذرواژه', verifySubject: /نشانی ایمیل خود را تأیید کنید/, surveySubject: /از پشتیبانی ما راضی بودید/, solved: 'حل‌شده', support: 'پشتیبانی' },
} as const;

async function htmlDir(page: Page): Promise<string> {
  return page.evaluate(() => `${document.documentElement.lang}/${document.documentElement.dir}`);
}

beforeAll(async () => {
  h = await startHarness({ search: true, env: { SURVEYS_ENABLED: 'true', SURVEY_DELAY_SECONDS: '1', SURVEY_SCALE: 'binary' } });
  browser = await launchChromium();
  supervisor = await h.login(h.fx.users.supervisor.email);
  const admin = await h.login(h.fx.users.admin.email);
  const words = { en: `quokka${latin(h.fx.suffix)}`, fa: `نیلوفر${persian(h.fx.suffix)}` };
  const titles = { en: `Fix the ${words.en} printer jam`, fa: `رفع گیر کردن کاغذ ${words.fa}` };
  const created = await h.call(admin, 'POST', '/api/v1/kb/articles', {
    visibility: 'public',
    translations: {
      en: { title: titles.en, bodyHtml: `<h2>Steps</h2><p>Open the tray of the ${words.en} and pull the sheet out gently.</p>`, status: 'published' },
      fa: { title: titles.fa, bodyHtml: `<p>سینی ${words.fa} را باز کنید و کاغذ را آرام بیرون بکشید.</p>`, status: 'published' },
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  for (const lang of ['en', 'fa'] as const) {
    const t = created.body.translations[lang];
    articles[lang] = { id: created.body.id, translationId: t.id, slug: t.slug, title: t.title, word: words[lang] };
  }
  await h.searchCaughtUp();
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
  if (errors.length) console.warn(`browser errors:\n${errors.join('\n')}`);
});

async function journey(lang: Lang) {
  const ui = UI[lang];
  const article = articles[lang];
  const email = `portal-${lang}-${h.fx.suffix}@example.test`;
  const password = 'portal-password-1';
  const context = await newCustomerContext(browser, h.baseUrl);
  const page = await context.newPage();
  collectErrors(page, errors);
  try {
    // The help center, in the customer's language.
    await page.goto('/portal/');
    await page.getByRole('heading', { level: 1 }).waitFor();
    if (lang === 'fa') {
      await page.getByTestId('locale-switch').click();
      await page.getByRole('heading', { level: 1, name: 'مرکز راهنما' }).waitFor();
    }
    expect(await htmlDir(page)).toBe(lang === 'fa' ? 'fa/rtl' : 'en/ltr');
    await checkPage(page, `${lang}-01-home`);

    // Sign up; the account exists once the e-mailed link is followed.
    await page.getByTestId('nav-signup').click();
    await page.getByLabel(ui.name, { exact: true }).fill(lang === 'fa' ? 'نسرین مشتری' : 'Nora Customer');
    await page.getByLabel(ui.email, { exact: true }).fill(email);
    await page.getByLabel(ui.password, { exact: true }).fill(password);
    await checkPage(page, `${lang}-02-signup`);
    await page.getByTestId('signup-submit').click();
    await page.getByTestId('signup-sent').waitFor();
    await checkPage(page, `${lang}-03-signup-sent`);
    const verification = await mailTo(h.mailUrl, email, ui.verifySubject);
    await page.goto(linkIn(verification, /\/portal\/verify\?token=/));
    await page.getByTestId('welcome').waitFor();
    expect(new URL(page.url()).pathname).toBe('/portal/tickets');
    await checkPage(page, `${lang}-04-tickets-welcome`);
    const [account] = await h.orm.em.fork().execute<{ id: number; locale: string }[]>('select id, locale from users where email = ?', [email]);
    expect(account?.locale).toBe(lang);

    // The knowledge base: search with highlights, the article, "was this helpful?".
    await page.getByTestId('nav-kb').click();
    await page.getByTestId('kb-search-input').fill(article.word);
    await page.getByTestId('kb-search-input').press('Enter');
    const hit = page.getByTestId(`kb-hit-${article.translationId}`);
    await hit.waitFor();
    expect(await hit.locator('mark').first().textContent()).toBe(article.word);
    await checkPage(page, `${lang}-05-search`);
    await hit.getByRole('link').click();
    await page.getByTestId('kb-article-title').filter({ hasText: article.title }).waitFor();
    expect(await page.getByTestId('kb-article-body').getAttribute('dir')).toBe(lang === 'fa' ? 'rtl' : 'ltr');
    // After the navigation, focus is on the page heading.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.getByTestId('kb-helpful-yes').click();
    await page.getByTestId('kb-feedback-thanks').waitFor();
    await checkPage(page, `${lang}-06-article`);

    // A new request that an article answers: a deflection, no ticket.
    await page.getByTestId('nav-new').click();
    await page.getByTestId('new-ticket-subject').pressSequentially(article.word, { delay: 20 });
    await page.getByTestId(`suggestion-${article.translationId}`).waitFor();
    await checkPage(page, `${lang}-07-new-ticket-suggestion`);
    await page.getByTestId(`suggestion-solved-${article.translationId}`).click();
    await page.getByTestId('deflected').waitFor();
    await checkPage(page, `${lang}-08-deflected`);
    const deflections = await h.orm.em.fork().execute<{ translation_id: number; subject: string }[]>('select translation_id, subject from kb_deflections where customer_id = ?', [account!.id]);
    expect(deflections).toEqual([{ translation_id: article.translationId, subject: article.word }]);
    const before = await h.call(supervisor, 'GET', `/api/v1/tickets?requesterId=${account!.id}`);
    expect(before.body.items).toEqual([]);

    // A second request, with an attachment (uploaded with its progress shown first).
    const subject = lang === 'fa' ? `چاپگر روشن نمی‌شود ${h.fx.suffix}` : `Printer will not start ${h.fx.suffix}`;
    const description = lang === 'fa' ? 'دکمه‌ی روشن کار نمی‌کند.' : 'The power button does nothing.';
    await page.getByTestId('new-ticket-again').click();
    await page.getByTestId('new-ticket-subject').fill(subject);
    await page.getByTestId('rich-text-input').click();
    await page.keyboard.type(description);
    await page.getByTestId('attachments-input').setInputFiles({ name: 'printer-log.txt', mimeType: 'text/plain', buffer: Buffer.from(`power log ${lang}\n`) });
    await page.getByTestId('upload-done').waitFor();
    await checkPage(page, `${lang}-09-new-ticket-filled`);
    await page.getByTestId('new-ticket-submit').click();
    await page.getByTestId('ticket-created').waitFor();
    const ticketId = Number(/\/portal\/tickets\/(\d+)/.exec(page.url())?.[1]);
    expect(ticketId).toBeGreaterThan(0);
    await page.getByTestId('conversation').getByText(description).waitFor();
    await page.getByTestId('conversation').getByRole('button', { name: 'printer-log.txt' }).waitFor();
    await checkPage(page, `${lang}-10-ticket`);

    // Support answers: the reply appears live; the internal note never does.
    const note = `Internal note ${lang} ${h.fx.suffix}`;
    const answer = `Support answer ${lang} ${h.fx.suffix}`;
    expect((await h.call(supervisor, 'POST', `/api/v1/tickets/${ticketId}/messages`, { body: `<p>${note}</p>`, internal: true })).status).toBe(201);
    expect((await h.call(supervisor, 'POST', `/api/v1/tickets/${ticketId}/messages`, { body: `<p>${answer}</p>` })).status).toBe(201);
    await page.getByTestId('conversation').getByText(answer).waitFor();
    expect(await page.getByText(note).count()).toBe(0);
    expect(await page.getByTestId('conversation').locator('.message-staff').first().textContent()).toContain(ui.support);
    if (lang === 'fa') expect(await page.locator('time').first().textContent()).toMatch(/[۰-۹]{4}/);

    // Solved by the customer; the survey e-mail's one-click link rates it.
    await page.getByTestId('ticket-solve').click();
    await page.getByTestId('ticket-status').filter({ hasText: ui.solved }).waitFor();
    await checkPage(page, `${lang}-11-ticket-solved`);
    const surveyMail = await mailTo(h.mailUrl, email, ui.surveySubject, 60_000);
    await page.goto(linkIn(surveyMail, /\/portal\/survey\?.*rating=good/));
    await page.getByTestId('survey-saved').waitFor();
    expect(new URL(page.url()).searchParams.get('rating')).toBeNull();
    await checkPage(page, `${lang}-12-survey`);
    await eventually(async () => (await h.call(supervisor, 'GET', `/api/v1/tickets/${ticketId}/survey`)).body?.rating === 'good', 'the agent to see the rating');
    const comment = lang === 'fa' ? 'سریع و دقیق' : 'Quick and precise';
    await page.getByTestId('survey-comment').fill(comment);
    await page.getByTestId('survey-submit').click();
    await eventually(async () => (await h.call(supervisor, 'GET', `/api/v1/tickets/${ticketId}/survey`)).body?.comment === comment, 'the agent to see the comment');

    // The request list (filtered) and the profile page.
    await page.goto('/portal/tickets?state=solved');
    await page.getByTestId(`ticket-row-${ticketId}`).waitFor();
    await checkPage(page, `${lang}-13-tickets`);
    await page.getByTestId('nav-profile').click();
    await page.getByTestId('profile-name').waitFor();
    expect(await page.getByTestId('profile-language').inputValue()).toBe(lang);
    await checkPage(page, `${lang}-14-profile`);
    expect(await htmlDir(page)).toBe(lang === 'fa' ? 'fa/rtl' : 'en/ltr');
  } finally {
    await context.close();
  }
}

describe('customer portal in the browser', () => {
  it('(en) sign-up, knowledge base, a deflection, a request with an attachment, a live reply, solved and rated', async () => {
    await journey('en');
  });

  it('(fa) the same in Persian, right to left', async () => {
    await journey('fa');
  });

  it('serves a public article to a reader without JavaScript, and a 404 page for an unknown one', async () => {
    const context = await newCustomerContext(browser, h.baseUrl, { javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      const res = await page.goto(`/portal/kb/fa/${encodeURIComponent(articles.fa.slug)}`);
      expect(res?.status()).toBe(200);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(articles.fa.title);
      expect(await page.getByTestId('kb-article-body').textContent()).toContain(articles.fa.word);
      expect(await htmlDir(page)).toBe('fa/rtl');
      expect(await page.locator('link[rel=canonical]').getAttribute('href')).toMatch(new RegExp(`/portal/kb/fa/${encodeURIComponent(articles.fa.slug)}$`));
      expect(await page.locator('link[rel=alternate]').evaluateAll((links) => links.map((l) => l.getAttribute('hreflang')))).toEqual(['en', 'fa', 'x-default']);
      await screenshot(page, 'portal-nojs-article');
      const missing = await page.goto(`/portal/kb/en/no-such-article-${h.fx.suffix}`);
      expect(missing?.status()).toBe(404);
      await page.getByTestId('not-found').waitFor();
      await screenshot(page, 'portal-nojs-404');
      // The same markup passes axe.
      expect(await checkServerRendered(browser, h.baseUrl, `/portal/kb/fa/${encodeURIComponent(articles.fa.slug)}`, 'ssr-article')).toBe(200);
      expect(await checkServerRendered(browser, h.baseUrl, `/portal/kb/en/no-such-article-${h.fx.suffix}`, 'ssr-404')).toBe(404);
    } finally {
      await context.close();
    }
  });

  it('the app takes over a server-rendered article without fetching it again', async () => {
    const context = await newCustomerContext(browser, h.baseUrl);
    const page = await context.newPage();
    collectErrors(page, errors);
    const fetched: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/public/kb/articles/')) fetched.push(r.url());
    });
    try {
      await page.goto(`/portal/kb/en/${articles.en.slug}`);
      await page.getByTestId('kb-feedback').waitFor();
      expect(await page.getByTestId('kb-article-title').textContent()).toBe(articles.en.title);
      expect(fetched).toEqual([]);
      await page.getByTestId('kb-article-other-lang').click();
      await page.getByTestId('kb-article-title').filter({ hasText: articles.fa.title }).waitFor();
      expect(fetched).toHaveLength(1);
    } finally {
      await context.close();
    }
  });
});
