import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Knowledge-base API (issue 9): the role matrix of every endpoint written out by hand, malformed
// input (400/422 naming the field, nothing written), translations with optimistic concurrency
// and status rules, versions and restore, images checked by content, the public API (never a
// draft, archived or internal article, asserted by ids), view and feedback counting, and rate
// limits (429 with Retry-After; failing open when Redis is down).

let h: Harness;
const tokens = {} as Record<'admin' | 'supervisor' | 'agent' | 'customer', string>;
const CALLERS = ['anonymous', 'admin', 'supervisor', 'agent', 'customer'] as const;
type Caller = (typeof CALLERS)[number];
const token = (c: Caller) => (c === 'anonymous' ? null : tokens[c]);
const ROLE: Record<Exclude<Caller, 'anonymous'>, string> = { admin: 'admin', supervisor: 'supervisor', agent: 'agent', customer: 'customer' };

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const IMAGE_MAX = 4096;

const KB_TABLES = ['kb_categories', 'kb_articles', 'kb_article_translations', 'kb_article_versions', 'kb_feedback', 'kb_article_views', 'kb_images'];
/** Row count and row versions (xmin) of every KB table: equal means nothing was written. */
async function fingerprint(harness: Harness = h): Promise<Record<string, string>> {
  const [row] = await harness.orm.em
    .fork()
    .execute<Record<string, string>[]>(`select ${KB_TABLES.map((t) => `(select count(*) || '/' || coalesce(sum(xmin::text::bigint), 0) from "${t}") as "${t}"`).join(', ')}`);
  return row!;
}
const fieldPaths = (body: any): string[] => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);

let seq = 0;
const unique = (what: string) => `${what}-${h.fx.suffix}-${++seq}`;

