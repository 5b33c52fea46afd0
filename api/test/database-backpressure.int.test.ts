import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// A slow or locked database pushes back (docs/chaos.md, finding 4): the API waits for a lock at
// most API_DB_LOCK_TIMEOUT_MS, then answers 503 with Retry-After instead of queueing the request
// for as long as the lock is held; once the lock is gone, the same request succeeds.

let h: Harness;
let customer: string;

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { API_DB_LOCK_TIMEOUT_MS: '300' } });
  customer = await h.login(h.fx.users.customer.email);
});
afterAll(() => h?.close());

describe('database back-pressure', () => {
  it('a request blocked by a held lock answers 503 with Retry-After after the lock timeout, and succeeds once it is released', async () => {
    // The support group's row: auto-assignment advances its cursor, so ticket creation needs its lock.
    await h.orm.em.fork().transactional(async (tx) => {
      await tx.execute('select id from groups where id = ? for update', [h.fx.groups.support]);
      const started = performance.now();
      const blocked = await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'while locked', body: 'x', categoryId: h.fx.categoryId });
      const waited = performance.now() - started;
      expect(blocked.status, JSON.stringify(blocked.body)).toBe(503);
      expect(blocked.body.error.code).toBe('database_unavailable');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(waited).toBeLessThan(5_000);
    });
    const after = await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'after the lock', body: 'x', categoryId: h.fx.categoryId });
    expect(after.status, JSON.stringify(after.body)).toBe(201);
  });
});
