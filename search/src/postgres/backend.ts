import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import type { DocKey, FacetCounts, FacetName, RebuildTarget, SearchBackend, SearchDocument, SearchHit, SearchRequest, SearchResult, SearchViewer } from '../contract';
import { MARK_END, MARK_START } from '../highlight';
import { buildHit, emptyFacets } from '../hits';
import { isEmptyQuery, parseQuery } from '../query';
import { toTsQuery } from './tsquery';
import { filterSql, searchesInternal, viewerScope, type SqlPart } from './visibility';

// The embedded default backend: search_documents (narrow rows: the filter, facet, order and
// visibility columns, and the tsvectors out of line) with GIN indexes, search_texts for the
// snippets of the page shown, search_terms for typo tolerance, ts_rank_cd plus recency for
// order, ts_headline for snippets, and facet counts in the same statement as the hits.

const LIVE = 'search_documents';
const LIVE_TEXTS = 'search_texts';
/**
 * Ranking reads every candidate's tsvector, so it runs over the most recent matches only: a
 * word in half the corpus costs the same as a rare one. Older matches still count in `total`
 * and the facets; they rank after the pool.
 */
export const RANK_POOL = 300;
/**
 * Phrases need word positions, which only the tsvectors (stored out of line) have: a phrase is
 * checked on the most recent documents having all its words, at most this many. Its total and
 * facets count what that check found.
 */
export const PHRASE_POOL = 1000;
/** Snippets are cut from the start of long texts: ts_headline parses all it is given. */
const SNIPPET_SOURCE = 20_000;
const HEADLINE = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=24, MinWords=8, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
const TITLE_HEADLINE = `StartSel=${MARK_START}, StopSel=${MARK_END}, HighlightAll=true`;
const CONFIG = `'mehrdesk_search'`;

const RECORD_TYPES = `kind text, doc_id int, version bigint, display_title text, title text, body text, internal text, joined text, lang text,
  updated_at timestamptz, number text, requester_id int, requester_name text, assignee_id int, group_id int, category_id int, status text,
  priority text, tags text[], email text, organization text, article_id int, slug text, kb_category_id int, visibility text, public_visible boolean`;
const DOC_COLUMNS = ['kind', 'doc_id', 'version', 'lang', 'updated_at', 'requester_id', 'assignee_id', 'group_id', 'category_id', 'kb_category_id',
  'status', 'priority', 'tags', 'public_visible', 'has_internal', 'tsv', 'internal_tsv'] as const;
const TEXT_COLUMNS = ['kind', 'doc_id', 'display_title', 'title', 'body', 'internal', 'number', 'requester_name', 'email', 'organization',
  'article_id', 'slug', 'visibility'] as const;
/** The tsvectors, computed by PostgreSQL from the normalised text: the title weighs most. */
const DOC_VALUES = `x.kind, x.doc_id, x.version, x.lang, x.updated_at, x.requester_id, x.assignee_id, x.group_id, x.category_id, x.kb_category_id,
  x.status, x.priority, x.tags, x.public_visible, x.internal <> '',
  setweight(to_tsvector(${CONFIG}, x.title), 'A') || setweight(to_tsvector(${CONFIG}, x.body), 'B') || setweight(to_tsvector(${CONFIG}, x.joined), 'C'),
  case when x.internal <> '' then to_tsvector(${CONFIG}, x.internal) end`;

function toRecord(d: SearchDocument): Record<string, unknown> {
  return {
    kind: d.kind, doc_id: d.id, version: d.version, display_title: d.displayTitle, title: d.title, body: d.body, internal: d.internal, joined: d.joined,
    lang: d.lang, updated_at: d.updatedAt.toISOString(), number: d.number, requester_id: d.requesterId, requester_name: d.requesterName,
    assignee_id: d.assigneeId, group_id: d.groupId, category_id: d.categoryId, status: d.status, priority: d.priority, tags: d.tags,
    email: d.email, organization: d.organization, article_id: d.articleId, slug: d.slug, kb_category_id: d.kbCategoryId,
    visibility: d.visibility, public_visible: d.publicVisible,
  };
}

