import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { openSse, type SseFrame, type SseStream } from '@mehrdesk/scripts/testing/sse';
import { listenerApplicationName } from '@mehrdesk/api/live/listener';

// Live events over SSE (GET /api/v1/events) against the real stack: changes made by the
// workflow's activities and by the API reach exactly the streams whose users may see them,
// after commit, through one LISTEN connection per API process.

let h: Harness;
const tokens = {} as Record<'admin' | 'agent1' | 'agent2' | 'outsider' | 'customer' | 'customer2', string>;
const open: SseStream[] = [];

beforeAll(async () => {
  h = await startHarness();
  for (const k of ['admin', 'agent1', 'agent2', 'outsider', 'customer', 'customer2'] as const) tokens[k] = await h.login(h.fx.users[k].email);
});
afterAll(async () => {
  for (const s of open) s.close();
  await h?.close();
});

async function stream(token: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const s = await openSse(`${h.baseUrl}/api/v1/events`, { authorization: `Bearer ${token}`, ...headers });
  open.push(s);
  expect(s.status).toBe(200);
  await s.next((f) => f.event === 'ready', 'ready');
  return s;
}

async function newTicket(token = tokens.customer, extra: Record<string, unknown> = {}) {
  const r = await h.call(token, 'POST', '/api/v1/tickets', { subject: `Live ${h.fx.suffix}`, body: '<p>It broke</p>', categoryId: h.fx.categoryId, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; version: number; number: string };
}

const about = (ticketId: number, type?: string) => (f: SseFrame) => f.data?.ticketId === ticketId && (type === undefined || f.event === type);

/** Events reach streams in commit order: once `s` got the sentinel, it got everything before it too. */
async function drained(s: SseStream, sentinel: (f: SseFrame) => boolean) {
  await s.next(sentinel, 'the sentinel event');
}

describe('GET /api/v1/events', () => {
  it('needs a bearer token and answers an event stream opened by retry and ready', async () => {
    const anon = await h.call(null, 'GET', '/api/v1/events');
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('unauthorized');
    const bad = await h.call('mdk_not-a-token', 'GET', '/api/v1/events');
    expect(bad.status).toBe(401);
    const badHeader = await h.call(tokens.agent1, 'GET', '/api/v1/events', undefined, { 'last-event-id': 'x'.repeat(101) });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['headers.last-event-id']);

    const s = await stream(tokens.agent1);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.headers.get('cache-control')).toContain('no-cache');
    expect(s.retry).toBe(3000);
    const ready = s.frames[0]!;
    expect(ready).toMatchObject({ event: 'ready', data: { userId: h.fx.users.agent1.id, heartbeatSeconds: 15 } });
    expect(ready.id).toMatch(/^[0-9a-f]+-\d+$/);
    // A reconnecting client (Last-Event-ID) is told to refetch what it missed.
    const resumed = await stream(tokens.agent1, { 'last-event-id': ready.id! });
    await resumed.next((f) => f.event === 'resync', 'resync');
    s.close();
    resumed.close();
  });

  it('shows an agent the changes to tickets of its groups, made by someone else, and nothing of other groups', async () => {
    const agent = await stream(tokens.agent1);
    const outsider = await stream(tokens.outsider);
    const t = await newTicket();
    const created = await agent.next(about(t.id, 'ticket.created'), 'ticket.created');
    expect(created.data).toMatchObject({ type: 'ticket.created', number: t.number, status: 'new', scope: { requesterId: h.fx.users.customer.id, groupId: h.fx.groups.support } });

    // Another user changes it: the update arrives with the changed fields, new version and actor.
    const cur = (await h.call(tokens.agent2, 'GET', `/api/v1/tickets/${t.id}`)).body;
    const p = await h.call(tokens.agent2, 'PATCH', `/api/v1/tickets/${t.id}`, { version: cur.version, priority: 'urgent', tags: ['vip'] });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    const updated = await agent.next((f) => about(t.id, 'ticket.updated')(f) && f.data.fields.includes('priority'), 'ticket.updated');
    expect(updated.data).toMatchObject({ version: p.body.version, values: { priority: 'urgent', tags: ['vip'] }, actor: { type: 'user', id: h.fx.users.agent2.id } });
    expect(updated.data.fields.sort()).toEqual(['priority', 'tags']);

    // The outsider sees its own group's ticket (sentinel) but nothing of the support ticket before it.
    const theirs = await newTicket(tokens.customer2, { categoryId: h.fx.otherCategoryId });
    await drained(outsider, about(theirs.id, 'ticket.created'));
    expect(outsider.frames.filter((f) => f.data?.ticketId === t.id)).toEqual([]);
  });

  it('tells the old group when a ticket moves away (previousScope), and the new one', async () => {
    const agent = await stream(tokens.agent1);
    const outsider = await stream(tokens.outsider);
    const t = await newTicket();
    await agent.next(about(t.id, 'ticket.created'), 'ticket.created');
    const r = await h.call(tokens.admin, 'PATCH', `/api/v1/tickets/${t.id}`, {
      version: (await h.call(tokens.admin, 'GET', `/api/v1/tickets/${t.id}`)).body.version,
      groupId: h.fx.groups.other,
      assigneeId: null,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const moved = await agent.next((f) => about(t.id, 'ticket.updated')(f) && f.data.fields.includes('groupId'), 'move seen by the old group');
    expect(moved.data.scope.groupId).toBe(h.fx.groups.other);
    expect(moved.data.previousScope.groupId).toBe(h.fx.groups.support);
    await outsider.next((f) => about(t.id, 'ticket.updated')(f) && f.data.fields.includes('groupId'), 'move seen by the new group');
  });

  it("gives a customer their own ticket's public replies, never internal notes, SLA or others' tickets", async () => {
    const customer = await stream(tokens.customer);
    const customer2 = await stream(tokens.customer2);
    const agent = await stream(tokens.agent1);
    const t = await newTicket();
    await customer.next(about(t.id, 'ticket.created'), 'own ticket.created');
    const note = await h.call(tokens.agent1, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'customer seems angry', internal: true });
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    const reply = await h.call(tokens.agent1, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: '<p>On it</p>' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);

    const got = await customer.next((f) => about(t.id, 'message.added')(f), 'the public reply');
    expect(got.data).toMatchObject({ messageId: reply.body.id, kind: 'public', authorId: h.fx.users.agent1.id });
    // Ids only, never the text.
    expect(Object.keys(got.data).sort()).toEqual(['at', 'authorId', 'channel', 'kind', 'messageId', 'scope', 'ticketId', 'type']);
    // The note came first and the reply stopped the first-response clock: the agent got both.
    await agent.next((f) => about(t.id, 'message.added')(f) && f.data.messageId === note.body.id, 'the note, for staff');
    await agent.next(about(t.id, 'sla.changed'), 'sla.changed, for staff');
    // The reply opened the ticket: the customer sees that status change as well.
    await customer.next((f) => about(t.id, 'ticket.updated')(f) && f.data.values.status === 'open', 'status open');
    const mine = customer.frames.filter((f) => f.data?.ticketId === t.id);
    expect(mine.filter((f) => f.event === 'message.added').map((f) => f.data.messageId)).toEqual([reply.body.id]);
    expect(mine.filter((f) => f.event === 'sla.changed')).toEqual([]);

    const other = await newTicket(tokens.customer2);
    await drained(customer2, about(other.id, 'ticket.created'));
    expect(customer2.frames.filter((f) => f.data?.ticketId === t.id)).toEqual([]);
  });

  it('delivers a notification only to its user', async () => {
    const agent1 = await stream(tokens.agent1);
    const agent2 = await stream(tokens.agent2);
    const t = await newTicket();
    await agent1.next(about(t.id, 'ticket.created'), 'ticket.created');
    const cur = (await h.call(tokens.agent1, 'GET', `/api/v1/tickets/${t.id}`)).body;
    const other = cur.assigneeId === h.fx.users.agent2.id ? h.fx.users.agent1 : h.fx.users.agent2;
    const actor = other.id === h.fx.users.agent2.id ? tokens.agent1 : tokens.agent2;
    const [target, bystander] = other.id === h.fx.users.agent2.id ? [agent2, agent1] : [agent1, agent2];
    // Assigning someone else sends them a ticket_assigned notification (in-app by default).
    const r = await h.call(actor, 'POST', `/api/v1/tickets/${t.id}/assignee`, { assigneeId: other.id });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const n = await target.next((f) => f.event === 'notification' && f.data.ticketId === t.id && f.data.event === 'ticket_assigned', 'the notification');
    expect(n.data.userId).toBe(other.id);
    const [row] = await h.orm.em.fork().execute<{ user_id: number }[]>('select user_id from notifications where id = ?', [n.data.id]);
    expect(row!.user_id).toBe(other.id);
    // Sentinel for the bystander: a later event about the same ticket.
    await h.call(actor, 'POST', `/api/v1/tickets/${t.id}/presence`, { state: 'viewing' });
    await drained(bystander, about(t.id, 'presence'));
    expect(bystander.frames.filter((f) => f.event === 'notification' && f.data.userId !== (bystander === agent1 ? h.fx.users.agent1.id : h.fx.users.agent2.id))).toEqual([]);
  });

  it('keeps an idle stream alive with heartbeats', async () => {
    const s = await stream(tokens.agent2);
    await new Promise((r) => setTimeout(r, 16_500));
    expect(s.isEnded()).toBe(false);
    expect(s.comments.some((c) => c.startsWith('heartbeat'))).toBe(true);
    const t = await newTicket();
    await s.next(about(t.id, 'ticket.created'), 'an event after the idle period');
  }, 60_000);

  it('re-opens a lost LISTEN connection, tells streams to resync, and keeps delivering', async () => {
    const s = await stream(tokens.agent1);
    const em = h.orm.em.fork();
    const killed = await em.execute<{ pid: number }[]>('select pid from pg_stat_activity where application_name = ?', [listenerApplicationName()]);
    expect(killed).toHaveLength(1);
    await em.execute('select pg_terminate_backend(?)', [killed[0]!.pid]);
    await s.next((f) => f.event === 'resync', 'resync after the reconnect', 30_000);
    const after = await eventually(
      async () => (await em.execute<{ pid: number }[]>('select pid from pg_stat_activity where application_name = ?', [listenerApplicationName()]))[0]?.pid,
      'a new listener connection',
    );
    expect(after).not.toBe(killed[0]!.pid);
    const t = await newTicket();
    await s.next(about(t.id, 'ticket.created'), 'an event after the reconnect');
    expect(s.isEnded()).toBe(false);
  });

  it('applies logouts and group changes to open streams, and ends them all on shutdown', async () => {
    // A second API with a fast heartbeat: tokens and groups are re-read every 4 beats.
    const other = await startHarness({ worker: false, env: { LIVE_HEARTBEAT_SECONDS: '0.25' } });
    let closed = false;
    try {
      const [leaving, joining, customer] = await Promise.all([other.fx.users.agent1, other.fx.users.outsider, other.fx.users.customer].map((u) => other.login(u.email)));
      const sse = (token: string) => openSse(`${other.baseUrl}/api/v1/events`, { authorization: `Bearer ${token}` });
      const [gone, moved] = [await sse(leaving!), await sse(joining!)];
      await gone.next((f) => f.event === 'ready', 'ready');
      expect((await moved.next((f) => f.event === 'ready', 'ready')).data.heartbeatSeconds).toBe(0.25);

      expect((await other.call(leaving!, 'POST', '/api/v1/auth/logout')).status).toBe(204);
      await gone.ended;
      expect(gone.frames.at(-1)).toMatchObject({ event: 'end', data: { reason: 'unauthorized' } });

      await other.orm.em.fork().execute('insert into group_members (group_id, user_id) values (?, ?)', [other.fx.groups.support, other.fx.users.outsider.id]);
      await new Promise((r) => setTimeout(r, 1500));
      const t = await other.call(customer!, 'POST', '/api/v1/tickets', { subject: 'joined', body: 'x', categoryId: other.fx.categoryId });
      expect(t.status).toBe(201);
      await moved.next(about(t.body.id, 'ticket.created'), 'a ticket of the group it joined');

      await other.close();
      closed = true;
      await moved.ended;
      expect(moved.frames.at(-1)).toMatchObject({ event: 'end', data: { reason: 'shutdown' } });
    } finally {
      if (!closed) await other.close();
    }
  });
});
