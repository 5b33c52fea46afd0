import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { ticketWorkflowId } from '@mehrdesk/workflows/contracts';
import { formatTicketNumber, formatTicketNumberSql, ticketNumberHead } from '@mehrdesk/core/domain';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { waitForMail } from '@mehrdesk/scripts/mail-catcher-client';

let h: Harness;
let admin: string, agent1: string, agent2: string, customer: string, customer2: string, outsider: string;

beforeAll(async () => {
  h = await startHarness();
  [admin, agent1, agent2, customer, customer2, outsider] = (await Promise.all(
    [h.fx.users.admin, h.fx.users.agent1, h.fx.users.agent2, h.fx.users.customer, h.fx.users.customer2, h.fx.users.outsider].map((u) => h.login(u.email)),
  )) as [string, string, string, string, string, string];
});
afterAll(() => h?.close());

async function newTicket(token = customer, extra: Record<string, unknown> = {}) {
  const r = await h.call(token, 'POST', '/api/v1/tickets', { subject: 'Printer on fire', body: '<p>Help <b>now</b></p>', categoryId: h.fx.categoryId, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

async function workflowStarted(id: number) {
  return eventually(async () => {
    const [row] = await h.orm.em.fork().execute<{ workflow_started_at: Date | null }[]>('select workflow_started_at from tickets where id = ?', [id]);
    return row?.workflow_started_at;
  }, 'workflow start');
}

describe('ticket numbers', () => {
  it('are formatted alike by the creation statement (SQL) and by formatTicketNumber', async () => {
    for (const seq of [1, 42, 999_999, 1_000_000, 12_345_678]) {
      const [row] = await h.orm.em.fork().execute<{ n: string }[]>(`select ${formatTicketNumberSql('?::text', '?::int')} as n`, [ticketNumberHead('TKT', 2026), seq, seq, seq]);
      expect(row!.n).toBe(formatTicketNumber('TKT', 2026, seq));
    }
  });
});

describe('creating tickets', () => {
  it('writes the row, numbers it, computes SLA deadlines, assigns round-robin and starts ticket-<id>', async () => {
    const before = Date.now();
    const t = await newTicket();
    expect(t.number).toMatch(new RegExp(`^TKT-${new Date().getUTCFullYear()}-\\d{6}$`));
    expect(t.status).toBe('new');
    expect(t.priority).toBe('normal');
    expect(t.source).toBe('portal');
    expect(t.requester.id).toBe(h.fx.users.customer.id);
    expect(t.groupId).toBe(h.fx.groups.support);
    expect([h.fx.users.agent1.id, h.fx.users.agent2.id]).toContain(t.assigneeId);
    expect(t.bodyHtml).toBe('<p>Help <b>now</b></p>');
    // Fixture policy: 1 h first response, 8 h resolution, 24x7.
    expect(Date.parse(t.firstResponseDueAt) - before).toBeGreaterThanOrEqual(3600_000 - 1000);
    expect(Date.parse(t.firstResponseDueAt) - before).toBeLessThan(3600_000 + 5000);
    expect(Date.parse(t.resolutionDueAt) - Date.parse(t.firstResponseDueAt)).toBeGreaterThan(7 * 3600_000 - 5000);
    expect(t.workflowId).toBe(`ticket-${t.id}`);
    const desc = await h.temporal.workflow.getHandle(t.workflowId).describe();
    expect(desc.status.name).toBe('RUNNING');
    expect(desc.memo?.ticketNumber).toBe(t.number);
    await workflowStarted(t.id);
  });

  it('alternates assignees round-robin among the group agents', async () => {
    const a = await newTicket();
    const b = await newTicket();
    expect(a.assigneeId).not.toBe(b.assigneeId);
  });

  it('returns the same ticket for a retried Idempotency-Key and never starts a second workflow', async () => {
    const key = `key-${Date.now()}`;
    const body = { subject: 'Idempotent', body: 'once please', categoryId: h.fx.categoryId };
    const results = await Promise.all([1, 2, 3].map(() => h.call(customer, 'POST', '/api/v1/tickets', body, { 'idempotency-key': key })));
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    const again = await h.call(customer, 'POST', '/api/v1/tickets', body, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(results[0]!.body.id);
    const [{ n }] = await h.orm.em.fork().execute<[{ n: string }]>('select count(*) as n from tickets where subject = ? and requester_id = ?', ['Idempotent', h.fx.users.customer.id]);
    expect(Number(n)).toBe(1);
    const runs = [];
    for await (const w of h.temporal.workflow.list({ query: `WorkflowId = '${ticketWorkflowId(again.body.id)}'` })) runs.push(w);
    expect(runs.length).toBeLessThanOrEqual(1); // visibility may lag, but never two runs
    const reused = await h.call(customer, 'POST', '/api/v1/tickets', { ...body, subject: 'Different' }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.body.error.fields[0].path).toBe('headers.idempotency-key');
    expect(WorkflowIdConflictPolicy.USE_EXISTING).toBeDefined();
  });

  it('sanitises rich text', async () => {
    const t = await newTicket(customer, { body: '<p onclick="x()">Hi<script>alert(1)</script><img src=x onerror=y></p><a href="javascript:evil()">l</a>' });
    expect(t.bodyHtml).not.toMatch(/script|onclick|onerror|javascript/);
    expect(t.bodyHtml).toContain('Hi');
  });

  it('sends the requester a "received" e-mail and the assignee an "assigned" e-mail', async () => {
    const t = await newTicket();
    await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.subject.includes('We received') && m.to.some((x) => x.includes(h.fx.users.customer.email)));
    const [assignee] = await h.orm.em.fork().execute<{ email: string }[]>('select email from users where id = ?', [t.assigneeId]);
    const mails = await waitForMail(h.mailUrl, (m) => m.subject.includes(t.number) && m.subject.includes('Assigned to you'));
    expect(mails[0]!.to.join()).toContain(assignee!.email);
    expect(mails[0]!.headers['auto-submitted']).toBe('auto-generated');
  });
});

describe('working a ticket through its workflow', () => {
  it('records replies, notes and changes with actor, time, old and new value', async () => {
    const t = await newTicket();
    await workflowStarted(t.id);
    const reply = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: '<p>On it</p>' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.body.kind).toBe('public');
    const note = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'customer seems angry', internal: true });
    expect(note.status).toBe(201);
    expect(note.body.kind).toBe('internal');

    let cur = (await h.call(agent1, 'GET', `/api/v1/tickets/${t.id}`)).body;
    expect(cur.status).toBe('open'); // first agent reply opens a new ticket
    expect(cur.firstRespondedAt).not.toBeNull();

    const p = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/priority`, { priority: 'urgent', version: cur.version });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.priority).toBe('urgent');
    expect(p.body.version).toBe(cur.version + 1);
    const a = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/assignee`, { assigneeId: h.fx.users.agent2.id });
    expect(a.body.assigneeId).toBe(h.fx.users.agent2.id);
    const s = await h.call(agent1, 'PATCH', `/api/v1/tickets/${t.id}`, { version: a.body.version, status: 'pending' });
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    expect(s.body.status).toBe('pending');

    const tl = await h.call(agent1, 'GET', `/api/v1/tickets/${t.id}/timeline`);
    expect(tl.status).toBe(200);
    const byType = (type: string) => tl.body.items.filter((e: any) => e.type === type);
    expect(byType('ticket.created')).toHaveLength(1);
    expect(byType('message.reply_added').length).toBeGreaterThanOrEqual(1);
    expect(byType('message.note_added')).toHaveLength(1);
    const prio = byType('ticket.priority_changed')[0];
    expect(prio).toMatchObject({ field: 'priority', oldValue: 'normal', newValue: 'urgent', actor: { type: 'user', id: h.fx.users.agent1.id } });
    expect(Date.parse(prio.createdAt)).toBeGreaterThan(Date.parse(t.createdAt) - 1000);
    expect(byType('ticket.assigneeId_changed')[0]).toMatchObject({ oldValue: cur.assigneeId, newValue: h.fx.users.agent2.id });
    expect(byType('ticket.status_changed').map((e: any) => [e.oldValue, e.newValue])).toEqual([
      ['new', 'open'],
      ['open', 'pending'],
    ]);
    expect(byType('sla.met').some((e: any) => e.field === 'first_response')).toBe(true);

    // A customer reply to a pending ticket hands it back to the agents.
    const back = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Here is the info' });
    expect(back.status).toBe(201);
    cur = (await h.call(agent1, 'GET', `/api/v1/tickets/${t.id}`)).body;
    expect(cur.status).toBe('open');
  });

  it('refuses illegal transitions with 409 naming both states', async () => {
    const t = await newTicket();
    await workflowStarted(t.id);
    const res = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'resolved' });
    expect(res.status).toBe(200);
    const closed = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'closed' });
    expect(closed.status).toBe(200);
    const bad = await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'pending' });
    expect(bad.status).toBe(409);
    expect(bad.body.error).toMatchObject({ code: 'illegal_transition', message: expect.stringContaining('from closed to pending') });
    const reply = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'hello?' });
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('ticket_finished');
    const t2 = await newTicket();
    await workflowStarted(t2.id);
    const r1 = await h.call(agent1, 'POST', `/api/v1/tickets/${t2.id}/status`, { status: 'resolved' });
    expect(r1.status).toBe(200);
    const illegal = await h.call(agent1, 'POST', `/api/v1/tickets/${t2.id}/status`, { status: 'pending' });
    expect(illegal.status).toBe(409);
    expect(illegal.body.error).toMatchObject({ code: 'illegal_transition' });
    expect(illegal.body.error.message).toContain('from resolved to pending');
  });

  it('refuses a stale version with 409 and changes nothing', async () => {
    const t = await newTicket();
    await workflowStarted(t.id);
    const ok = await h.call(agent1, 'PATCH', `/api/v1/tickets/${t.id}`, { version: t.version, priority: 'high' });
    expect(ok.status).toBe(200);
    const stale = await h.call(agent2, 'PATCH', `/api/v1/tickets/${t.id}`, { version: t.version, priority: 'low' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    const now = (await h.call(agent1, 'GET', `/api/v1/tickets/${t.id}`)).body;
    expect(now.priority).toBe('high');
    expect(now.version).toBe(ok.body.version);
  });
});

