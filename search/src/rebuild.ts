import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { DocKey, SearchBackend } from './contract';
import { documentIds, loadDocuments } from './documents';
import { DRAIN_LOCK } from './outbox';

// Rebuilding every index from PostgreSQL without downtime: a new index is filled page by page
// while the live one keeps answering and the outbox drain writes every change to both; then,
// holding the drain lock, the documents changed meanwhile are written again as they are now,
// and the new index replaces the old one.

export const REBUILD_PAGE = 500;
/** Pages in flight at once (a connection each). */
export const REBUILD_WORKERS = 3;

const chunk = <T>(xs: T[], size: number): T[][] => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

export interface RebuildStatus {
  id: number;
  backend: string;
  status: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

interface StatusRow {
  id: number;
  backend: string;
  status: RebuildStatus['status'];
  total: number;
  done: number;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

const toStatus = (r: StatusRow): RebuildStatus => ({
  id: r.id,
  backend: r.backend,
  status: r.status,
  total: r.total,
  done: r.done,
  error: r.error,
  startedAt: new Date(r.started_at).toISOString(),
  finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
});

export async function rebuildStatus(em: EntityManager, id: number): Promise<RebuildStatus | null> {
  const [row] = await em.execute<StatusRow[]>('select * from search_rebuilds where id = ?', [id]);
  return row ? toStatus(row) : null;
}

export class RebuildAlreadyRunning extends Error {
  constructor(readonly running: RebuildStatus) {
    super(`Rebuild ${running.id} is already running`);
  }
}

/**
 * Register a rebuild (one per backend at a time: RebuildAlreadyRunning otherwise). A rebuild
 * left `running` by a process that died is taken over after `staleAfterMs` without progress.
 */
export async function requestRebuild(orm: MikroORM, backend: SearchBackend, requestedBy: number | null, staleAfterMs = 120_000): Promise<RebuildStatus> {
  const em = orm.em.fork();
  const [running] = await em.execute<(StatusRow & { age_ms: number })[]>(
    `select *, extract(epoch from now() - coalesce(finished_at, started_at)) * 1000 as age_ms from search_rebuilds where backend = ? and status = 'running'`,
    [backend.name],
  );
  if (running) {
    if (Number(running.age_ms) < staleAfterMs) throw new RebuildAlreadyRunning(toStatus(running));
    await em.execute(`update search_rebuilds set status = 'failed', error = 'abandoned', finished_at = now() where id = ?`, [running.id]);
  }
  try {
    const [row] = await em.execute<StatusRow[]>(`insert into search_rebuilds (backend, requested_by) values (?, ?) returning *`, [backend.name, requestedBy]);
    return toStatus(row!);
  } catch (err) {
    const [other] = await em.execute<StatusRow[]>(`select * from search_rebuilds where backend = ? and status = 'running'`, [backend.name]);
    if (other) throw new RebuildAlreadyRunning(toStatus(other));
    throw err;
  }
}

/** Run a registered rebuild to the end; `onProgress` sees every page. Marks it failed on error. */
export async function runRebuild(orm: MikroORM, backend: SearchBackend, id: number, onProgress?: (s: { done: number; total: number }) => void): Promise<RebuildStatus> {
  const em = orm.em.fork();
  const target = await backend.createRebuildTarget(id);
  try {
    // From here on the drain writes every change to the new index as well; only then are the
    // documents to copy listed, so one created meanwhile is in one or the other.
    await em.execute('update search_rebuilds set target = ? where id = ?', [target.name, id]);
    const all = await documentIds(em);
    const total = all.reduce((n, k) => n + k.ids.length, 0);
    await em.execute('update search_rebuilds set total = ? where id = ?', [total, id]);
    let done = 0;
    // Pages are loaded and written by a few workers at once: PostgreSQL parses and indexes one
    // page on each connection while Node normalises the next.
    const pages = all.flatMap(({ kind, ids }) => chunk(ids, REBUILD_PAGE).map((page) => page.map((docId) => ({ kind, id: docId }))));
    let next = 0;
    const work = async () => {
      for (let i = next++; i < pages.length; i = next++) {
        // A document gone since the ids were read is left out; the drain removes it from both.
        const { docs } = await loadDocuments(orm.em.fork(), pages[i]!);
        await backend.write(docs, [], target);
        done += docs.length;
        // `finished_at` doubles as the heartbeat a takeover looks at while running.
        await orm.em.fork().execute('update search_rebuilds set done = greatest(done, ?), finished_at = now() where id = ?', [done, id]);
        onProgress?.({ done, total });
      }
    };
    await Promise.all(Array.from({ length: REBUILD_WORKERS }, work));
    await backend.seal(target);
    await orm.em.fork().transactional(async (tx) => {
      await tx.execute('select pg_advisory_xact_lock(?)', [DRAIN_LOCK]);
      const dirty = await tx.execute<{ kind: DocKey['kind']; doc_id: number }[]>('select kind, doc_id from search_rebuild_dirty where rebuild_id = ?', [id]);
      for (let i = 0; i < dirty.length; i += REBUILD_PAGE) {
        const keys = dirty.slice(i, i + REBUILD_PAGE).map((d) => ({ kind: d.kind, id: d.doc_id }));
        const { docs, removed } = await loadDocuments(tx, keys);
        await backend.write(docs, removed, target);
      }
      await backend.swap(target);
      await tx.execute(`update search_rebuilds set status = 'done', done = ?, finished_at = now() where id = ?`, [done, id]);
      await tx.execute('delete from search_rebuild_dirty where rebuild_id = ?', [id]);
    });
  } catch (err) {
    await backend.dropRebuildTarget(target).catch(() => undefined);
    await em.execute(`update search_rebuilds set status = 'failed', error = ?, finished_at = now() where id = ?`, [String(err instanceof Error ? err.message : err).slice(0, 2000), id]);
    throw err;
  }
  return (await rebuildStatus(em, id))!;
}
