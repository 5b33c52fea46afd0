import { describe, expect, it } from 'vitest';
import type { SearchDocument } from '../contract';
import { MARK_END, MARK_START } from '../highlight';
import { docKey, toFacetCounts, toHit, toMeiliDocument, type MeiliHit, TAG_FACET_LIMIT } from './mapping';

const m = (s: string) => `${MARK_START}${s}${MARK_END}`;

const ticketDoc: SearchDocument = {
  kind: 'ticket',
  id: 12,
  version: 1_764_460_800_123_456,
  displayTitle: 'Printer jams',
  title: 'printer jams tkt-2026-900001',
  body: 'cyrus the office printer jams',
  internal: 'supplier qx77',
  joined: '',
  lang: null,
  updatedAt: new Date('2026-11-30T08:00:00.000Z'),
  number: 'TKT-2026-900001',
  requesterId: 5,
  requesterName: 'Cyrus Customer',
  assigneeId: null,
  groupId: 3,
  categoryId: 1,
  status: 'open',
  priority: 'high',
  tags: ['printer'],
  email: null,
  organization: null,
  articleId: null,
  slug: null,
  kbCategoryId: null,
  visibility: null,
  publicVisible: false,
};

const retrieved = (d: SearchDocument) => {
  const { key: _key, version: _v, body: _b, internal: _i, joined: _j, requesterId: _r, tags: _t, publicVisible: _p, ...rest } = toMeiliDocument(d);
  return rest;
};

describe('documents as Meilisearch stores them', () => {
  it('get a key per kind and id, and time as a number for sorting', () => {
    const doc = toMeiliDocument(ticketDoc);
    expect(doc.key).toBe('ticket-12');
    expect(docKey({ kind: 'article', id: 12 })).toBe('article-12');
    expect(doc.updatedAt).toBe(Date.parse('2026-11-30T08:00:00.000Z'));
    // Microsecond versions survive JSON as numbers (below 2^53).
    expect(JSON.parse(JSON.stringify(doc)).version).toBe(ticketDoc.version);
    expect(doc).toMatchObject({ kind: 'ticket', id: 12, internal: 'supplier qx77', requesterId: 5, groupId: 3, tags: ['printer'], publicVisible: false });
  });
});

describe('hits', () => {
  it('turn marked snippets into escaped HTML with <mark> only', () => {
    const hit: MeiliHit = {
      ...retrieved({ ...ticketDoc, displayTitle: '<script>alert(1)</script> toner & drum', title: '<script>alert(1)</script> toner & drum' }),
      _rankingScore: 0.87,
      _formatted: {
        title: `<script>alert(1)</script> ${m('toner')} & drum`,
        body: `…the ${m('toner')} <b>smudges</b> & streaks…`,
        internal: 'nothing matched here',
      },
    };
    const out = toHit(hit);
    expect(out.highlights.title).toBe('&lt;script&gt;alert(1)&lt;/script&gt; <mark>toner</mark> &amp; drum');
    expect(out.highlights.body).toBe('…the <mark>toner</mark> &lt;b&gt;smudges&lt;/b&gt; &amp; streaks…');
    // A snippet without a match is not shown.
    expect(out.highlights).not.toHaveProperty('internal');
    expect(out.title).toBe('<script>alert(1)</script> toner & drum');
    expect(out.score).toBe(0.87);
  });

  it('map a ticket with its list fields', () => {
    const out = toHit({ ...retrieved(ticketDoc), _formatted: { title: ticketDoc.title, internal: `supplier ${m('qx77')}` } });
    expect(out).toEqual({
      type: 'ticket',
      id: 12,
      score: 0,
      title: ticketDoc.displayTitle,
      highlights: { title: ticketDoc.displayTitle, internal: 'supplier <mark>qx77</mark>' },
      ticket: { number: 'TKT-2026-900001', status: 'open', priority: 'high', groupId: 3, categoryId: 1, assigneeId: null, requesterName: 'Cyrus Customer', updatedAt: '2026-11-30T08:00:00.000Z' },
    });
  });

  it('map customers and articles', () => {
    const customer = toHit({
      ...retrieved({
        ...ticketDoc,
        displayTitle: 'sara ahmadi',
        kind: 'customer',
        id: 5,
        title: 'sara ahmadi',
        number: null,
        status: null,
        priority: null,
        email: 'sara.ahmadi@example.com',
        organization: 'Rahavard Logistics',
      }),
      _formatted: { title: `${m('sara')} ahmadi` },
    });
    expect(customer).toMatchObject({ type: 'customer', id: 5, highlights: { title: '<mark>sara</mark> ahmadi' }, customer: { email: 'sara.ahmadi@example.com', organization: 'Rahavard Logistics' } });
    expect(customer).not.toHaveProperty('ticket');

    const article = toHit({
      ...retrieved({
        ...ticketDoc,
        displayTitle: 'چگونه رمز عبور را بازنشانی کنیم',
        kind: 'article',
        id: 9,
        title: 'چگونه رمز عبور را بازنشانی کنیم',
        lang: 'fa',
        articleId: 4,
        slug: 'بازنشانی-رمز-عبور',
        status: 'published',
        visibility: 'public',
        kbCategoryId: 2,
      }),
      _formatted: { title: `چگونه ${m('رمز')} عبور را بازنشانی کنیم`, body: `در صفحه ورود گزینه فراموشی ${m('رمز')} عبور` },
    });
    expect(article).toMatchObject({
      type: 'article',
      id: 9,
      highlights: { title: 'چگونه <mark>رمز</mark> عبور را بازنشانی کنیم', body: 'در صفحه ورود گزینه فراموشی <mark>رمز</mark> عبور' },
      article: { articleId: 4, lang: 'fa', slug: 'بازنشانی-رمز-عبور', status: 'published', visibility: 'public', kbCategoryId: 2 },
    });
  });

  it('fall back to the plain title when Meilisearch sent no formatted title', () => {
    expect(toHit({ ...retrieved({ ...ticketDoc, displayTitle: 'a < b', title: 'a < b' }) }).highlights).toEqual({ title: 'a &lt; b' });
  });
});

describe('facets', () => {
  it('map Meilisearch attributes to our facet names, every facet present', () => {
    const out = toFacetCounts({
      kind: { ticket: 4, article: 2 },
      status: { open: 3, published: 2, pending: 1 },
      priority: { high: 1 },
      groupId: { '3': 2, '10': 2 },
      categoryId: { '1': 1 },
      kbCategoryId: { '2': 2 },
      tags: { printer: 1, vpn: 2 },
    });
    expect(out).toEqual({
      type: { ticket: 4, article: 2 },
      status: { open: 3, published: 2, pending: 1 },
      priority: { high: 1 },
      groupId: { '3': 2, '10': 2 },
      categoryId: { '1': 1 },
      kbCategoryId: { '2': 2 },
      tag: { vpn: 2, printer: 1 },
    });
    expect(toFacetCounts(undefined)).toEqual({ type: {}, status: {}, priority: {}, groupId: {}, categoryId: {}, kbCategoryId: {}, tag: {} });
    expect(toFacetCounts({ kind: { customer: 0 } }).type).toEqual({});
  });

  it('keep the most used tags only, ties by name', () => {
    const tags = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`t${String(i).padStart(2, '0')}`, i < 10 ? 100 : 1]));
    const out = toFacetCounts({ tags }).tag;
    expect(Object.keys(out)).toHaveLength(TAG_FACET_LIMIT);
    expect(Object.keys(out).slice(0, 12)).toEqual(['t00', 't01', 't02', 't03', 't04', 't05', 't06', 't07', 't08', 't09', 't10', 't11']);
  });
});
