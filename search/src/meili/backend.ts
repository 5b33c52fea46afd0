import { Meilisearch, MeilisearchApiError, type EnqueuedTask, type EnqueuedTaskPromise, type Index, type Task } from 'meilisearch';
import type { DocKey, RebuildTarget, SearchBackend, SearchDocument, SearchRequest, SearchResult, SearchViewer } from '../contract';
import { docKey, emptyFacets, toFacetCounts, toHit, toMeiliDocument, type MeiliDocument, type MeiliHit } from './mapping';
import { queryText, searchParams, ticketIdParams } from './request';
import { INDEX_SETTINGS, isRebuildIndexName, liveIndexName, MAX_TOTAL_HITS, PRIMARY_KEY, rebuildIndexName } from './settings';

// The Meilisearch backend: one index for every kind of document (`kind` attribute, primary key
// `${kind}-${id}`), visibility and filters as a Meilisearch filter in every request, snippets
// marked with the control characters of highlight.ts and only then turned into safe HTML.
//
// Meilisearch cannot write conditionally, so "a later read wins" rests on the callers: the
// outbox drain holds one lock for all writes, and a rebuild rewrites what changed under it
// (rebuild.ts). Every write waits for its tasks and throws when one failed or took too long,
// so the drain keeps its outbox rows and tries again.

export interface MeiliBackendOptions {
  host: string;
  apiKey: string;
  indexPrefix: string;
  /** How long a write waits for its tasks (ms). */
  writeTimeoutMs?: number;
  /** How long settings, index creation, swap and deletion may take (ms): settings can reindex everything. */
  adminTimeoutMs?: number;
  /** HTTP request timeout (ms). */
  requestTimeoutMs?: number;
}

const DEFAULT_WRITE_TIMEOUT = 30_000;
const DEFAULT_ADMIN_TIMEOUT = 600_000;
/** Generous: a rebuild page of long threads is a large request body. */
const DEFAULT_REQUEST_TIMEOUT = 30_000;

const errorCode = (err: unknown) => (err instanceof MeilisearchApiError ? err.cause?.code : undefined);

export class MeiliTaskError extends Error {
  constructor(readonly task: Task) {
    super(`Meilisearch task ${task.uid} (${task.type}${task.indexUid ? ` on ${task.indexUid}` : ''}) ${task.status}${task.error ? `: ${task.error.code}: ${task.error.message}` : ''}`);
  }
}

/** Pages answer `totalHits` (exact); offset/limit answer `estimatedTotalHits`. */
function totalOf(res: { hits: unknown[] }): number {
  const r = res as { hits: unknown[]; totalHits?: number; estimatedTotalHits?: number };
  return r.totalHits ?? r.estimatedTotalHits ?? r.hits.length;
}

