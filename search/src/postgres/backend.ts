import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { executeBound, pgArray } from '@mehrdesk/core/db';
import {
  EXHAUSTIVE_LIMIT,
  type DocKey,
  type FacetCounts,
  type FacetName,
  type RebuildTarget,
  type SearchBackend,
  type SearchDocument,
  type SearchFilters,
  type SearchHit,
  type SearchRequest,
  type SearchResult,
  type SearchViewer,
} from '../contract';
import { MARK_END, MARK_START } from '../highlight';
import { buildHit, emptyFacets } from '../hits';
import { isEmptyQuery, parseQuery } from '../query';
import { toTsQuery, type TsQuery } from './tsquery';
import { filterSql, searchesInternal, viewerScope, type SqlPart } from './visibility';
import { FILTER_COLUMNS, filterTokenGroups, tokenTsQuery, windowOf, type Window } from './tokens';

// The embedded default backend: search_documents (narrow rows: the filter, facet, order and
// visibility columns, and the tsvectors out of line) with GIN indexes, search_texts for the
// snippets of the page shown, search_terms for typo tolerance, ts_rank_cd plus recency for
// order, ts_headline for snippets, and facet counts in the same statement as the hits.

const LIVE = 'search_documents';
const LIVE_TEXTS = 'search_texts';
/** Ranking reads each candidate's tsvector (out of line): the most recent matches are ranked, the rest follow by recency. */
export const RANK_POOL = 100;
/**
 * Word positions, which phrases need, are only in the tsvectors (out of line): a phrase is
 * checked on at most this many of the most recent documents having all its words, and the
 * result is exhaustive only when there were no more.
 */
export const PHRASE_CANDIDATES = 500;
/** The newest documents (of those the viewer may see) a staff search looks at first (tokens.ts). */
export const FIRST_WINDOW = 2_500;
/**
 * Where a snippet should start: the words of the tsquery text (what was typed and the typo
 * corrections) in lower case, each also cut to its first 70 % (at least four letters), which
 * finds the other forms of a stemmed word (`printers` → `printe`, found in `printer`).
 */
export function snippetNeedles(tsq: string): string[] {
  const out = new Set<string>();
  for (const m of tsq.matchAll(/'([^']+)'/g)) {
    const word = m[1]!.toLowerCase();
    out.add(word);
    const cut = Math.max(4, Math.ceil(word.length * 0.7));
    if (cut < word.length) out.add(word.slice(0, cut));
  }
  return [...out];
}

interface PreparedQuery {
  tsq: string;
  /** For a query with phrases: the same words without adjacency, which the index answers alone. */
  words: string | null;
  /** Documents expected to match out of all (tsquery.ts), or null when unknown. */
  estimate: TsQuery['estimate'];
  internal: boolean;
}

/**
 * ts_headline parses all it is given, and the documents that match are often the long threads:
 * it gets this much text, starting a little before the first place a query word appears.
 */
const SNIPPET_SOURCE = 800;
const SNIPPET_LEAD = 200;
/** The text a snippet is cut from: around the first needle found (snippetNeedles), else the start. */
const snippetSource = (col: string) =>
  `substr(${col}, greatest(1, coalesce((select min(p) from unnest(hq.needles) n, lateral (select nullif(strpos(lower(${col}), n), 0) p) x), 1) - ${SNIPPET_LEAD}), ${SNIPPET_SOURCE})`;
const HEADLINE = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=24, MinWords=8, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
const TITLE_HEADLINE = `StartSel=${MARK_START}, StopSel=${MARK_END}, HighlightAll=true`;
const CONFIG = `'mehrdesk_search'`;

const RECORD_TYPES = `kind text, doc_id int, version bigint, display_title text, title text, body text, internal text, joined text, lang text,
  updated_at timestamptz, number text, requester_id int, requester_name text, assignee_id int, group_id int, category_id int, status text,
  priority text, tags text[], email text, organization text, article_id int, slug text, kb_category_id int, visibility text, public_visible boolean`;