describe('visibility', () => {
  it('customers see only their own tickets and never internal notes', async () => {
    const t = await newTicket(customer);
    await workflowStarted(t.id);
    await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'secret note', internal: true });
    await h.call(agent1, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'public answer' });
    const mine = await h.call(customer, 'GET', `/api/v1/tickets/${t.id}/messages`);
    expect(mine.body.items.map((m: any) => m.bodyText)).toEqual(expect.arrayContaining(['public answer']));
    expect(mine.body.items.some((m: any) => m.kind === 'internal')).toBe(false);
    const staff = await h.call(agent1, 'GET', `/api/v1/tickets/${t.id}/messages`);
    expect(staff.body.items.some((m: any) => m.kind === 'internal' && m.bodyText === 'secret note')).toBe(true);
    expect((await h.call(customer2, 'GET', `/api/v1/tickets/${t.id}`)).status).toBe(404);
    const list2 = await h.call(customer2, 'GET', '/api/v1/tickets?limit=100');
    expect(list2.body.items.some((x: any) => x.id === t.id)).toBe(false);
  });

  it("agents see their groups' tickets, admins see all", async () => {
    const t = await newTicket(customer);
    expect((await h.call(outsider, 'GET', `/api/v1/tickets/${t.id}`)).status).toBe(404);
    expect((await h.call(agent2, 'GET', `/api/v1/tickets/${t.id}`)).status).toBe(200);
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).status).toBe(200);
    const list = await h.call(outsider, 'GET', `/api/v1/tickets?limit=100&requesterId=${h.fx.users.customer.id}`);
    expect(list.body.items).toHaveLength(0);
  });
});

