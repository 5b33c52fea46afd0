import { performance } from 'node:perf_hooks';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { createPostgresBackend, requestRebuild, runRebuild, type SearchBackend } from '@mehrdesk/search';
import { REBUILD_PAGE, REBUILD_WORKERS } from '@mehrdesk/search/rebuild';
import type { CpuMonitor, CpuUsage } from '../lib/cpu';

// The full reindex as `POST /search/reindex` and `./mehrdesk reindex` run it (requestRebuild +
// runRebuild, in process), timed two ways:
//  - wall clock per stage of the rebuild (setup, fill, seal, finish), from the backend calls
//    that start and end them; the fill stage has several workers writing pages at once;
//  - every SQL statement the rebuild and the backend send, timed by kind in the client (an ORM
//    whose entity managers, forks and transactions time `execute`). With concurrent workers
//    these are connection-seconds: they add up to more than the wall time they overlap in.
// Node's share of the fill stage is the event loop's busy time (performance.eventLoopUtilization):
// turning rows into documents (normalisation), documents into JSON, and the driver's parsing.

export interface ReindexPhase {
  phase: string;
  seconds: number;
  calls: number;
}

export interface ReindexStage {
  stage: 'setup' | 'fill' | 'seal' | 'finish';
  seconds: number;
}

export interface ReindexIndexSize {
  /** Index name without the rebuild's table prefix: `tsv`, `internal_tsv`, `requester`, `pkey`, … */
  suffix: string;
  name: string;
  bytes: number;
  definition: string;
}

export interface ReindexResult {
  seconds: number;
  documents: number;
  byKind: Record<string, number>;
  /** Pages in flight at once during the fill stage, and documents per page (search/src/rebuild.ts). */
  workers: number;
  pageSize: number;
  stages: ReindexStage[];
  /** Statement time by kind, summed over connections (connection-seconds). */
  phases: ReindexPhase[];
  /** The fill stage: Node's event loop busy time, and the part of it spent building the INSERTs' JSON. */
  fill: { nodeBusySeconds: number; jsonSeconds: number; pages: number };
  /** CPU per process group in the fill and seal stages (when a monitor was given). */
  cpu: { fill: CpuUsage | null; seal: CpuUsage | null };
  /** Bytes of JSON sent to PostgreSQL by the INSERTs. */
  jsonBytes: number;
  size: {
    statsBytes: number | null;
    /** search_documents: heap, TOAST (with its index), and each index. */
    docsHeap: number;
    docsToast: number;
    docsIndexes: ReindexIndexSize[];
    /** search_texts: heap, TOAST, primary key. */
    textsHeap: number;
    textsToast: number;
    textsIndexes: number;
    termsTable: number;
    termsTrgm: number;
    terms: number;
    total: number;
  };
  /** to_tsvector alone over a sample of the ticket texts (from search_texts), extrapolated to all tickets. */
  toTsvectorEstimateSeconds: number;
  /** title + body + internal bytes in search_texts. */
  textBytes: number;
  /** Stored size of the two tsvector columns (pg_column_size). */
  tsvectorBytes: number;
}

export const INSERT_PHASE = 'INSERT … json_to_recordset → search_documents + search_texts (JSON parse, to_tsvector, heap + TOAST)';

const PHASES: Array<[RegExp, string]> = [
  [/jsonb?_to_recordset[\s\S]*insert into search_documents_r\d+[\s\S]*insert into search_texts_r\d+/i, INSERT_PHASE],
  [/using gin \(tsv\)/i, 'seal: GIN index on tsv'],
  [/using gin \(internal_tsv\)/i, 'seal: GIN index on internal_tsv (partial)'],
  [/^\s*create index \S+ on \S+ using btree/i, 'seal: B-tree indexes requester / assignee / group (partial)'],
  [/^\s*analyze/i, 'seal: ANALYZE'],
  [/ts_stat/, 'seal: ts_stat → search_terms (typo word list)'],
  [/from tickets t\b/, 'load: ticket documents (SQL: tickets + messages string_agg)'],
  [/from users u\b|from kb_article_translations tr\b/, 'load: customer and article documents (SQL)'],
];

function classify(sql: string): string {
  for (const [re, name] of PHASES) if (re.test(sql)) return name;
  return 'other statements (bookkeeping, create tables, progress, swap)';
}

/**
 * An ORM whose entity managers (and their forks and transactions) time every statement into
 * `timings`: those run by `execute`, and those run with bound parameters (executeBound, through
 * the connection's query executor).
 */
