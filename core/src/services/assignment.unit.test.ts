import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPEN_STATUSES } from '../domain';

// Auto-assignment counts open tickets through a partial index; PostgreSQL uses it only while the
// query's status list implies the index's predicate, so the migration must list OPEN_STATUSES.
describe('the open-tickets-per-assignee index', () => {
  it('covers exactly the open statuses', () => {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../db/migrations');
    const sql = fs.readFileSync(path.join(dir, 'Migration20261204000000_TicketPathSpeed.ts'), 'utf8');
    const predicate = /create index "tickets_open_assignee_index"[^;]*"status" in \(([^)]*)\)/.exec(sql);
    expect(predicate).not.toBeNull();
    const listed = predicate![1]!.split(',').map((s) => s.trim().replace(/^'|'$/g, ''));
    expect([...listed].sort()).toEqual([...OPEN_STATUSES].sort());
  });
});
