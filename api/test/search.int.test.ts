import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// GET /search and the inbox's `q` over the real indexing path: API writes → outbox (triggers) →
// NOTIFY → BullMQ drain → PostgreSQL backend; the rebuild endpoint; visibility by role.

let h: Harness;
const tokens = {} as Record<'admin' | 'agent' | 'agent2' | 'customer' | 'customer2', string>;
let word: string;

beforeAll(async () => {
  h = await startHarness({ search: true, fixtures: { supportStrategy: 'manual' } });
  const u = h.fx.users;
  const [admin, agent, agent2, customer, customer2] = (await Promise.all([u.admin, u.agent1, u.tier2, u.customer, u.customer2].map((x) => h.login(x.email)))) as [
    string,
    string,
    string,
    string,
    string,
  ];
  Object.assign(tokens, { admin, agent, agent2, customer, customer2 });
  word = `zephyr${h.fx.suffix.replace(/\d/g, 'q')}`;
});
afterAll(() => h?.close());

const search = (token: string | null, query: string) => h.call(token, 'GET', `/api/v1/search?${query}`);
const fieldPaths = (body: any) => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);

async function ticketWithReply(customer: string, reply: string) {
  const t = await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'Cannot print', body: '<p>The printer is offline</p>', categoryId: h.fx.categoryId });
  expect(t.status, JSON.stringify(t.body)).toBe(201);
  const m = await h.call(customer, 'POST', `/api/v1/tickets/${t.body.id}/messages`, { body: `<p>${reply}</p>` });
  expect(m.status, JSON.stringify(m.body)).toBe(201);
  return t.body as { id: number; number: string };
}

describe('GET /search', () => {
  it('finds a ticket by a word only in a customer reply, for its requester and staff who may see it', async () => {
    const t = await ticketWithReply(tokens.customer, `Also the ${word} tray is jammed`);
    const found = await eventually(
      async () => {
        const r = await search(tokens.agent, `q=${word}`);
        return r.body?.total > 0 ? r : null;
      },
      'the reply to be indexed',
      15_000,
    );
    expect(found.status).toBe(200);
    expect(found.body.backend).toBe('postgres');
    expect(found.body.hits.map((x: any) => x.id)).toEqual([t.id]);
    expect(found.body.hits[0].highlights.body).toContain(`<mark>${word}</mark>`);
    expect(found.body.facets.type).toEqual({ ticket: 1 });
    expect((await search(tokens.customer, `q=${word}`)).body.hits.map((x: any) => x.id)).toEqual([t.id]);
    // Another customer, and an agent of another group, find nothing.
    expect((await search(tokens.customer2, `q=${word}`)).body.total).toBe(0);
    expect((await search(tokens.agent2, `q=${word}`)).body.total).toBe(0);
  });

  it('the inbox `q` filter gives the same answer, and `ids` asks about single tickets', async () => {
    const other = await ticketWithReply(tokens.customer, 'nothing special here');
    const list = await eventually(
      async () => {
        const r = await h.call(tokens.agent, 'GET', `/api/v1/tickets?q=${word}`);
        return r.body?.items?.length ? r : null;
      },
      'the inbox to match',
      15_000,
    );
    const viaSearch = (await search(tokens.agent, `q=${word}&types=ticket`)).body.hits.map((x: any) => x.id).sort();
    expect(list.body.items.map((x: any) => x.id).sort()).toEqual(viaSearch);
    const asked = await h.call(tokens.agent, 'GET', `/api/v1/tickets?q=${word}&ids=${viaSearch[0]},${other.id}`);
    expect(asked.body.items.map((x: any) => x.id)).toEqual([viaSearch[0]]);
    expect((await h.call(tokens.customer2, 'GET', `/api/v1/tickets?q=${word}`)).body.items).toEqual([]);
  });

  it('internal notes are found by staff only', async () => {
    const t = await ticketWithReply(tokens.customer, 'plain reply');
    const note = `${word}secret`;
    const r = await h.call(tokens.agent, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: `<p>${note}</p>`, internal: true });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const staff = await eventually(
      async () => {
        const x = await search(tokens.agent, `q=${note}`);
        return x.body?.total > 0 ? x : null;
      },
      'the note to be indexed',
      15_000,
    );
    expect(staff.body.hits[0].highlights.internal).toContain('<mark>');
    expect((await search(tokens.customer, `q=${note}`)).body.total).toBe(0);
    expect((await h.call(tokens.customer, 'GET', `/api/v1/tickets?q=${note}`)).body.items).toEqual([]);
  });

  it('refuses bad input with 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['', 'query.q'],
      [`q=${'x'.repeat(201)}`, 'query.q'],
      ['q=a&types=invoices', 'query.types'],
      ['q=a&limit=0', 'query.limit'],
      ['q=a&limit=51', 'query.limit'],
      ['q=a&offset=-1', 'query.offset'],
      ['q=a&groupId=99999999999', 'query.groupId'],
      ['q=a&lang=de', 'query.lang'],
      ['q=a&unknown=1', 'query'],
    ];
    for (const [query, field] of cases) {
      const r = await search(tokens.admin, query);
      expect(r.status, query).toBe(400);
      expect(
        fieldPaths(r.body).some((p: string) => p.startsWith(field)),
        `${query}: ${JSON.stringify(r.body)}`,
      ).toBe(true);
    }
    expect((await search(null, 'q=a')).status).toBe(401);
  });

  it('answers any text without an error (property over odd input)', async () => {
    for (const q of ['"', '""""', '((', "a'b", 'a\\b', '!!', '&|', 'a:*', '<->', '  ', 'x'.repeat(200), 'كتاب ۱۲۳', '🙂', '%_', "'; drop table tickets; --"]) {
      const r = await search(tokens.admin, `q=${encodeURIComponent(q)}`);
      expect([200, 400], q).toContain(r.status);
    }
  });
});

