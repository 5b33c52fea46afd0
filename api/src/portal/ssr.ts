import fs from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { escapeHtml } from '@mehrdesk/core/domain';
import { KB_LANGS, type KbLang } from '@mehrdesk/core/db';
import { sanitizeArticleHtml } from '@mehrdesk/core/sanitize';
import type { AppDeps } from '../deps';
import { HttpError } from '../http/errors';
import { CONSOLE_CSP, CONSOLE_DIST } from '../ops/console';
import { publicTranslation, viewPublicArticle } from '../kb/service';
import { SLUG_MAX } from '../kb/slug';

// Public knowledge-base articles rendered on the server: GET /portal/kb/:lang/:slug from a
// browser (Accept: text/html) answers the portal's page (web/dist/portal.html) with the article
// already in it — title, description, canonical and hreflang links, <html lang dir>, the body —
// so search engines and readers without JavaScript get the content. The article also rides along
// as JSON (a data block: the CSP forbids inline scripts, and a JSON block is never executed), and
// the portal app starts from it instead of fetching it again. So this render counts the view
// (the public service's viewPublicArticle), and the app's own fetch counts only the articles
// reached by navigating inside the app: one view per reading either way.
// Anything that is not a published public translation gets a real 404 page.

export const PORTAL_ARTICLE_PATH = '/portal/kb/:lang/:slug';

/** What the page says around the article, in the article's language. */
const SITE: Record<KbLang, { name: string; missing: string; missingText: string; home: string }> = {
  en: { name: 'Help center', missing: 'Article not found', missingText: 'This article does not exist, or it is not published.', home: 'Back to the help center' },
  fa: { name: 'مرکز راهنما', missing: 'مقاله پیدا نشد', missingText: 'این مقاله وجود ندارد یا منتشر نشده است.', home: 'بازگشت به مرکز راهنما' },
};
const RTL: Record<KbLang, boolean> = { en: false, fa: true };
const DESCRIPTION_MAX = 160;

const isLang = (v: string): v is KbLang => (KB_LANGS as readonly string[]).includes(v);

/** JSON that can sit inside a <script> element: nothing in it can close the element or start a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The first words of the text, at most DESCRIPTION_MAX characters, cut at a word boundary. */
export function describe(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= DESCRIPTION_MAX) return flat;
  const cut = flat.slice(0, DESCRIPTION_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > DESCRIPTION_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

interface Page {
  status: number;
  lang: KbLang;
  title: string;
  head: string;
  body: string;
  state: unknown;
}

/** portal.html with the page filled in at its placeholders (and the <html> and <title> elements). */
export function fillTemplate(template: string, page: Page): string {
  const dir = RTL[page.lang] ? 'rtl' : 'ltr';
  return template
    .replace(/<html[^>]*>/, `<html lang="${page.lang}" dir="${dir}">`)
    .replace(/<title>[^<]*<\/title>/, `<title>${escapeHtml(page.title)}</title>`)
    .replace('<!--portal-head-->', page.head)
    .replace('<!--portal-body-->', page.body)
    .replace('<!--portal-state-->', `<script type="application/json" id="portal-state">${scriptJson(page.state)}</script>`);
}

/** The portal's page template, read again only when the build changed it. */
function templateLoader(file: string) {
  let cached: { mtimeMs: number; text: string } | null = null;
  return (): string | null => {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      return null;
    }
    if (!cached || cached.mtimeMs !== mtimeMs) cached = { mtimeMs, text: fs.readFileSync(file, 'utf8') };
    return cached.text;
  };
}

