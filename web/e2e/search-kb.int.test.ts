import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { collectErrors, launchChromium, newAgentContext, screenshot, signIn } from './browser';

// Search and the knowledge base end to end, in headless Chromium against the real stack (API
// serving the built console, worker, search indexing from the outbox, PostgreSQL backend):
// (a) an agent finds a ticket with Ctrl-K by a word that appears only in the customer's reply;
// (b) an admin writes an article in English and Persian (with an uploaded image), publishes
//     both, previews it as a customer, and finds it by a Persian query typed with Arabic yeh;
//     an agent links it from the reply editor's KB picker;
// (c) a customer's token cannot find another customer's ticket through GET /api/v1/search.

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let ticket: { id: number; number: string };
let word: string;
let faWord: string;
let enWord: string;
const errors: string[] = [];

// Words unique to this run, letters only (the random suffix's hex digits mapped to letters).
const latin = (hex: string) => hex.replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)]!);
const persian = (hex: string) => [...hex].map((c) => 'ابپتثجچحخدذرزسشص'['0123456789abcdef'.indexOf(c)]).join('');

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

async function search(token: string, q: string, types?: string): Promise<{ status: number; ids: number[]; body: any }> {
  const r = await h.call(token, 'GET', `/api/v1/search?q=${encodeURIComponent(q)}${types ? `&types=${types}` : ''}`);
  return { status: r.status, ids: r.status === 200 ? (r.body.hits as { id: number }[]).map((x) => x.id) : [], body: r.body };
}

async function openGlobalSearch(page: Page, query: string) {
  await page.keyboard.press('Control+k');
  const input = page.getByTestId('global-search-input').locator('input');
  await input.waitFor();
  await input.fill(query);
  return input;
}

beforeAll(async () => {
  h = await startHarness({ search: true });
  browser = await launchChromium();
  context = await newAgentContext(browser, h.baseUrl);
  word = `marmalade${latin(h.fx.suffix)}`;
  enWord = `printerguide${latin(h.fx.suffix)}`;
  faWord = `نیلوفر${persian(h.fx.suffix)}`;
  const customer = await h.login(h.fx.users.customer.email);
  const created = await h.call(customer, 'POST', '/api/v1/tickets', {
    subject: `Screen flickers ${h.fx.suffix}`,
    body: '<p>The display blinks every few seconds.</p>',
    categoryId: h.fx.categoryId,
    priority: 'normal',
  });
  expect(created.status).toBe(201);
  ticket = { id: created.body.id, number: created.body.number };
  const reply = await h.call(customer, 'POST', `/api/v1/tickets/${ticket.id}/messages`, { body: `<p>It started after I spilled ${word} on the keyboard.</p>` });
  expect(reply.status).toBe(201);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.close();
  if (errors.length) console.warn(`browser errors:\n${errors.join('\n')}`);
});