describe('search index rebuild', () => {
  it('admins rebuild without downtime and follow the progress; others may not', async () => {
    expect((await h.call(tokens.agent, 'POST', '/api/v1/search/reindex')).status).toBe(403);
    // Another file's request (the API fuzzer's, say) may still be running: one at a time, 409 meanwhile.
    const started = await eventually(
      async () => {
        const r = await h.call(tokens.admin, 'POST', '/api/v1/search/reindex');
        if (r.status === 409) expect(r.body.error.code).toBe('rebuild_running');
        return r.status === 409 ? null : r;
      },
      'a rebuild to start',
      60_000,
      500,
    );
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.headers.get('location')).toBe(`/api/v1/search/reindex/${started.body.id}`);
    // Search keeps answering while the rebuild runs.
    expect((await search(tokens.agent, `q=${word}`)).body.total).toBeGreaterThan(0);
    const done = await eventually(
      async () => {
        const r = await h.call(tokens.admin, 'GET', `/api/v1/search/reindex/${started.body.id}`);
        return r.body.status !== 'running' ? r : null;
      },
      'the rebuild to finish',
      60_000,
      250,
    );
    expect(done.body).toMatchObject({ status: 'done', error: null });
    expect(done.body.done).toBe(done.body.total);
    expect((await search(tokens.agent, `q=${word}`)).body.total).toBeGreaterThan(0);
    // The rebuilt table has the indexes the migration gave the first one.
    const indexes = await h.orm.em.fork().execute<{ indexname: string }[]>(`select indexname from pg_indexes where tablename = 'search_documents' order by indexname`);
    const names = indexes.map((i) => i.indexname.replace(/_r\d+/, ''));
    expect(names.filter((n) => !n.endsWith('pkey'))).toEqual([
      'search_documents_assignee',
      'search_documents_day',
      'search_documents_group',
      'search_documents_internal_tsv',
      'search_documents_requester',
      'search_documents_tsv',
    ]);
    expect(names.filter((n) => n.endsWith('pkey'))).toHaveLength(1);
    expect((await h.call(tokens.admin, 'GET', '/api/v1/search/reindex/999999')).status).toBe(404);
    const ready = await h.call(null, 'GET', '/readyz');
    expect(ready.body.checks.search).toMatchObject({ backend: 'postgres', ok: true });
  });
});
