import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MISSED_SEARCHES_KEPT } from '@mehrdesk/core/db';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Ticket deflection and the admins' portal insights (issue 10): a customer's "This solved my
// problem" recorded with the article and the text typed (as typed, or refused with a 4xx naming
// the field, nothing written), customers only and rate limited per account; the public search
// counting the queries that found nothing (per source, normalised, bounded) and only those; the
// insights' numbers on data of known dates; the deflection list and the per-article feedback
// list; and none of it readable by anyone but admins.

let h: Harness;
const tokens = {} as Record<'admin' | 'supervisor' | 'agent' | 'customer' | 'customer2', string>;
const fieldPaths = (body: any): string[] => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);
let seq = 0;
const unique = (what: string) => `${what} ${h.fx.suffix} ${++seq}`;
/** A word no article holds (letters only: numbers are never matched as prefixes). */
const nonsense = () => `zqx${h.fx.suffix.replace(/\d/g, '')}${'abcdefghij'[++seq % 10]}${'klmnopqrst'[Math.floor(seq / 10) % 10]}`;

const translation = (title: string, status = 'published') => ({ title, bodyHtml: `<p>${title} body</p>`, status });
async function article(visibility: 'public' | 'internal', translations: Record<string, unknown>) {
  const r = await h.call(tokens.admin, 'POST', '/api/v1/kb/articles', { visibility, translations });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const deflect = (token: string | null, body: unknown, harness = h) => harness.call(token, 'POST', '/api/v1/portal/deflections', body);
async function count(table: string): Promise<number> {
  const [r] = await h.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from ${table}`);
  return Number(r!.n);
}
async function deflectionRow(id: number) {
  const [r] = await h.orm.em
    .fork()
    .execute<{ customer_id: number | null; translation_id: number | null; subject: string; description: string }[]>(
      'select customer_id, translation_id, subject, description from kb_deflections where id = ?',
      [id],
    );
  return r;
}
async function missedRows(query: string) {
  return h.orm.em.fork().execute<{ source: string; count: number }[]>('select source, count from kb_missed_searches where query = ? order by source', [query]);
}

let published: any; // public, en + fa published
let draft: any;
let internal: any;
let archived: any;

beforeAll(async () => {
  h = await startHarness({
    worker: false,
    search: true,
    env: { CLIENT_KEY_SECRET: `deflect-${randomBytes(16).toString('hex')}`, RATE_LIMIT_PUBLIC_SEARCH_PER_MINUTE: '100000', RATE_LIMIT_PUBLIC_FEEDBACK_PER_HOUR: '100000' },
  });
  const u = h.fx.users;
  const [admin, supervisor, agent, customer, customer2] = (await Promise.all([u.admin, u.supervisor, u.agent1, u.customer, u.customer2].map((x) => h.login(x.email)))) as string[];
  Object.assign(tokens, { admin, supervisor, agent, customer, customer2 });
  published = await article('public', { en: translation(unique('VPN setup')), fa: translation(`راه‌اندازی وی‌پی‌ان ${h.fx.suffix}`) });
  draft = await article('public', { en: translation(unique('Draft'), 'draft') });
  internal = await article('internal', { en: translation(unique('Internal runbook')) });
  archived = await article('public', { en: translation(unique('Old')) });
  const put = await h.call(tokens.admin, 'PUT', `/api/v1/kb/articles/${archived.id}/translations/en`, {
    ...translation(archived.translations.en.title, 'archived'),
    version: archived.translations.en.version,
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
});
afterAll(() => h?.close());

// ---- recording --------------------------------------------------------------------------------

describe('POST /portal/deflections', () => {
  it('records the article and the text exactly as typed, for the signed-in customer', async () => {
    const subject = '  VPN دیگر وصل نمی‌شود 😀 ';
    const description = 'Since Monday:\n\t"connection refused" <b>not html</b> & ۱۲۳\r\n';
    const r = await deflect(tokens.customer, { articleId: published.translations.fa.id, subject, description });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(Object.keys(r.body)).toEqual(['id']);
    expect(await deflectionRow(r.body.id)).toEqual({ customer_id: h.fx.users.customer.id, translation_id: published.translations.fa.id, subject, description });
    // One of the two may be empty; the longest allowed are kept whole.
    const long = await deflect(tokens.customer, { articleId: published.translations.en.id, subject: 's'.repeat(300), description: 'd'.repeat(4000) });
    expect(long.status).toBe(201);
    expect(await deflectionRow(long.body.id)).toMatchObject({ subject: 's'.repeat(300), description: 'd'.repeat(4000) });
    const onlyDescription = await deflect(tokens.customer2, { articleId: published.translations.en.id, subject: '', description: 'only this' });
    expect(onlyDescription.status).toBe(201);
    expect(await deflectionRow(onlyDescription.body.id)).toMatchObject({ customer_id: h.fx.users.customer2.id, subject: '', description: 'only this' });
  });

  it.each([
    ['a NUL in the subject', { subject: 'a\u0000b', description: 'x' }, ['body.subject']],
    ['a lone surrogate in the description', { subject: 'x', description: 'bad \ud800 text' }, ['body.description']],
    ['a subject of 301 characters', { subject: 's'.repeat(301), description: 'x' }, ['body.subject']],
    ['a description of 4,001 characters', { subject: 'x', description: 'd'.repeat(4001) }, ['body.description']],
    ['blank subject and description', { subject: ' \n', description: '\t' }, ['body.subject']],
    ['no subject', { subject: undefined, description: 'x' }, ['body.subject']],
    ['a number as the description', { subject: 'x', description: 5 }, ['body.description']],
    ['an unknown field', { subject: 'x', description: 'y', ticketId: 1 }, ['body.ticketId']],
    ['articleId 0', { articleId: 0 }, ['body.articleId']],
    ['articleId beyond int4', { articleId: 2 ** 31 }, ['body.articleId']],
    ['articleId as a string', { articleId: '1' }, ['body.articleId']],
    ['articleId 1.5', { articleId: 1.5 }, ['body.articleId']],
  ])('refuses %s with 400 naming the field, writing nothing', async (_what, patch, fields) => {
    const before = await count('kb_deflections');
    const r = await deflect(tokens.customer, { articleId: published.translations.en.id, subject: 'VPN', description: 'down', ...patch });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(fieldPaths(r.body)).toEqual(fields);
    expect(await count('kb_deflections')).toBe(before);
  });

  it('refuses an unknown, draft, internal or archived article with 422 naming body.articleId, writing nothing', async () => {
    const [max] = await h.orm.em.fork().execute<{ m: number }[]>('select coalesce(max(id), 0) as m from kb_article_translations');
    const before = await count('kb_deflections');
    for (const [what, id] of [
      ['unknown', max!.m + 1000],
      ['draft', draft.translations.en.id],
      ['internal', internal.translations.en.id],
      ['archived', archived.translations.en.id],
    ] as const) {
      const r = await deflect(tokens.customer, { articleId: id, subject: 'VPN', description: 'down' });
      expect(r.status, what).toBe(422);
      expect(r.body.error).toEqual({ code: 'unprocessable', message: 'No such published article', fields: [{ path: 'body.articleId', message: 'Not a published translation of a public article' }] });
    }
    expect(await count('kb_deflections')).toBe(before);
  });

  it('is for customers only: staff get 403, anonymous callers 401, and nothing is written', async () => {
    const before = await count('kb_deflections');
    const body = { articleId: published.translations.en.id, subject: 'VPN', description: 'down' };
    for (const role of ['admin', 'supervisor', 'agent'] as const) {
      const r = await deflect(tokens[role], body);
      expect(r.status, role).toBe(403);
      expect(r.body).toEqual({ error: { code: 'forbidden', message: `Role ${role === 'agent' ? 'agent' : role} may not portal.deflect` } });
    }
    expect((await deflect(null, body)).status).toBe(401);
    expect(await count('kb_deflections')).toBe(before);
  });

  it('stores any subject and description as typed, or refuses them with 400 naming the field: never a 5xx (property)', async () => {
    const piece = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
      { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udfff', '\ud83d\ude00', ' ', '\n', 'ی', '\u200c', '\uffff', '"', '\\') },
      { weight: 1, arbitrary: fc.nat({ max: 4200 }).map((n) => 'w'.repeat(n)) },
    );
    const text = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
    // Independent of core's rule: UTF-8 cannot carry a lone surrogate (it comes back as U+FFFD).
    const storable = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s && !s.includes('\u0000');
    await fc.assert(
      fc.asyncProperty(text, text, async (subject, description) => {
        const r = await deflect(tokens.customer, { articleId: published.translations.en.id, subject, description });
        expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
        // Unstorable text is refused at the door (alone); otherwise each length, then "some text".
        let bad = [...(storable(subject) ? [] : ['body.subject']), ...(storable(description) ? [] : ['body.description'])];
        if (bad.length === 0) {
          bad = [...(subject.length > 300 ? ['body.subject'] : []), ...(description.length > 4000 ? ['body.description'] : [])];
          if (subject.trim() === '' && description.trim() === '') bad.push('body.subject');
        }
        if (bad.length) {
          expect(r.status).toBe(400);
          expect(fieldPaths(r.body).sort()).toEqual(bad.sort());
          return;
        }
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        expect(await deflectionRow(r.body.id)).toMatchObject({ subject, description });
      }),
      { numRuns: 150, seed: 20_261_203 },
    );
  });

  it('is rate limited per customer account: 429 with Retry-After, nothing written, other customers unaffected', async () => {
    const limited = await startHarness({ worker: false, env: { RATE_LIMIT_PUBLIC_FEEDBACK_PER_HOUR: '3' } });
    try {
      const [a, b] = await Promise.all([limited.login(limited.fx.users.customer.email), limited.login(limited.fx.users.customer2.email)]);
      const body = { articleId: published.translations.en.id, subject: 'VPN', description: 'down' };
      for (let i = 0; i < 3; i++) expect((await deflect(a, body, limited)).status).toBe(201);
      const before = await count('kb_deflections');
      const refused = await deflect(a, body, limited);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600, `Retry-After ${retryAfter}`).toBe(true);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(await count('kb_deflections')).toBe(before);
      // Per account, not per address: the other customer, from the same address, still may.
      expect((await deflect(b, body, limited)).status).toBe(201);
      // Staff are refused for their role, not counted against anyone.
      expect((await deflect(await limited.login(limited.fx.users.agent1.email), body, limited)).status).toBe(403);
    } finally {
      await limited.close();
    }
  });
});

// ---- searches that found nothing --------------------------------------------------------------

describe('GET /public/kb/search records the searches that found nothing', () => {
  const search = (q: string, extra = '') => h.call(null, 'GET', `/api/v1/public/kb/search?q=${encodeURIComponent(q)}${extra}`);

  it('counts a zero-hit query per source, normalised, and nothing for a query with hits', async () => {
    const word = nonsense();
    const first = await search(`  ${word.toUpperCase()}!`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 0, hits: [] });
    await eventually(async () => (await missedRows(word)).length === 1, 'the missed search to be recorded');
    expect(await missedRows(word)).toEqual([{ source: 'public_search', count: 1 }]);
    expect((await search(word)).status).toBe(200);
    expect((await search(word, '&source=suggest&lang=fa')).status).toBe(200);
    expect((await search(`"${word}"`, '&source=search')).status).toBe(200);
    await eventually(async () => {
      const rows = await missedRows(word);
      return rows.length === 2 && rows[1]!.count === 3;
    }, 'both sources counted');
    expect(await missedRows(word)).toEqual([
      { source: 'portal_suggest', count: 1 },
      { source: 'public_search', count: 3 },
    ]);

    // A query with hits is not counted (a zero-hit query sent after it shows the writes arrived).
    const title = published.translations.en.title as string;
    await h.searchCaughtUp();
    const found = await search(title, '&source=suggest');
    expect(found.body.hits.map((x: any) => x.id)).toContain(published.translations.en.id);
    const sentinel = nonsense();
    await search(sentinel, '&source=suggest');
    await eventually(async () => (await missedRows(sentinel)).length === 1, 'the sentinel to be recorded');
    const [row] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from kb_missed_searches where query like ?', [`vpn setup ${h.fx.suffix}%`]);
    expect(Number(row!.n)).toBe(0);
  });

  it('refuses an unknown source with 400 naming query.source', async () => {
    const r = await search('vpn', '&source=portal');
    expect(r.status).toBe(400);
    expect(fieldPaths(r.body)).toEqual(['query.source']);
  });

  it('keeps at most MISSED_SEARCHES_KEPT distinct queries, evicting the least searched and oldest first', async () => {
    const em = h.orm.em.fork();
    const prefix = `filler-${h.fx.suffix}-`;
    const existing = await count('kb_missed_searches');
    const fill = MISSED_SEARCHES_KEPT - existing;
    expect(fill).toBeGreaterThan(10);
    // Fillers searched once in 2001 (the first one earliest), and one searched twice even earlier.
    await em.execute(
      `insert into kb_missed_searches (query, source, count, first_seen_at, last_seen_at)
       select ? || g, 'public_search', case when g = 0 then 2 else 1 end, timestamptz '2001-01-01' + g * interval '1 second', timestamptz '2001-01-01' + g * interval '1 second'
         from generate_series(0, ? - 1) g`,
      [prefix, fill],
    );
    expect(await count('kb_missed_searches')).toBe(MISSED_SEARCHES_KEPT);
    try {
      const word = nonsense();
      expect((await search(word)).status).toBe(200);
      await eventually(async () => (await missedRows(word)).length === 1, 'the new missed search to be recorded');
      expect(await count('kb_missed_searches')).toBe(MISSED_SEARCHES_KEPT);
      // The least searched, least recent row went; the one searched twice stayed.
      expect(await missedRows(`${prefix}1`)).toEqual([]);
      expect(await missedRows(`${prefix}0`)).toEqual([{ source: 'public_search', count: 2 }]);
      expect(await missedRows(`${prefix}2`)).toEqual([{ source: 'public_search', count: 1 }]);
      // Searching a known query again only counts it: nothing is evicted.
      expect((await search(word)).status).toBe(200);
      await eventually(async () => (await missedRows(word))[0]?.count === 2, 'the second search counted');
      expect(await missedRows(`${prefix}2`)).toHaveLength(1);
      expect(await count('kb_missed_searches')).toBe(MISSED_SEARCHES_KEPT);
    } finally {
      await em.execute('delete from kb_missed_searches where query like ?', [`${prefix}%`]);
    }
  });
});

// ---- the admins' insights ---------------------------------------------------------------------

describe('admin insights', () => {
  // Data dated in March 2001, which nothing else in the database uses, so the numbers are exact.
  const FROM = '2001-03-01T00:00:00Z';
  const TO = '2001-03-04T00:00:00Z';
  let gone: any;
  const insert = (translationId: number | null, at: string, subject = 'old', customerId: number | null = h.fx.users.customer.id) =>
    h.orm.em
      .fork()
      .execute<{ id: number }[]>('insert into kb_deflections (customer_id, translation_id, subject, description, created_at) values (?, ?, ?, ?, ?) returning id', [
        customerId,
        translationId,
        subject,
        `${subject} described`,
        at,
      ]);

  beforeAll(async () => {
    gone = await article('public', { en: translation(unique('Deleted later')) });
    const en = published.translations.en.id;
    const fa = published.translations.fa.id;
    for (const at of ['2001-03-01T00:00:00Z', '2001-03-01T23:59:59Z', '2001-03-03T12:00:00Z']) await insert(en, at);
    await insert(fa, '2001-03-03T23:59:59.999Z');
    await insert(gone.translations.en.id, '2001-03-01T10:00:00Z');
    await insert(gone.translations.en.id, '2001-03-01T11:00:00Z');
    // Outside the period on either side.
    await insert(en, '2001-02-28T23:59:59.999Z');
    await insert(en, '2001-03-04T00:00:00Z');
    expect((await h.call(tokens.admin, 'DELETE', `/api/v1/kb/articles/${gone.id}`)).status).toBe(204);
    const em = h.orm.em.fork();
    const missed = (query: string, source: string, n: number, last: string) =>
      em.execute('insert into kb_missed_searches (query, source, count, first_seen_at, last_seen_at) values (?, ?, ?, ?, ?)', [query, source, n, '2001-02-01T00:00:00Z', last]);
    await missed(`printer ${h.fx.suffix}`, 'public_search', 4, '2001-03-02T08:00:00Z');
    await missed(`printer ${h.fx.suffix}`, 'portal_suggest', 3, '2001-03-03T08:00:00Z');
    await missed(`scanner ${h.fx.suffix}`, 'portal_suggest', 5, '2001-03-01T08:00:00Z');
    await missed(`fax ${h.fx.suffix}`, 'public_search', 9, '2001-03-04T00:00:00Z'); // last seen after the period
  });

  it('counts the deflections of the period (deleted articles included), per UTC day, and the articles that deflected most', async () => {
    const r = await h.call(tokens.admin, 'GET', `/api/v1/admin/portal-insights?from=${FROM}&to=${TO}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.from).toBe('2001-03-01T00:00:00.000Z');
    expect(r.body.to).toBe('2001-03-04T00:00:00.000Z');
    expect(r.body.deflections.total).toBe(6);
    expect(r.body.deflections.byDay).toEqual([
      { day: '2001-03-01', count: 4 },
      { day: '2001-03-02', count: 0 },
      { day: '2001-03-03', count: 2 },
    ]);
    // The deleted article's two still count in the total, but are no longer listed.
    expect(r.body.deflections.topArticles).toEqual([
      { articleId: published.id, translationId: published.translations.en.id, lang: 'en', title: published.translations.en.title, slug: published.translations.en.slug, count: 3 },
      { articleId: published.id, translationId: published.translations.fa.id, lang: 'fa', title: published.translations.fa.title, slug: published.translations.fa.slug, count: 1 },
    ]);
    expect(r.body.missedSearches).toEqual([
      { query: `printer ${h.fx.suffix}`, count: 7, firstAt: '2001-02-01T00:00:00.000Z', lastAt: '2001-03-03T08:00:00.000Z', sources: ['portal_suggest', 'public_search'] },
      { query: `scanner ${h.fx.suffix}`, count: 5, firstAt: '2001-02-01T00:00:00.000Z', lastAt: '2001-03-01T08:00:00.000Z', sources: ['portal_suggest'] },
    ]);
    // `limit` bounds both lists; an offset in `from` is honoured.
    const one = await h.call(tokens.admin, 'GET', `/api/v1/admin/portal-insights?from=${encodeURIComponent('2001-03-01T03:30:00+03:30')}&to=${TO}&limit=1`);
    expect(one.body.deflections.topArticles).toHaveLength(1);
    expect(one.body.missedSearches.map((m: any) => m.query)).toEqual([`printer ${h.fx.suffix}`]);
    expect(one.body.deflections.total).toBe(6);
  });

  it('defaults to the last 30 days, and refuses a reversed, too long or malformed period with 400 naming the field', async () => {
    const r = await h.call(tokens.admin, 'GET', '/api/v1/admin/portal-insights');
    expect(r.status).toBe(200);
    const span = Date.parse(r.body.to) - Date.parse(r.body.from);
    expect(span).toBe(30 * 86_400_000);
    expect(Math.abs(Date.parse(r.body.to) - Date.now())).toBeLessThan(60_000);
    expect(r.body.deflections.byDay.length === 30 || r.body.deflections.byDay.length === 31).toBe(true);
    expect(r.body.deflections.total).toBe(r.body.deflections.byDay.reduce((s: number, d: any) => s + d.count, 0));
    for (const [query, field] of [
      [`from=${TO}&to=${FROM}`, 'query.from'],
      [`from=${FROM}&to=${FROM}`, 'query.from'],
      ['from=2001-01-01T00:00:00Z&to=2002-03-01T00:00:00Z', 'query.from'],
      ['from=2999-01-01T00:00:00Z', 'query.from'],
      ['from=2001-02-30T00:00:00Z', 'query.from'],
      ['from=yesterday', 'query.from'],
      ['limit=101', 'query.limit'],
      ['days=7', 'query.days'],
    ] as const) {
      const bad = await h.call(tokens.admin, 'GET', `/api/v1/admin/portal-insights?${query}`);
      expect(bad.status, query).toBe(400);
      expect(fieldPaths(bad.body), query).toEqual([field]);
    }
  });

  it('lists deflections newest first with the customer, the article and the text typed, page by page', async () => {
    const mine = [
      (await insert(published.translations.en.id, '2001-05-01T00:00:00Z', 'first page test', h.fx.users.customer2.id))[0]!.id,
      (await insert(published.translations.fa.id, '2001-05-01T00:00:00Z', 'second'))[0]!.id,
      (await insert(null, '2001-05-01T00:00:00Z', 'article gone', null))[0]!.id,
    ];
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await h.call(tokens.admin, 'GET', `/api/v1/admin/deflections?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor && seen.length < 6);
    expect(seen.slice(0, 3).map((d) => d.id)).toEqual([...mine].reverse());
    expect(seen[2]).toEqual({
      id: mine[0],
      createdAt: '2001-05-01T00:00:00.000Z',
      customer: { id: h.fx.users.customer2.id, name: `customer2 ${h.fx.suffix}`, email: h.fx.users.customer2.email },
      article: { articleId: published.id, translationId: published.translations.en.id, lang: 'en', title: published.translations.en.title, slug: published.translations.en.slug },
      subject: 'first page test',
      description: 'first page test described',
    });
    expect(seen[0]).toMatchObject({ id: mine[2], customer: null, article: null, subject: 'article gone' });
    const ids = seen.map((d) => d.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    // The last page says so.
    const last = await h.call(tokens.admin, 'GET', `/api/v1/admin/deflections?cursor=${Math.min(...ids)}&limit=100`);
    expect(last.body.items.every((d: any) => d.id < Math.min(...ids))).toBe(true);
    for (const [query, field] of [
      ['cursor=abc', 'query.cursor'],
      ['cursor=0', 'query.cursor'],
      ['limit=0', 'query.limit'],
    ] as const) {
      const bad = await h.call(tokens.admin, 'GET', `/api/v1/admin/deflections?${query}`);
      expect(bad.status, query).toBe(400);
      expect(fieldPaths(bad.body)).toEqual([field]);
    }
  });

  it("lists every article's views and feedback, sorted, with the same numbers as the article's own report", async () => {
    const a = await article('public', { en: translation(unique('Feedback A')), fa: translation(`بازخورد الف ${h.fx.suffix}`) });
    const b = await article('public', { en: translation(unique('Feedback B')) });
    const c = await article('public', { en: translation(unique('Feedback C')) });
    const feedback = async (x: any, lang: string, helpful: boolean, comment?: string) => {
      const r = await h.call(null, 'POST', `/api/v1/public/kb/articles/${lang}/${encodeURIComponent(x.translations[lang].slug)}/feedback`, { helpful, ...(comment ? { comment } : {}) });
      expect(r.status).toBe(201);
    };
    const view = async (x: any, lang: string) => expect((await h.call(null, 'GET', `/api/v1/public/kb/articles/${lang}/${encodeURIComponent(x.translations[lang].slug)}`)).status).toBe(200);
    // A: 3 helpful of 4 (0.75), 2 comments, 3 views (2 en, 1 fa); B: 1 of 2 (0.5), 1 view; C: no votes.
    await feedback(a, 'en', true, 'great');
    await feedback(a, 'fa', true, 'عالی');
    await feedback(a, 'en', true);
    await feedback(a, 'en', false);
    await feedback(b, 'en', true);
    await feedback(b, 'en', false, 'outdated');
    await view(a, 'en');
    await view(a, 'en');
    await view(a, 'fa');
    await view(b, 'en');

    const walk = async (sort: string) => {
      const items: any[] = [];
      for (let offset = 0; ; offset += 100) {
        const r = await h.call(tokens.admin, 'GET', `/api/v1/admin/kb-feedback?sort=${sort}&limit=100&offset=${offset}`);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        items.push(...r.body.items);
        if (offset + 100 >= r.body.total) {
          expect(items).toHaveLength(r.body.total);
          return items;
        }
      }
    };
    const byRatio = await walk('-ratio');
    const ratios = byRatio.map((x) => x.ratio);
    const voted = ratios.filter((x) => x !== null);
    expect(voted).toEqual([...voted].sort((x, y) => y - x));
    expect(ratios.slice(voted.length).every((x) => x === null)).toBe(true);
    const mine = byRatio.filter((x) => [a.id, b.id, c.id].includes(x.articleId));
    expect(mine.map((x) => x.articleId)).toEqual([a.id, b.id, c.id]);
    expect(mine[0]).toEqual({
      articleId: a.id,
      visibility: 'public',
      translations: {
        en: { id: a.translations.en.id, title: a.translations.en.title, slug: a.translations.en.slug, status: 'published' },
        fa: { id: a.translations.fa.id, title: a.translations.fa.title, slug: a.translations.fa.slug, status: 'published' },
      },
      views: { en: 2, fa: 1, total: 3 },
      helpful: 3,
      notHelpful: 1,
      ratio: 0.75,
      comments: 2,
      lastFeedbackAt: expect.any(String),
    });
    expect(mine[1]).toMatchObject({ views: { en: 1, fa: 0, total: 1 }, helpful: 1, notHelpful: 1, ratio: 0.5, comments: 1 });
    expect(mine[2]).toMatchObject({ views: { en: 0, fa: 0, total: 0 }, helpful: 0, notHelpful: 0, ratio: null, comments: 0, lastFeedbackAt: null });
    // The per-article report (the same statement) agrees.
    for (const x of mine) {
      const report = await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${x.articleId}/feedback`);
      expect({ views: report.body.views, helpful: report.body.helpful, notHelpful: report.body.notHelpful }).toEqual({ views: x.views, helpful: x.helpful, notHelpful: x.notHelpful });
    }
    expect((await h.call(tokens.admin, 'GET', `/api/v1/kb/articles/${a.id}/feedback`)).body.items.map((f: any) => f.comment)).toEqual([null, null, 'عالی', 'great']);

    const ascending = await walk('notHelpful');
    const counts = ascending.map((x) => x.notHelpful);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    expect((await walk('-views')).map((x) => x.views.total)).toEqual(byRatio.map((x) => x.views.total).sort((x, y) => y - x));
    const bad = await h.call(tokens.admin, 'GET', '/api/v1/admin/kb-feedback?sort=title');
    expect(bad.status).toBe(400);
    expect(fieldPaths(bad.body)).toEqual(['query.sort']);
  });

  it('is for admins only: supervisors, agents and customers get 403, anonymous callers 401', async () => {
    for (const path of ['/api/v1/admin/portal-insights', '/api/v1/admin/deflections', '/api/v1/admin/kb-feedback']) {
      for (const role of ['supervisor', 'agent', 'customer'] as const) {
        const r = await h.call(tokens[role], 'GET', path);
        expect(r.status, `${role} ${path}`).toBe(403);
        expect(r.body).toEqual({ error: { code: 'forbidden', message: `Role ${role} may not admin.manage` } });
      }
      expect((await h.call(null, 'GET', path)).status).toBe(401);
    }
  });
});