describe('search and knowledge base in the browser', () => {
  let page: Page;

  it('(a) an agent finds a ticket by a word only in the customer reply, with Ctrl-K and the keyboard', async () => {
    const agent = await h.login(h.fx.users.agent1.email);
    // Indexing is asynchronous (outbox → queue → index): wait until the word is findable.
    await eventually(async () => (await search(agent, word)).ids.includes(ticket.id), `ticket ${ticket.id} findable by "${word}"`);

    page = await context.newPage();
    collectErrors(page, errors);
    await signIn(page, h.fx.users.agent1.email);
    const input = await openGlobalSearch(page, word);
    const hit = page.getByTestId(`search-hit-ticket-${ticket.id}`);
    await hit.waitFor();
    expect(await hit.textContent()).toContain(ticket.number);
    expect(await hit.locator('mark').first().textContent()).toBe(word);
    expect(await page.getByTestId('search-group-ticket').count()).toBe(1);
    await screenshot(page, 'search-01-global-search');
    expect(await hit.getAttribute('aria-selected')).toBe('true');
    await input.press('Enter');
    await page.waitForURL(new RegExp(`/tickets/${ticket.id}$`));
    await page.getByText(`It started after I spilled ${word} on the keyboard.`).waitFor();

    // "See all results" opens the search page with the same query.
    await page.keyboard.press('Control+k');
    await page.getByTestId('search-see-all').click();
    await page.waitForURL(new RegExp(`/search\\?q=${word}$`));
    // The dialog may still be fading out with its own copy of the hit: look on the page only.
    await page.getByTestId('search-page').getByTestId(`search-hit-ticket-${ticket.id}`).waitFor();
    await page.goto(`/tickets/${ticket.id}`);
    await page.getByTestId('ticket-number').waitFor();

    // `/` outside a field opens it too; Escape closes it.
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('/');
    await page.getByTestId('global-search-input').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('global-search-input').waitFor({ state: 'hidden' });
  });

  let articleId: number;

  it('(b) an admin writes an article in English and Persian, publishes both, and finds it with Arabic yeh', async () => {
    // The admin works in a browser context of their own (the agent's stays signed in).
    const adminContext = await newAgentContext(browser, h.baseUrl);
    const a = await adminContext.newPage();
    collectErrors(a, errors);
    try {
      await signIn(a, h.fx.users.admin.email);
      await a.getByTestId('nav-kb').click();
      await a.waitForURL(/\/admin\/kb$/);
      await a.getByTestId('kb-article-new').click();
      await a.waitForURL(/\/admin\/kb\/articles\/new/);

      // English: title, body with an uploaded image, published.
      const en = a.getByTestId('kb-side-en');
      await en.getByLabel('Title').fill(`How to set up the ${enWord}`);
      await a.getByTestId('kb-body-en').click();
      await a.keyboard.type(`Open the ${enWord} settings and press Connect.`);
      await a.getByTestId('kb-body-en-file').setInputFiles({ name: 'step.png', mimeType: 'image/png', buffer: PNG });
      await a.getByTestId('kb-body-en').locator('img[src^="/api/v1/kb/images/"]').waitFor();
      await a.getByTestId('kb-status-en').click();
      await a.getByRole('option', { name: 'Published' }).click();
      await a.getByTestId('kb-save-en').click();
      await a.waitForURL(/\/admin\/kb\/articles\/\d+$/);
      articleId = Number(/articles\/(\d+)$/.exec(a.url())![1]);
      await a.getByText('English version saved').waitFor();

      // Persian, side by side, right to left.
      const fa = a.getByTestId('kb-side-fa');
      expect(await a.getByTestId('kb-body-fa').getAttribute('dir')).toBe('rtl');
      await fa.getByLabel('Title').fill(`راهنمای ${faWord}`);
      await a.getByTestId('kb-body-fa').click();
      await a.keyboard.type(`برای راه‌اندازی ${faWord} این گام‌ها را دنبال کنید.`);
      await a.getByTestId('kb-status-fa').click();
      await a.getByRole('option', { name: 'Published' }).click();
      await a.getByTestId('kb-save-fa').click();
      await a.getByText('Persian version saved').waitFor();
      await screenshot(a, 'search-02-kb-editor');

      // The server has both translations published, the image kept in the body.
      const token = await h.login(h.fx.users.admin.email);
      const stored = await h.call(token, 'GET', `/api/v1/kb/articles/${articleId}`);
      expect(stored.body.translations.en.status).toBe('published');
      expect(stored.body.translations.fa.status).toBe('published');
      expect(stored.body.translations.en.bodyHtml).toMatch(/<img[^>]+src="\/api\/v1\/kb\/images\/\d+\/step\.png"/);

      // Preview as customer: the sanitised body with its image, in the article's direction.
      await a.getByTestId('kb-preview-en').click();
      const preview = a.getByTestId('kb-preview');
      await preview.locator('img[src^="/api/v1/kb/images/"]').waitFor();
      expect(await preview.getByText(`Open the ${enWord} settings and press Connect.`).count()).toBe(1);
      expect(await preview.getByTestId('kb-preview-hidden').count()).toBe(0);
      await a.keyboard.press('Escape');

      // Versions: each save is one, with its author.
      await a
        .getByTestId('kb-version-1')
        .filter({ hasText: `admin ${h.fx.suffix}` })
        .waitFor();

      // Global search with Arabic yeh (ي) where the article has Persian yeh (ی).
      const arabicYeh = faWord.replace(/ی/g, 'ي');
      expect(arabicYeh).not.toBe(faWord);
      await eventually(
        async () => (await search(token, arabicYeh, 'article')).body.hits?.some((x: { article?: { articleId: number } }) => x.article?.articleId === articleId),
        `article ${articleId} findable by "${arabicYeh}"`,
      );
      const input = await openGlobalSearch(a, arabicYeh);
      const hit = a.getByTestId('search-group-article').locator('[role="option"]').filter({ hasText: faWord });
      await hit.first().waitFor();
      await screenshot(a, 'search-03-arabic-yeh');
      await input.press('ArrowDown');
      await input.press('ArrowUp');
      await hit.first().click();
      await a.waitForURL(new RegExp(`/admin/kb/articles/${articleId}\\?lang=fa$`));
    } finally {
      await adminContext.close();
    }
  });

  it('the agent links the article from the reply editor, and inserts its text', async () => {
    await page.goto(`/tickets/${ticket.id}`);
    await page.getByTestId('kb-picker-open').click();
    await page.getByTestId('kb-picker-input').locator('input').fill(enWord);
    const pick = page.locator('[data-testid^="kb-pick-"]').filter({ hasText: enWord }).first();
    await pick.waitFor();
    await pick.getByTestId('kb-insert-link').click();
    const link = page.getByTestId('reply-editor').locator('a', { hasText: `How to set up the ${enWord}` });
    await link.waitFor();
    const stored = await h.call(await h.login(h.fx.users.agent1.email), 'GET', `/api/v1/kb/articles/${articleId}`);
    expect(await link.getAttribute('href')).toBe(`${h.baseUrl}/api/v1/public/kb/articles/en/${encodeURIComponent(stored.body.translations.en.slug)}`);
    // The public address answers with the article.
    const pub = await h.call(null, 'GET', `/api/v1/public/kb/articles/en/${encodeURIComponent(stored.body.translations.en.slug)}`);
    expect(pub.status).toBe(200);

    await page.getByTestId('kb-picker-open').click();
    await page.getByTestId('kb-picker-input').locator('input').fill(enWord);
    await page.locator('[data-testid^="kb-pick-"]').filter({ hasText: enWord }).first().getByTestId('kb-insert-text').click();
    await page.getByTestId('reply-editor').getByText(`Open the ${enWord} settings and press Connect.`).waitFor();
    await screenshot(page, 'search-04-kb-picker');
  });

  it("(c) a customer's token cannot find another customer's ticket through GET /api/v1/search", async () => {
    const owner = await h.login(h.fx.users.customer.email);
    const other = await h.login(h.fx.users.customer2.email);
    // The owner finds it (so the word is indexed and searchable by customers)…
    await eventually(async () => (await search(owner, word)).ids.includes(ticket.id), 'the owner finds their ticket');
    // …the other customer does not, with or without a type filter, nor by its number.
    for (const types of [undefined, 'ticket']) {
      const r = await search(other, word, types);
      expect(r.status).toBe(200);
      expect(r.ids).not.toContain(ticket.id);
      expect(r.body.total).toBe(0);
    }
    const byNumber = await search(other, ticket.number);
    expect(byNumber.ids).not.toContain(ticket.id);
    // Nor through the ticket list's search.
    const list = await h.call(other, 'GET', `/api/v1/tickets?q=${encodeURIComponent(word)}`);
    expect(list.status).toBe(200);
    expect((list.body.items as { id: number }[]).map((t) => t.id)).not.toContain(ticket.id);
  });
});