export function articleUrl(publicUrl: string, lang: KbLang, slug: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/portal/kb/${lang}/${encodeURIComponent(slug)}`;
}

/** The page of a published article: everything injected is escaped, the body sanitised once more. */
export function articlePage(publicUrl: string, article: Awaited<ReturnType<typeof viewPublicArticle>>): Page {
  const lang = article.lang;
  const dir = RTL[lang] ? 'rtl' : 'ltr';
  const site = SITE[lang];
  // Stored sanitised at save time; sanitising again costs little and also gives the plain text.
  const body = sanitizeArticleHtml(article.bodyHtml);
  const canonical = articleUrl(publicUrl, lang, article.slug);
  const alternates = KB_LANGS.flatMap((l) => (article.alternates[l] ? [[l, articleUrl(publicUrl, l, article.alternates[l]!)] as const] : []));
  const fallback = alternates.find(([l]) => l === 'en') ?? alternates[0];
  const links = [
    `<meta name="description" content="${escapeHtml(describe(body.text))}">`,
    `<link rel="canonical" href="${escapeHtml(canonical)}">`,
    ...alternates.map(([l, href]) => `<link rel="alternate" hreflang="${l}" href="${escapeHtml(href)}">`),
    ...(fallback ? [`<link rel="alternate" hreflang="x-default" href="${escapeHtml(fallback[1])}">`] : []),
    `<meta property="og:title" content="${escapeHtml(article.title)}">`,
    `<meta property="og:type" content="article">`,
    `<meta property="og:url" content="${escapeHtml(canonical)}">`,
  ];
  return {
    status: 200,
    lang,
    title: `${article.title} · ${site.name}`,
    head: links.join('\n    '),
    body: frame(
      lang,
      `<article class="stack" data-testid="kb-article"><h1 lang="${lang}" dir="${dir}">${escapeHtml(article.title)}</h1>` +
        `<div class="rich-text" lang="${lang}" dir="${dir}" data-testid="kb-article-body">${body.html}</div></article>`,
    ),
    state: { kind: 'article', article: { ...article, bodyHtml: body.html } },
  };
}

/** The 404 page: same frame, a message, a way back; not for indexing. */
export function missingPage(lang: KbLang, slug: string | null): Page {
  const site = SITE[lang];
  return {
    status: 404,
    lang,
    title: `${site.missing} · ${site.name}`,
    head: '<meta name="robots" content="noindex">',
    body: frame(lang, `<div class="stack" data-testid="not-found"><h1>${escapeHtml(site.missing)}</h1><p>${escapeHtml(site.missingText)}</p><a href="/portal/">${escapeHtml(site.home)}</a></div>`),
    state: slug === null ? null : { kind: 'articleMissing', lang, slug },
  };
}

/** The portal's frame for readers without JavaScript (the app replaces it when it starts). */
function frame(lang: KbLang, content: string): string {
  const site = SITE[lang];
  return (
    `<header class="site-header"><div class="container header-row"><a class="brand" href="/portal/">${escapeHtml(site.name)}</a></div></header>` +
    `<main id="main" class="container page">${content}</main>`
  );
}

/** `find` answering null for a 404 (the service throws it). */
async function orMissing<T>(find: () => Promise<T>): Promise<T | null> {
  try {
    return await find();
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return null;
    throw err;
  }
}

export function portalSsrRoutes(deps: AppDeps, dist = CONSOLE_DIST): Router {
  const router = Router();
  const template = templateLoader(path.join(dist, 'portal.html'));

  const send = (res: Response, status: number, html: string | null) => {
    res.status(status);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.end(html ?? undefined);
  };

  router.get(PORTAL_ARTICLE_PATH, async (req: Request, res, next) => {
    // Programs asking for JSON, and a server without a build, get what comes after this router.
    if (!(req.headers.accept ?? '').includes('text/html')) return next();
    const html = template();
    if (html === null) return next();
    res.locals.routePattern = PORTAL_ARTICLE_PATH;
    const lang = String(req.params.lang);
    const slug = String(req.params.slug);
    const head = req.method === 'HEAD';
    if (!isLang(lang) || slug.length > SLUG_MAX) return send(res, 404, head ? null : fillTemplate(html, missingPage(isLang(lang) ? lang : 'en', null)));
    // HEAD says whether the page exists, without counting a view.
    if (head) return send(res, (await orMissing(() => publicTranslation(req.em, lang, slug))) ? 200 : 404, null);
    const article = await orMissing(() => viewPublicArticle(req.em, lang, slug));
    const page = article ? articlePage(deps.config.PUBLIC_URL, article) : missingPage(lang, slug);
    send(res, page.status, fillTemplate(html, page));
  });
  return router;
}