export function createMeiliBackend(opts: MeiliBackendOptions): SearchBackend {
  const client = new Meilisearch({ host: opts.host, apiKey: opts.apiKey, timeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT });
  const live = liveIndexName(opts.indexPrefix);
  const writeTimeout = opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT;
  const adminTimeout = opts.adminTimeoutMs ?? DEFAULT_ADMIN_TIMEOUT;
  const index = (name: string): Index<MeiliDocument> => client.index<MeiliDocument>(name);

  /** Wait for a task; a task that did not succeed is an error, except the codes the caller expects. */
  async function settle(enqueued: EnqueuedTaskPromise | EnqueuedTask, timeout: number, accept: readonly string[] = []): Promise<Task> {
    const task = await client.tasks.waitForTask(await enqueued, { timeout });
    if (task.status === 'succeeded' || (task.error && accept.includes(task.error.code))) return task;
    throw new MeiliTaskError(task);
  }

  async function createIfMissing(name: string) {
    try {
      await client.getRawIndex(name);
      return;
    } catch (err) {
      if (errorCode(err) !== 'index_not_found') throw err;
    }
    // Another process may create it in between: that is as good.
    await settle(client.createIndex(name, { primaryKey: PRIMARY_KEY }), adminTimeout, ['index_already_exists']);
  }

  async function ensureIndex(name: string) {
    await createIfMissing(name);
    await settle(index(name).updateSettings(INDEX_SETTINGS), adminTimeout);
  }

  async function dropIndex(name: string) {
    try {
      await settle(client.deleteIndex(name), adminTimeout, ['index_not_found']);
    } catch (err) {
      if (errorCode(err) !== 'index_not_found') throw err;
    }
  }

  function targetName(target: RebuildTarget): string {
    if (!isRebuildIndexName(opts.indexPrefix, target.name)) throw new Error(`Not a rebuild index of ${live}: ${target.name}`);
    return target.name;
  }

  return {
    name: 'meilisearch',

    async prepare() {
      await ensureIndex(live);
    },

    async search(request: SearchRequest, viewer: SearchViewer): Promise<SearchResult> {
      const q = queryText(request.q);
      if (q === null) return { backend: 'meilisearch', total: 0, exhaustive: true, hits: [], facets: request.facets === false ? null : emptyFacets() };
      const res = await index(live).search<MeiliHit>(q, searchParams(request, viewer));
      return {
        backend: 'meilisearch',
        total: Math.min(totalOf(res), MAX_TOTAL_HITS),
        // Meilisearch stops counting at maxTotalHits: reaching it means there may be more.
        exhaustive: totalOf(res) < MAX_TOTAL_HITS,
        hits: res.hits.map(toHit),
        facets: request.facets === false ? null : toFacetCounts(res.facetDistribution),
      };
    },

    async matchingTicketIds(text, viewer, cap, filters) {
      const q = queryText(text);
      if (q === null || cap <= 0) return [];
      const res = await index(live).search<{ id: number }>(q, ticketIdParams(viewer, cap, filters));
      return res.hits.map((h) => h.id);
    },

    async write(docs: SearchDocument[], removed: DocKey[], target?: RebuildTarget) {
      const name = target ? targetName(target) : live;
      // Adding documents would create a missing index without its settings: a rebuild index
      // that was dropped meanwhile is an error here, not a fresh empty index.
      if (target) await client.getRawIndex(name);
      // Tasks of one index run in the order they were enqueued: each request waits for the previous one's answer.
      const tasks: EnqueuedTask[] = [];
      if (removed.length) tasks.push(await index(name).deleteDocuments(removed.map(docKey)));
      if (docs.length) tasks.push(await index(name).addDocuments(docs.map(toMeiliDocument), { primaryKey: PRIMARY_KEY }));
      for (const task of tasks) await settle(task, writeTimeout);
    },

    async createRebuildTarget(id: number) {
      const name = rebuildIndexName(opts.indexPrefix, id);
      await dropIndex(name);
      // Settings first: documents are then indexed once, the way they will be searched.
      await ensureIndex(name);
      return { name };
    },

    async seal(target: RebuildTarget) {
      // Every write waited for its task; settings again in case they changed since the target was made.
      await settle(index(targetName(target)).updateSettings(INDEX_SETTINGS), adminTimeout);
    },

    async swap(target: RebuildTarget) {
      const name = targetName(target);
      // Swapping needs both indexes; the settings travel with the target's documents.
      await createIfMissing(live);
      await settle(client.swapIndexes([{ indexes: [live, name], rename: false }]), adminTimeout);
      // After the swap the target's name holds the old documents.
      await dropIndex(name);
    },

    async dropRebuildTarget(target: RebuildTarget) {
      await dropIndex(targetName(target));
    },

    async stats() {
      const stats = await client.getStats();
      const own = stats.indexes[live];
      const size = own?.indexSize;
      return { documents: own?.numberOfDocuments ?? 0, bytes: typeof size === 'number' ? size : stats.databaseSize };
    },

    async peek(key: DocKey) {
      try {
        const doc = await index(live).getDocument<Pick<MeiliDocument, 'version' | 'title'>>(docKey(key), { fields: ['version', 'title'] });
        return { version: Number(doc.version), title: doc.title };
      } catch (err) {
        const code = errorCode(err);
        if (code === 'document_not_found' || code === 'index_not_found') return null;
        throw err;
      }
    },

    async close() {
      // The client holds no connections of its own (fetch); nothing to release.
    },
  };
}