async function newCategory(body: Record<string, unknown> = {}) {
  const r = await h.call(tokens.admin, 'POST', '/api/v1/kb/categories', { names: { en: unique('Category'), fa: `دسته ${seq}` }, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const translation = (title: string, status = 'published', extra: Record<string, unknown> = {}) => ({ title, bodyHtml: `<p>${title} body</p>`, status, ...extra });

async function newArticle(body: Record<string, unknown> = {}) {
  const r = await h.call(tokens.admin, 'POST', '/api/v1/kb/articles', { visibility: 'public', translations: { en: translation(unique('Article')) }, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

async function upload(harness: Harness, tok: string | null, bytes: Buffer, filename: string, type: string, field = 'file') {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type }), filename);
  const res = await fetch(`${harness.baseUrl}/api/v1/kb/images`, { method: 'POST', headers: tok ? { authorization: `Bearer ${tok}` } : {}, body: form });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

beforeAll(async () => {
  h = await startHarness({
    worker: false,
    env: {
      KB_IMAGE_MAX_BYTES: String(IMAGE_MAX),
      CLIENT_KEY_SECRET: `kb-test-${randomBytes(16).toString('hex')}`,
      RATE_LIMIT_PUBLIC_FEEDBACK_PER_HOUR: '100000',
      RATE_LIMIT_PUBLIC_SEARCH_PER_MINUTE: '100000',
    },
  });
  const u = h.fx.users;
  const [admin, supervisor, agent, customer] = (await Promise.all([u.admin, u.supervisor, u.agent1, u.customer].map((x) => h.login(x.email)))) as [string, string, string, string];
  Object.assign(tokens, { admin, supervisor, agent, customer });
});
afterAll(() => h?.close());

// ---- role matrix ------------------------------------------------------------------------------

describe('role matrix', () => {
  interface Res {
    status: number;
    body: any;
    headers: Headers;
  }
  interface Spec {
    /** Makes the records the request needs (before the "nothing written" snapshot). */
    prepare?: () => Promise<any>;
    send(c: Caller, ctx: any): Promise<Res>;
    ok?(res: Res, c: Caller, ctx: any): Promise<void> | void;
    /** The permission refused roles lack (for the 403 message). */
    action?: string;
  }
  let shared: any;
  let image: { id: number; url: string };
  const ensureShared = async () => {
    shared ??= await newArticle({ translations: { en: translation(unique('Shared')), fa: translation(`مقالهٔ مشترک ${h.fx.suffix}`) } });
    image ??= (await upload(h, tokens.admin, PNG, 'matrix.png', 'image/png')).body;
  };
  const firstVersion = async (articleId: number, lang = 'en') => (await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${articleId}/versions?lang=${lang}`)).body.items.at(-1);

  // prettier-ignore
  const MATRIX: Record<string, [Spec, [number, number, number, number, number]]> = {
    //                                                                                                                                                  anon adm  sup  agt  cus
    'GET /kb/categories': [{ action: 'kb.read',
      send: (c) => h.call(token(c), 'GET', '/api/v1/kb/categories'),
      ok: (r) => expect(Array.isArray(r.body.items)).toBe(true) },                                                                                        [401, 200, 200, 200, 403]],
    'POST /kb/categories': [{ action: 'kb.write',
      send: (c) => h.call(token(c), 'POST', '/api/v1/kb/categories', { names: { en: `m-${c}-${h.fx.suffix}-${++seq}` } }),
      ok: (r) => expect(r.body).toMatchObject({ parentId: null, children: [], articleCount: 0 }) },                                                          [401, 201, 201, 403, 403]],
    'PATCH /kb/categories/:id': [{ action: 'kb.write', prepare: () => newCategory(),
      send: (c, cat) => h.call(token(c), 'PATCH', `/api/v1/kb/categories/${cat.id}`, { position: 7 }),
      ok: (r) => expect(r.body.position).toBe(7) },                                                                                                         [401, 200, 200, 403, 403]],
    'DELETE /kb/categories/:id': [{ action: 'kb.write', prepare: () => newCategory(),
      send: (c, cat) => h.call(token(c), 'DELETE', `/api/v1/kb/categories/${cat.id}`),
      ok: async (_r, _c, cat) => expect((await h.call(tokens.admin, 'PATCH', `/api/v1/kb/categories/${cat.id}`, { position: 1 })).status).toBe(404) },      [401, 204, 204, 403, 403]],
    'GET /kb/articles': [{ action: 'kb.read',
      send: (c) => h.call(token(c), 'GET', '/api/v1/kb/articles?limit=100'),
      ok: (r) => expect(r.body.items.map((a: any) => a.id)).toContain(shared.id) },                                                                         [401, 200, 200, 200, 403]],
    'POST /kb/articles': [{ action: 'kb.write',
      send: (c) => h.call(token(c), 'POST', '/api/v1/kb/articles', { translations: { en: translation(`by ${c} ${h.fx.suffix} ${++seq}`, 'draft') } }),
      ok: (r, c) => expect(r.body).toMatchObject({ author: { id: c === 'admin' ? h.fx.users.admin.id : h.fx.users.supervisor.id }, translations: { en: { status: 'draft', version: 1 } } }) }, [401, 201, 201, 403, 403]],
    'GET /kb/articles/:id': [{ action: 'kb.read',
      send: (c) => h.call(token(c), 'GET', `/api/v1/kb/articles/${shared.id}`),
      ok: (r) => expect(r.body).toMatchObject({ id: shared.id, translations: { en: { id: shared.translations.en.id }, fa: { id: shared.translations.fa.id } } }) }, [401, 200, 200, 200, 403]],
    'PATCH /kb/articles/:id': [{ action: 'kb.write', prepare: () => newArticle(),
      send: (c, a) => h.call(token(c), 'PATCH', `/api/v1/kb/articles/${a.id}`, { version: a.version, tags: ['matrix'] }),
      ok: (r) => expect(r.body).toMatchObject({ tags: ['matrix'], version: 2 }) },                                                                           [401, 200, 200, 403, 403]],
    'PUT /kb/articles/:id/translations/:lang': [{ action: 'kb.write', prepare: () => newArticle(),
      send: (c, a) => h.call(token(c), 'PUT', `/api/v1/kb/articles/${a.id}/translations/fa`, translation(`ترجمه ${h.fx.suffix} ${++seq}`, 'draft')),
      ok: (r) => expect(r.body.translations.fa).toMatchObject({ status: 'draft', version: 1 }) },                                                            [401, 200, 200, 403, 403]],
    'DELETE /kb/articles/:id': [{ action: 'kb.write', prepare: () => newArticle(),
      send: (c, a) => h.call(token(c), 'DELETE', `/api/v1/kb/articles/${a.id}`),
      ok: async (_r, _c, a) => expect((await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${a.id}`)).status).toBe(404) },                                [401, 204, 204, 403, 403]],
    'GET /kb/articles/:id/versions': [{ action: 'kb.read',
      send: (c) => h.call(token(c), 'GET', `/api/v1/kb/articles/${shared.id}/versions`),
      ok: (r) => expect(r.body.items.map((v: any) => [v.lang, v.number])).toEqual([['en', 1], ['fa', 1]]) },                                                 [401, 200, 200, 200, 403]],
    'GET /kb/articles/:id/versions/:versionId': [{ action: 'kb.read', prepare: () => firstVersion(shared.id),
      send: (c, v) => h.call(token(c), 'GET', `/api/v1/kb/articles/${shared.id}/versions/${v.id}`),
      ok: (r) => expect(r.body).toMatchObject({ lang: 'en', number: 1, slug: shared.translations.en.slug, bodyHtml: expect.stringContaining('body') }) },    [401, 200, 200, 200, 403]],
    'POST /kb/articles/:id/versions/:versionId/restore': [{ action: 'kb.write', prepare: async () => { const a = await newArticle(); return { a, v: await firstVersion(a.id) }; },
      send: (c, { a, v }) => h.call(token(c), 'POST', `/api/v1/kb/articles/${a.id}/versions/${v.id}/restore`),
      ok: (r) => expect(r.body.translations.en.version).toBe(2) },                                                                                           [401, 200, 200, 403, 403]],
    'GET /kb/articles/:id/feedback': [{ action: 'kb.read',
      send: (c) => h.call(token(c), 'GET', `/api/v1/kb/articles/${shared.id}/feedback`),
      ok: (r) => expect(r.body).toMatchObject({ views: { en: expect.any(Number), fa: expect.any(Number) }, items: expect.any(Array) }) },                   [401, 200, 200, 200, 403]],
    'POST /kb/images': [{ action: 'kb.write',
      send: (c) => upload(h, token(c), PNG, `by-${c}.png`, 'image/png'),
      ok: (r, c) => expect(r.body).toMatchObject({ url: `/api/v1/kb/images/${r.body.id}/by-${c}.png`, contentType: 'image/png', size: PNG.length }) },      [401, 201, 201, 403, 403]],
    'GET /kb/images/:id/:name': [{
      send: (c) => h.call(token(c), 'GET', image.url),
      ok: (r) => expect(r.headers.get('content-type')).toBe('image/png') },                                                                                 [200, 200, 200, 200, 200]],
    'GET /public/kb/categories': [{
      send: (c) => h.call(token(c), 'GET', '/api/v1/public/kb/categories?lang=fa'),
      ok: (r) => expect(Array.isArray(r.body.items)).toBe(true) },                                                                                          [200, 200, 200, 200, 200]],
    'GET /public/kb/articles': [{
      send: (c) => h.call(token(c), 'GET', '/api/v1/public/kb/articles?lang=en&limit=100'),
      ok: (r) => expect(r.body.items.map((a: any) => a.id)).toContain(shared.translations.en.id) },                                                         [200, 200, 200, 200, 200]],
    'GET /public/kb/articles/:lang/:slug': [{
      send: (c) => h.call(token(c), 'GET', `/api/v1/public/kb/articles/fa/${encodeURIComponent(shared.translations.fa.slug)}`),
      ok: (r) => expect(r.body).toMatchObject({ id: shared.translations.fa.id, articleId: shared.id, lang: 'fa' }) },                                       [200, 200, 200, 200, 200]],
    'GET /public/kb/search': [{
      send: (c) => h.call(token(c), 'GET', `/api/v1/public/kb/search?q=${encodeURIComponent(shared.translations.en.title)}&lang=en`),
      ok: (r) => expect(r.body).toMatchObject({ backend: expect.stringMatching(/^(postgres|meilisearch)$/), total: expect.any(Number), hits: expect.any(Array) }) }, [200, 200, 200, 200, 200]],
    'POST /public/kb/articles/:lang/:slug/feedback': [{
      send: (c) => h.call(token(c), 'POST', `/api/v1/public/kb/articles/en/${shared.translations.en.slug}/feedback`, { helpful: true, comment: `from ${c}` }),
      ok: async (_r, c) => expect((await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${shared.id}/feedback`)).body.items[0]).toMatchObject({ lang: 'en', helpful: true, comment: `from ${c}` }) }, [201, 201, 201, 201, 201]],
  };

  it('covers every KB operation of the OpenAPI document', async () => {
    const doc = (await h.call(null, 'GET', '/api/openapi.json')).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([p]) => /^\/api\/v1\/(public\/)?kb\//.test(p))
      .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p.replace('/api/v1', '').replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    expect(documented).toEqual(Object.keys(MATRIX).sort());
  });

  const ROWS = Object.entries(MATRIX).flatMap(([name, [spec, statuses]]) => CALLERS.map((caller, i) => ({ name, caller, spec, expected: statuses[i]! })));
  it.each(ROWS)('$name as $caller → $expected', async ({ caller, spec, expected }) => {
    await ensureShared();
    const ctx = await spec.prepare?.();
    const print = await fingerprint();
    const r = await spec.send(caller, ctx);
    expect(r.status, JSON.stringify(r.body)).toBe(expected);
    if (expected < 300) return spec.ok?.(r, caller, ctx);
    if (expected === 401) expect(r.body).toEqual({ error: { code: 'unauthorized', message: 'Authentication required' } });
    else expect(r.body).toEqual({ error: { code: 'forbidden', message: `Role ${ROLE[caller as Exclude<Caller, 'anonymous'>]} may not ${spec.action}` } });
    expect(await fingerprint(), 'a refused request wrote nothing').toEqual(print);
  });
});

// ---- categories ------------------------------------------------------------------------------

describe('categories', () => {
  it('builds an ordered two-level tree with per-language names and direct article counts', async () => {
    const root = await newCategory({ names: { en: unique('Root'), fa: 'ریشه' } });
    const second = await newCategory({ parentId: root.id, names: { fa: 'دوم' }, position: 2 });
    const first = await newCategory({ parentId: root.id, names: { en: 'First' }, position: 1 });
    const appended = await newCategory({ parentId: root.id, names: { en: 'Appended' } });
    expect(appended.position).toBe(3);
    await newArticle({ categoryId: first.id });
    const tree = (await h.call(tokens.agent, 'GET', '/api/v1/kb/categories')).body.items;
    const node = tree.find((c: any) => c.id === root.id);
    expect(node).toMatchObject({ parentId: null, names: { en: root.names.en, fa: 'ریشه' }, articleCount: 0 });
    expect(node.children.map((c: any) => [c.id, c.names, c.articleCount])).toEqual([
      [first.id, { en: 'First' }, 1],
      [second.id, { fa: 'دوم' }, 0],
      [appended.id, { en: 'Appended' }, 0],
    ]);
  });

  it('refuses malformed bodies with 400 naming the field, writing nothing', async () => {
    const cases: [unknown, string][] = [
      [{}, 'body.names'],
      [{ names: {} }, 'body.names'],
      [{ names: { en: '   ', fa: '' } }, 'body.names'],
      [{ names: { de: 'Hallo' } }, 'body.names.de'],
      [{ names: { en: 'x'.repeat(201) } }, 'body.names.en'],
      [{ names: { en: 'ok' }, parentId: 0 }, 'body.parentId'],
      [{ names: { en: 'ok' }, parentId: '1' }, 'body.parentId'],
      [{ names: { en: 'ok' }, position: -1 }, 'body.position'],
      [{ names: { en: 'ok' }, position: 1.5 }, 'body.position'],
      [{ names: { en: 'ok' }, colour: 'red' }, 'body.colour'],
    ];
    const before = await fingerprint();
    for (const [body, field] of cases) {
      const r = await h.call(tokens.admin, 'POST', '/api/v1/kb/categories', body);
      expect(r.status, JSON.stringify([body, r.body])).toBe(400);
      expect(fieldPaths(r.body), JSON.stringify(body)).toContain(field);
    }
    const c = await newCategory();
    const patch = await h.call(tokens.admin, 'PATCH', `/api/v1/kb/categories/${c.id}`, {});
    expect(patch.status).toBe(400);
    expect(fieldPaths(patch.body)).toEqual(['body']);
    const after = await fingerprint();
    expect(after.kb_categories).not.toBe(before.kb_categories); // the one created above…
    const rows = await h.orm.em.fork().execute('select names from kb_categories where id = ?', [c.id]);
    expect(rows).toEqual([{ names: c.names }]); // …and the refused PATCH left it alone
  });

  it('refuses a missing parent (422) and moves that would make a cycle (422 naming body.parentId)', async () => {
    const a = await newCategory();
    const b = await newCategory({ parentId: a.id });
    const c = await newCategory({ parentId: b.id });
    const before = await fingerprint();
    for (const [id, parentId] of [
      [a.id, a.id],
      [a.id, b.id],
      [a.id, c.id],
      [b.id, c.id],
      [b.id, 2_000_000_000],
    ]) {
      const r = await h.call(tokens.admin, 'PATCH', `/api/v1/kb/categories/${id}`, { parentId });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(fieldPaths(r.body)).toEqual(['body.parentId']);
    }
    const create = await h.call(tokens.admin, 'POST', '/api/v1/kb/categories', { names: { en: 'orphan' }, parentId: 2_000_000_000 });
    expect(create.status).toBe(422);
    expect(fieldPaths(create.body)).toEqual(['body.parentId']);
    expect(await fingerprint()).toEqual(before);
    // A legal move: c to the top, then b under c.
    expect((await h.call(tokens.admin, 'PATCH', `/api/v1/kb/categories/${c.id}`, { parentId: null })).body.parentId).toBeNull();
    const moved = await h.call(tokens.admin, 'PATCH', `/api/v1/kb/categories/${b.id}`, { parentId: c.id, names: { fa: 'جابه‌جا' } });
    expect(moved.body).toMatchObject({ id: b.id, parentId: c.id, names: { fa: 'جابه‌جا' } });
  });

  it('deletes only empty categories (409 with subcategories or articles) and 404s unknown ones', async () => {
    const parent = await newCategory();
    const child = await newCategory({ parentId: parent.id });
    const article = await newArticle({ categoryId: child.id });
    const before = await fingerprint();
    const r1 = await h.call(tokens.admin, 'DELETE', `/api/v1/kb/categories/${parent.id}`);
    expect(r1.status).toBe(409);
    expect(r1.body.error).toMatchObject({ code: 'category_in_use', message: expect.stringContaining('1 subcategory') });
    const r2 = await h.call(tokens.admin, 'DELETE', `/api/v1/kb/categories/${child.id}`);
    expect(r2.status).toBe(409);
    expect(r2.body.error.message).toContain('1 article');
    expect(await fingerprint()).toEqual(before);
    expect((await h.call(tokens.admin, 'PATCH', `/api/v1/kb/articles/${article.id}`, { version: article.version, categoryId: null })).status).toBe(200);
    expect((await h.call(tokens.admin, 'DELETE', `/api/v1/kb/categories/${child.id}`)).status).toBe(204);
    expect((await h.call(tokens.admin, 'DELETE', `/api/v1/kb/categories/${parent.id}`)).status).toBe(204);
    expect((await h.call(tokens.admin, 'DELETE', `/api/v1/kb/categories/${parent.id}`)).status).toBe(404);
  });
});

// ---- articles and translations ---------------------------------------------------------------

describe('articles', () => {
  it('creates an article with both translations, sanitised bodies, plain text and version 1 of each', async () => {
    const cat = await newCategory();
    const r = await h.call(tokens.supervisor, 'POST', '/api/v1/kb/articles', {
      categoryId: cat.id,
      visibility: 'internal',
      tags: ['VPN', 'vpn', 'remote-work'],
      translations: {
        en: {
          title: `  Connect ${h.fx.suffix}  `,
          bodyHtml: `<p onclick="x()">Hello <script>alert(1)</script><img src="https://evil.example/t.png"><img src="/api/v1/kb/images/5/a.png" alt="shot"></p>`,
          status: 'draft',
        },
        fa: { title: `اتصال به شبکه ${h.fx.suffix}`, bodyHtml: '<p>سلام <b>دنیا</b></p>', status: 'published' },
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.headers.get('location')).toBe(`/api/v1/kb/articles/${r.body.id}`);
    const a = r.body;
    expect(a).toMatchObject({
      categoryId: cat.id,
      visibility: 'internal',
      tags: ['vpn', 'remote-work'],
      version: 1,
      author: { id: h.fx.users.supervisor.id },
      stats: { views: 0, helpful: 0, notHelpful: 0 },
    });
    expect(a.translations.en).toMatchObject({
      title: `Connect ${h.fx.suffix}`,
      slug: `connect-${h.fx.suffix}`,
      status: 'draft',
      publishedAt: null,
      version: 1,
      updatedBy: { id: h.fx.users.supervisor.id },
    });
    expect(a.translations.en.bodyHtml).toBe('<p>Hello <img src="/api/v1/kb/images/5/a.png" alt="shot" /></p>');
    expect(a.translations.fa).toMatchObject({ slug: `اتصال-به-شبکه-${h.fx.suffix}`, status: 'published', publishedAt: expect.any(String) });
    const [text] = await h.orm.em.fork().execute('select body_text from kb_article_translations where id = ?', [a.translations.fa.id]);
    expect(text).toEqual({ body_text: 'سلام دنیا' });
    const versions = (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${a.id}/versions`)).body.items;
    expect(versions.map((v: any) => [v.lang, v.number, v.status, v.author.id])).toEqual([
      ['en', 1, 'draft', h.fx.users.supervisor.id],
      ['fa', 1, 'published', h.fx.users.supervisor.id],
    ]);
  });

  it('generates slugs from titles (Persian letters kept, Arabic yeh and kaf made Persian) and suffixes taken ones', async () => {
    const title = `Printer Setup — ${h.fx.suffix}!`;
    const one = await newArticle({ translations: { en: translation(title), fa: translation(`راهنماي چاپگر ${h.fx.suffix} ك`) } });
    const two = await newArticle({ translations: { en: translation(title) } });
    const three = await newArticle({ translations: { en: translation(title) } });
    expect(one.translations.en.slug).toBe(`printer-setup-${h.fx.suffix}`);
    expect(one.translations.fa.slug).toBe(`راهنمای-چاپگر-${h.fx.suffix}-ک`);
    expect(two.translations.en.slug).toBe(`printer-setup-${h.fx.suffix}-2`);
    expect(three.translations.en.slug).toBe(`printer-setup-${h.fx.suffix}-3`);
  });

  it('refuses an explicit slug another article uses in that language (422 naming it), writing nothing', async () => {
    const slug = `taken-${h.fx.suffix}`;
    const owner = await newArticle({ translations: { en: translation(unique('Owner'), 'draft', { slug }) } });
    // The same slug in the other language is fine.
    await newArticle({ translations: { fa: translation('دیگری', 'draft', { slug }) } });
    const before = await fingerprint();
    const r = await h.call(tokens.admin, 'POST', '/api/v1/kb/articles', { translations: { en: translation('Other', 'draft', { slug }) } });
    expect(r.status).toBe(422);
    expect(fieldPaths(r.body)).toEqual(['body.translations.en.slug']);
    const other = await newArticle();
    const before2 = await fingerprint();
    const put = await h.call(tokens.admin, 'PUT', `/api/v1/kb/articles/${other.id}/translations/en`, { ...translation('Other', 'published', { slug }), version: 1 });
    expect(put.status).toBe(422);
    expect(fieldPaths(put.body)).toEqual(['body.slug']);
    expect(await fingerprint()).toEqual(before2);
    expect(before.kb_articles).not.toBe(before2.kb_articles);
    expect(owner.translations.en.slug).toBe(slug);
  });

  it('refuses malformed article bodies with 400 naming each field, writing nothing', async () => {
    const ok = { title: 'Fine', bodyHtml: '<p>x</p>', status: 'draft' };
    const cases: [unknown, string][] = [
      [{}, 'body.translations'],
      [{ translations: {} }, 'body.translations'],
      [{ translations: { de: ok } }, 'body.translations.de'],
      [{ translations: { en: { ...ok, title: '  ' } } }, 'body.translations.en.title'],
      [{ translations: { en: { ...ok, title: 'x'.repeat(301) } } }, 'body.translations.en.title'],
      [{ translations: { en: { ...ok, slug: 'Has Spaces' } } }, 'body.translations.en.slug'],
      [{ translations: { en: { ...ok, slug: 'double--hyphen' } } }, 'body.translations.en.slug'],
      [{ translations: { en: { ...ok, slug: 'UPPER' } } }, 'body.translations.en.slug'],
      [{ translations: { en: { ...ok, slug: 'x'.repeat(201) } } }, 'body.translations.en.slug'],
      [{ translations: { en: { ...ok, status: 'gone' } } }, 'body.translations.en.status'],
      [{ translations: { en: { ...ok, bodyHtml: 5 } } }, 'body.translations.en.bodyHtml'],
      [{ translations: { en: { ...ok, bodyHtml: 'x'.repeat(400_001) } } }, 'body.translations.en.bodyHtml'],
      [{ translations: { en: { ...ok, version: 1 } } }, 'body.translations.en.version'],
      [{ translations: { en: ok }, categoryId: 0 }, 'body.categoryId'],
      [{ translations: { en: ok }, visibility: 'secret' }, 'body.visibility'],
      [{ translations: { en: ok }, tags: ['has space'] }, 'body.tags.0'],
      [{ translations: { en: ok }, tags: 'vpn' }, 'body.tags'],
      [{ translations: { en: ok }, zzz: 1 }, 'body.zzz'],
    ];
    const before = await fingerprint();
    for (const [body, field] of cases) {
      const r = await h.call(tokens.admin, 'POST', '/api/v1/kb/articles', body);
      expect(r.status, JSON.stringify([body, r.body]).slice(0, 300)).toBe(400);
      expect(fieldPaths(r.body), JSON.stringify(body).slice(0, 200)).toContain(field);
    }
    const missing = await h.call(tokens.admin, 'POST', '/api/v1/kb/articles', { translations: { en: ok }, categoryId: 2_000_000_000 });
    expect(missing.status).toBe(422);
    expect(fieldPaths(missing.body)).toEqual(['body.categoryId']);
    const archived = await h.call(tokens.admin, 'POST', '/api/v1/kb/articles', { translations: { en: { ...ok, status: 'archived' } } });
    expect(archived.status).toBe(422);
    expect(fieldPaths(archived.body)).toEqual(['body.translations.en.status']);
    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'status=gone', 'lang=de', 'visibility=x', 'categoryId=0', 'zzz=1']) {
      const r = await h.call(tokens.admin, 'GET', `/api/v1/kb/articles?${q}`);
      expect(r.status, q).toBe(400);
      expect(fieldPaths(r.body)[0], q).toMatch(new RegExp(`^query\\.${q.split('=')[0]}(\\.|$)`));
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('filters the staff list by category, status, language, visibility and title text', async () => {
    const cat = await newCategory();
    const word = `zebra${h.fx.suffix}`;
    const a = await newArticle({ categoryId: cat.id, translations: { en: translation(`${word} one`, 'published'), fa: translation(`پیش‌نویس ${h.fx.suffix}`, 'draft') } });
    const b = await newArticle({ categoryId: cat.id, visibility: 'internal', translations: { en: translation(`${word} two`, 'draft') } });
    const ids = async (q: string) => (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles?${q}`)).body.items.map((x: any) => x.id);
    expect(await ids(`categoryId=${cat.id}`)).toEqual([b.id, a.id]);
    expect(await ids(`categoryId=${cat.id}&status=draft`)).toEqual([b.id, a.id]);
    expect(await ids(`categoryId=${cat.id}&status=draft&lang=en`)).toEqual([b.id]);
    expect(await ids(`categoryId=${cat.id}&status=draft&lang=fa`)).toEqual([a.id]);
    expect(await ids(`categoryId=${cat.id}&visibility=public`)).toEqual([a.id]);
    expect(await ids(`q=${word.toUpperCase()}`)).toEqual([b.id, a.id]);
    expect(await ids(`q=${encodeURIComponent('100%')}`)).not.toContain(a.id);
    const page = (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles?categoryId=${cat.id}&limit=1&offset=1`)).body;
    expect(page).toMatchObject({ total: 2, items: [{ id: a.id, translations: { en: { title: `${word} one`, status: 'published' }, fa: { status: 'draft' } } }] });
  });

  it('PATCH needs the current version (409 when stale, nothing written) and bumps it', async () => {
    const a = await newArticle();
    const ok = await h.call(tokens.admin, 'PATCH', `/api/v1/kb/articles/${a.id}`, { version: 1, visibility: 'internal' });
    expect(ok.body).toMatchObject({ visibility: 'internal', version: 2 });
    const before = await fingerprint();
    const stale = await h.call(tokens.admin, 'PATCH', `/api/v1/kb/articles/${a.id}`, { version: 1, visibility: 'public' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_version');
    for (const [body, field] of [
      [{ visibility: 'public' }, 'body.version'],
      [{ version: 2 }, 'body'],
      [{ version: 2, categoryId: 0 }, 'body.categoryId'],
    ] as const) {
      const r = await h.call(tokens.admin, 'PATCH', `/api/v1/kb/articles/${a.id}`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(fieldPaths(r.body)).toContain(field);
    }
    expect((await h.call(tokens.admin, 'PATCH', '/api/v1/kb/articles/2000000000', { version: 1, tags: [] })).status).toBe(404);
    expect(await fingerprint()).toEqual(before);
  });
});

describe('translations: saving, concurrency and status', () => {
  const put = (id: number, lang: string, body: Record<string, unknown>) => h.call(tokens.admin, 'PUT', `/api/v1/kb/articles/${id}/translations/${lang}`, body);

  it('every save is a version; an existing translation needs its current version (409 otherwise)', async () => {
    const a = await newArticle({ translations: { en: translation(unique('Versioned'), 'draft') } });
    const slug = a.translations.en.slug;
    const saved = await put(a.id, 'en', { title: 'Second title', bodyHtml: '<p>two</p>', status: 'draft', version: 1 });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    // The slug stays when none is sent (addresses do not change with the title).
    expect(saved.body.translations.en).toMatchObject({ title: 'Second title', slug, version: 2, bodyHtml: '<p>two</p>' });
    const before = await fingerprint();
    const missing = await put(a.id, 'en', { title: 'x', bodyHtml: 'x', status: 'draft' });
    expect(missing.status).toBe(409);
    expect(missing.body.error.code).toBe('stale_version');
    const stale = await put(a.id, 'en', { title: 'x', bodyHtml: 'x', status: 'draft', version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toContain('now version 2');
    for (const [body, field] of [
      [{ bodyHtml: 'x', status: 'draft', version: 2 }, 'body.title'],
      [{ title: 'x', status: 'draft', version: 2 }, 'body.bodyHtml'],
      [{ title: 'x', bodyHtml: 'x', version: 2 }, 'body.status'],
      [{ title: 'x', bodyHtml: 'x', status: 'draft', version: 0 }, 'body.version'],
      [{ title: 'x', bodyHtml: 'x', status: 'draft', version: 2, slug: '-x' }, 'body.slug'],
    ] as const) {
      const r = await put(a.id, 'en', body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(fieldPaths(r.body)).toContain(field);
    }
    const badLang = await put(a.id, 'de', { title: 'x', bodyHtml: 'x', status: 'draft' });
    expect(badLang.status).toBe(400);
    expect(fieldPaths(badLang.body)).toEqual(['params.lang']);
    expect((await put(2_000_000_000, 'en', { title: 'x', bodyHtml: 'x', status: 'draft' })).status).toBe(404);
    expect(await fingerprint()).toEqual(before);
    const versions = (await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${a.id}/versions?lang=en`)).body.items;
    expect(versions.map((v: any) => [v.number, v.title, v.author.id])).toEqual([
      [2, 'Second title', h.fx.users.admin.id],
      [1, a.translations.en.title, h.fx.users.admin.id],
    ]);
  });

  it('status goes draft → published → archived → draft; publishedAt is set once; other moves are 422 naming body.status', async () => {
    const a = await newArticle({ translations: { en: translation(unique('Lifecycle'), 'draft') } });
    let version = 1;
    const step = async (status: string, expected: number) => {
      const r = await put(a.id, 'en', { title: 'Lifecycle', bodyHtml: '<p>x</p>', status, version });
      expect(r.status, `${status}: ${JSON.stringify(r.body)}`).toBe(expected);
      if (expected === 200) version = r.body.translations.en.version;
      else expect(fieldPaths(r.body)).toEqual(['body.status']);
      return r.body;
    };
    await step('archived', 422);
    const published = await step('published', 200);
    const at = published.translations.en.publishedAt;
    expect(at).toEqual(expect.any(String));
    await step('draft', 422);
    await step('published', 200); // staying put is a save like any other
    const archived = await step('archived', 200);
    expect(archived.translations.en.publishedAt).toBe(at);
    await step('published', 422);
    await step('draft', 200);
    const again = await step('published', 200);
    expect(again.translations.en.publishedAt).toBe(at);
    const versions = (await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${a.id}/versions?lang=en`)).body.items;
    expect(versions.map((v: any) => v.status)).toEqual(['published', 'draft', 'archived', 'published', 'published', 'draft']);
  });
});

describe('versions: read, diff and restore', () => {
  it('keeps every version in full and restores an old one as a new version', async () => {
    const a = await newArticle({ translations: { en: translation(unique('Original'), 'draft') } });
    const v1Title = a.translations.en.title;
    await h.call(tokens.admin, 'PUT', `/api/v1/kb/articles/${a.id}/translations/en`, { title: 'Second', bodyHtml: '<p>second <b>body</b></p>', status: 'published', version: 1 });
    await h.call(tokens.supervisor, 'PUT', `/api/v1/kb/articles/${a.id}/translations/en`, { title: 'Third', slug: `third-${h.fx.suffix}`, bodyHtml: '<p>third</p>', status: 'published', version: 2 });
    const list = (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${a.id}/versions?lang=en`)).body.items;
    expect(list.map((v: any) => [v.number, v.title, v.status, v.author.name])).toEqual([
      [3, 'Third', 'published', `supervisor ${h.fx.suffix}`],
      [2, 'Second', 'published', `admin ${h.fx.suffix}`],
      [1, v1Title, 'draft', `admin ${h.fx.suffix}`],
    ]);
    // The console diffs two versions from their full texts.
    const v1 = (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${a.id}/versions/${list[2].id}`)).body;
    const v3 = (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${a.id}/versions/${list[0].id}`)).body;
    expect(v1).toMatchObject({ id: list[2].id, lang: 'en', number: 1, title: v1Title, slug: a.translations.en.slug, bodyHtml: `<p>${v1Title} body</p>`, status: 'draft' });
    expect(v3).toMatchObject({ number: 3, title: 'Third', slug: `third-${h.fx.suffix}`, bodyHtml: '<p>third</p>' });

    const restored = await h.call(tokens.supervisor, 'POST', `/api/v1/kb/articles/${a.id}/versions/${list[2].id}/restore`);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    // Content of version 1, status as it is now (published), as version 4 of the translation.
    expect(restored.body.translations.en).toMatchObject({ title: v1Title, slug: a.translations.en.slug, bodyHtml: `<p>${v1Title} body</p>`, status: 'published', version: 4 });
    const after = (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${a.id}/versions`)).body.items;
    expect(after[0]).toMatchObject({ number: 4, title: v1Title, status: 'published', author: { id: h.fx.users.supervisor.id } });
    expect(after).toHaveLength(4);
  });

  it('404s versions of other articles and unknown ones; refuses a restore whose slug another article took (422)', async () => {
    const a = await newArticle({ translations: { en: translation(unique('Slugged'), 'draft') } });
    const b = await newArticle();
    const [v] = (await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${a.id}/versions`)).body.items;
    expect((await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${b.id}/versions/${v.id}`)).status).toBe(404);
    expect((await h.call(tokens.admin, 'POST', `/api/v1/kb/articles/${b.id}/versions/${v.id}/restore`)).status).toBe(404);
    expect((await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/2000000000/versions`)).status).toBe(404);
    expect((await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${a.id}/versions?lang=de`)).status).toBe(400);
    // a moves to a new slug; b takes a's old one; restoring a's version 1 would collide.
    await h.call(tokens.admin, 'PUT', `/api/v1/kb/articles/${a.id}/translations/en`, { title: 'Moved', slug: `moved-${h.fx.suffix}`, bodyHtml: 'x', status: 'draft', version: 1 });
    const took = await h.call(tokens.admin, 'PUT', `/api/v1/kb/articles/${b.id}/translations/en`, { title: 'Taker', slug: a.translations.en.slug, bodyHtml: 'x', status: 'published', version: 1 });
    expect(took.status, JSON.stringify(took.body)).toBe(200);
    const before = await fingerprint();
    const r = await h.call(tokens.admin, 'POST', `/api/v1/kb/articles/${a.id}/versions/${v.id}/restore`);
    expect(r.status).toBe(422);
    expect(fieldPaths(r.body)).toEqual(['slug']);
    expect(await fingerprint()).toEqual(before);
  });

  it('deleting an article removes its translations and versions', async () => {
    const a = await newArticle({ translations: { en: translation(unique('Doomed')), fa: translation('حذفی') } });
    expect((await h.call(tokens.admin, 'DELETE', `/api/v1/kb/articles/${a.id}`)).status).toBe(204);
    const [row] = await h.orm.em
      .fork()
      .execute<{ t: string; v: string }[]>(
        'select (select count(*) from kb_article_translations where article_id = ?) as t, (select count(*) from kb_article_versions where translation_id in (?, ?)) as v',
        [a.id, a.translations.en.id, a.translations.fa.id],
      );
    expect(row).toEqual({ t: '0', v: '0' });
    expect((await h.call(tokens.admin, 'DELETE', `/api/v1/kb/articles/${a.id}`)).status).toBe(404);
  });
});