const DOC_COLUMNS = [
  'kind',
  'doc_id',
  'version',
  'lang',
  'updated_at',
  'requester_id',
  'assignee_id',
  'group_id',
  'category_id',
  'kb_category_id',
  'status',
  'priority',
  'tags',
  'public_visible',
  'has_internal',
  'tsv',
  'internal_tsv',
] as const;
const TEXT_COLUMNS = ['kind', 'doc_id', 'display_title', 'title', 'body', 'internal', 'number', 'requester_name', 'email', 'organization', 'article_id', 'slug', 'visibility'] as const;
/** Window, filter and visibility tokens (tokens.ts), from the same values as the columns. */
const TOKENS = `search_tokens(x.updated_at, x.kind, x.status, x.priority, x.group_id, x.category_id, x.kb_category_id, x.assignee_id, x.requester_id, x.lang, x.public_visible)`;
/** The tsvectors, computed by PostgreSQL from the normalised text: the title weighs most. */
const DOC_VALUES = `x.kind, x.doc_id, x.version, x.lang, x.updated_at, x.requester_id, x.assignee_id, x.group_id, x.category_id, x.kb_category_id,
  x.status, x.priority, x.tags, x.public_visible, x.internal <> '',
  setweight(to_tsvector(${CONFIG}, x.title), 'A') || setweight(to_tsvector(${CONFIG}, x.body), 'B') || setweight(to_tsvector(${CONFIG}, x.joined), 'C') || ${TOKENS},
  case when x.internal <> '' then to_tsvector(${CONFIG}, x.internal) || ${TOKENS} end`;

