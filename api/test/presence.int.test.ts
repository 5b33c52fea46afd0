import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { openSse, type SseStream } from '@mehrdesk/scripts/testing/sse';

// Presence and collision warnings: staff who view or type on a ticket see each other, through
// GET /tickets/:id/presence and as live `presence` events; `left` and expiry remove them.

let h: Harness;
const tokens = {} as Record<'admin' | 'agent1' | 'agent2' | 'outsider' | 'customer', string>;
const streams: SseStream[] = [];
let ticketId: number;

beforeAll(async () => {
  h = await startHarness();
  for (const k of ['admin', 'agent1', 'agent2', 'outsider', 'customer'] as const) tokens[k] = await h.login(h.fx.users[k].email);
  const r = await h.call(tokens.customer, 'POST', '/api/v1/tickets', { subject: 'Who is here?', body: 'hello', categoryId: h.fx.categoryId });
  expect(r.status).toBe(201);
  ticketId = r.body.id;
});
afterAll(async () => {
  for (const s of streams) s.close();
  await h?.close();
});

const post = (token: string, state: unknown, id = ticketId) => h.call(token, 'POST', `/api/v1/tickets/${id}/presence`, { state });
const list = async (token: string) => {
  const r = await h.call(token, 'GET', `/api/v1/tickets/${ticketId}/presence`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.items as { userId: number; name: string; state: string; since: string; expiresAt: string }[];
};
const rowCount = async () => Number((await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from ticket_presence where ticket_id = ?', [ticketId]))[0]!.n);

describe('ticket presence', () => {
  it('two agents on one ticket see each other, live and by GET', async () => {
    const s1 = await openSse(`${h.baseUrl}/api/v1/events`, { authorization: `Bearer ${tokens.agent1}` });
    streams.push(s1);
    await s1.next((f) => f.event === 'ready', 'ready');

    const a = await post(tokens.agent1, 'viewing');
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.items.map((i: { userId: number }) => i.userId)).toEqual([h.fx.users.agent1.id]);
    const b = await post(tokens.agent2, 'typing');
    expect(b.status).toBe(200);

    const seen = await s1.next((f) => f.event === 'presence' && f.data.userId === h.fx.users.agent2.id, "agent2's presence");
    expect(seen.data).toMatchObject({ ticketId, state: 'typing', name: `agent2 ${h.fx.suffix}` });
    expect(Date.parse(seen.data.expiresAt) - Date.now()).toBeGreaterThan(20_000);
    expect(Date.parse(seen.data.expiresAt) - Date.now()).toBeLessThanOrEqual(31_000);

    for (const token of [tokens.agent1, tokens.agent2, tokens.admin]) {
      const items = await list(token);
      expect(items.map((i) => [i.userId, i.state]).sort()).toEqual(
        [
          [h.fx.users.agent1.id, 'viewing'],
          [h.fx.users.agent2.id, 'typing'],
        ].sort(),
      );
    }
    // Re-posting refreshes rather than duplicates.
    await post(tokens.agent1, 'typing');
    expect(await rowCount()).toBe(2);
    expect((await list(tokens.agent2)).find((i) => i.userId === h.fx.users.agent1.id)!.state).toBe('typing');
  });

  it('left removes the entry and is announced', async () => {
    const s2 = await openSse(`${h.baseUrl}/api/v1/events`, { authorization: `Bearer ${tokens.agent2}` });
    streams.push(s2);
    await s2.next((f) => f.event === 'ready', 'ready');
    await post(tokens.agent1, 'viewing');
    const left = await post(tokens.agent1, 'left');
    expect(left.status).toBe(200);
    expect(left.body.items.map((i: { userId: number }) => i.userId)).not.toContain(h.fx.users.agent1.id);
    const ev = await s2.next((f) => f.event === 'presence' && f.data.userId === h.fx.users.agent1.id && f.data.state === 'left', 'left');
    expect(ev.data.expiresAt).toBeNull();
    expect((await list(tokens.agent2)).map((i) => i.userId)).not.toContain(h.fx.users.agent1.id);
  });

  it('leaves out expired entries (a closed tab that never said left)', async () => {
    await post(tokens.agent1, 'viewing');
    expect((await list(tokens.agent2)).map((i) => i.userId)).toContain(h.fx.users.agent1.id);
    await h.orm.em.fork().execute(`update ticket_presence set expires_at = now() - interval '1 second' where ticket_id = ? and user_id = ?`, [ticketId, h.fx.users.agent1.id]);
    expect((await list(tokens.agent2)).map((i) => i.userId)).not.toContain(h.fx.users.agent1.id);
  });

  it('is for staff who may see the ticket', async () => {
    expect((await post(tokens.customer, 'viewing')).status).toBe(403);
    expect((await h.call(tokens.customer, 'GET', `/api/v1/tickets/${ticketId}/presence`)).status).toBe(403);
    expect((await post(tokens.outsider, 'viewing')).status).toBe(404);
    expect((await h.call(tokens.outsider, 'GET', `/api/v1/tickets/${ticketId}/presence`)).status).toBe(404);
    expect((await post(tokens.agent1, 'viewing', 2_000_000_000)).status).toBe(404);
    expect((await h.call(null, 'GET', `/api/v1/tickets/${ticketId}/presence`)).status).toBe(401);
  });

  it('refuses malformed input naming the field, and records nothing', async () => {
    await post(tokens.agent2, 'left');
    const before = await rowCount();
    const cases: [string, unknown, string][] = [
      [`/api/v1/tickets/${ticketId}/presence`, { state: 'dancing' }, 'body.state'],
      [`/api/v1/tickets/${ticketId}/presence`, {}, 'body.state'],
      [`/api/v1/tickets/${ticketId}/presence`, { state: 'viewing', extra: 1 }, 'body.extra'],
      [`/api/v1/tickets/abc/presence`, { state: 'viewing' }, 'params.id'],
      [`/api/v1/tickets/${ticketId}/presence`, '[]', 'body'],
    ];
    for (const [path, body, field] of cases) {
      const r = await h.call(tokens.agent2, 'POST', path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(
        r.body.error.fields.map((f: { path: string }) => f.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect(await rowCount()).toBe(before);
  });
});