function timedOrm(orm: MikroORM, timings: Map<string, ReindexPhase>, onJson: (bytes: number) => void): MikroORM {
  const timed = async <T>(sql: string, params: readonly unknown[] | undefined, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      const phase = classify(sql);
      const t = timings.get(phase) ?? { phase, seconds: 0, calls: 0 };
      t.seconds += (performance.now() - started) / 1000;
      t.calls++;
      timings.set(phase, t);
      if (phase === INSERT_PHASE) onJson(typeof params?.[0] === 'string' ? Buffer.byteLength(params[0]) : 0);
    }
  };
  type Executor = { executeQuery(q: { sql: string; parameters: readonly unknown[] }): Promise<unknown> };
  const wrapExecutor = <E extends object>(executor: E): E =>
    new Proxy(executor, {
      get(target, prop, receiver) {
        if (prop === 'executeQuery') return (q: { sql: string; parameters: readonly unknown[] }) => timed(q.sql, q.parameters, () => (target as unknown as Executor).executeQuery(q));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const wrapEm = (em: EntityManager): EntityManager =>
    new Proxy(em, {
      get(target, prop, receiver) {
        if (prop === 'execute') return (sql: string, params?: unknown[]) => timed(sql, params, () => target.execute(sql, params as never));
        if (prop === 'getConnection') {
          const connection = target.getConnection();
          return () => new Proxy(connection, { get: (c, p, r) => (p === 'getClient' ? () => wrapExecutor(c.getClient()) : Reflect.get(c, p, r)) });
        }
        if (prop === 'getTransactionContext')
          return () => {
            const ctx = target.getTransactionContext();
            return ctx ? wrapExecutor(ctx) : ctx;
          };
        if (prop === 'fork') return (...args: unknown[]) => wrapEm((target.fork as (...a: unknown[]) => EntityManager)(...args));
        if (prop === 'transactional')
          return (cb: (tx: EntityManager) => Promise<unknown>, opts?: unknown) =>
            (target.transactional as (f: (tx: EntityManager) => Promise<unknown>, o?: unknown) => Promise<unknown>)((tx) => cb(wrapEm(tx)), opts);
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const em = wrapEm(orm.em as EntityManager);
  return new Proxy(orm, { get: (target, prop, receiver) => (prop === 'em' ? em : Reflect.get(target, prop, receiver)) });
}

export async function measureReindex(orm: MikroORM, log: (m: string) => void, monitor?: CpuMonitor): Promise<ReindexResult> {
  const timings = new Map<string, ReindexPhase>();
  let jsonBytes = 0;
  const torm = timedOrm(orm, timings, (b) => (jsonBytes += b));
  const backend: SearchBackend = createPostgresBackend(torm);
  // Stage boundaries from the backend calls that open and close them.
  const marks: Partial<Record<'targetCreated' | 'sealStart' | 'sealEnd', number>> = {};
  const cpuMarks: Partial<Record<'fill' | 'seal' | 'end', ReturnType<CpuMonitor['snapshot']>>> = {};
  let elu: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let fillElu: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let jsonSeconds = 0;
  let pages = 0;
  const timedBackend: SearchBackend = {
    ...backend,
    createRebuildTarget: async (id) => {
      const target = await backend.createRebuildTarget(id);
      marks.targetCreated = performance.now();
      elu = performance.eventLoopUtilization();
      cpuMarks.fill = monitor?.snapshot();
      return target;
    },
    // The synchronous part of write() (up to its first await) is building the JSON: toRecord and
    // JSON.stringify of the page; the rest is the statement.
    write: async (docs, removed, target) => {
      const started = performance.now();
      const pending = backend.write(docs, removed, target);
      if (marks.sealStart === undefined) {
        jsonSeconds += (performance.now() - started) / 1000;
        pages++;
      }
      return pending;
    },
    seal: async (target) => {
      marks.sealStart = performance.now();
      if (elu) fillElu = performance.eventLoopUtilization(elu);
      cpuMarks.seal = monitor?.snapshot();
      try {
        return await backend.seal(target);
      } finally {
        marks.sealEnd = performance.now();
        cpuMarks.end = monitor?.snapshot();
      }
    },
  };
  const started = performance.now();
  const status = await requestRebuild(torm, timedBackend, null);
  let lastLog = 0;
  const done = await runRebuild(torm, timedBackend, status.id, (p) => {
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`  reindex: ${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} documents (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  });
  const ended = performance.now();
  const seconds = (ended - started) / 1000;
  const at = (m: number | undefined) => m ?? ended;
  const stages: ReindexStage[] = [
    { stage: 'setup', seconds: (at(marks.targetCreated) - started) / 1000 },
    { stage: 'fill', seconds: (at(marks.sealStart) - at(marks.targetCreated)) / 1000 },
    { stage: 'seal', seconds: (at(marks.sealEnd) - at(marks.sealStart)) / 1000 },
    { stage: 'finish', seconds: (ended - at(marks.sealEnd)) / 1000 },
  ];
  const phases = [...timings.values()].sort((a, b) => b.seconds - a.seconds);
  const cpuOf = (a?: ReturnType<CpuMonitor['snapshot']>, b?: ReturnType<CpuMonitor['snapshot']>) => (monitor && a && b ? monitor.usage(a, b) : null);

  const db = orm.em.fork();
  const byKind = Object.fromEntries((await db.execute<{ kind: string; n: number }[]>(`select kind, count(*)::int as n from search_documents group by kind order by kind`)).map((r) => [r.kind, r.n]));
  const [s] = await db.execute<Record<string, string>[]>(
    `select pg_relation_size('search_documents') as docs_heap,
            coalesce((select pg_total_relation_size(nullif(reltoastrelid, 0)) from pg_class where oid = 'search_documents'::regclass), 0) as docs_toast,
            pg_relation_size('search_texts') as texts_heap,
            coalesce((select pg_total_relation_size(nullif(reltoastrelid, 0)) from pg_class where oid = 'search_texts'::regclass), 0) as texts_toast,
            pg_indexes_size('search_texts') as texts_indexes,
            pg_relation_size('search_terms') as terms_table, pg_relation_size('search_terms_trgm') as terms_trgm, (select count(*) from search_terms) as terms,
            pg_total_relation_size('search_documents') + pg_total_relation_size('search_texts') + pg_total_relation_size('search_terms') as total,
            (select sum(octet_length(title) + octet_length(body) + octet_length(internal)) from search_texts) as text_bytes,
            (select sum(pg_column_size(tsv) + coalesce(pg_column_size(internal_tsv), 0)) from search_documents) as tsvector_bytes`,
  );
  const indexes = await db.execute<{ name: string; bytes: string; definition: string }[]>(
    `select i.relname as name, pg_relation_size(i.oid) as bytes, pg_get_indexdef(i.oid) as definition
       from pg_index x join pg_class i on i.oid = x.indexrelid
      where x.indrelid = 'search_documents'::regclass order by pg_relation_size(i.oid) desc`,
  );
  const stats = await backend.stats();
  // to_tsvector alone (what the INSERT computes per document), timed over a sample of the ticket
  // texts and scaled up. `joined` is not stored (it is only in the tsvector): the fields it is
  // made of that search_texts keeps (number, requester, e-mail, organisation) stand in for it.
  const sample = 5000;
  const t0 = performance.now();
  await db.execute(
    `select sum(length(setweight(to_tsvector('mehrdesk_search', t.title), 'A') || setweight(to_tsvector('mehrdesk_search', t.body), 'B') ||
                       setweight(to_tsvector('mehrdesk_search', concat_ws(' ', t.number, t.requester_name, t.email, t.organization)), 'C'))
               + coalesce(length(case when t.internal <> '' then to_tsvector('mehrdesk_search', t.internal) end), 0))
       from (select * from search_texts where kind = 'ticket' order by doc_id limit ${sample}) t`,
  );
  const sampleSeconds = (performance.now() - t0) / 1000;
  return {
    seconds,
    documents: done.done,
    byKind,
    workers: REBUILD_WORKERS,
    pageSize: REBUILD_PAGE,
    stages,
    phases,
    fill: { nodeBusySeconds: fillElu ? fillElu.active / 1000 : NaN, jsonSeconds, pages },
    cpu: { fill: cpuOf(cpuMarks.fill, cpuMarks.seal), seal: cpuOf(cpuMarks.seal, cpuMarks.end) },
    jsonBytes,
    size: {
      statsBytes: stats.bytes,
      docsHeap: Number(s!.docs_heap),
      docsToast: Number(s!.docs_toast),
      docsIndexes: indexes.map((ix) => ({ suffix: ix.name.replace(/^search_documents(_r\d+)?_?/, '') || ix.name, name: ix.name, bytes: Number(ix.bytes), definition: ix.definition })),
      textsHeap: Number(s!.texts_heap),
      textsToast: Number(s!.texts_toast),
      textsIndexes: Number(s!.texts_indexes),
      termsTable: Number(s!.terms_table),
      termsTrgm: Number(s!.terms_trgm),
      terms: Number(s!.terms),
      total: Number(s!.total),
    },
    toTsvectorEstimateSeconds: (sampleSeconds * (byKind.ticket ?? 0)) / Math.max(1, Math.min(sample, byKind.ticket ?? 0)),
    textBytes: Number(s!.text_bytes),
    tsvectorBytes: Number(s!.tsvector_bytes),
  };
}