const TABLE_NAME = /^search_documents(_r\d+)?$/;
/** The documents table of the live index or of a rebuild target, and its texts table. */
function tables(target?: RebuildTarget): { docs: string; texts: string } {
  const docs = target?.name ?? LIVE;
  if (!TABLE_NAME.test(docs)) throw new Error(`Not a search table: ${docs}`);
  return { docs, texts: docs.replace(LIVE, LIVE_TEXTS) };
}

/** Words worth offering as corrections: letters only, of a length people misspell. */
const termFilter = (col: string) => `length(${col}) between 3 and 40 and ${col} !~ '[0-9_@./-]'`;

interface HitRow {
  kind: SearchHit['type'];
  doc_id: number;
  score: number;
  display_title: string;
  title_hl: string;
  body_hl: string | null;
  internal_hl: string | null;
  number: string | null;
  status: string | null;
  priority: string | null;
  group_id: number | null;
  category_id: number | null;
  assignee_id: number | null;
  requester_name: string | null;
  updated_at: string;
  email: string | null;
  organization: string | null;
  article_id: number | null;
  lang: 'en' | 'fa' | null;
  slug: string | null;
  visibility: 'public' | 'internal' | null;
  kb_category_id: number | null;
}

function toHit(r: HitRow): SearchHit {
  return buildHit({
    kind: r.kind, id: r.doc_id, score: Number(r.score), displayTitle: r.display_title, marked: { title: r.title_hl, body: r.body_hl, internal: r.internal_hl },
    number: r.number, status: r.status, priority: r.priority, groupId: r.group_id, categoryId: r.category_id, assigneeId: r.assignee_id,
    requesterName: r.requester_name, updatedAt: r.updated_at, email: r.email, organization: r.organization, articleId: r.article_id,
    lang: r.lang, slug: r.slug, visibility: r.visibility, kbCategoryId: r.kb_category_id,
  });
}

/**
 * SQL text and its parameters built together. The query is a parameter wherever it is used
 * (match, rank, snippets), never a CTE column: the planner then sees the actual tsquery,
 * estimates how many documents match, and picks the index that narrows most (a customer's own
 * tickets, say, rather than every document with a common word).
 */
class Sql {
  readonly params: unknown[] = [];
  tsq(text: string): string {
    this.params.push(text);
    return `to_tsquery(${CONFIG}, ?)`;
  }
  part(p: SqlPart): string {
    this.params.push(...p.params);
    return p.sql;
  }
  value(v: unknown): string {
    this.params.push(v);
    return '?';
  }
}

/**
 * Every facet counted in one pass over the matches (grouping sets, one hash table each), plus
 * the tags, which need their arrays unnested.
 */
const FACET_COLUMNS: Readonly<Record<Exclude<FacetName, 'tag'>, string>> = {
  type: 'kind', status: 'status', priority: 'priority', groupId: 'group_id', categoryId: 'category_id', kbCategoryId: 'kb_category_id',
};
const FACET_SQL = `(select jsonb_build_object(${Object.entries(FACET_COLUMNS)
  .map(([name, col]) => `'${name}', coalesce(jsonb_object_agg(${col}, n) filter (where g_${col} = 0 and ${col} is not null), '{}')`)
  .join(', ')},
    'tag', coalesce((select jsonb_object_agg(tag, n) from (select tag, count(*) n from matched, unnest(tags) tag group by tag order by n desc, tag limit 50) t), '{}'))
  from (select ${Object.values(FACET_COLUMNS).join(', ')}, count(*) n, ${Object.values(FACET_COLUMNS).map((c) => `grouping(${c}) as g_${c}`).join(', ')}
          from matched group by grouping sets (${Object.values(FACET_COLUMNS).map((c) => `(${c})`).join(', ')})) g)`;

