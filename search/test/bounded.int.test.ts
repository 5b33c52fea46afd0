import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import type { SearchFilters, SearchViewer } from '../src/contract';
import { drainAll } from '../src/outbox';
import { createPostgresBackend } from '../src/postgres/backend';
import { BLOCK_BASE, BLOCK_LEVELS, windowOf } from '../src/postgres/tokens';
import { freshDatabase, type FreshDatabase } from './fresh-database';

// Bounded work (search/src/postgres/tokens.ts): a search reads the most recent matches through
// recency windows, counts exactly up to a limit, and says when it stopped. With a limit of 40
// and windows starting at 30 documents, 700 tickets over three years reach every path: dense
// words answered by the first window, words that need wider windows, words only in old
// tickets, rare words answered by one pass, phrases, filters and every viewer. Each answer is
// compared with a brute-force reading of the same index.

const CAP = 40;
const TICKETS = 700;
const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12);

let db: FreshDatabase | undefined;
afterAll(() => db?.drop());

interface World {
  admin: number;
  agents: { id: number; groups: number[] }[];
  customers: number[];
  groups: number[];
}

/** Tickets whose words follow their index: `alpha` everywhere, `beta` in every seventh, `gamma` only in the oldest. */
async function load(em: EntityManager): Promise<World> {
  const user = async (email: string, role: string) =>
    (
      await em.execute<{ id: number }[]>(`insert into users (email, name, role, locale, active, available, created_at) values (?, ?, ?, 'en', true, true, now()) returning id`, [email, email, role])
    )[0]!.id;
  const admin = await user('admin@bounded.example', 'admin');
  const groups: number[] = [];
  for (const name of ['one', 'two', 'three'])
    groups.push((await em.execute<{ id: number }[]>(`insert into groups (name, strategy, created_at) values (?, 'manual', now()) returning id`, [`bounded ${name}`]))[0]!.id);
  const agents = [
    { id: await user('agent1@bounded.example', 'agent'), groups: [groups[0]!] },
    { id: await user('agent2@bounded.example', 'agent'), groups: [groups[1]!, groups[2]!] },
  ];
  for (const a of agents) for (const g of a.groups) await em.execute('insert into group_members (group_id, user_id) values (?, ?)', [g, a.id]);
  const customers = [await user('c1@bounded.example', 'customer'), await user('c2@bounded.example', 'customer'), await user('c3@bounded.example', 'customer')];
  const statuses = ['new', 'open', 'pending', 'resolved', 'closed'];
  for (let i = 0; i < TICKETS; i++) {
    // Spread over three years, several on a day, the newest last.
    const updated = new Date(NOW - Math.floor(((TICKETS - i) * 3 * 365) / TICKETS) * DAY_MS - (i % 5) * 3_600_000);
    const words = ['alpha', i % 7 === 0 ? 'beta' : '', i < 60 ? 'gamma' : '', i % 97 === 3 ? 'delta' : '', i % 3 === 0 ? 'red light' : 'light red'].filter(Boolean).join(' ');
    const [t] = await em.execute<{ id: number }[]>(
      `insert into tickets (number, subject, body_html, requester_id, source, priority, status, group_id, assignee_id, category_id, tags, created_at, updated_at)
       values (?, ?, '', ?, 'web', ?, ?, ?, ?, null, '{}', ?, ?) returning id`,
      [`BND-${100000 + i}`, `Ticket ${i}`, customers[i % 3], i % 4 === 0 ? 'high' : 'normal', statuses[i % 5], groups[i % 3], i % 11 === 0 ? agents[0]!.id : null, updated, updated],
    );
    await em.execute(`insert into messages (ticket_id, kind, channel, body_html, body_text, idempotency_key, created_at) values (?, 'public', 'web', '', ?, ?, ?)`, [
      t!.id,
      words,
      `bnd-${i}`,
      updated,
    ]);
    if (i % 13 === 0)
      await em.execute(`insert into messages (ticket_id, kind, channel, body_html, body_text, idempotency_key, created_at) values (?, 'internal', 'web', '', 'omega alpha', ?, ?)`, [
        t!.id,
        `bnd-n-${i}`,
        updated,
      ]);
  }
  return { admin, agents, customers, groups };
}

