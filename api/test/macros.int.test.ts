import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Macros: admins manage canned replies with field changes, staff list and apply them; applying
// adds the reply or note and changes the fields through the ticket's workflow.

let h: Harness;
let admin: string, agent1: string, outsider: string, customer: string;

beforeAll(async () => {
  h = await startHarness();
  [admin, agent1, outsider, customer] = (await Promise.all([h.fx.users.admin, h.fx.users.agent1, h.fx.users.outsider, h.fx.users.customer].map((u) => h.login(u.email)))) as [
    string,
    string,
    string,
    string,
  ];
});
afterAll(() => h?.close());

const macroCount = async () => Number((await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from macros'))[0]!.n);
const name = (s: string) => `${s} ${h.fx.suffix}`;

async function newTicket() {
  const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject: `Macro ${h.fx.suffix}`, body: 'x', categoryId: h.fx.categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; version: number; status: string };
}

describe('macro CRUD', () => {
  it('admins create, read, replace and delete; staff list; others may not', async () => {
    const c = await h.call(admin, 'POST', '/api/v1/macros', { name: name('Waiting'), body: '<p>We need more details<script>x()</script></p>', set: { status: 'pending', addTags: ['waiting'] } });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body).toMatchObject({ name: name('Waiting'), body: '<p>We need more details</p>', internal: false, set: { status: 'pending', addTags: ['waiting'] }, createdBy: h.fx.users.admin.id });

    const listed = await h.call(agent1, 'GET', '/api/v1/macros');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((m: { id: number }) => m.id)).toContain(c.body.id);
    expect((await h.call(agent1, 'GET', `/api/v1/macros/${c.body.id}`)).body).toEqual(c.body);

    const put = await h.call(admin, 'PUT', `/api/v1/macros/${c.body.id}`, { name: name('Waiting v2'), body: 'Note to self', internal: true });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ id: c.body.id, name: name('Waiting v2'), internal: true, set: {} });

    expect((await h.call(agent1, 'POST', '/api/v1/macros', { name: name('Nope'), body: 'x' })).status).toBe(403);
    expect((await h.call(agent1, 'PUT', `/api/v1/macros/${c.body.id}`, { name: name('Nope'), body: 'x' })).status).toBe(403);
    expect((await h.call(agent1, 'DELETE', `/api/v1/macros/${c.body.id}`)).status).toBe(403);
    expect((await h.call(customer, 'GET', '/api/v1/macros')).status).toBe(403);
    expect((await h.call(null, 'GET', '/api/v1/macros')).status).toBe(401);

    expect((await h.call(admin, 'DELETE', `/api/v1/macros/${c.body.id}`)).status).toBe(204);
    expect((await h.call(admin, 'GET', `/api/v1/macros/${c.body.id}`)).status).toBe(404);
    expect((await h.call(admin, 'DELETE', `/api/v1/macros/${c.body.id}`)).status).toBe(404);
    expect((await h.call(admin, 'PUT', `/api/v1/macros/${c.body.id}`, { name: name('Gone'), body: 'x' })).status).toBe(404);
  });

  it('refuses malformed macros naming the field, and stores nothing', async () => {
    expect((await h.call(admin, 'POST', '/api/v1/macros', { name: name('Taken'), body: 'x' })).status).toBe(201);
    const before = await macroCount();
    const cases: [unknown, number, string][] = [
      [{ body: 'x' }, 400, 'body.name'],
      [{ name: '   ', body: 'x' }, 400, 'body.name'],
      [{ name: 'x'.repeat(201), body: 'x' }, 400, 'body.name'],
      [{ name: name('Empty') }, 400, 'body.body'],
      [{ name: name('Note'), internal: true, set: { priority: 'high' } }, 400, 'body.internal'],
      [{ name: name('Set'), body: 'x', set: {} }, 400, 'body.set'],
      [{ name: name('Set'), body: 'x', set: { status: 'done' } }, 400, 'body.set.status'],
      [{ name: name('Set'), body: 'x', set: { delete: true } }, 400, 'body.set.delete'],
      [{ name: name('Set'), body: 'x', set: { removeTags: ['ok', ''] } }, 400, 'body.set.removeTags.1'],
      [{ name: name('Extra'), body: 'x', shared: true }, 400, 'body.shared'],
      [{ name: name('Body'), body: 42 }, 400, 'body.body'],
      [{ name: name('Blank'), body: '<script>alert(1)</script>' }, 422, 'body.body'],
      [{ name: name('Group'), body: 'x', set: { groupId: 2_000_000_000 } }, 422, 'body.set.groupId'],
      [{ name: name('Agent'), body: 'x', set: { assigneeId: h.fx.users.customer.id } }, 422, 'body.set.assigneeId'],
      [{ name: name('Taken'), body: 'y' }, 409, 'body.name'],
    ];
    for (const [body, status, field] of cases) {
      const r = await h.call(admin, 'POST', '/api/v1/macros', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(
        r.body.error.fields.map((f: { path: string }) => f.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    for (const [path, field] of [
      ['/api/v1/macros/abc', 'params.id'],
      ['/api/v1/macros/0', 'params.id'],
    ] as const) {
      const r = await h.call(admin, 'PUT', path, { name: name('X'), body: 'x' });
      expect(r.status).toBe(400);
      expect(r.body.error.fields[0].path).toBe(field);
    }
    expect(await macroCount()).toBe(before);
  });
});

describe('applying a macro', () => {
  it('adds the reply and changes the fields through the workflow', async () => {
    const m = (
      await h.call(admin, 'POST', '/api/v1/macros', { name: name('Need info'), body: '<p>Could you send a screenshot?</p>', set: { status: 'pending', priority: 'high', addTags: ['waiting'] } })
    ).body;
    const t = await newTicket();
    const r = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/macros/${m.id}/apply`, { version: t.version });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.ticket).toMatchObject({ id: t.id, status: 'pending', priority: 'high', tags: ['waiting'] });
    expect(r.body.messageId).toEqual(expect.any(Number));
    const msgs = (await h.call(customer, 'GET', `/api/v1/tickets/${t.id}/messages`)).body.items;
    expect(msgs.at(-1)).toMatchObject({ id: r.body.messageId, kind: 'public', bodyHtml: '<p>Could you send a screenshot?</p>', author: { id: h.fx.users.agent1.id } });
    const timeline = (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}/timeline`)).body.items as { type: string; actor: { id: number | null }; newValue: unknown }[];
    const byAgent = timeline.filter((e) => e.actor.id === h.fx.users.agent1.id).map((e) => e.type);
    // The reply opened the new ticket, then the macro set it pending.
    expect(byAgent).toEqual(expect.arrayContaining(['message.reply_added', 'ticket.status_changed', 'ticket.priority_changed', 'ticket.tags_changed']));
    expect(timeline.filter((e) => e.type === 'ticket.status_changed').map((e) => e.newValue)).toEqual(['open', 'pending']);
  });

  it('adds an internal note that customers never see', async () => {
    const m = (await h.call(admin, 'POST', '/api/v1/macros', { name: name('Escalation note'), body: 'Escalated to tier 2', internal: true, set: { groupId: h.fx.groups.tier2 } })).body;
    const t = await newTicket();
    const r = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/macros/${m.id}/apply`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.ticket.groupId).toBe(h.fx.groups.tier2);
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}/messages`)).body.items.map((x: { kind: string }) => x.kind)).toContain('internal');
    expect((await h.call(customer, 'GET', `/api/v1/tickets/${t.id}/messages`)).body.items.map((x: { kind: string }) => x.kind)).not.toContain('internal');
  });

  it('refuses before writing anything: stale version, impossible status, unknown or invisible ids, bad input', async () => {
    const m = (await h.call(admin, 'POST', '/api/v1/macros', { name: name('Close it'), body: 'Bye', set: { status: 'closed' } })).body;
    const ok = (await h.call(admin, 'POST', '/api/v1/macros', { name: name('Plain'), body: 'Hello' })).body;
    const t = await newTicket();
    const messages = async () => (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}/messages`)).body.items.length;
    const before = await messages();

    const stale = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/macros/${ok.id}/apply`, { version: t.version + 5 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    // new → (reply) open → closed is not allowed (resolve first).
    const illegal = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/macros/${m.id}/apply`, {});
    expect(illegal.status).toBe(409);
    expect(illegal.body.error.code).toBe('illegal_transition');
    expect((await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/macros/2000000000/apply`, {})).status).toBe(404);
    expect((await h.call(outsider, 'POST', `/api/v1/tickets/${t.id}/macros/${ok.id}/apply`, {})).status).toBe(404);
    expect((await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/macros/${ok.id}/apply`, {})).status).toBe(403);
    for (const [path, body, field] of [
      [`/api/v1/tickets/${t.id}/macros/x/apply`, {}, 'params.macroId'],
      [`/api/v1/tickets/0/macros/${ok.id}/apply`, {}, 'params.id'],
      [`/api/v1/tickets/${t.id}/macros/${ok.id}/apply`, { version: 'latest' }, 'body.version'],
      [`/api/v1/tickets/${t.id}/macros/${ok.id}/apply`, { force: true }, 'body.force'],
    ] as const) {
      const r = await h.call(agent1, 'POST', path, body);
      expect(r.status, path).toBe(400);
      expect(r.body.error.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
    expect(await messages()).toBe(before);
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body).toMatchObject({ status: 'new', version: t.version });
  });
});
