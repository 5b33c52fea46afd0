import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Bulk actions: one change for many tickets, each applied through its own workflow, with a
// result per ticket so that partial failures are visible.

let h: Harness;
let admin: string, agent1: string, customer: string;

beforeAll(async () => {
  h = await startHarness();
  [admin, agent1, customer] = await Promise.all([h.login(h.fx.users.admin.email), h.login(h.fx.users.agent1.email), h.login(h.fx.users.customer.email)]);
});
afterAll(() => h?.close());

async function newTicket(extra: Record<string, unknown> = {}) {
  const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject: `Bulk ${h.fx.suffix}`, body: 'x', categoryId: h.fx.categoryId, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; version: number; tags: string[] };
}
const get = async (id: number) => (await h.call(admin, 'GET', `/api/v1/tickets/${id}`)).body;
const timeline = async (id: number) =>
  (await h.call(admin, 'GET', `/api/v1/tickets/${id}/timeline`)).body.items as { type: string; actor: { id: number | null }; field: string | null; newValue: unknown }[];

describe('POST /tickets/bulk', () => {
  it('changes the visible tickets through their workflows and reports the others one by one', async () => {
    const [a, b, c] = [await newTicket(), await newTicket(), await newTicket()];
    const other = await newTicket({ categoryId: h.fx.otherCategoryId }); // another group: not visible to agent1
    const closed = await newTicket();
    for (const status of ['resolved', 'closed']) expect((await h.call(admin, 'POST', `/api/v1/tickets/${closed.id}/status`, { status })).status).toBe(200);
    // b already carries a tag that the bulk removes.
    expect((await h.call(agent1, 'PATCH', `/api/v1/tickets/${b.id}`, { version: (await get(b.id)).version, tags: ['legacy', 'keep'] })).status).toBe(200);

    const ids = [a.id, other.id, b.id, 2_000_000_000, closed.id, c.id];
    const r = await h.call(agent1, 'POST', '/api/v1/tickets/bulk', { ids, set: { priority: 'high', status: 'pending', addTags: ['vip'], removeTags: ['legacy'] } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.results.map((x: { id: number }) => x.id)).toEqual(ids);
    expect(r.body).toMatchObject({ succeeded: 3, failed: 3 });
    const byId = new Map(r.body.results.map((x: { id: number }) => [x.id, x]));
    for (const t of [a, b, c]) {
      const res = byId.get(t.id) as { ok: boolean; ticket: { priority: string; status: string; tags: string[]; version: number } };
      expect(res.ok).toBe(true);
      expect(res.ticket).toMatchObject({ priority: 'high', status: 'pending' });
      expect(res.ticket.tags).toContain('vip');
      expect(res.ticket.tags).not.toContain('legacy');
      expect(await get(t.id)).toMatchObject({ priority: 'high', status: 'pending', version: res.ticket.version });
      // Through the workflow: the timeline records each change with agent1 as the actor.
      const changes = (await timeline(t.id)).filter((e) => e.actor.id === h.fx.users.agent1.id).map((e) => e.type);
      expect(changes).toEqual(expect.arrayContaining(['ticket.priority_changed', 'ticket.status_changed', 'ticket.tags_changed']));
    }
    expect((await get(b.id)).tags).toEqual(['keep', 'vip']);
    expect(byId.get(other.id)).toEqual({ id: other.id, ok: false, error: { status: 404, code: 'not_found', message: `Ticket ${other.id} not found` } });
    expect(byId.get(2_000_000_000)).toMatchObject({ ok: false, error: { status: 404, code: 'not_found' } });
    expect(byId.get(closed.id)).toMatchObject({ ok: false, error: { status: 409, code: 'illegal_transition' } });
    // The invisible and the closed ticket are untouched.
    expect(await get(other.id)).toMatchObject({ priority: 'normal', status: 'new', tags: [] });
    expect((await get(closed.id)).priority).toBe('normal');
  });

  it('reports an illegal transition per ticket while the others change', async () => {
    const [x, y] = [await newTicket(), await newTicket()];
    expect((await h.call(agent1, 'POST', `/api/v1/tickets/${y.id}/status`, { status: 'resolved' })).status).toBe(200);
    // resolved → on_hold is not a transition the state machine allows; new → on_hold is.
    const r = await h.call(agent1, 'POST', '/api/v1/tickets/bulk', { ids: [x.id, y.id], set: { status: 'on_hold' } });
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toMatchObject({ id: x.id, ok: true, ticket: { status: 'on_hold' } });
    expect(r.body.results[1]).toMatchObject({ id: y.id, ok: false, error: { status: 409, code: 'illegal_transition' } });
    expect((await get(y.id)).status).toBe('resolved');
  });

  it('assigns many tickets at once, and unassigns with null', async () => {
    const ts = [await newTicket(), await newTicket()];
    const r = await h.call(agent1, 'POST', '/api/v1/tickets/bulk', { ids: ts.map((t) => t.id), set: { assigneeId: h.fx.users.agent2.id } });
    expect(r.body.succeeded).toBe(2);
    for (const t of ts) expect((await get(t.id)).assigneeId).toBe(h.fx.users.agent2.id);
    const u = await h.call(agent1, 'POST', '/api/v1/tickets/bulk', { ids: ts.map((t) => t.id), set: { assigneeId: null } });
    expect(u.body.succeeded).toBe(2);
    for (const t of ts) expect((await get(t.id)).assigneeId).toBeNull();
  });

  it('is for staff', async () => {
    const t = await newTicket();
    const r = await h.call(customer, 'POST', '/api/v1/tickets/bulk', { ids: [t.id], set: { priority: 'urgent' } });
    expect(r.status).toBe(403);
    expect((await h.call(null, 'POST', '/api/v1/tickets/bulk', { ids: [t.id], set: { priority: 'urgent' } })).status).toBe(401);
    expect((await get(t.id)).priority).toBe('normal');
  });

  it('refuses malformed input naming the field, and changes nothing', async () => {
    const t = await newTicket();
    const before = await get(t.id);
    const cases: [unknown, number, string][] = [
      [{ ids: [], set: { priority: 'high' } }, 400, 'body.ids'],
      [{ ids: Array.from({ length: 201 }, (_, i) => i + 1), set: { priority: 'high' } }, 400, 'body.ids'],
      [{ ids: [t.id, t.id], set: { priority: 'high' } }, 400, 'body.ids.1'],
      [{ ids: ['1'], set: { priority: 'high' } }, 400, 'body.ids.0'],
      [{ ids: [t.id] }, 400, 'body.set'],
      [{ ids: [t.id], set: {} }, 400, 'body.set'],
      [{ ids: [t.id], set: { priority: 'whenever' } }, 400, 'body.set.priority'],
      [{ ids: [t.id], set: { status: 'open', colour: 'red' } }, 400, 'body.set.colour'],
      [{ ids: [t.id], set: { addTags: ['ok', 'not ok!'] } }, 400, 'body.set.addTags.1'],
      [{ ids: [t.id], set: { addTags: ['x'], removeTags: ['x'] } }, 400, 'body.set.removeTags.0'],
      [{ ids: [t.id], set: { priority: 'high' }, dryRun: true }, 400, 'body.dryRun'],
      [{ ids: [t.id], set: { assigneeId: 2_000_000_000 } }, 422, 'body.set.assigneeId'],
      [{ ids: [t.id], set: { groupId: 2_000_000_000 } }, 422, 'body.set.groupId'],
    ];
    for (const [body, status, field] of cases) {
      const r = await h.call(agent1, 'POST', '/api/v1/tickets/bulk', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(
        r.body.error.fields.map((f: { path: string }) => f.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect(await get(t.id)).toMatchObject({ version: before.version, priority: before.priority, status: before.status, tags: before.tags });
  });
});
