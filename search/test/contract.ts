import { beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { DocKind, SearchBackend, SearchFilters, SearchViewer } from '../src/contract';
import { drainAll } from '../src/outbox';
import { loadCorpus, type Corpus } from './corpus';

// The search contract: every backend runs this suite over the same corpus (test/corpus.ts), and
// every assertion is about which documents come back, by id.

export function describeSearchContract(name: string, setup: () => Promise<{ orm: MikroORM; backend: SearchBackend }>) {
  describe(`search contract: ${name}`, () => {
    let backend: SearchBackend;
    let c: Corpus;
    let viewers: Record<'admin' | 'agent1' | 'agent2' | 'customer1' | 'customer2' | 'public', SearchViewer>;

    beforeAll(async () => {
      const s = await setup();
      backend = s.backend;
      await backend.prepare();
      c = await s.orm.em.fork().transactional((tx) => loadCorpus(tx));
      await drainAll(s.orm, backend);
      viewers = {
        admin: { kind: 'staff', userId: c.users.admin, role: 'admin', groupIds: [] },
        agent1: { kind: 'staff', userId: c.users.agent1, role: 'agent', groupIds: [c.groups.support] },
        agent2: { kind: 'staff', userId: c.users.agent2, role: 'agent', groupIds: [c.groups.billing] },
        customer1: { kind: 'customer', userId: c.users.customer1 },
        customer2: { kind: 'customer', userId: c.users.customer2 },
        public: { kind: 'public' },
      };
    }, 120_000);

    const find = async (q: string, viewer: keyof typeof viewers = 'admin', filters: SearchFilters = {}, limit = 50, offset = 0) => backend.search({ q, filters, limit, offset }, viewers[viewer]);
    const keys = async (q: string, viewer: keyof typeof viewers = 'admin', filters: SearchFilters = {}) => (await find(q, viewer, filters)).hits.map((h) => `${h.type}:${h.id}`).sort();
    const t = (...names: (keyof Corpus['tickets'])[]) => names.map((n) => `ticket:${c.tickets[n]}`);
    const a = (...names: (keyof Corpus['articles'])[]) => names.map((n) => `article:${c.articles[n]}`);
    const sorted = (xs: string[]) => [...xs].sort();
    const only = (kind: DocKind): SearchFilters => ({ types: [kind] });

    describe('words', () => {
      it('finds exact words in subjects and public messages', async () => {
        expect(await keys('jams')).toEqual(sorted(t('printer')));
        expect(await keys('kaleidoscope')).toEqual(sorted(t('resetLink')));
      });
      it('matches English stems', async () => {
        expect(await keys('printers', 'admin', only('ticket'))).toEqual(sorted(t('printer', 'billingPrinter')));
        expect(await keys('jammed')).toEqual(sorted(t('printer')));
        expect(await keys('flickering', 'admin', { types: ['ticket'] })).toHaveLength(25);
      });
      it('tolerates typos', async () => {
        expect(await keys('kaleidoscpe')).toEqual(sorted(t('resetLink')));
        expect(await keys('pasword', 'admin', only('ticket'))).toEqual(sorted(t('resetLink')));
        expect(await keys('pasword', 'public')).toEqual(sorted(a('resetEn')));
      });
      it('tolerates a Persian typo (رمز عبر → رمز عبور)', async () => {
        expect(await keys('رمز عبر', 'admin', only('ticket'))).toEqual(sorted(t('persianPassword')));
        expect(await keys('رمز عبر', 'public')).toEqual(sorted(a('resetFa')));
      });
      it('matches Persian whatever mix of Arabic and Persian letters, ZWNJ and diacritics', async () => {
        for (const q of ['کارت شبکه', 'كارت شبكه', 'كارت شبکه']) expect(await keys(q), q).toEqual(sorted(t('networkCard')));
        for (const q of ['نمیتوانم', 'نمی توانم', 'نمی‌توانم', 'نمي‌توانم', 'نمِی‌تَوانم']) expect(await keys(q), q).toEqual(sorted(t('persianPassword')));
        expect(await keys('كاربري')).toEqual(sorted(t('persianPassword')));
        expect(await keys('پیوندی', 'public')).toEqual(sorted(a('resetFa')));
      });
      it('matches digits typed in Persian, Arabic or Latin', async () => {
        for (const q of ['9876', '۹۸۷۶', '٩٨٧٦']) expect(await keys(q), q).toEqual(sorted(t('order')));
        for (const q of ['4521', '۴۵۲۱']) expect(await keys(q), q).toEqual(sorted(t('invoice')));
      });
      it('matches phrases only when the words are adjacent', async () => {
        expect(await keys('"reset link"')).toEqual(sorted(t('resetLink')));
        expect(await keys('reset link', 'admin', only('ticket'))).toEqual(sorted(t('resetLink', 'linkApart')));
      });
      it('matches the last word as a prefix while it is being typed', async () => {
        expect(await keys('kaleid')).toEqual(sorted(t('resetLink')));
        expect(await keys('kaleid ')).toEqual([]);
      });
      it('finds customers by name, e-mail and organisation (staff only)', async () => {
        const sara = `customer:${c.users.sara}`;
        expect(await keys('Sara', 'admin', only('customer'))).toEqual([sara]);
        expect(await keys('sara.ahmadi@example.com', 'admin', only('customer'))).toEqual([sara]);
        expect(await keys('ahmadi', 'agent2', only('customer'))).toEqual([sara]);
        expect(await keys('Rahavard', 'admin', only('customer'))).toEqual(sorted([sara, `customer:${c.users.customer1}`]));
        expect(await keys('Ghost')).toEqual([]);
        expect(await keys('Sara', 'customer1')).toEqual([]);
        expect(await keys('Sara', 'public')).toEqual([]);
      });
      it('finds tickets by number and by requester', async () => {
        const r = await find('printer');
        const num = r.hits.find((h) => h.id === c.tickets.printer)!.ticket!.number;
        expect(await keys(num)).toEqual(sorted(t('printer')));
        // Dana requested five named tickets and every second monitor ticket.
        expect((await find('dana@other.example', 'admin', only('ticket'))).total).toBe(5 + 13);
      });
      it('never finds deleted tickets', async () => {
        expect(await keys('phantom')).toEqual([]);
      });
    });

    describe('visibility', () => {
      it('customers find only their own tickets, never internal notes', async () => {
        expect(await keys('printer', 'customer1', only('ticket'))).toEqual(sorted(t('printer')));
        expect(await keys('printer', 'customer2', only('ticket'))).toEqual(sorted(t('billingPrinter')));
        expect(await keys('supplier', 'customer1')).toEqual([]);
        expect(await backend.matchingTicketIds('printer', viewers.customer2, 100)).toEqual([c.tickets.billingPrinter]);
      });
      it('staff search internal notes and see them highlighted apart', async () => {
        const r = await find('supplier', 'admin');
        expect(r.hits.map((h) => h.id)).toEqual([c.tickets.printer]);
        expect(r.hits[0]!.highlights.internal).toContain('<mark>Supplier</mark>');
      });
      it('agents find tickets of their groups and those assigned to them only', async () => {
        expect(await keys('printer', 'agent1', only('ticket'))).toEqual(sorted(t('printer', 'billingPrinter')));
        expect(await keys('printer', 'agent2', only('ticket'))).toEqual(sorted(t('billingPrinter')));
        expect(await keys('jams', 'agent2')).toEqual([]);
        expect((await backend.matchingTicketIds('printer', viewers.agent2, 100)).sort()).toEqual([c.tickets.billingPrinter]);
      });
      it('the public and customers find published public articles only', async () => {
        for (const v of ['public', 'customer1'] as const) {
          expect(await keys('password', v, only('article'))).toEqual(sorted(a('resetEn')));
          expect(await keys('VPN', v)).toEqual(sorted(a('vpnFa')));
          expect(await keys('playbook', v)).toEqual([]);
          expect(await keys('fax', v)).toEqual([]);
        }
      });
      it('staff find drafts, archived and internal articles too', async () => {
        expect(await keys('VPN', 'agent2', only('article'))).toEqual(sorted(a('vpnDraft', 'vpnFa')));
        expect(await keys('playbook', 'agent2')).toEqual(sorted(a('playbook')));
        expect(await keys('fax', 'admin')).toEqual(sorted(a('faxArchived')));
      });
    });

    describe('facets, filters, highlights and pages', () => {
      it('counts facets over what the viewer may see', async () => {
        const r = await find('monitor', 'admin', {}, 5);
        expect(r.total).toBe(25);
        expect(r.facets!.type).toEqual({ ticket: 25 });
        expect(r.facets!.status).toEqual({ open: 16, pending: 9 });
        expect(r.facets!.tag).toEqual({ monitor: 25 });
        expect(r.facets!.groupId).toEqual({ [String(c.groups.support)]: 25 });
        const customer = await find('monitor', 'customer1');
        expect(customer.total).toBe(12);
        expect(customer.facets!.type).toEqual({ ticket: 12 });
      });
      it('narrows by facet filters', async () => {
        expect((await find('monitor', 'admin', { status: ['pending'] })).total).toBe(9);
        expect(await keys('printer', 'admin', { priority: ['high'] })).toEqual(sorted(t('printer')));
        expect(await keys('printer', 'admin', { categoryId: [c.categories.hardware] })).toEqual(sorted(t('printer')));
        expect(await keys('printer', 'admin', { groupId: [c.groups.billing] })).toEqual(sorted(t('billingPrinter')));
        expect(await keys('credentials', 'admin', { types: ['article'], lang: ['fa'] })).toEqual(sorted(a('resetFa')));
        expect(await keys('password', 'admin', { kbCategoryId: [c.kbCategories.howto] })).toEqual(sorted(a('resetEn')));
        expect(await keys('printer', 'admin', { tag: ['printer'] })).toEqual(sorted(t('printer')));
        expect(await keys('printer', 'admin', { ids: [c.tickets.billingPrinter, c.tickets.invoice] })).toEqual(sorted(t('billingPrinter')));
      });
      it('highlights matches as escaped HTML with <mark> only', async () => {
        const r = await find('toner');
        expect(r.hits.map((h) => h.id)).toEqual([c.tickets.script]);
        const h = r.hits[0]!.highlights;
        expect(h.title).toContain('<mark>toner</mark>');
        expect(h.title).toContain('&lt;script&gt;');
        expect(h.body).toContain('&amp; streaks');
        for (const html of Object.values(h)) expect(html!.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
        // Titles are shown as written, whatever spelling matched: Arabic letters, ZWNJ, case.
        const persian = await find('کارت شبکه');
        expect(persian.hits[0]!.title).toBe('كارت شبكه كار نمي‌كند');
        expect(persian.hits[0]!.highlights.title).toBe('<mark>كارت</mark> <mark>شبكه</mark> كار نمي‌كند');
        const p = await find('printers', 'admin', only('ticket'));
        expect(p.hits.find((x) => x.id === c.tickets.printer)!.highlights.title).toMatch(/<mark>printer<\/mark>/i);
      });
      it('pages are stable: every match once, in the same order each time', async () => {
        const pages = [];
        for (const offset of [0, 10, 20]) pages.push(...(await find('monitor flicker', 'admin', {}, 10, offset)).hits.map((h) => h.id));
        expect(new Set(pages).size).toBe(25);
        expect(sorted(pages.map(String))).toEqual(sorted(c.monitorTickets.map(String)));
        const again = [];
        for (const offset of [0, 10, 20]) again.push(...(await find('monitor flicker', 'admin', {}, 10, offset)).hits.map((h) => h.id));
        expect(again).toEqual(pages);
      });
      it('ranks equally relevant documents by recency', async () => {
        const r = await find('monitor', 'admin', {}, 5);
        const newest = c.monitorTickets.filter((_, i) => i % 5 === 0);
        expect(sorted(r.hits.map((h) => String(h.id)))).toEqual(sorted(newest.map(String)));
      });
      it('an empty or punctuation-only query finds nothing', async () => {
        for (const q of ['', '   ', '!!!', '""', '«»']) expect((await find(q)).total, JSON.stringify(q)).toBe(0);
      });
    });
  });
}
