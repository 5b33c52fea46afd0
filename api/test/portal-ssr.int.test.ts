import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Public knowledge-base pages rendered by the server (api/src/portal/ssr.ts) and the portal's
// page served for /portal/* (api/src/ops/console.ts), against the real stack and the built web/dist:
// a reader without JavaScript gets the title, description, body, canonical and hreflang links in
// the first response; everything injected is escaped; drafts, internal and unknown articles get a
// real 404 page; each rendering counts one view (HEAD none); programs asking for JSON are left to
// the API.

let h: Harness;
let admin: string;
let article: { id: number; en: { slug: string; title: string }; fa: { slug: string; title: string } };
let hostile: { id: number; slug: string };
let draftSlug: string;
let internalSlug: string;

const HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';

async function page(path: string, method = 'GET', accept = HTML) {
  const res = await fetch(`${h.baseUrl}${path}`, { method, headers: { accept } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The JSON data block the app starts from. */
function state(html: string): any {
  const m = /<script type="application\/json" id="portal-state">([^<]*)<\/script>/.exec(html);
  return m ? JSON.parse(m[1]!) : undefined;
}

async function views(id: number): Promise<number> {
  const r = await h.call(admin, 'GET', `/api/v1/kb/articles/${id}/feedback`);
  expect(r.status).toBe(200);
  return r.body.views.total as number;
}

async function create(body: Record<string, unknown>) {
  const r = await h.call(admin, 'POST', '/api/v1/kb/articles', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

beforeAll(async () => {
  h = await startHarness({ worker: false });
  admin = await h.login(h.fx.users.admin.email);
  const s = h.fx.suffix;
  const a = await create({
    visibility: 'public',
    translations: {
      en: {
        title: `Reset the router ${s}`,
        bodyHtml: `<h2>Steps</h2><p>Hold the reset button for ten seconds until the light blinks ${s}.</p><p>${'Then wait. '.repeat(40)}</p>`,
        status: 'published',
      },
      fa: { title: `بازنشانی مسیریاب ${s}`, bodyHtml: `<p>دکمه‌ی بازنشانی را ده ثانیه نگه دارید ${s}.</p>`, status: 'published' },
    },
  });
  article = { id: a.id, en: { slug: a.translations.en.slug, title: a.translations.en.title }, fa: { slug: a.translations.fa.slug, title: a.translations.fa.title } };
  const x = await create({
    visibility: 'public',
    translations: {
      en: {
        title: `</title><script>alert(1)</script> "quoted" & <b>bold</b> ${s}`,
        bodyHtml: '<p>Safe text</p><img src="https://evil.example/x.png" onerror="alert(2)"><script>alert(3)</script>',
        status: 'published',
      },
    },
  });
  hostile = { id: x.id, slug: x.translations.en.slug };
  draftSlug = (await create({ visibility: 'public', translations: { en: { title: `Draft ${s}`, bodyHtml: '<p>Not yet</p>', status: 'draft' } } })).translations.en.slug;
  internalSlug = (await create({ visibility: 'internal', translations: { en: { title: `Internal ${s}`, bodyHtml: '<p>Staff only</p>', status: 'published' } } })).translations.en.slug;
});

afterAll(async () => {
  await h?.close();
});

describe('server-rendered public articles', () => {
  it('answers the article in the first response: title, description, canonical, hreflang, lang/dir, body and state', async () => {
    const base = h.config.PUBLIC_URL.replace(/\/+$/, '');
    const r = await page(`/portal/kb/en/${article.en.slug}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.text).toMatch(/<html lang="en" dir="ltr">/);
    expect(r.text).toContain(`<title>${article.en.title} · Help center</title>`);
    const description = /<meta name="description" content="([^"]*)">/.exec(r.text)?.[1];
    expect(description).toMatch(/^Steps Hold the reset button for ten seconds/);
    expect(description!.length).toBeLessThanOrEqual(160);
    expect(description).toMatch(/…$/);
    expect(r.text).toContain(`<link rel="canonical" href="${base}/portal/kb/en/${encodeURIComponent(article.en.slug)}">`);
    expect(r.text).toContain(`<link rel="alternate" hreflang="en" href="${base}/portal/kb/en/${encodeURIComponent(article.en.slug)}">`);
    expect(r.text).toContain(`<link rel="alternate" hreflang="fa" href="${base}/portal/kb/fa/${encodeURIComponent(article.fa.slug)}">`);
    expect(r.text).toContain(`<link rel="alternate" hreflang="x-default" href="${base}/portal/kb/en/${encodeURIComponent(article.en.slug)}">`);
    // The body inside the app's mount element, before any script ran.
    const mount = /<div id="app">([\s\S]*?)<\/div>\s*<script type="application\/json"/.exec(r.text)?.[1] ?? '';
    expect(mount).toContain(`<h1 lang="en" dir="ltr">${article.en.title}</h1>`);
    expect(mount).toContain('<h2>Steps</h2><p>Hold the reset button for ten seconds');
    // The app's own script is the built bundle; the only inline <script> is the JSON block.
    const scripts = [...r.text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(
      scripts.every((tag) => /\bsrc="\/assets\/portal-[\w-]+\.js"/.test(tag) || tag === '<script type="application/json" id="portal-state">'),
      scripts.join(' '),
    ).toBe(true);
    const s = state(r.text);
    expect(s.kind).toBe('article');
    expect(s.article).toMatchObject({ articleId: article.id, lang: 'en', slug: article.en.slug, title: article.en.title, alternates: { en: article.en.slug, fa: article.fa.slug } });
    expect(s.article.bodyHtml).toContain('Hold the reset button');
  });

  it('renders the Persian translation right to left', async () => {
    const r = await page(`/portal/kb/fa/${encodeURIComponent(article.fa.slug)}`);
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/<html lang="fa" dir="rtl">/);
    expect(r.text).toContain(`<title>${article.fa.title} · مرکز راهنما</title>`);
    expect(r.text).toContain(`<h1 lang="fa" dir="rtl">${article.fa.title}</h1>`);
    expect(state(r.text).article.lang).toBe('fa');
  });

  it('counts one view per rendering, none for HEAD', async () => {
    const before = await views(article.id);
    expect((await page(`/portal/kb/en/${article.en.slug}`)).status).toBe(200);
    expect(await views(article.id)).toBe(before + 1);
    const head = await page(`/portal/kb/en/${article.en.slug}`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(await views(article.id)).toBe(before + 1);
    expect((await page(`/portal/kb/en/no-such-${h.fx.suffix}`, 'HEAD')).status).toBe(404);
  });

  it('escapes everything it injects', async () => {
    const r = await page(`/portal/kb/en/${hostile.slug}`);
    expect(r.status).toBe(200);
    const escaped = `&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; ${h.fx.suffix}`;
    expect(r.text).toContain(`<title>${escaped} · Help center</title>`);
    expect(r.text).toContain(`<h1 lang="en" dir="ltr">${escaped}</h1>`);
    // Markup in the title is text; the body's script and handler are gone.
    expect(r.text).not.toContain('<script>alert');
    expect(r.text).not.toContain('alert(2)');
    expect(r.text).not.toContain('alert(3)');
    expect(r.text).not.toContain('onerror');
    expect(r.text).not.toContain('evil.example');
    // The state block cannot be closed from inside: no '<' at all, and it still parses to the title.
    const block = /id="portal-state">([^<]*)<\/script>/.exec(r.text)?.[1] ?? '';
    expect(block).toContain('\\u003c/title\\u003e');
    expect(state(r.text).article.title).toContain('</title><script>alert(1)</script>');
  });

  it('answers a real 404 page for unknown, draft, internal and unsupported-language articles', async () => {
    for (const path of [
      `/portal/kb/en/no-such-article-${h.fx.suffix}`,
      `/portal/kb/en/${draftSlug}`,
      `/portal/kb/en/${internalSlug}`,
      `/portal/kb/de/${article.en.slug}`,
      `/portal/kb/fa/${article.en.slug}`,
    ]) {
      const r = await page(path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type'), path).toContain('text/html');
      expect(r.text, path).toMatch(/<h1>(Article not found|مقاله پیدا نشد)<\/h1>/);
      expect(r.text, path).toContain('<meta name="robots" content="noindex">');
      expect(r.text, path).not.toContain('Not yet');
      expect(r.text, path).not.toContain('Staff only');
    }
    const missing = await page(`/portal/kb/en/no-such-article-${h.fx.suffix}`);
    expect(state(missing.text)).toEqual({ kind: 'articleMissing', lang: 'en', slug: `no-such-article-${h.fx.suffix}` });
  });

  it('leaves programs asking for JSON to the API', async () => {
    const r = await page(`/portal/kb/en/${article.en.slug}`, 'GET', 'application/json');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toContain('application/json');
  });
});

describe('the portal page', () => {
  it('answers /portal and its deep links with portal.html (the console keeps index.html)', async () => {
    for (const path of ['/portal', '/portal/', '/portal/tickets/42', '/portal/survey?token=x&rating=good', '/portal/no/such/page']) {
      const r = await page(path);
      expect(r.status, path).toBe(200);
      expect(r.text, path).toMatch(/src="\/assets\/portal-[\w-]+\.js"/);
      expect(r.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(r.headers.get('cache-control'), path).toBe('no-cache');
    }
    const consolePage = await page('/inbox');
    expect(consolePage.text).not.toMatch(/assets\/portal-/);
    expect(consolePage.text).toMatch(/src="\/assets\/index-[\w-]+\.js"/);
    // The portal's page loads nothing of the console: no Vuetify chunk or style.
    const portal = await page('/portal/');
    expect(portal.text).not.toMatch(/vuetify|index-[\w-]+\.(js|css)/);
  });
});
