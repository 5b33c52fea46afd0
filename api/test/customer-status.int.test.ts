import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// The requester's "mark as solved" and "reopen" (the portal's buttons): through the ticket's
// workflow, within the status graph, and reopening only until the ticket is closed.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: true });
});
afterAll(() => h?.close());

async function ticket(token: string) {
  const r = await h.call(token, 'POST', '/api/v1/tickets', { subject: 'Solve and reopen', body: '<p>Help</p>' });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

describe('customer solve and reopen', () => {
  it('solves an open ticket, reopens it while resolved, and refuses what the state does not allow', async () => {
    const customer = await h.login(h.fx.users.customer.email);
    const t = await ticket(customer);
    const solved = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/solve`);
    expect(solved.status, JSON.stringify(solved.body)).toBe(200);
    expect(solved.body.status).toBe('resolved');
    const twice = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/solve`);
    expect(twice.status).toBe(409);
    expect(twice.body.error).toEqual({ code: 'already_finished', message: `Ticket ${t.number} is already resolved` });

    const reopened = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/reopen`);
    expect(reopened.status).toBe(200);
    expect(reopened.body.status).toBe('open');
    const notResolved = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/reopen`);
    expect(notResolved.status).toBe(409);
    expect(notResolved.body.error.code).toBe('not_resolved');

    // The timeline names the customer as the one who changed it.
    const agent = await h.login(h.fx.users.admin.email);
    const timeline = (await h.call(agent, 'GET', `/api/v1/tickets/${t.id}/timeline`)).body.items.filter((e: any) => e.field === 'status');
    expect(timeline.map((e: any) => [e.oldValue, e.newValue, e.actor.id])).toEqual(
      expect.arrayContaining([
        ['new', 'resolved', h.fx.users.customer.id],
        ['resolved', 'open', h.fx.users.customer.id],
      ]),
    );
  });

  it('cannot reopen a closed ticket, and only the requester may act', async () => {
    const customer = await h.login(h.fx.users.customer.email);
    const other = await h.login(h.fx.users.customer2.email);
    const admin = await h.login(h.fx.users.admin.email);
    const t = await ticket(customer);
    expect((await h.call(other, 'POST', `/api/v1/tickets/${t.id}/solve`)).status).toBe(404);
    expect((await h.call(admin, 'POST', `/api/v1/tickets/${t.id}/solve`)).status).toBe(403);
    expect((await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/solve`)).status).toBe(200);
    expect((await h.call(admin, 'POST', `/api/v1/tickets/${t.id}/status`, { status: 'closed' })).status).toBe(200);
    const closed = await h.call(customer, 'POST', `/api/v1/tickets/${t.id}/reopen`);
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('ticket_finished');
    const [row] = await h.orm.em.fork().execute<{ status: string }[]>('select status from tickets where id = ?', [t.id]);
    expect(row!.status).toBe('closed');
  });
});
