import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMail, waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { notifyInApp } from '@mehrdesk/worker/notifications/in-app';

// The notification centre and per-user preferences (C1): ticket events reach staff in the app
// and by e-mail as each of them chose; customers keep getting e-mail and have no centre.

let h: Harness;
let tokens: Record<'customer' | 'agent1' | 'agent2' | 'supervisor', string>;

beforeAll(async () => {
  h = await startHarness();
  tokens = {
    customer: await h.login(h.fx.users.customer.email),
    agent1: await h.login(h.fx.users.agent1.email),
    agent2: await h.login(h.fx.users.agent2.email),
    supervisor: await h.login(h.fx.users.supervisor.email),
  };
});
afterAll(async () => h?.close());

async function notificationsOf(token: string, query = '') {
  const r = await h.call(token, 'GET', `/api/v1/notifications${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { items: { id: number; ticketId: number; event: string; title: string; excerpt: string | null; readAt: string | null }[]; unreadCount: number; nextCursor: string | null };
}

async function newTicket(subject: string) {
  const r = await h.call(tokens.customer, 'POST', '/api/v1/tickets', { subject, body: 'It broke', categoryId: h.fx.categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; number: string; assigneeId: number };
}

const emailOf = (id: number) => Object.values(h.fx.users).find((u) => u.id === id)!.email;
const tokenOf = (id: number) => (id === h.fx.users.agent1.id ? tokens.agent1 : tokens.agent2);

describe('notification centre', () => {
  it('tells the assignee in the app and by e-mail by default, and nobody else', async () => {
    const t = await newTicket(`Assigned ${h.fx.suffix}`);
    const mine = await eventually(async () => (await notificationsOf(tokenOf(t.assigneeId))).items.find((n) => n.ticketId === t.id), 'in-app notification');
    expect(mine).toMatchObject({ event: 'ticket_assigned', title: `[${t.number}] Assigned ${h.fx.suffix}`, readAt: null });
    await waitForMail(h.mailUrl, (m) => m.to.includes(emailOf(t.assigneeId)) && m.subject.includes(t.number));
    const other = t.assigneeId === h.fx.users.agent1.id ? tokens.agent2 : tokens.agent1;
    expect((await notificationsOf(other)).items.some((n) => n.ticketId === t.id)).toBe(false);
    // The customer got the "we received it" e-mail and has no notification centre.
    await waitForMail(h.mailUrl, (m) => m.to.includes(h.fx.users.customer.email) && m.subject.includes(t.number));
    expect((await h.call(tokens.customer, 'GET', '/api/v1/notifications')).status).toBe(403);
    const [rows] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from notifications where user_id = ?', [h.fx.users.customer.id]);
    expect(Number(rows!.n)).toBe(0);
  });

  it('follows each person’s choice of e-mail and in-app per event', async () => {
    const saved = await h.call(tokens.agent2, 'PUT', '/api/v1/me/notification-preferences', {
      preferences: [
        { event: 'ticket_assigned', email: false, inApp: true },
        { event: 'customer_reply', email: true, inApp: false },
      ],
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const byEvent = Object.fromEntries(saved.body.preferences.map((p: { event: string }) => [p.event, p]));
    expect(byEvent.ticket_assigned).toEqual({ event: 'ticket_assigned', email: false, inApp: true });
    expect(byEvent.customer_reply).toEqual({ event: 'customer_reply', email: true, inApp: false });
    expect(byEvent.sla_breach).toEqual({ event: 'sla_breach', email: true, inApp: true }); // untouched: the default
    expect(saved.body.preferences).toHaveLength(7);

    const t = await newTicket(`Prefs ${h.fx.suffix}`);
    const moved = await h.call(tokens.supervisor, 'POST', `/api/v1/tickets/${t.id}/assignee`, { assigneeId: h.fx.users.agent2.id });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    // Assigned to agent2 (by round robin or by the supervisor): in the app, not by e-mail.
    await eventually(async () => (await notificationsOf(tokens.agent2)).items.find((n) => n.ticketId === t.id && n.event === 'ticket_assigned'), 'in-app assignment');
    // A customer reply: e-mail to agent2, nothing in the app.
    const reply = await h.call(tokens.customer, 'POST', `/api/v1/tickets/${t.id}/messages`, { body: 'Any news?' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    await waitForMail(h.mailUrl, (m) => m.to.includes(h.fx.users.agent2.email) && m.subject.includes(t.number) && (m.text ?? '').includes('Any news?'));
    const mails = await listMail(h.mailUrl);
    const assignedMailToAgent2 = mails.filter((m) => m.to.includes(h.fx.users.agent2.email) && m.subject.includes(t.number) && !(m.text ?? '').includes('Any news?'));
    expect(assignedMailToAgent2).toEqual([]);
    expect((await notificationsOf(tokens.agent2)).items.filter((n) => n.ticketId === t.id).map((n) => n.event)).not.toContain('customer_reply');
    const [log] = await h.orm.em
      .fork()
      .execute<{ n: string }[]>(`select count(*) as n from email_log where ticket_id = ? and template = 'ticket_assigned' and to_address = ?`, [t.id, h.fx.users.agent2.email]);
    expect(Number(log!.n)).toBe(0);
  });

  it('marks read by id (own only) or all, and pages newest first', async () => {
    const before = await notificationsOf(tokens.agent2);
    expect(before.unreadCount).toBeGreaterThan(0);
    const agent1Items = (await notificationsOf(tokens.agent1)).items;
    if (agent1Items.length > 0) {
      const foreign = await h.call(tokens.agent2, 'POST', '/api/v1/notifications/read', { ids: [agent1Items[0]!.id] });
      expect(foreign.body.updated).toBe(0);
      expect((await notificationsOf(tokens.agent1)).items[0]!.readAt).toBeNull();
    }
    const one = await h.call(tokens.agent2, 'POST', '/api/v1/notifications/read', { ids: [before.items[0]!.id] });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ updated: 1, unreadCount: before.unreadCount - 1 });
    expect((await notificationsOf(tokens.agent2, '?unread=false')).items.map((n) => n.id)).toContain(before.items[0]!.id);
    const all = await h.call(tokens.agent2, 'POST', '/api/v1/notifications/read', { all: true });
    expect(all.body).toEqual({ updated: before.unreadCount - 1, unreadCount: 0 });
    expect((await notificationsOf(tokens.agent2, '?unread=true')).items).toEqual([]);

    const page1 = await notificationsOf(tokens.agent2, '?limit=1');
    expect(page1.items).toHaveLength(1);
    if (before.items.length > 1) {
      expect(page1.nextCursor).not.toBeNull();
      const page2 = await notificationsOf(tokens.agent2, `?limit=1&cursor=${page1.nextCursor}`);
      expect(page2.items[0]!.id).toBeLessThan(page1.items[0]!.id);
    }
  });

  it('writes a notification once however often the activity retries', async () => {
    const t = await newTicket(`Retry ${h.fx.suffix}`);
    const n = { userId: h.fx.users.agent1.id, ticketId: t.id, event: 'sla_warning' as const, title: 't', excerpt: null, dedupeKey: `retry-${h.fx.suffix}` };
    const first = await notifyInApp(h.orm.em.fork(), n);
    expect(first).toBeTypeOf('number');
    expect(await notifyInApp(h.orm.em.fork(), n)).toBeNull();
    const [row] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from notifications where dedupe_key = ?', [n.dedupeKey]);
    expect(Number(row!.n)).toBe(1);
  });

  it('refuses bad input naming the field, and changes nothing', async () => {
    const before = (await h.call(tokens.agent1, 'GET', '/api/v1/me/notification-preferences')).body;
    const cases: [string, string, unknown, string][] = [
      ['PUT', '/api/v1/me/notification-preferences', { preferences: [{ event: 'ticket_exploded', email: true, inApp: true }] }, 'body.preferences.0.event'],
      [
        'PUT',
        '/api/v1/me/notification-preferences',
        {
          preferences: [
            { event: 'sla_breach', email: false, inApp: true },
            { event: 'sla_breach', email: true, inApp: true },
          ],
        },
        'body.preferences.1.event',
      ],
      ['PUT', '/api/v1/me/notification-preferences', { preferences: [{ event: 'sla_breach', email: 'no', inApp: true }] }, 'body.preferences.0.email'],
      ['PUT', '/api/v1/me/notification-preferences', { preferences: [{ event: 'sla_breach', email: false }] }, 'body.preferences.0.inApp'],
      ['PUT', '/api/v1/me/notification-preferences', { preferences: [] }, 'body.preferences'],
      ['PUT', '/api/v1/me/notification-preferences', { preferences: [{ event: 'sla_breach', email: false, inApp: true, sms: true }] }, 'body.preferences.0.sms'],
      ['POST', '/api/v1/notifications/read', { ids: [] }, 'body.ids'],
      ['POST', '/api/v1/notifications/read', { all: false }, 'body.all'],
      ['POST', '/api/v1/notifications/read', {}, 'body'],
      ['POST', '/api/v1/notifications/read', { ids: [1], all: true }, 'body'],
      ['GET', '/api/v1/notifications?unread=maybe', undefined, 'query.unread'],
      ['GET', '/api/v1/notifications?cursor=1e3', undefined, 'query.cursor'],
      ['GET', '/api/v1/notifications?limit=1000', undefined, 'query.limit'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await h.call(tokens.agent1, method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(
        r.body.error.fields.map((f: { path: string }) => f.path),
        JSON.stringify(r.body),
      ).toContain(field);
    }
    expect((await h.call(tokens.agent1, 'GET', '/api/v1/me/notification-preferences')).body).toEqual(before);
    expect((await h.call(tokens.customer, 'PUT', '/api/v1/me/notification-preferences', { preferences: [{ event: 'sla_breach', email: false, inApp: false }] })).status).toBe(403);
  });
});