// ---- images -----------------------------------------------------------------------------------

describe('images', () => {
  it('stores an image checked by content and serves it publicly with safe headers', async () => {
    const r = await upload(h, tokens.supervisor, GIF, 'Screen shot: "VPN" <1>.GIF', 'application/octet-stream');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ filename: 'Screen-shot-VPN-1.gif', contentType: 'image/gif', size: GIF.length });
    expect(r.body.url).toBe(`/api/v1/kb/images/${r.body.id}/Screen-shot-VPN-1.gif`);
    const [row] = await h.orm.em.fork().execute('select content_type, size, sha256, uploaded_by from kb_images where id = ?', [r.body.id]);
    expect(row).toMatchObject({ content_type: 'image/gif', size: GIF.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), uploaded_by: h.fx.users.supervisor.id });

    const res = await fetch(`${h.baseUrl}${r.body.url}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(GIF)).toBe(true);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    const etag = res.headers.get('etag')!;
    expect((await fetch(`${h.baseUrl}${r.body.url}`, { headers: { 'if-none-match': etag } })).status).toBe(304);

    const persian = await upload(h, tokens.admin, PNG, 'تصویر صفحه.png', 'image/png');
    expect(persian.body.filename).toBe('تصویر-صفحه.png');
    const p = await fetch(`${h.baseUrl}${persian.body.url}`);
    expect(p.status).toBe(200);
    expect(p.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('تصویر-صفحه.png')}`);
    // Only the stored name answers; an unknown id is 404 too.
    expect((await h.call(null, 'GET', `/api/v1/kb/images/${r.body.id}/other.gif`)).status).toBe(404);
    expect((await h.call(null, 'GET', '/api/v1/kb/images/2000000000/x.png')).status).toBe(404);
  });

  it('refuses what is not a PNG, JPEG, GIF or WebP image by its bytes (415 naming body.file), whatever its name and type', async () => {
    const before = await fingerprint();
    const fakes: [Buffer, string, string][] = [
      [Buffer.from('<html><script>alert(1)</script></html>'), 'innocent.png', 'image/png'],
      [Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF'), 'doc.png', 'image/png'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'icon.svg', 'image/svg+xml'],
      [Buffer.from('just text'), 'notes.jpg', 'image/jpeg'],
    ];
    for (const [bytes, name, type] of fakes) {
      const r = await upload(h, tokens.admin, bytes, name, type);
      expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(415);
      expect(r.body.error.code).toBe('unsupported_media_type');
      expect(fieldPaths(r.body)).toEqual(['body.file']);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('refuses too large (413), empty (400), misnamed (400) and non-multipart (415) uploads, writing nothing', async () => {
    const before = await fingerprint();
    const big = Buffer.concat([PNG, Buffer.alloc(IMAGE_MAX)]);
    const tooBig = await upload(h, tokens.admin, big, 'big.png', 'image/png');
    expect(tooBig.status).toBe(413);
    expect(fieldPaths(tooBig.body)).toEqual(['body.file']);
    const empty = await upload(h, tokens.admin, Buffer.alloc(0), 'empty.png', 'image/png');
    expect(empty.status).toBe(400);
    expect(fieldPaths(empty.body)).toEqual(['body.file']);
    const misnamed = await upload(h, tokens.admin, PNG, 'x.png', 'image/png', 'image');
    expect(misnamed.status).toBe(400);
    expect(fieldPaths(misnamed.body)).toEqual(['body.image']);
    const json = await h.call(tokens.admin, 'POST', '/api/v1/kb/images', { file: 'iVBORw0KGgo=' });
    expect(json.status).toBe(415);
    expect(fieldPaths(json.body)).toEqual(['body.file']);
    const form = new FormData();
    form.append('title', 'no file');
    const noFile = await fetch(`${h.baseUrl}/api/v1/kb/images`, { method: 'POST', headers: { authorization: `Bearer ${tokens.admin}` }, body: form });
    expect(noFile.status).toBe(400);
    expect(fieldPaths(await noFile.json())).toEqual(['body.file']);
    const broken = await fetch(`${h.baseUrl}/api/v1/kb/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nunterminated',
    });
    expect(broken.status).toBe(400);
    expect(await fingerprint()).toEqual(before);
  });
});

// ---- public API ------------------------------------------------------------------------------

describe('public knowledge base', () => {
  let cat: any;
  let sub: any;
  let emptyCat: any;
  let internalCat: any;
  const A: Record<string, any> = {};

  beforeAll(async () => {
    cat = await newCategory({ names: { en: unique('Public'), fa: 'عمومی' } });
    sub = await newCategory({ parentId: cat.id, names: { en: 'Sub only English' } });
    emptyCat = await newCategory({ parentId: cat.id });
    internalCat = await newCategory();
    A.published = await newArticle({ categoryId: sub.id, tags: ['vpn'], translations: { en: translation(unique('Published')), fa: translation(`منتشرشده ${h.fx.suffix}`) } });
    A.mixed = await newArticle({ categoryId: cat.id, translations: { en: translation(unique('Mixed')), fa: translation(`پیش‌نویس ${h.fx.suffix}`, 'draft') } });
    A.draft = await newArticle({ categoryId: cat.id, translations: { en: translation(unique('Draft'), 'draft'), fa: translation(`پیش ${h.fx.suffix}`, 'draft') } });
    A.internal = await newArticle({ categoryId: internalCat.id, visibility: 'internal', translations: { en: translation(unique('Internal')), fa: translation(`داخلی ${h.fx.suffix}`) } });
    const archived = await newArticle({ categoryId: cat.id, translations: { en: translation(unique('Archived')) } });
    A.archived = (await h.call(tokens.admin, 'PUT', `/api/v1/kb/articles/${archived.id}/translations/en`, { title: 'Archived', bodyHtml: 'x', status: 'archived', version: 1 })).body;
    expect(A.archived.translations.en.status).toBe('archived');
  });

  const hidden = () =>
    [
      ['en', A.mixed.translations.en, false],
      ['fa', A.mixed.translations.fa, true],
      ['en', A.draft.translations.en, true],
      ['fa', A.draft.translations.fa, true],
      ['en', A.internal.translations.en, true],
      ['fa', A.internal.translations.fa, true],
      ['en', A.archived.translations.en, true],
    ] as const;

  it('lists only published translations of public articles, per language (asserted by ids)', async () => {
    const ids = async (lang: string, extra = '') => (await h.call(null, 'GET', `/api/v1/public/kb/articles?lang=${lang}&limit=100${extra}`)).body.items.map((x: any) => x.id);
    const en = await ids('en');
    const fa = await ids('fa');
    expect(en).toEqual(expect.arrayContaining([A.published.translations.en.id, A.mixed.translations.en.id]));
    expect(fa).toContain(A.published.translations.fa.id);
    for (const [lang, t, isHidden] of hidden()) if (isHidden) expect(lang === 'en' ? en : fa, `${lang} ${t.title}`).not.toContain(t.id);
    expect(await ids('en', `&categoryId=${cat.id}`)).toEqual([A.mixed.translations.en.id]);
    expect(await ids('fa', `&categoryId=${cat.id}`)).toEqual([]);
    expect(await ids('en', `&categoryId=${internalCat.id}`)).toEqual([]);
    const item = (await h.call(null, 'GET', `/api/v1/public/kb/articles?lang=en&categoryId=${sub.id}`)).body.items[0];
    expect(item).toEqual({
      id: A.published.translations.en.id,
      articleId: A.published.id,
      lang: 'en',
      title: A.published.translations.en.title,
      slug: A.published.translations.en.slug,
      excerpt: `${A.published.translations.en.title} body`,
      publishedAt: expect.any(String),
      updatedAt: expect.any(String),
      categoryId: sub.id,
      tags: ['vpn'],
    });
  });

  it('never serves a draft, archived or internal translation by slug (404), and counts no view for them', async () => {
    const before = await fingerprint();
    for (const [lang, t, isHidden] of hidden()) {
      if (!isHidden) continue;
      const r = await h.call(null, 'GET', `/api/v1/public/kb/articles/${lang}/${encodeURIComponent(t.slug)}`);
      expect(r.status, `${lang} ${t.title}`).toBe(404);
      expect(r.body).toEqual({ error: { code: 'not_found', message: 'Article not found' } });
      const fb = await h.call(null, 'POST', `/api/v1/public/kb/articles/${lang}/${encodeURIComponent(t.slug)}/feedback`, { helpful: true });
      expect(fb.status).toBe(404);
    }
    // A published slug asked for in the other language is not found either.
    expect((await h.call(null, 'GET', `/api/v1/public/kb/articles/fa/${A.published.translations.en.slug}`)).status).toBe(404);
    expect(await fingerprint()).toEqual(before);
  });

  it('serves a published article with its alternates and counts one view per read (per language and day)', async () => {
    const en = A.published.translations.en;
    const fa = A.published.translations.fa;
    const r = await h.call(null, 'GET', `/api/v1/public/kb/articles/fa/${encodeURIComponent(fa.slug)}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: fa.id,
      articleId: A.published.id,
      lang: 'fa',
      title: fa.title,
      slug: fa.slug,
      bodyHtml: `<p>${fa.title} body</p>`,
      publishedAt: expect.any(String),
      updatedAt: expect.any(String),
      categoryId: sub.id,
      tags: ['vpn'],
      alternates: { en: en.slug, fa: fa.slug },
    });
    // The mixed article's Persian draft is no alternate.
    expect((await h.call(null, 'GET', `/api/v1/public/kb/articles/en/${A.mixed.translations.en.slug}`)).body.alternates).toEqual({ en: A.mixed.translations.en.slug });
    await h.call(null, 'GET', `/api/v1/public/kb/articles/en/${en.slug}`);
    await h.call(tokens.customer, 'GET', `/api/v1/public/kb/articles/en/${en.slug}`);
    const rows = await h.orm.em.fork().execute('select lang, views from kb_article_views where article_id = ? order by lang', [A.published.id]);
    expect(rows).toEqual([
      { lang: 'en', views: 2 },
      { lang: 'fa', views: 1 },
    ]);
    const report = (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${A.published.id}/feedback`)).body;
    expect(report.views).toEqual({ en: 2, fa: 1, total: 3 });
    expect((await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${A.published.id}`)).body.stats.views).toBe(3);
  });

  it('announces only categories with published articles below them, named in the language asked for', async () => {
    const tree = async (lang: string) => (await h.call(null, 'GET', `/api/v1/public/kb/categories?lang=${lang}`)).body.items;
    const find = (list: any[], id: number): any => list.flatMap((n) => [n, ...(n.children ?? [])]).find((n) => n.id === id) ?? list.map((n) => find(n.children, id)).find(Boolean);
    const en = await tree('en');
    const node = en.find((n: any) => n.id === cat.id);
    // cat: the mixed article directly, the published one below (in sub); the empty subcategory is not announced.
    expect(node).toEqual({
      id: cat.id,
      parentId: null,
      position: expect.any(Number),
      name: cat.names.en,
      articleCount: 2,
      children: [{ id: sub.id, parentId: cat.id, position: expect.any(Number), name: 'Sub only English', articleCount: 1, children: [] }],
    });
    expect(find(en, emptyCat.id)).toBeUndefined();
    expect(find(en, internalCat.id)).toBeUndefined();
    const fa = await tree('fa');
    // In Persian only the published article counts; a category without a Persian name falls back to English.
    expect(fa.find((n: any) => n.id === cat.id)).toMatchObject({ name: 'عمومی', articleCount: 1, children: [{ id: sub.id, name: 'Sub only English', articleCount: 1 }] });
    expect((await h.call(null, 'GET', '/api/v1/public/kb/categories?lang=de')).status).toBe(400);
  });

  it('stores feedback with a hashed client key, shows it to staff, and refuses malformed feedback (400, nothing written)', async () => {
    const t = A.published.translations.en;
    const url = `/api/v1/public/kb/articles/en/${t.slug}/feedback`;
    const before = await fingerprint();
    for (const [body, field] of [
      [{}, 'body.helpful'],
      [{ helpful: 'yes' }, 'body.helpful'],
      [{ helpful: true, comment: 'x'.repeat(2001) }, 'body.comment'],
      [{ helpful: true, comment: 5 }, 'body.comment'],
      [{ helpful: true, rating: 5 }, 'body.rating'],
    ] as const) {
      const r = await h.call(null, 'POST', url, body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(fieldPaths(r.body)).toContain(field);
    }
    expect((await h.call(null, 'POST', url, '[true]')).status).toBe(400);
    expect(await fingerprint()).toEqual(before);

    expect((await h.call(null, 'POST', url, { helpful: true, comment: '  Clear steps, thanks  ' })).status).toBe(201);
    expect((await h.call(null, 'POST', url, { helpful: false, comment: '   ' })).status).toBe(201);
    expect((await h.call(null, 'POST', `/api/v1/public/kb/articles/fa/${encodeURIComponent(A.published.translations.fa.slug)}/feedback`, { helpful: false, comment: 'تصویر ندارد' })).status).toBe(201);
    const rows = await h.orm.em.fork().execute<{ client_key: string }[]>('select client_key from kb_feedback where article_id = ?', [A.published.id]);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.client_key).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(rows.map((r) => r.client_key)).size).toBe(1);
    const report = (await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${A.published.id}/feedback`)).body;
    expect(report).toMatchObject({ helpful: 1, notHelpful: 2 });
    expect(report.items.map((f: any) => [f.lang, f.helpful, f.comment])).toEqual([
      ['fa', false, 'تصویر ندارد'],
      ['en', false, null],
      ['en', true, 'Clear steps, thanks'],
    ]);
    expect(JSON.stringify(report)).not.toContain(rows[0]!.client_key);
    expect((await h.call(tokens.agent, 'GET', `/api/v1/kb/articles/${A.published.id}`)).body.stats).toMatchObject({ helpful: 1, notHelpful: 2 });
  });

  it('the demo seed has bilingual published articles, one internal and one draft', async () => {
    const em = h.orm.em.fork();
    const [counts] = await em.execute<Record<string, string>[]>(
      `select count(distinct a.id) filter (where exists (select 1 from kb_article_translations t where t.article_id = a.id and t.lang = 'en' and t.status = 'published')
                                          and exists (select 1 from kb_article_translations t where t.article_id = a.id and t.lang = 'fa' and t.status = 'published') and a.visibility = 'public') as bilingual,
              count(*) filter (where a.visibility = 'internal') as internal
         from kb_articles a join users u on u.id = a.author_id where u.email = 'admin@mehrdesk.local'`,
    );
    expect(Number(counts!.bilingual)).toBeGreaterThanOrEqual(10);
    expect(Number(counts!.internal)).toBe(1);
    const seeded = await h.call(null, 'GET', `/api/v1/public/kb/articles/fa/${encodeURIComponent('بازنشانی-گذرواژه-فراموش-شده')}`);
    expect(seeded.status).toBe(200);
    expect(seeded.body.alternates).toEqual({ en: 'reset-a-forgotten-password', fa: 'بازنشانی-گذرواژه-فراموش-شده' });
    expect((await h.call(null, 'GET', '/api/v1/public/kb/articles/en/runbook-vpn-outage')).status).toBe(404);
    expect((await h.call(null, 'GET', '/api/v1/public/kb/articles/en/new-vpn-client-for-macos')).status).toBe(404);
  });
});

// ---- rate limits ------------------------------------------------------------------------------

describe('rate limits', () => {
  it('answers 429 with Retry-After once a client used up its feedback budget, and writes nothing then', async () => {
    const limited = await startHarness({ worker: false, env: { RATE_LIMIT_PUBLIC_FEEDBACK_PER_HOUR: '2', CLIENT_KEY_SECRET: `kb-limit-${randomBytes(16).toString('hex')}` } });
    try {
      const admin = await limited.login(limited.fx.users.admin.email);
      const a = (await limited.call(admin, 'POST', '/api/v1/kb/articles', { translations: { en: translation(`Limited ${limited.fx.suffix}`) } })).body;
      const url = `/api/v1/public/kb/articles/en/${a.translations.en.slug}/feedback`;
      const first = await limited.call(null, 'POST', url, { helpful: true });
      expect(first.status).toBe(201);
      expect(first.headers.get('ratelimit-limit')).toBe('2');
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      expect((await limited.call(null, 'POST', url, { helpful: true })).status).toBe(201);
      const before = await fingerprint(limited);
      const third = await limited.call(null, 'POST', url, { helpful: false });
      expect(third.status).toBe(429);
      const retryAfter = Number(third.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600, `Retry-After ${retryAfter}`).toBe(true);
      expect(third.body).toEqual({ error: { code: 'rate_limited', message: `Too many requests; try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}` } });
      expect(await fingerprint(limited)).toEqual(before);
      // Another client (behind the trusted proxy) has its own budget; reading is not limited.
      expect((await limited.call(null, 'POST', url, { helpful: true }, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(201);
      expect((await limited.call(null, 'GET', `/api/v1/public/kb/articles/en/${a.translations.en.slug}`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('lets requests through (fail open) when Redis is down', async () => {
    const down = await startHarness({ worker: false, env: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_PUBLIC_FEEDBACK_PER_HOUR: '1' } });
    try {
      const admin = await down.login(down.fx.users.admin.email);
      const a = (await down.call(admin, 'POST', '/api/v1/kb/articles', { translations: { en: translation(`Open ${down.fx.suffix}`) } })).body;
      const url = `/api/v1/public/kb/articles/en/${a.translations.en.slug}/feedback`;
      for (let i = 0; i < 3; i++) expect((await down.call(null, 'POST', url, { helpful: true })).status).toBe(201);
      const [n] = await down.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from kb_feedback where article_id = ?', [a.id]);
      expect(Number(n!.n)).toBe(3);
    } finally {
      await down.close();
    }
  });
});

// ---- public search -------------------------------------------------------------------------------

describe('public search', () => {
  it('finds only published public articles (by translation id, with highlights) and is rate limited per client', async () => {
    const s = await startHarness({
      worker: false,
      search: true,
      env: { RATE_LIMIT_PUBLIC_SEARCH_PER_MINUTE: '8', RATE_LIMIT_PUBLIC_SUGGEST_PER_MINUTE: '3', CLIENT_KEY_SECRET: `kb-search-${randomBytes(16).toString('hex')}` },
    });
    try {
      const admin = await s.login(s.fx.users.admin.email);
      const word = `quokka${s.fx.suffix.replace(/\d/g, '')}`;
      const make = async (visibility: string, en: string, fa?: string) => {
        const r = await s.call(admin, 'POST', '/api/v1/kb/articles', {
          visibility,
          translations: {
            en: { title: `${word} ${visibility} ${en}`, bodyHtml: `<p>The ${word} <b>guide</b></p>`, status: en },
            ...(fa ? { fa: { title: `${word} راهنما`, bodyHtml: `<p>${word} فارسی</p>`, status: fa } } : {}),
          },
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        return r.body;
      };
      const published = await make('public', 'published', 'published');
      const draft = await make('public', 'draft', 'draft');
      const internal = await make('internal', 'published', 'published');
      const search = (q: string, extra = '', headers: Record<string, string> = {}) => s.call(null, 'GET', `/api/v1/public/kb/search?q=${encodeURIComponent(q)}${extra}`, undefined, headers);
      // Indexing is asynchronous: wait until the published article is findable.
      const deadline = Date.now() + 20_000;
      let r = await search(word, '', { 'x-forwarded-for': '198.51.100.1' });
      while (r.body.hits?.length < 2 && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 250));
        r = await search(word, '', { 'x-forwarded-for': '198.51.100.1' });
      }
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const ids = r.body.hits.map((x: any) => x.id).sort();
      expect(ids).toEqual([published.translations.en.id, published.translations.fa.id].sort());
      for (const hidden of [draft.translations.en, draft.translations.fa, internal.translations.en, internal.translations.fa]) expect(ids).not.toContain(hidden.id);
      const en = r.body.hits.find((x: any) => x.id === published.translations.en.id);
      expect(en).toMatchObject({ type: 'article', article: { articleId: published.id, lang: 'en', slug: published.translations.en.slug, visibility: 'public' } });
      expect(JSON.stringify(en.highlights)).toContain('<mark>');
      const fa = await search(word, '&lang=fa', { 'x-forwarded-for': '198.51.100.2' });
      expect(fa.body.hits.map((x: any) => x.id)).toEqual([published.translations.fa.id]);
      for (const [q, field] of [
        ['', 'query.q'],
        ['x'.repeat(201), 'query.q'],
      ] as const) {
        const bad = await search(q, '', { 'x-forwarded-for': '198.51.100.3' });
        expect(bad.status).toBe(400);
        expect(fieldPaths(bad.body)).toEqual([field]);
      }
      const badLang = await search(word, '&lang=de', { 'x-forwarded-for': '198.51.100.3' });
      expect(fieldPaths(badLang.body)).toEqual(['query.lang']);

      // 8 a minute per client: the 9th answers 429 with Retry-After; another client is unaffected.
      const client = { 'x-forwarded-for': '198.51.100.77' };
      for (let i = 0; i < 8; i++) expect((await search(word, '', client)).status).toBe(200);
      const limited = await search(word, '', client);
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`).toBe(true);
      expect(limited.body.error.code).toBe('rate_limited');
      expect((await search(word, '', { 'x-forwarded-for': '198.51.100.78' })).status).toBe(200);
      // The portal's suggestions have a budget of their own: the searches' being spent does not stop them, and theirs is counted apart.
      const suggest = await Promise.all([1, 2, 3, 4].map(() => search(word, '&source=suggest', client)));
      expect(suggest.map((x) => x.status).sort()).toEqual([200, 200, 200, 429]);
    } finally {
      await s.close();
    }
  });
});
