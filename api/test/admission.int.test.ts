import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Admission control: with no worker polling, every new ticket leaves a workflow task waiting in
// the queue; past the bound, creation answers 429 with Retry-After and stores nothing, and once
// a worker drains the queue tickets are accepted again.
let h: Harness;
let customer: string;

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { ADMISSION_MAX_WORKFLOW_BACKLOG: '2', ADMISSION_CHECK_MS: '50' } });
  customer = await h.login(h.fx.users.customer.email);
});
afterAll(async () => {
  await h?.close();
});

const create = (subject: string) => h.call(customer, 'POST', '/api/v1/tickets', { subject, body: '<p>Queue is busy</p>', categoryId: h.fx.categoryId });
const stored = async (subject: string) =>
  Number((await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from tickets where subject = ? and requester_id = ?', [subject, h.fx.users.customer.id]))[0]!.n);

describe('admission control', () => {
  it('refuses new tickets with 429 and Retry-After while workflows cannot start, and admits them again once they can', async () => {
    const accepted: number[] = [];
    const refused = await eventually(
      async () => {
        const subject = `Backlog ${accepted.length}`;
        const r = await create(subject);
        if (r.status === 201) {
          accepted.push(r.body.id);
          return null;
        }
        return { r, subject };
      },
      'a refusal once the queue is backed up',
      30_000,
      100,
    );
    expect(refused.r.status, JSON.stringify(refused.r.body)).toBe(429);
    expect(refused.r.body.error.code).toBe('overloaded');
    const retryAfter = Number(refused.r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // More than the bound were waiting before anything was refused; the refused one left no trace.
    expect(accepted.length).toBeGreaterThan(2);
    expect(await stored(refused.subject)).toBe(0);

    await h.startWorker();
    const again = await eventually(
      async () => {
        const r = await create('After the backlog');
        return r.status === 201 ? r : null;
      },
      'admission once the worker drained the queue',
      60_000,
      250,
    );
    expect(again.body.status).toBe('new');
    // The tickets accepted during the backlog were not lost: their workflows ran once a worker came.
    const mailed = await eventually(
      async () => {
        const rows = await h.orm.em
          .fork()
          .execute<{ ticket_id: number }[]>(`select distinct ticket_id from email_log where template = 'ticket_created' and ticket_id = any(?::int[])`, [`{${accepted.join(',')}}`]);
        return rows.length === accepted.length ? rows : null;
      },
      'the creation e-mails of the tickets accepted during the backlog',
      60_000,
      250,
    );
    expect(mailed.map((r) => r.ticket_id).sort()).toEqual([...accepted].sort());
  });
});