describe('listing', () => {
  it('filters and pages with a stable cursor', async () => {
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await newTicket(customer2, { priority: i % 2 ? 'high' : 'low', subject: `page ${i}` }));
    const all: number[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: any } = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      all.push(...r.body.items.map((x: any) => x.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(all).toEqual(created.map((t) => t.id).reverse());
    const high = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&priority=high`);
    expect(high.body.items.map((x: any) => x.id).sort()).toEqual(
      created
        .filter((t) => t.priority === 'high')
        .map((t) => t.id)
        .sort(),
    );
    const multi = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&priority=high,low&status=new&slaState=ok&groupId=${h.fx.groups.support}`);
    expect(multi.body.items).toHaveLength(5);
    const range = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&createdFrom=${encodeURIComponent(created[2]!.createdAt)}`);
    expect(range.body.items.map((x: any) => x.id).sort()).toEqual(
      created
        .slice(2)
        .map((t) => t.id)
        .sort(),
    );
    const none = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&assigneeId=none`);
    expect(none.body.items).toHaveLength(0);
    const breached = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer2.id}&slaState=breached`);
    expect(breached.body.items).toHaveLength(0);
  });
});

describe('live SLA', () => {
  it('reads the clocks from the workflow query', async () => {
    const t = await newTicket();
    await workflowStarted(t.id);
    const r = await h.call(agent1, 'GET', `/api/v1/tickets/${t.id}/sla`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.state).toBe('ok');
    const fr = r.body.clocks.find((c: any) => c.name === 'first_response');
    expect(fr).toMatchObject({ state: 'running', targetSeconds: 3600, breached: false });
    expect(fr.remainingSeconds).toBeGreaterThan(3500);
    expect(fr.dueAt).toBe(t.firstResponseDueAt);
    expect((await h.call(customer, 'GET', `/api/v1/tickets/${t.id}/sla`)).status).toBe(403);
  });
});

describe('tags and soft delete', () => {
  it('replaces tags through the workflow, records them in the timeline and filters by them', async () => {
    const t = await newTicket();
    await workflowStarted(t.id);
    const r = await h.call(agent1, 'PATCH', `/api/v1/tickets/${t.id}`, { version: t.version, tags: ['VIP', 'billing', 'vip'] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.tags).toEqual(['billing', 'vip']);
    const tl = (await h.call(agent1, 'GET', `/api/v1/tickets/${t.id}/timeline`)).body.items;
    expect(tl.find((e: any) => e.type === 'ticket.tags_changed')).toMatchObject({ oldValue: [], newValue: ['billing', 'vip'] });
    const found = await h.call(admin, 'GET', `/api/v1/tickets?tag=vip&requesterId=${h.fx.users.customer.id}&limit=100`);
    expect(found.body.items.map((x: any) => x.id)).toContain(t.id);
    const picker = await h.call(agent1, 'GET', '/api/v1/tags?q=VI');
    expect(picker.body.items).toContain('vip');
    expect(picker.body.items.every((x: string) => x.startsWith('vi'))).toBe(true);
    expect((await h.call(customer, 'GET', '/api/v1/tags')).status).toBe(403);
    const literal = await h.call(agent1, 'GET', '/api/v1/tags?q=%25');
    expect(literal.body.items).toEqual([]); // % is matched literally, not as a wildcard
    const same = await h.call(agent1, 'PATCH', `/api/v1/tickets/${t.id}`, { version: r.body.version, tags: ['vip', 'billing'] });
    expect(same.body.version).toBe(r.body.version); // no change, no new version
  });

  it('soft-deletes: hidden everywhere, cancelled, workflow ended, audited', async () => {
    const t = await newTicket();
    await workflowStarted(t.id);
    expect((await h.call(agent1, 'DELETE', `/api/v1/tickets/${t.id}`)).status).toBe(403);
    const del = await h.call(admin, 'DELETE', `/api/v1/tickets/${t.id}`);
    expect(del.status, JSON.stringify(del.body)).toBe(204);
    expect((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).status).toBe(404);
    const list = await h.call(admin, 'GET', `/api/v1/tickets?requesterId=${h.fx.users.customer.id}&limit=100`);
    expect(list.body.items.some((x: any) => x.id === t.id)).toBe(false);
    const [row] = await h.orm.em.fork().execute<{ status: string; deleted_at: Date | null }[]>('select status, deleted_at from tickets where id = ?', [t.id]);
    expect(row).toMatchObject({ status: 'cancelled' });
    expect(row!.deleted_at).not.toBeNull();
    await expect(h.temporal.workflow.getHandle(ticketWorkflowId(t.id)).result()).resolves.toMatchObject({ status: 'cancelled' });
    const audit = await h.orm.em.fork().execute<{ type: string; actor_id: number }[]>(`select type, actor_id from timeline_events where ticket_id = ? and type = 'ticket.deleted'`, [t.id]);
    expect(audit).toEqual([{ type: 'ticket.deleted', actor_id: h.fx.users.admin.id }]);
  });
});
