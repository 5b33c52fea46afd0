import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Auto-assignment (W4): the group's strategy among agents who are active, available and under
// their capacity.

let h: Harness;
let customer: string;
const sql = (q: string, p: unknown[] = []) => h.orm.em.fork().execute(q, p);

beforeAll(async () => {
  h = await startHarness({ fixtures: { supportStrategy: 'least_open' } });
  customer = await h.login(h.fx.users.customer.email);
});
afterAll(() => h?.close());

async function create() {
  const r = await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'assign me', body: 'x', categoryId: h.fx.categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; assigneeId: number | null };
}

describe('auto-assignment', () => {
  it('least-open gives each new ticket to the agent with fewest open tickets', async () => {
    const { agent1, agent2 } = h.fx.users;
    const picks = [];
    for (let i = 0; i < 6; i++) picks.push((await create()).assigneeId);
    expect(picks.filter((p) => p === agent1.id)).toHaveLength(3);
    expect(picks.filter((p) => p === agent2.id)).toHaveLength(3);
  });

  it('least-open stays balanced when tickets arrive at the same instant (the choice and the insert are one statement)', async () => {
    const { agent1, agent2 } = h.fx.users;
    const open = async (id: number) =>
      Number((await sql(`select count(*) as n from tickets where assignee_id = ? and status in ('new', 'open', 'pending', 'on_hold') and deleted_at is null`, [id]))[0]!.n);
    const before = [await open(agent1.id), await open(agent2.id)];
    const picks = (await Promise.all(Array.from({ length: 12 }, () => create()))).map((t) => t.assigneeId);
    expect(picks.every((p) => p === agent1.id || p === agent2.id)).toBe(true);
    const after = [await open(agent1.id), await open(agent2.id)];
    // Each new ticket went to whoever had fewer at that instant: the gap cannot have grown.
    expect(Math.abs(after[0]! - after[1]!)).toBeLessThanOrEqual(Math.max(1, Math.abs(before[0]! - before[1]!)));
    expect(after[0]! + after[1]! - before[0]! - before[1]!).toBe(12);
  });

  it('skips agents marked unavailable or inactive', async () => {
    const { agent1, agent2 } = h.fx.users;
    await sql('update users set available = false where id = ?', [agent1.id]);
    try {
      for (let i = 0; i < 3; i++) expect((await create()).assigneeId).toBe(agent2.id);
      await sql('update users set active = false where id = ?', [agent2.id]);
      expect((await create()).assigneeId).toBeNull(); // nobody eligible: left unassigned
    } finally {
      await sql('update users set available = true, active = true where id in (?, ?)', [agent1.id, agent2.id]);
    }
  });

  it('honours capacity', async () => {
    const { agent1, agent2 } = h.fx.users;
    const [{ n }] = (await sql(`select count(*)::int as n from tickets where assignee_id = ? and status in ('new','open','pending','on_hold')`, [agent1.id])) as [{ n: number }];
    await sql('update users set capacity = ? where id = ?', [n, agent1.id]); // agent1 is full
    try {
      for (let i = 0; i < 4; i++) expect((await create()).assigneeId).toBe(agent2.id);
    } finally {
      await sql('update users set capacity = null where id = ?', [agent1.id]);
    }
  });

  it('round-robin walks the ring in id order', async () => {
    await sql(`update groups set strategy = 'round_robin' where id = ?`, [h.fx.groups.support]);
    const picks = [];
    for (let i = 0; i < 4; i++) picks.push((await create()).assigneeId);
    expect(picks[0]).not.toBe(picks[1]);
    expect(picks[0]).toBe(picks[2]);
    expect(picks[1]).toBe(picks[3]);
  });

  it('manual groups leave tickets unassigned', async () => {
    await sql(`update groups set strategy = 'manual' where id = ?`, [h.fx.groups.support]);
    expect((await create()).assigneeId).toBeNull();
  });
});
