import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// The inbox list: every sort order pages through all tickets exactly once with its own opaque
// cursor, plus the q (subject/number) and updatedFrom filters.

let h: Harness;
let admin: string, agent1: string, customer2: string;
interface T {
  id: number;
  number: string;
  subject: string;
  priority: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  version: number;
}
let all: T[] = [];
const PRIORITIES = ['low', 'urgent', 'normal', 'high', 'urgent', 'low', 'normal', 'high', 'normal'];

beforeAll(async () => {
  h = await startHarness({ search: true });
  [admin, agent1, customer2] = await Promise.all([h.login(h.fx.users.admin.email), h.login(h.fx.users.agent1.email), h.login(h.fx.users.customer2.email)]);
  const created: T[] = [];
  for (const [i, priority] of PRIORITIES.entries()) {
    const r = await h.call(customer2, 'POST', '/api/v1/tickets', { subject: `Inbox ${h.fx.suffix} #${i} ${i === 4 ? 'kumquat' : 'plain'}`, body: 'x', priority, categoryId: h.fx.categoryId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    created.push(r.body);
  }
  // Change some in reverse creation order (updatedAt differs from createdAt), and pause two
  // (pending: no running SLA clock, so no due date).
  for (const t of [created[6]!, created[2]!, created[0]!]) {
    const r = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'pending' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  await eventually(async () => (await list('limit=100')).every((t) => t.status !== 'pending' || t.resolutionDueAt === null) && true, 'paused clocks written');
  all = await list('limit=100');
  expect(all).toHaveLength(PRIORITIES.length);
});
afterAll(() => h?.close());

async function list(query: string, token = admin): Promise<T[]> {
  const r = await h.call(token, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.items;
}

async function pageAll(sort: string, limit: number): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const r: { status: number; body: any } = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...r.body.items.map((t: T) => t.id));
    cursor = r.body.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error('paging did not end');
}

const RANK: Record<string, number> = { low: 0, normal: 1, high: 2, urgent: 3 };
const due = (t: T) => {
  const d = [t.firstResponseDueAt, t.resolutionDueAt].filter((x): x is string => x !== null).map(Date.parse);
  return d.length ? Math.min(...d) : null;
};
const KEY: Record<string, (t: T) => number | null> = {
  createdAt: (t) => Date.parse(t.createdAt),
  updatedAt: (t) => Date.parse(t.updatedAt),
  priority: (t) => RANK[t.priority]!,
  dueAt: due,
};

/** What each order must give: the key in its direction (no key last), then the id in the same direction. */
function expected(sort: string): number[] {
  const desc = sort.startsWith('-');
  const key = KEY[desc ? sort.slice(1) : sort]!;
  const sign = desc ? -1 : 1;
  return [...all]
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka === null || kb === null) return ka === kb ? sign * (a.id - b.id) : ka === null ? 1 : -1;
      return ka !== kb ? sign * (ka - kb) : sign * (a.id - b.id);
    })
    .map((t) => t.id);
}

describe('GET /tickets sort and cursor', () => {
  it.each(['-createdAt', 'createdAt', '-updatedAt', 'updatedAt', '-priority', 'priority', 'dueAt', '-dueAt'])('sort=%s pages through every ticket exactly once, in order', async (sort) => {
    for (const limit of [1, 2, 4]) {
      const ids = await pageAll(sort, limit);
      expect(new Set(ids).size, `limit ${limit}`).toBe(ids.length);
      expect(ids, `limit ${limit}`).toEqual(expected(sort));
    }
  });

  it('the data really has ties and missing due dates (so the tests above mean something)', () => {
    expect(new Set(all.map((t) => t.priority)).size).toBeLessThan(all.length);
    expect(all.filter((t) => due(t) === null).length).toBeGreaterThanOrEqual(2);
    expect(expected('-updatedAt')).not.toEqual(expected('-createdAt'));
  });

  it('defaults to newest first', async () => {
    expect((await list('limit=100')).map((t) => t.id)).toEqual(expected('-createdAt'));
  });

  it('refuses a cursor issued for another order, or one it did not issue', async () => {
    const r = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&sort=priority&limit=2`);
    const cursor = r.body.nextCursor as string;
    const other = await h.call(admin, 'GET', `/api/v1/tickets?sort=updatedAt&cursor=${cursor}`);
    expect(other.status).toBe(422);
    expect(other.body.error.fields).toEqual([{ path: 'query.cursor', message: 'This cursor pages sort=priority; ask again without a cursor to change the order' }]);
    for (const bad of [
      Buffer.from('["priority",9,1]').toString('base64url'),
      Buffer.from('["priority",1,"x"]').toString('base64url'),
      Buffer.from('["dueAt","2026-01-01",1]').toString('base64url'),
      'garbage',
    ]) {
      const sort = bad === 'garbage' ? 'priority' : JSON.parse(Buffer.from(bad, 'base64url').toString())[0];
      const x = await h.call(admin, 'GET', `/api/v1/tickets?sort=${sort}&cursor=${bad}`);
      expect(x.status, bad).toBe(422);
      expect(x.body.error.fields[0].path).toBe('query.cursor');
    }
  });
});

describe('GET /tickets q and updatedFrom', () => {
  it('q finds text in the subject (case-insensitively) and the number', async () => {
    await h.searchCaughtUp();
    expect((await list('q=KUMQUAT')).map((t) => t.id)).toEqual([all.find((t) => t.subject.includes('kumquat'))!.id]);
    const target = all[3]!;
    expect((await list(`q=${encodeURIComponent(target.number)}`)).map((t) => t.id)).toEqual([target.id]);
    // LIKE wildcards are plain characters.
    expect(await list('q=%25')).toEqual([]);
    expect(await list('q=_')).toEqual([]);
    // Visibility still applies: the outsider finds nothing of another group's tickets.
    const outsider = await h.login(h.fx.users.outsider.email);
    expect(await list('q=kumquat', outsider)).toEqual([]);
  });

  it('updatedFrom lists tickets changed at or after an instant', async () => {
    const t = all.find((x) => x.status === 'new')!;
    const from = new Date(Date.now() - 1).toISOString();
    const r = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/priority`, { priority: t.priority === 'urgent' ? 'low' : 'urgent' });
    expect(r.status).toBe(200);
    await eventually(async () => (await list(`updatedFrom=${from}`)).map((x) => x.id).join() === String(t.id), 'only the changed ticket');
  });

  it('refuses bad parameters naming them', async () => {
    for (const [query, field] of [
      ['sort=newest', 'query.sort'],
      ['sort=-', 'query.sort'],
      ['q=', 'query.q'],
      [`q=${'x'.repeat(201)}`, 'query.q'],
      ['updatedFrom=yesterday', 'query.updatedFrom'],
      ['order=asc', 'query.order'],
    ] as const) {
      const r = await h.call(admin, 'GET', `/api/v1/tickets?${query}`);
      expect(r.status, query).toBe(400);
      expect(
        r.body.error.fields.map((f: { path: string }) => f.path),
        query,
      ).toContain(field);
    }
  });
});