function toRecord(d: SearchDocument): Record<string, unknown> {
  return {
    kind: d.kind,
    doc_id: d.id,
    version: d.version,
    display_title: d.displayTitle,
    title: d.title,
    body: d.body,
    internal: d.internal,
    joined: d.joined,
    lang: d.lang,
    updated_at: d.updatedAt.toISOString(),
    number: d.number,
    requester_id: d.requesterId,
    requester_name: d.requesterName,
    assignee_id: d.assigneeId,
    group_id: d.groupId,
    category_id: d.categoryId,
    status: d.status,
    priority: d.priority,
    tags: d.tags,
    email: d.email,
    organization: d.organization,
    article_id: d.articleId,
    slug: d.slug,
    kb_category_id: d.kbCategoryId,
    visibility: d.visibility,
    public_visible: d.publicVisible,
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
const termFilter = (col: string) => `length(${col}) between 3 and 40 and ${col} !~ '[0-9_@./~-]'`;

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
    kind: r.kind,
    id: r.doc_id,
    score: Number(r.score),
    displayTitle: r.display_title,
    marked: { title: r.title_hl, body: r.body_hl, internal: r.internal_hl },
    number: r.number,
    status: r.status,
    priority: r.priority,
    groupId: r.group_id,
    categoryId: r.category_id,
    assigneeId: r.assignee_id,
    requesterName: r.requester_name,
    updatedAt: r.updated_at,
    email: r.email,
    organization: r.organization,
    articleId: r.article_id,
    lang: r.lang,
    slug: r.slug,
    visibility: r.visibility,
    kbCategoryId: r.kb_category_id,
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
  type: 'kind',
  status: 'status',
  priority: 'priority',
  groupId: 'group_id',
  categoryId: 'category_id',
  kbCategoryId: 'kb_category_id',
};
const FACET_SQL = `(select jsonb_build_object(${Object.entries(FACET_COLUMNS)
  .map(([name, col]) => `'${name}', coalesce(jsonb_object_agg(${col}, n) filter (where g_${col} = 0 and ${col} is not null), '{}')`)
  .join(', ')},
    'tag', coalesce((select jsonb_object_agg(tag, n) from (select tag, count(*) n from matched, unnest(tags) tag group by tag order by n desc, tag limit 50) t), '{}'))
  from (select ${Object.values(FACET_COLUMNS).join(', ')}, count(*) n, ${Object.values(FACET_COLUMNS)
    .map((c) => `grouping(${c}) as g_${c}`)
    .join(', ')}
          from matched group by grouping sets (${Object.values(FACET_COLUMNS)
            .map((c) => `(${c})`)
            .join(', ')})) g)`;

export interface PostgresBackendOptions {
  /** Matches counted exactly (see EXHAUSTIVE_LIMIT); lower in tests, to reach the bound with a small corpus. */
  exhaustiveLimit: number;
  rankPool: number;
  firstWindow: number;
}

export function createPostgresBackend(orm: MikroORM, overrides: Partial<PostgresBackendOptions> = {}): SearchBackend {
  const options: PostgresBackendOptions = { exhaustiveLimit: EXHAUSTIVE_LIMIT, rankPool: RANK_POOL, firstWindow: FIRST_WINDOW, ...overrides };
  const em = () => orm.em.fork() as EntityManager;

  /**
   * The tsquery for `q` (null when nothing searchable is left); for a query with phrases also
   * `words`, the same words without the adjacency (answered by the index alone), and whether
   * internal notes count.
   */
  async function prepareQuery(db: EntityManager, text: string, viewer: SearchViewer): Promise<PreparedQuery | null> {
    const parsed = parseQuery(text);
    if (isEmptyQuery(parsed)) return null;
    const tsq = await toTsQuery(db, parsed);
    if (!tsq) return null;
    return { tsq: tsq.text, words: tsq.words, estimate: tsq.estimate, internal: searchesInternal(viewer) };
  }

  /**
   * The match over `d`: the words in the public text, and for staff in the internal notes too,
   * ANDed with the tokens (tokens.ts) of the viewer's scope, the filters and the window.
   */
  const matchSql = (sql: Sql, tsq: string, internal: boolean, tokens: string | null) => {
    const query = () => (tokens ? `(${sql.tsq(tsq)} && ${sql.value(tokens)}::tsquery)` : sql.tsq(tsq));
    return internal ? `(d.tsv @@ ${query()} or (d.has_internal and d.internal_tsv @@ ${query()}))` : `d.tsv @@ ${query()}`;
  };

  /**
   * Search statements run in a transaction of their own settings: a common word matches most
   * documents, and the planner would then read the whole table, checking every row's
   * out-of-line tsvector, rather than the GIN index that answers without them; nor is there
   * anything to gain from JIT-compiling a statement that runs for milliseconds.
   */
  async function inSearchTransaction<T>(db: EntityManager, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return db.transactional(async (tx) => {
      await tx.execute(`select set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true), set_config('work_mem', '32MB', true)`);
      return fn(tx as EntityManager);
    });
  }

  /**
   * The days (since 1970-01-01) of the `size`-th newest document the viewer may see, of the
   * newest and of the oldest document (index-only scans of the day index, which includes the
   * visibility columns); first is null when the viewer sees fewer.
   */
  async function windowDays(tx: EntityManager, viewer: SearchViewer, size: number): Promise<{ first: number | null; last: number; oldest: number } | null> {
    const scope = viewerScope(viewer);
    const day = `search_day(d.updated_at) - date '1970-01-01'`;
    const [row] = await tx.execute<{ first: number | null; last: number | null; oldest: number | null }[]>(
      `select (select ${day} from ${LIVE} d where ${scope.sql} order by search_day(d.updated_at) desc offset ? limit 1) as first,
              (select ${day} from ${LIVE} d order by search_day(d.updated_at) desc limit 1) as last,
              (select ${day} from ${LIVE} d order by search_day(d.updated_at) limit 1) as oldest`,
      [...scope.params, size - 1],
    );
    return row?.last != null && row.oldest != null ? { first: row.first, last: row.last, oldest: row.oldest } : null;
  }

  /**
   * How many of the newest documents should hold cap + 1 matches by the words' counts, with
   * half again as many for a margin (the blocks of the window add more); null when that is the
   * whole index (the words are rare: one pass answers).
   */
  function firstWindowSize(cap: number, estimate: PreparedQuery['estimate']): number | null {
    if (!estimate) return options.firstWindow;
    if (estimate.matches <= 2 * cap) return null;
    const size = Math.ceil((1.5 * (cap + 1) * estimate.documents) / estimate.matches);
    return size >= estimate.documents ? null : Math.max(options.firstWindow, size);
  }

  /**
   * The share of documents the filters leave, from the planner's statistics of their columns
   * (most common values; a value not among them counts as rare), as if independent.
   */
  async function filterSelectivity(tx: EntityManager, filters: SearchFilters | undefined): Promise<number> {
    const chosen = (Object.entries(FILTER_COLUMNS) as [keyof typeof FILTER_COLUMNS, string][]).filter(([field]) => filters?.[field]?.length);
    if (chosen.length === 0) return 1;
    const [row] = await tx.execute<{ share: number | null }[]>(
      `select exp(sum(ln(greatest(x.share, 0.0001)))) as share
         from (select (select coalesce(sum(m.f), 0) from unnest(s.most_common_vals::text::text[], s.most_common_freqs) as m(v, f) where m.v = any(w.vals)) as share
                 from (values ${chosen.map(() => '(?, ?::text[])').join(', ')}) as w(col, vals)
                 join pg_stats s on s.schemaname = current_schema() and s.tablename = '${LIVE}' and s.attname = w.col) x`,
      chosen.flatMap(([field, col]) => [col, pgArray((filters![field] ?? []).map(String))]),
    );
    return row?.share ?? 1;
  }

  interface Round {
    /** Candidates found (at most cap + 1). */
    n: number;
    /** Whether this round's answer stands: more than `cap` found, or no window. */
    final: boolean;
  }

  /**
   * The recency windows' loop. `statement(window)` answers from the `cap` most recent matches
   * within the window (null: the whole index); when the window held more than `cap`, they are
   * the most recent of all and the answer stands. The first window holds the newest documents
   * the viewer may see, as many as should hold enough matches by the words' counts
   * (firstWindowSize); each next one spans as many more days as the matches found say it takes
   * to find enough (at least twice as many), until it would reach the oldest document: one pass over the whole index then answers, exactly. Customers
   * and the public see few documents, so their searches take that pass at once.
   */
  async function windowed<R extends Round>(
    tx: EntityManager,
    viewer: SearchViewer,
    cap: number,
    estimate: PreparedQuery['estimate'],
    filters: SearchFilters | undefined,
    statement: (window: Window | null) => Sql & { text: string },
  ): Promise<R> {
    const staff = viewer.kind === 'staff';
    const filtered = staff && estimate ? { ...estimate, matches: estimate.matches * (await filterSelectivity(tx, filters)) } : estimate;
    const size = staff ? firstWindowSize(cap, filtered) : null;
    const days = size !== null ? await windowDays(tx, viewer, size) : null;
    let first = days?.first ?? null;
    while (days && first !== null && first > days.oldest) {
      const window = windowOf(first, days.last);
      if (!window) break;
      const s = statement(window);
      const [row] = await tx.execute<R[]>(s.text, s.params);
      if (row?.final) return row;
      const found = row?.n ?? 0;
      // No recent match at all says little about older ones: look at everything.
      if (found === 0) break;
      const span = days.last - window.from + 1;
      first = days.last - Math.ceil(span * Math.max(2, (1.5 * (cap + 1)) / found)) + 1;
    }
    const s = statement(null);
    const [row] = await tx.execute<R[]>(s.text, s.params);
    return row!;
  }

  /**
   * The common head of search statements: `cand`, the cap + 1 most recent documents matching
   * the words (for a phrase: having all its words; the index answers that alone) that the viewer
   * may see, within the window; `fin`, whether this answer stands (see windowed()); `matched`,
   * the cap most recent of them that match (phrases checked on the candidates' tsvectors).
   */
  function head(sql: Sql, q: PreparedQuery, viewer: SearchViewer, filters: SearchFilters | undefined, cap: number, window: Window | null): string {
    const columns = 'd.kind, d.doc_id, d.updated_at, d.status, d.priority, d.group_id, d.category_id, d.kb_category_id, d.tags';
    const tokens = tokenTsQuery(filterTokenGroups(viewer, filters), window);
    const cand = `select ${columns} from ${LIVE} d
       where ${matchSql(sql, q.words ?? q.tsq, q.internal, tokens)} and ${sql.part(viewerScope(viewer))} and ${sql.part(filterSql(filters))}
       order by d.updated_at desc, d.kind, d.doc_id limit ${cap + 1}`;
    const firstCap = `select * from cand order by updated_at desc, kind, doc_id limit ${cap}`;
    const matched = q.words ? `select c.* from (${firstCap}) c join ${LIVE} d using (kind, doc_id) where ${matchSql(sql, q.tsq, q.internal, null)}` : firstCap;
    return `with cand as materialized (${cand}),
      fin as materialized (select n, (n > ${cap} or ${window ? 'false' : 'true'}) as final from (select count(*)::int as n from cand) c),
      matched as materialized (${matched})`;
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
      const facets = request.facets !== false;
      if (!q) return { backend: 'postgres', total: 0, exhaustive: true, hits: [], facets: facets ? emptyFacets() : null };
      const cap = q.words ? Math.min(options.exhaustiveLimit, PHRASE_CANDIDATES) : options.exhaustiveLimit;
      const row = await inSearchTransaction(db, (tx) =>
        windowed<Round & { total: number | null; facets: FacetCounts | null; hits: HitRow[] | null }>(tx, viewer, cap, q.estimate, request.filters, (window) => {
          const sql = new Sql();
          const prefix = head(sql, q, viewer, request.filters, cap, window);
          const internalRank = q.internal ? `case when d.has_internal then ts_rank_cd(d.internal_tsv, ${sql.tsq(q.tsq)}, 32) * 0.8 else 0 end` : '0';
          // The most recent matches ranked by relevance (and a little recency), then the rest by recency.
          const ranked = `select p.kind, p.doc_id, p.updated_at,
                 (greatest(ts_rank_cd(d.tsv, ${sql.tsq(q.tsq)}, 32), ${internalRank}) * 0.8
                   + 0.2 / (1 + extract(epoch from now() - p.updated_at) / 2592000))::float8 as score
            from (select kind, doc_id, updated_at from matched order by updated_at desc, kind, doc_id limit ${options.rankPool}) p join ${LIVE} d using (kind, doc_id)`;
          const page = `select kind, doc_id, updated_at, score, row_number() over (order by score desc nulls last, updated_at desc, kind, doc_id) as ord from (
              ${ranked}
              union all
              select kind, doc_id, updated_at, null from (select kind, doc_id, updated_at from matched order by updated_at desc, kind, doc_id offset ${options.rankPool}) r) o
            order by score desc nulls last, updated_at desc, kind, doc_id
            limit ${sql.value(request.limit)} offset ${sql.value(request.offset)}`;
          const internalHit = q.internal ? `s.has_internal and s.internal_tsv @@ hq.tsq` : 'false';
          const hits = `select p.kind, p.doc_id, coalesce(p.score, 0) as score, p.updated_at, t.display_title, t.number, s.status, s.priority, s.group_id, s.category_id,
                 s.assignee_id, t.requester_name, t.email, t.organization, t.article_id, s.lang, t.slug, t.visibility, s.kb_category_id,
                 ts_headline(${CONFIG}, t.title, hq.tsq, '${TITLE_HEADLINE}') as title_hl,
                 ts_headline(${CONFIG}, ${snippetSource('t.body')}, hq.tsq, '${HEADLINE}') as body_hl,
                 case when ${internalHit} then ts_headline(${CONFIG}, ${snippetSource('t.internal')}, hq.tsq, '${HEADLINE}') end as internal_hl,
                 p.ord
            from (${page}) p
            join ${LIVE_TEXTS} t using (kind, doc_id) join ${LIVE} s using (kind, doc_id), (select ${sql.tsq(q.tsq)} as tsq, ${sql.value(pgArray(snippetNeedles(q.tsq)))}::text[] as needles) hq`;
          // Facets and hits only for the round whose answer stands (a CASE evaluates its subqueries lazily).
          const text = `${prefix}
            select f.n, f.final,
                   case when f.final then (select count(*) from matched)::int end as total,
                   case when f.final then ${facets ? FACET_SQL : 'null::jsonb'} end as facets,
                   case when f.final then coalesce((select jsonb_agg(h order by h.ord) from (${hits}) h), '[]'::jsonb) end as hits
              from fin f`;
          return Object.assign(sql, { text });
        }),
      );
      return {
        backend: 'postgres',
        total: row.total ?? 0,
        exhaustive: row.n <= cap,
        hits: (row.hits ?? []).map(toHit),
        facets: facets ? { ...emptyFacets(), ...(row.facets ?? {}) } : null,
      };
    },

    async matchingTicketIds(text, viewer, cap, filters) {
      const db = em();
      const q = await prepareQuery(db, text, viewer);
      if (!q || cap <= 0) return [];
      const row = await inSearchTransaction(db, (tx) =>
        windowed<Round & { ids: number[] | null }>(tx, viewer, cap, q.estimate, { ...filters, types: ['ticket'] }, (window) => {
          const sql = new Sql();
          const prefix = head(sql, q, viewer, { ...filters, types: ['ticket'] }, cap, window);
          const text = `${prefix}
            select f.n, f.final,
                   case when f.final then (select coalesce(array_agg(doc_id order by updated_at desc, doc_id), '{}') from matched) end as ids
              from fin f`;
          return Object.assign(sql, { text });
        }),
      );
      return row.ids ?? [];
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
      const set = (cols: readonly string[]) =>
        cols
          .filter((c) => c !== 'kind' && c !== 'doc_id')
          .map((c) => `${c} = excluded.${c}`)
          .join(', ');
      // A write based on an older read never replaces a newer one (version = read instant); the
      // texts follow the documents row that was written. The live index keeps its word list
      // current here; a rebuild fills it once, when it is sealed.
      const terms = `insert into search_terms (term)
          select distinct w from d, unnest(tsvector_to_array(d.tsv || coalesce(d.internal_tsv, ''::tsvector))) w where ${termFilter('w')}
          on conflict do nothing`;
      // The page travels as one bound JSON parameter (json, not jsonb: it is read once, in order).
      await executeBound(
        db,
        `with x as (select * from json_to_recordset(?::json) as x(${RECORD_TYPES})),
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
      const build = (ix: { indexname: string; indexdef: string }) =>
        em().transactional(async (tx) => {
          await tx.execute(`set local maintenance_work_mem = '256MB'`);
          const suffix = ix.indexname.replace(/^search_documents(_r\d+)?/, '');
          await tx.execute(ix.indexdef.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?(\S+\.)?\S+/, `CREATE $1INDEX ${docs}${suffix} ON ${docs}`));
        });
      for (const ix of indexes) await build(ix);
      await db.execute(
        `insert into search_terms (term, ndoc)
         select word, ndoc from ts_stat('select tsv || coalesce(internal_tsv, ''''::tsvector) from ${docs}') where ${termFilter('word')}
         on conflict (term) do update set ndoc = excluded.ndoc`,
      );
      await db.execute(`analyze ${docs}`);
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
      const [row] = await em().execute<{ version: string; title: string }[]>(`select d.version, t.title from ${LIVE} d join ${LIVE_TEXTS} t using (kind, doc_id) where d.kind = ? and d.doc_id = ?`, [
        key.kind,
        key.id,
      ]);
      return row ? { version: Number(row.version), title: row.title } : null;
    },

    async close() {},
  };
}
