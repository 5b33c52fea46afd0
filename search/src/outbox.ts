import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import type { DocKey, DocKind, SearchBackend } from './contract';
import { loadDocuments } from './documents';

// Draining the search outbox. Triggers (migration Search) add a row for every write that
// changes a searchable document, in that write's transaction; a drain reads a batch, loads the
// documents as they are now, writes them to the index (and to a running rebuild's index), and
// only then deletes the rows. A crash anywhere before the commit leaves the rows for the next
// drain, and writing a document twice is harmless, so no change is ever lost.

export const OUTBOX_CHANNEL = 'search_outbox';
/** One drain at a time across every worker replica: a rebuild's catch-up takes it too. */
export const DRAIN_LOCK = 7_297_001;
export const DEFAULT_DRAIN_BATCH = 500;

interface OutboxRow {
  id: string;
  kind: DocKind;
  doc_id: number;
}

export interface RunningRebuild {
  id: number;
  target: string;
}

export async function runningRebuild(em: EntityManager, backend: SearchBackend): Promise<RunningRebuild | null> {
  const [row] = await em.execute<{ id: number; target: string | null }[]>(`select id, target from search_rebuilds where backend = ? and status = 'running' and target is not null`, [backend.name]);
  return row?.target ? { id: row.id, target: row.target } : null;
}

/**
 * Drain one batch. Returns how many outbox rows it consumed (0: nothing was pending, or another
 * drain holds the lock and will see these rows itself).
 */
export async function drainOnce(orm: MikroORM, backend: SearchBackend, batch = DEFAULT_DRAIN_BATCH): Promise<number> {
  return orm.em.fork().transactional(async (tx) => {
    const [lock] = await tx.execute<{ ok: boolean }[]>('select pg_try_advisory_xact_lock(?) as ok', [DRAIN_LOCK]);
    if (!lock?.ok) return 0;
    const rows = await tx.execute<OutboxRow[]>('select id, kind, doc_id from search_outbox order by id limit ?', [batch]);
    if (rows.length === 0) return 0;
    const unique = new Map<string, DocKey>(rows.map((r) => [`${r.kind}:${r.doc_id}`, { kind: r.kind, id: r.doc_id }]));
    const keys = [...unique.values()];
    const { docs, removed } = await loadDocuments(tx, keys);
    await backend.write(docs, removed);
    const rebuild = await runningRebuild(tx, backend);
    if (rebuild) {
      await backend.write(docs, removed, { name: rebuild.target });
      // The rebuild may have read these before this change: it rewrites them before its swap.
      await tx.execute(`insert into search_rebuild_dirty (rebuild_id, kind, doc_id) select ?, * from unnest(?::text[], ?::int[]) on conflict do nothing`, [
        rebuild.id,
        pgArray(keys.map((k) => k.kind)),
        pgArray(keys.map((k) => k.id)),
      ]);
    }
    await tx.execute('delete from search_outbox where id = any(?::bigint[])', [pgArray(rows.map((r) => r.id))]);
    return rows.length;
  });
}

/** Drain until the outbox is empty (or another drainer has it). */
export async function drainAll(orm: MikroORM, backend: SearchBackend, batch = DEFAULT_DRAIN_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await drainOnce(orm, backend, batch);
    total += n;
    if (n < batch) return total;
  }
}

export async function pendingChanges(em: EntityManager): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>('select count(*) as n from search_outbox');
  return Number(row?.n ?? 0);
}
