import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ROLES, canSeeTicket, ticketScopeSql, type TicketScope, type Viewer } from '@mehrdesk/core/domain';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Row-level visibility has two forms: canSeeTicket (single tickets, live events) and its SQL
// form ticketScopeSql (the ticket list, search). On real PostgreSQL, for random rows and
// viewers, the SQL condition selects exactly the rows canSeeTicket lets the viewer see.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(() => h?.close());

const id = fc.integer({ min: 1, max: 6 });
const row = fc.record({ requesterId: id, groupId: fc.option(id, { nil: null }), assigneeId: fc.option(id, { nil: null }) });
const viewer = fc.record({ id, role: fc.constantFrom(...ROLES), groupIds: fc.uniqueArray(id, { maxLength: 4 }) });

describe('ticket visibility', () => {
  it('the SQL form selects exactly what canSeeTicket allows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 25 }), viewer, async (rows: TicketScope[], v: Viewer) => {
        const values = rows.map((_, i) => `(${i}, ?::int, ?::int, ?::int)`).join(', ');
        const params = rows.flatMap((r) => [r.requesterId, r.groupId, r.assigneeId]);
        const scope = ticketScopeSql(v, 't');
        const selected = await h.orm.em
          .fork()
          .execute<{ i: number }[]>(`select i from (values ${values}) as t(i, requester_id, group_id, assignee_id) where ${scope.sql} order by i`, [...params, ...scope.params]);
        const expected = rows.flatMap((r, i) => (canSeeTicket(v, r) ? [i] : []));
        expect(selected.map((x) => x.i)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