export function createPostgresBackend(orm: MikroORM): SearchBackend {
  const em = () => orm.em.fork() as EntityManager;

  /**
   * The tsquery for `q` (null when nothing searchable is left); for a query with phrases also
   * `words`, the same words without the adjacency (answered by the index alone), and whether
   * internal notes count.
   */
  async function prepareQuery(db: EntityManager, text: string, viewer: SearchViewer) {
    const parsed = parseQuery(text);
    if (isEmptyQuery(parsed)) return null;
    const tsq = await toTsQuery(db, parsed);
    if (!tsq) return null;
    const words = parsed.phrases.length ? await toTsQuery(db, { ...parsed, terms: [...parsed.phrases.flat(), ...parsed.terms], phrases: [] }) : null;
    return { tsq, words, internal: searchesInternal(viewer) };
  }

  /** The match over `d`: the public text, and for staff the internal notes too. */
  const matchSql = (sql: Sql, tsq: string, internal: boolean) =>
    internal ? `(d.tsv @@ ${sql.tsq(tsq)} or (d.has_internal and d.internal_tsv @@ ${sql.tsq(tsq)}))` : `d.tsv @@ ${sql.tsq(tsq)}`;

  /**
   * Run a search statement. A common word matches most documents, and the planner then prefers
   * reading the whole table, evaluating the match on every row's out-of-line tsvector, to the
   * GIN index that answers it without them; it is told not to (nor to JIT-compile), and given
   * the memory to keep tens of thousands of matches off disk.
   */
  async function run<T extends object>(db: EntityManager, statement: string, params: unknown[]): Promise<T[]> {
    return db.transactional(async (tx) => {
      await tx.execute(`select set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true), set_config('work_mem', '32MB', true)`);
      return tx.execute<T[]>(statement, params);
    });
  }

  return {
    name: 'postgres',

    async prepare() {
      // The schema comes from the migrations: only check it is there.
      await em().execute(`select 1 from ${LIVE} d join ${LIVE_TEXTS} t using (kind, doc_id) limit 0`);
    },

    async search(request: SearchRequest, viewer: SearchViewer): Promise<SearchResult> {
      const db = em();
      const q = await prepareQuery(db, request.q, viewer);
      if (!q) return { backend: 'postgres', total: 0, hits: [], facets: request.facets === false ? null : emptyFacets() };
      const sql = new Sql();
      const columns = 'd.kind, d.doc_id, d.updated_at, d.status, d.priority, d.group_id, d.category_id, d.kb_category_id, d.tags';
      const scoped = (tsq: string) =>
        `select ${columns} from ${LIVE} d where ${matchSql(sql, tsq, q.internal)} and ${sql.part(viewerScope(viewer))} and ${sql.part(filterSql(request.filters))}`;
      const matched = q.words
        ? `select ${columns} from (${scoped(q.words)} order by d.updated_at desc, d.kind, d.doc_id limit ${PHRASE_POOL}) c
             join ${LIVE} d using (kind, doc_id) where ${matchSql(sql, q.tsq, q.internal)}`
        : scoped(q.tsq);
      const internalHit = q.internal ? `d.has_internal and d.internal_tsv @@ ${sql.tsq(q.tsq)}` : 'false';
      const internalRank = q.internal ? `case when d.has_internal then ts_rank_cd(d.internal_tsv, ${sql.tsq(q.tsq)}, 32) * 0.8 else 0 end` : '0';
      const page = `select p.kind, p.doc_id, p.updated_at, ${internalHit} as internal_hit,
               (greatest(ts_rank_cd(d.tsv, ${sql.tsq(q.tsq)}, 32), ${internalRank}) * 0.8
                 + 0.2 / (1 + extract(epoch from now() - p.updated_at) / 2592000)) as score
          from pool p join ${LIVE} d using (kind, doc_id)
         order by score desc, p.kind, p.doc_id
         limit ${sql.value(request.limit)} offset ${sql.value(request.offset)}`;
      const hits = `select p.kind, p.doc_id, p.score, p.updated_at, t.display_title, t.number, s.status, s.priority, s.group_id, s.category_id,
               s.assignee_id, t.requester_name, t.email, t.organization, t.article_id, s.lang, t.slug, t.visibility, s.kb_category_id,
               ts_headline(${CONFIG}, t.title, hq.tsq, '${TITLE_HEADLINE}') as title_hl,
               ts_headline(${CONFIG}, left(t.body, ${SNIPPET_SOURCE}), hq.tsq, '${HEADLINE}') as body_hl,
               case when p.internal_hit then ts_headline(${CONFIG}, left(t.internal, ${SNIPPET_SOURCE}), hq.tsq, '${HEADLINE}') end as internal_hl
          from page p join ${LIVE_TEXTS} t using (kind, doc_id) join ${LIVE} s using (kind, doc_id), (select ${sql.tsq(q.tsq)} as tsq) hq`;
      const statement = `
        with matched as materialized (${matched}),
        pool as (select kind, doc_id, updated_at from matched order by updated_at desc, kind, doc_id limit ${RANK_POOL}),
        page as (${page})
        select (select count(*) from matched)::int as total, ${request.facets === false ? 'null::jsonb' : FACET_SQL} as facets,
               coalesce((select jsonb_agg(h order by h.score desc, h.kind, h.doc_id) from (${hits}) h), '[]'::jsonb) as hits`;
      const [row] = await run<{ total: number; facets: FacetCounts | null; hits: HitRow[] }>(db, statement, sql.params);
      return {
        backend: 'postgres',
        total: row?.total ?? 0,
        hits: (row?.hits ?? []).map(toHit),
        facets: request.facets === false ? null : { ...emptyFacets(), ...(row?.facets ?? {}) },
      };
    },

    async matchingTicketIds(text, viewer, cap, filters) {
      const db = em();
      const q = await prepareQuery(db, text, viewer);
      if (!q) return [];
      const sql = new Sql();
      const where = `${matchSql(sql, q.tsq, q.internal)} and ${sql.part(viewerScope(viewer))} and ${sql.part(filterSql({ ...filters, types: ['ticket'] }))}`;
      const rows = await run<{ doc_id: number }>(db, `select d.doc_id from ${LIVE} d where ${where} order by d.updated_at desc, d.doc_id limit ${sql.value(cap)}`, sql.params);
      return rows.map((r) => r.doc_id);
    },

    async write(docs: SearchDocument[], removed: DocKey[], target?: RebuildTarget) {
      const { docs: docTable, texts } = tables(target);
      const db = em();
      if (removed.length) {
        const keys = [pgArray(removed.map((k) => k.kind)), pgArray(removed.map((k) => k.id))];
        await db.execute(`delete from ${texts} where (kind, doc_id) in (select * from unnest(?::text[], ?::int[]))`, keys);
        await db.execute(`delete from ${docTable} where (kind, doc_id) in (select * from unnest(?::text[], ?::int[]))`, keys);
      }
      if (docs.length === 0) return;
      const set = (cols: readonly string[]) => cols.filter((c) => c !== 'kind' && c !== 'doc_id').map((c) => `${c} = excluded.${c}`).join(', ');
      // A write based on an older read never replaces a newer one (version = read instant); the
      // texts follow the documents row that was written. The live index keeps its word list
      // current here; a rebuild fills it once, when it is sealed.
      const terms = `insert into search_terms (term)
          select distinct w from d, unnest(tsvector_to_array(d.tsv || coalesce(d.internal_tsv, ''::tsvector))) w where ${termFilter('w')}
          on conflict do nothing`;
      await db.execute(
        `with x as (select * from jsonb_to_recordset(?::jsonb) as x(${RECORD_TYPES})),
         d as (insert into ${docTable} (${DOC_COLUMNS.join(', ')}) select ${DOC_VALUES} from x
               on conflict (kind, doc_id) do update set ${set(DOC_COLUMNS)} where ${docTable}.version <= excluded.version
               returning kind, doc_id, tsv, internal_tsv),
         t as (insert into ${texts} (${TEXT_COLUMNS.join(', ')}) select ${TEXT_COLUMNS.map((c) => `x.${c}`).join(', ')} from x join d using (kind, doc_id)
               on conflict (kind, doc_id) do update set ${set(TEXT_COLUMNS)} returning 1)
         ${target ? 'select count(*) from t' : terms}`,
        [JSON.stringify(docs.map(toRecord))],
      );
    },

    async createRebuildTarget(id: number) {
      const target = { name: `${LIVE}_r${id}` };
      const { docs, texts } = tables(target);
      const db = em();
      await db.execute(`drop table if exists ${docs}, ${texts}`);
      await db.execute(`create table ${docs} (like ${LIVE} including defaults including storage, primary key (kind, doc_id)) with (toast_tuple_target = 128)`);
      await db.execute(`create table ${texts} (like ${LIVE_TEXTS} including defaults including storage, primary key (kind, doc_id))`);
      return target;
    },

    async seal(target: RebuildTarget) {
      const { docs } = tables(target);
      const db = em();
      // The live table's indexes, as the migrations made them, built once over the filled table.
      const indexes = await db.execute<{ indexname: string; indexdef: string }[]>(
        `select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = ? and indexname not like '%pkey'`,
        [LIVE],
      );
      await db.transactional(async (tx) => {
        await tx.execute(`set local maintenance_work_mem = '256MB'`);
        for (const ix of indexes) {
          const suffix = ix.indexname.replace(/^search_documents(_r\d+)?/, '');
          await tx.execute(ix.indexdef.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?(\S+\.)?\S+/, `CREATE $1INDEX ${docs}${suffix} ON ${docs}`));
        }
      });
      await db.execute(`analyze ${docs}`);
      await db.execute(
        `insert into search_terms (term)
         select word from ts_stat('select tsv || coalesce(internal_tsv, ''''::tsvector) from ${docs}') where ${termFilter('word')}
         on conflict do nothing`,
      );
    },

    async swap(target: RebuildTarget) {
      const { docs, texts } = tables(target);
      await em().transactional(async (tx) => {
        await tx.execute(`lock table ${LIVE}, ${LIVE_TEXTS} in access exclusive mode`);
        await tx.execute(`alter table ${LIVE} rename to ${docs}_old`);
        await tx.execute(`alter table ${LIVE_TEXTS} rename to ${texts}_old`);
        await tx.execute(`alter table ${docs} rename to ${LIVE}`);
        await tx.execute(`alter table ${texts} rename to ${LIVE_TEXTS}`);
        await tx.execute(`drop table ${docs}_old, ${texts}_old`);
      });
    },

    async dropRebuildTarget(target: RebuildTarget) {
      const { docs, texts } = tables(target);
      await em().execute(`drop table if exists ${docs}, ${texts}`);
    },

    async stats() {
      const [row] = await em().execute<{ documents: string; bytes: string }[]>(
        `select (select count(*) from ${LIVE}) as documents,
                pg_total_relation_size('${LIVE}') + pg_total_relation_size('${LIVE_TEXTS}') + pg_total_relation_size('search_terms') as bytes`,
      );
      return { documents: Number(row?.documents ?? 0), bytes: Number(row?.bytes ?? 0) };
    },

    async peek(key: DocKey) {
      const [row] = await em().execute<{ version: string; title: string }[]>(
        `select d.version, t.title from ${LIVE} d join ${LIVE_TEXTS} t using (kind, doc_id) where d.kind = ? and d.doc_id = ?`,
        [key.kind, key.id],
      );
      return row ? { version: Number(row.version), title: row.title } : null;
    },

    async close() {},
  };
}