describe('bounded search (PostgreSQL backend)', () => {
  let world: World;
  let backend: ReturnType<typeof createPostgresBackend>;

  beforeAll(async () => {
    db = await freshDatabase('search_bounded');
    backend = createPostgresBackend(db.orm, { exhaustiveLimit: CAP, firstWindow: 30, rankPool: 10 });
    world = await db.orm.em.fork().transactional((tx) => load(tx));
    await drainAll(db.orm, backend);
    // The word counts a rebuild would have left (search_terms.ndoc), which size the first window.
    await db.orm.em.fork().execute(`update search_terms t set ndoc = s.ndoc from ts_stat('select tsv || coalesce(internal_tsv, ''''::tsvector) from search_documents') s where s.word = t.term`);
    // Counts drift between rebuilds: three words claim to be everywhere, so their first window
    // is too small and must grow (beta, delta), or finds nothing and falls back to one pass (gamma).
    await db.orm.em.fork().execute(`update search_terms set ndoc = ${TICKETS} where term in ('beta', 'gamma', 'delta')`);
    await db.orm.em.fork().execute('vacuum analyze search_documents');
  }, 240_000);

  /** Brute force: every ticket document matching, newest first, read without tokens or windows. */
  async function oracle(tsquery: string, viewer: SearchViewer, filters: SearchFilters): Promise<{ id: number; status: string }[]> {
    const where = ["d.kind = 'ticket'", `(d.tsv @@ to_tsquery('mehrdesk_search', ?)${viewer.kind === 'staff' ? ` or (d.has_internal and d.internal_tsv @@ to_tsquery('mehrdesk_search', ?))` : ''})`];
    const params: unknown[] = viewer.kind === 'staff' ? [tsquery, tsquery] : [tsquery];
    if (viewer.kind === 'customer') where.push(`d.requester_id = ${viewer.userId}`);
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    if (viewer.kind === 'staff' && viewer.role === 'agent') add(`(d.assignee_id = ${viewer.userId} or d.group_id = any(?::int[]))`, pgArray(viewer.groupIds));
    if (filters.status?.length) add('d.status = any(?::text[])', pgArray(filters.status));
    if (filters.priority?.length) add('d.priority = any(?::text[])', pgArray(filters.priority));
    return db!.orm.em.fork().execute(`select d.doc_id as id, d.status from search_documents d where ${where.join(' and ')} order by d.updated_at desc, d.doc_id`, params);
  }

  const viewers = (): Record<string, SearchViewer> => ({
    admin: { kind: 'staff', role: 'admin', userId: world.admin, groupIds: [] },
    agent1: { kind: 'staff', role: 'agent', userId: world.agents[0]!.id, groupIds: world.agents[0]!.groups },
    agent2: { kind: 'staff', role: 'agent', userId: world.agents[1]!.id, groupIds: world.agents[1]!.groups },
    customer: { kind: 'customer', userId: world.customers[1]! },
  });

  // Query text, and the tsquery the brute force reads (the last word is a prefix while typed; none here end in a letter that could extend).
  const QUERIES: [string, string][] = [
    ['alpha ', 'alpha'],
    ['beta ', 'beta'],
    ['gamma ', 'gamma'],
    ['delta ', 'delta'],
    ['alpha beta ', 'alpha & beta'],
    ['omega ', 'omega'],
    ['"red light"', 'red <-> light'],
    ['nothingatall ', 'nothingatall'],
  ];

  it('answers every query, viewer and filter like a brute-force reading of the index', async () => {
    const vs = viewers();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...QUERIES),
        fc.constantFrom(...Object.keys(vs)),
        fc.record({
          status: fc.option(fc.subarray(['new', 'open', 'pending', 'resolved', 'closed'], { minLength: 1 }), { nil: undefined }),
          priority: fc.option(fc.constant(['high'] as string[]), { nil: undefined }),
        }),
        async ([q, tsquery], who, f) => {
          const viewer = vs[who]!;
          const filters: SearchFilters = { types: ['ticket'], ...(f.status ? { status: f.status } : {}), ...(f.priority ? { priority: f.priority } : {}) };
          const expected = await oracle(tsquery, viewer, filters);
          const phrase = q.startsWith('"');
          const r = await backend.search({ q, filters, limit: 1000, offset: 0 }, viewer);
          const ids = r.hits.map((h) => h.id).sort((a, b) => a - b);
          if (phrase) {
            // Phrases are checked on the most recent candidates having the words: whatever is found is a real match.
            for (const id of ids) expect(expected.map((e) => e.id)).toContain(id);
            if (r.exhaustive) expect(ids).toEqual(expected.map((e) => e.id).sort((a, b) => a - b));
            return;
          }
          expect(r.exhaustive).toBe(expected.length <= CAP);
          const recent = expected.slice(0, CAP);
          expect(r.total).toBe(recent.length);
          expect(ids).toEqual(recent.map((e) => e.id).sort((a, b) => a - b));
          const statuses: Record<string, number> = {};
          for (const e of recent) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
          expect(r.facets!.status).toEqual(statuses);
          // The inbox `q` filter: the same matches, newest first.
          const inbox = await backend.matchingTicketIds(q, viewer, CAP, filters);
          expect(inbox).toEqual(recent.map((e) => e.id));
        },
      ),
      { numRuns: 60 },
    );
  }, 240_000);

  it('pages through the bounded result once each, ranked first, then by recency', async () => {
    const viewer = viewers().admin!;
    const seen: number[] = [];
    for (let offset = 0; offset < CAP; offset += 15) seen.push(...(await backend.search({ q: 'alpha', filters: {}, limit: 15, offset }, viewer)).hits.map((h) => h.id));
    expect(seen).toHaveLength(CAP);
    expect(new Set(seen).size).toBe(CAP);
    expect((await backend.search({ q: 'alpha', filters: {}, limit: 15, offset: CAP }, viewer)).hits).toEqual([]);
  });

  it('writes the window tokens the query side expects (search_tokens() in SQL, windowOf in TypeScript)', async () => {
    const em = db!.orm.em.fork();
    expect(BLOCK_LEVELS).toBeGreaterThan(1);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 15_000, max: 25_000 }), fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: -40, max: 3_100 }), async (first, span, offset) => {
        const day = first + offset;
        const window = windowOf(first, first + span);
        if (!window) return;
        const [row] = await em.execute<{ tokens: string[] }[]>(
          `select tsvector_to_array(search_tokens(to_timestamp(? * 86400.0 + 43200), 'ticket', 'open', 'high', 1, null, null, null, 2, null, false)) as tokens`,
          [day],
        );
        const hit = window.tokens.some((t) => row!.tokens.includes(t));
        expect(hit, `day ${day}, window ${first}…${first + span} as ${window.tokens.join(' ')}`).toBe(day >= window.from && day <= window.to);
        expect(row!.tokens).toEqual(expect.arrayContaining(['~k.ticket', '~s.open', '~p.high', '~g.1', '~r.2']));
        expect(row!.tokens.filter((t) => t.startsWith('~b'))).toHaveLength(BLOCK_LEVELS);
        expect(BLOCK_BASE).toBe(2);
      }),
      { numRuns: 100 },
    );
  });
});
