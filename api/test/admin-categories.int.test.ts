import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Categories administration: role matrix (written out), validation, references, unique names,
// and deletes refused while tickets or rules use the category.

let h: Harness;
const tokens = {} as Record<'admin' | 'supervisor' | 'agent' | 'customer', string>;
const CALLERS = ['anonymous', 'admin', 'supervisor', 'agent', 'customer'] as const;
type Caller = (typeof CALLERS)[number];
const token = (c: Caller) => (c === 'anonymous' ? null : tokens[c]);

beforeAll(async () => {
  h = await startHarness();
  const u = h.fx.users;
  const [admin, supervisor, agent, customer] = (await Promise.all([u.admin, u.supervisor, u.agent1, u.customer].map((x) => h.login(x.email)))) as [string, string, string, string];
  Object.assign(tokens, { admin, supervisor, agent, customer });
});
afterAll(() => h?.close());

let seq = 0;
const uniqueName = (what: string) => `${what}-${h.fx.suffix}-${++seq}`;
const newCategory = async (body: Record<string, unknown> = {}) => {
  const r = await h.call(tokens.admin, 'POST', '/api/v1/categories', { name: uniqueName('c'), ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const fieldPaths = (body: any) => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);
const count = async () => Number((await h.orm.em.fork().execute<[{ n: string }]>('select count(*) as n from categories'))[0].n);

describe('categories: role matrix', () => {
  // prettier-ignore
  const MATRIX: [string, (c: Caller) => Promise<{ status: number }>, number[]][] = [
    //                                                                                                                      anon adm  sup  agt  cus
    ['GET /categories',         (c) => h.call(token(c), 'GET', '/api/v1/categories'),                                         [401, 200, 200, 200, 403]],
    ['GET /categories/:id',     (c) => h.call(token(c), 'GET', `/api/v1/categories/${h.fx.categoryId}`),                       [401, 200, 200, 200, 403]],
    ['POST /categories',        (c) => h.call(token(c), 'POST', '/api/v1/categories', { name: uniqueName(`m-${c}`) }),        [401, 201, 403, 403, 403]],
    ['PATCH /categories/:id',   (c) => h.call(token(c), 'PATCH', `/api/v1/categories/${h.fx.otherCategoryId}`, { slaPolicyId: h.fx.policyId }), [401, 200, 403, 403, 403]],
    ['DELETE /categories/:id',  async (c) => h.call(token(c), 'DELETE', `/api/v1/categories/${(await newCategory()).id}`), [401, 204, 403, 403, 403]],
  ];
  it.each(MATRIX.flatMap(([name, send, statuses]) => CALLERS.map((caller, i) => ({ name, caller, send, expected: statuses[i]! }))))(
    '$name as $caller → $expected',
    async ({ caller, send, expected }) => {
      const r = await send(caller);
      expect(r.status, JSON.stringify(r)).toBe(expected);
    },
  );
});

describe('categories', () => {
  it('lists categories with their default group, SLA policy and ticket count', async () => {
    const r = await h.call(tokens.agent, 'GET', '/api/v1/categories');
    expect(r.body.items.find((c: any) => c.id === h.fx.categoryId)).toEqual({
      id: h.fx.categoryId,
      name: `cat-${h.fx.suffix}`,
      defaultGroupId: h.fx.groups.support,
      slaPolicyId: h.fx.policyId,
      tickets: expect.any(Number),
    });
  });

  it('refuses bad bodies naming each field and unknown references (422), writing nothing', async () => {
    const before = await count();
    const bad: [unknown, string][] = [
      [{}, 'body.name'],
      [{ name: '   ' }, 'body.name'],
      [{ name: 'x', defaultGroupId: 'support' }, 'body.defaultGroupId'],
      [{ name: 'x', slaPolicyId: 0 }, 'body.slaPolicyId'],
      [{ name: 'x', fields: [] }, 'body.fields'],
    ];
    for (const [body, path] of bad) {
      const r = await h.call(tokens.admin, 'POST', '/api/v1/categories', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(fieldPaths(r.body)).toContain(path);
    }
    const refs = await h.call(tokens.admin, 'POST', '/api/v1/categories', { name: uniqueName('refs'), defaultGroupId: 2_000_000_000, slaPolicyId: 2_000_000_000 });
    expect(refs.status).toBe(422);
    expect(fieldPaths(refs.body).sort()).toEqual(['body.defaultGroupId', 'body.slaPolicyId']);
    expect(await count()).toBe(before);
    expect((await h.call(tokens.admin, 'GET', '/api/v1/categories/2000000000')).status).toBe(404);
    expect((await h.call(tokens.admin, 'PATCH', '/api/v1/categories/2000000000', { name: 'x' })).status).toBe(404);
    expect((await h.call(tokens.admin, 'DELETE', '/api/v1/categories/2000000000')).status).toBe(404);
  });

  it('creates and changes categories; names are unique (409); new tickets follow the category', async () => {
    const c = await newCategory({ defaultGroupId: h.fx.groups.tier2, slaPolicyId: h.fx.policyId });
    expect(c).toMatchObject({ defaultGroupId: h.fx.groups.tier2, slaPolicyId: h.fx.policyId, tickets: 0 });
    const dup = await h.call(tokens.admin, 'POST', '/api/v1/categories', { name: c.name });
    expect(dup.status).toBe(409);
    expect(fieldPaths(dup.body)).toEqual(['body.name']);
    const p = await h.call(tokens.admin, 'PATCH', `/api/v1/categories/${c.id}`, { defaultGroupId: h.fx.groups.other, name: `${c.name} renamed` });
    expect(p.body).toMatchObject({ defaultGroupId: h.fx.groups.other, name: `${c.name} renamed` });
    const t = await h.call(tokens.customer, 'POST', '/api/v1/tickets', { subject: 'routed', body: 'x', categoryId: c.id });
    expect(t.status).toBe(201);
    expect(t.body.groupId).toBe(h.fx.groups.other);
    expect((await h.call(tokens.admin, 'GET', `/api/v1/categories/${c.id}`)).body.tickets).toBe(1);
  });

  it('refuses to delete a category that tickets or rules use, naming them', async () => {
    const withTicket = await h.call(tokens.admin, 'DELETE', `/api/v1/categories/${(await newCategoryWithTicket()).id}`);
    expect(withTicket.status).toBe(409);
    expect(withTicket.body.error).toMatchObject({ code: 'category_in_use', message: expect.stringMatching(/is used by 1 ticket$/) });

    const ruled = await newCategory();
    const rule = await h.call(tokens.admin, 'POST', '/api/v1/rules', {
      name: uniqueName('rule'),
      enabled: false,
      definition: {
        trigger: 'ticket.created',
        conditions: { all: [{ fact: 'ticket.categoryId', operator: 'equal', value: ruled.id }] },
        actions: [{ type: 'set_priority', params: { priority: 'high' } }],
      },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const withRule = await h.call(tokens.admin, 'DELETE', `/api/v1/categories/${ruled.id}`);
    expect(withRule.status).toBe(409);
    expect(withRule.body.error.message).toBe(`Category "${ruled.name}" is used by rule "${rule.body.name}"`);
    await h.call(tokens.admin, 'DELETE', `/api/v1/rules/${rule.body.id}`);
    expect((await h.call(tokens.admin, 'DELETE', `/api/v1/categories/${ruled.id}`)).status).toBe(204);
    expect((await h.call(tokens.admin, 'GET', `/api/v1/categories/${ruled.id}`)).status).toBe(404);
  });
});

async function newCategoryWithTicket() {
  const c = await newCategory({ defaultGroupId: h.fx.groups.support });
  expect((await h.call(tokens.customer, 'POST', '/api/v1/tickets', { subject: 'in use', body: 'x', categoryId: c.id })).status).toBe(201);
  return c;
}
