import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// The tag catalogue: role matrix (written out), colours, usage counts, and rename / merge /
// delete across tickets: open tickets through their workflows (timeline by the admin), closed
// ones rewritten in place; rules naming a tag are reported, not rewritten.

let h: Harness;
const tokens = {} as Record<'admin' | 'supervisor' | 'agent' | 'customer', string>;
const CALLERS = ['anonymous', 'admin', 'supervisor', 'agent', 'customer'] as const;
type Caller = (typeof CALLERS)[number];
const token = (c: Caller) => (c === 'anonymous' ? null : tokens[c]);

beforeAll(async () => {
  h = await startHarness({ fixtures: { supportStrategy: 'manual' } });
  const u = h.fx.users;
  const [admin, supervisor, agent, customer] = (await Promise.all([u.admin, u.supervisor, u.agent1, u.customer].map((x) => h.login(x.email)))) as [string, string, string, string];
  Object.assign(tokens, { admin, supervisor, agent, customer });
});
afterAll(() => h?.close());

let seq = 0;
const tagName = (what: string) => `${what}-${h.fx.suffix}-${++seq}`;
const newTag = async (body: Record<string, unknown> = {}) => {
  const r = await h.call(tokens.admin, 'POST', '/api/v1/tags', { name: tagName('t'), ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const fieldPaths = (body: any) => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);

/** A ticket in the support group carrying `tags`; closed when asked (through its workflow). */
async function ticketWith(tags: string[], closed = false) {
  const t = await h.call(tokens.customer, 'POST', '/api/v1/tickets', { subject: 'tagged', body: 'x', categoryId: h.fx.categoryId });
  expect(t.status).toBe(201);
  let r = await h.call(tokens.agent, 'PATCH', `/api/v1/tickets/${t.body.id}`, { version: t.body.version, tags });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  if (closed) {
    for (const status of ['resolved', 'closed']) {
      r = await h.call(tokens.agent, 'POST', `/api/v1/tickets/${t.body.id}/status`, { status, version: r.body.version });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
  }
  return r.body;
}
const ticket = async (id: number) => (await h.call(tokens.admin, 'GET', `/api/v1/tickets/${id}`)).body;

describe('tags: role matrix', () => {
  // prettier-ignore
  const MATRIX: [string, (c: Caller) => Promise<{ status: number }>, number[]][] = [
    //                                                                                                                      anon adm  sup  agt  cus
    ['GET /tags/catalogue',   (c) => h.call(token(c), 'GET', '/api/v1/tags/catalogue'),                                       [401, 200, 200, 200, 403]],
    ['GET /tags/:id',         async (c) => h.call(token(c), 'GET', `/api/v1/tags/${(await newTag()).id}`),                     [401, 200, 403, 403, 403]],
    ['POST /tags',            (c) => h.call(token(c), 'POST', '/api/v1/tags', { name: tagName(`m-${c}`) }),                   [401, 201, 403, 403, 403]],
    ['PATCH /tags/:id',       async (c) => h.call(token(c), 'PATCH', `/api/v1/tags/${(await newTag()).id}`, { colour: '#00aa00' }), [401, 200, 403, 403, 403]],
    ['POST /tags/:id/merge',  async (c) => h.call(token(c), 'POST', `/api/v1/tags/${(await newTag()).id}/merge`, { intoId: (await newTag()).id }), [401, 200, 403, 403, 403]],
    ['DELETE /tags/:id',      async (c) => h.call(token(c), 'DELETE', `/api/v1/tags/${(await newTag()).id}`),                [401, 200, 403, 403, 403]],
  ];
  it.each(MATRIX.flatMap(([name, send, statuses]) => CALLERS.map((caller, i) => ({ name, caller, send, expected: statuses[i]! }))))(
    '$name as $caller → $expected',
    async ({ caller, send, expected }) => {
      const r = await send(caller);
      expect(r.status, JSON.stringify(r)).toBe(expected);
    },
  );
});

describe('tags: catalogue', () => {
  it('validates names and colours, refuses duplicates (409), and answers 404 for unknown tags', async () => {
    const bad: [unknown, string][] = [
      [{ name: 'two words' }, 'body.name'],
      [{ name: '' }, 'body.name'],
      [{ name: 'ok', colour: 'red' }, 'body.colour'],
      [{ name: 'ok', colour: '#12345' }, 'body.colour'],
      [{ name: 'ok', weight: 3 }, 'body.weight'],
    ];
    for (const [body, path] of bad) {
      const r = await h.call(tokens.admin, 'POST', '/api/v1/tags', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(fieldPaths(r.body)).toContain(path);
    }
    const t = await newTag({ name: tagName('VIP'), colour: '#AA00FF' });
    expect(t).toMatchObject({ name: t.name.toLowerCase(), colour: '#aa00ff', usage: { tickets: 0, openTickets: 0, rules: [] } });
    const dup = await h.call(tokens.admin, 'POST', '/api/v1/tags', { name: t.name.toUpperCase() });
    expect(dup.status).toBe(409);
    expect(fieldPaths(dup.body)).toEqual(['body.name']);
    expect((await h.call(tokens.admin, 'GET', '/api/v1/tags/2000000000')).status).toBe(404);
    expect((await h.call(tokens.admin, 'PATCH', '/api/v1/tags/2000000000', { colour: null })).status).toBe(404);
    expect((await h.call(tokens.admin, 'DELETE', '/api/v1/tags/2000000000')).status).toBe(404);
    expect((await h.call(tokens.admin, 'POST', `/api/v1/tags/${t.id}/merge`, { intoId: 2_000_000_000 })).status).toBe(404);
    const self = await h.call(tokens.admin, 'POST', `/api/v1/tags/${t.id}/merge`, { intoId: t.id });
    expect(self.status).toBe(400);
    expect(fieldPaths(self.body)).toEqual(['body.intoId']);
    // The existing picker endpoint is unchanged and sees catalogue tags.
    expect((await h.call(tokens.agent, 'GET', `/api/v1/tags?q=${t.name}`)).body.items).toEqual([t.name]);
  });

  it('counts usage for admins (tickets, open tickets, rules); staff see names and colours only', async () => {
    const t = await newTag({ colour: '#112233' });
    await ticketWith([t.name]);
    await ticketWith([t.name], true);
    const rule = await h.call(tokens.admin, 'POST', '/api/v1/rules', {
      name: tagName('rule'),
      enabled: false,
      definition: { trigger: 'ticket.created', conditions: { all: [{ fact: 'ticket.tags', operator: 'contains', value: t.name }] }, actions: [{ type: 'set_priority', params: { priority: 'high' } }] },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const admin = await h.call(tokens.admin, 'GET', `/api/v1/tags/catalogue?q=${t.name}`);
    expect(admin.body.items).toEqual([{ id: t.id, name: t.name, colour: '#112233', usage: { tickets: 2, openTickets: 1, rules: [{ id: rule.body.id, name: rule.body.name }] } }]);
    const staff = await h.call(tokens.agent, 'GET', `/api/v1/tags/catalogue?q=${t.name}`);
    expect(staff.body.items).toEqual([{ id: t.id, name: t.name, colour: '#112233' }]);
    await h.call(tokens.admin, 'DELETE', `/api/v1/rules/${rule.body.id}`);
  });
});

describe('tags: rename, merge, delete across tickets', () => {
  it('renames a tag on open tickets through their workflows and on closed ones in place', async () => {
    const t = await newTag();
    const open = await ticketWith([t.name, 'keep-me']);
    const closed = await ticketWith([t.name], true);
    const to = tagName('renamed');
    const r = await h.call(tokens.admin, 'PATCH', `/api/v1/tags/${t.id}`, { name: to, colour: '#000000' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ tag: { id: t.id, name: to, colour: '#000000', usage: { tickets: 2, openTickets: 1 } }, ticketsUpdated: 2, ticketsFailed: [], rules: [] });
    expect((await ticket(open.id)).tags).toEqual(['keep-me', to].sort());
    expect((await ticket(closed.id)).tags).toEqual([to]);
    // Both tickets' timelines record the change by the admin.
    for (const id of [open.id, closed.id]) {
      const tl = (await h.call(tokens.admin, 'GET', `/api/v1/tickets/${id}/timeline`)).body.items;
      const e = tl.filter((x: any) => x.type === 'ticket.tags_changed').at(-1);
      expect(e, JSON.stringify(tl)).toMatchObject({ newValue: expect.arrayContaining([to]) });
      expect(JSON.stringify(e)).toContain(String(h.fx.users.admin.id));
    }
    // The open ticket's workflow knows the new tags: a later change starts from them.
    const later = await h.call(tokens.agent, 'POST', `/api/v1/tickets/${open.id}/priority`, { priority: 'high', version: (await ticket(open.id)).version });
    expect(later.status).toBe(200);
    expect(later.body.tags).toEqual(['keep-me', to].sort());
    // Renaming onto an existing tag is refused: merge instead.
    const other = await newTag();
    const clash = await h.call(tokens.admin, 'PATCH', `/api/v1/tags/${other.id}`, { name: to });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('tag_exists');
  });

  it('merges a tag into another: tickets carry the remaining tag once, the merged one is gone', async () => {
    const from = await newTag();
    const into = await newTag();
    const both = await ticketWith([from.name, into.name]);
    const onlyFrom = await ticketWith([from.name], true);
    const r = await h.call(tokens.admin, 'POST', `/api/v1/tags/${from.id}/merge`, { intoId: into.id });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ tag: { id: into.id, usage: { tickets: 2 } }, ticketsUpdated: 2, ticketsFailed: [] });
    expect((await ticket(both.id)).tags).toEqual([into.name]);
    expect((await ticket(onlyFrom.id)).tags).toEqual([into.name]);
    expect((await h.call(tokens.admin, 'GET', `/api/v1/tags/${from.id}`)).status).toBe(404);
  });

  it('deletes a tag from every ticket and reports rules that still name it', async () => {
    const t = await newTag();
    const open = await ticketWith([t.name, 'other-tag']);
    const rule = await h.call(tokens.admin, 'POST', '/api/v1/rules', {
      name: tagName('tagger'),
      enabled: false,
      definition: {
        trigger: 'ticket.created',
        conditions: { all: [{ fact: 'ticket.subject', operator: 'textContains', value: 'never-matches' }] },
        actions: [{ type: 'add_tags', params: { tags: [t.name] } }],
      },
    });
    const r = await h.call(tokens.admin, 'DELETE', `/api/v1/tags/${t.id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ tag: null, ticketsUpdated: 1, ticketsFailed: [], rules: [{ id: rule.body.id, name: rule.body.name }] });
    expect((await ticket(open.id)).tags).toEqual(['other-tag']);
    expect((await h.call(tokens.admin, 'GET', `/api/v1/tags/${t.id}`)).status).toBe(404);
    await h.call(tokens.admin, 'DELETE', `/api/v1/rules/${rule.body.id}`);
  });
});
