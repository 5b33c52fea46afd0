import http from 'node:http';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import { createPostgresBackend, type SearchFilters, type SearchRequest, type SearchViewer } from '@mehrdesk/search';
import type { ManagedProcess } from '../../stack/processes';
import { distribution, request, type Distribution } from '../lib/load';
import { assertRunning } from '../lib/services';

// The query mix: per role, categories of queries a support team types, each sent sequentially
// through GET /api/v1/search (the public role through GET /api/v1/public/kb/search), a warm-up
// pass first. Next to it, "today's substring search" (the ticket list's `q` before the search
// module: subject or number ILIKE '%q%', the caller's row scope, newest first, 25 rows) as SQL
// against the same database, for the same words and roles.

export type RoleName = 'admin' | 'agent' | 'customer' | 'public';
export type Scope = { kind: 'admin' } | { kind: 'agent'; userId: number; groupIds: number[] } | { kind: 'customer'; userId: number };
export type Roles = Record<Exclude<RoleName, 'public'>, { token: string; scope: Scope }>;

export interface Query {
  q: string;
  params?: Record<string, string>;
}

export interface CategoryDef {
  name: string;
  what: string;
  /** facets=true (the API default) or false (inbox, pickers). */
  facets: boolean;
  /** Whether the old substring search can be asked the same (it has no facets, no KB). */
  substring: boolean;
}

export const CATEGORIES: CategoryDef[] = [
  { name: 'common', what: 'frequent words (in a large share of the tickets), English and Persian', facets: false, substring: true },
  { name: 'rare', what: 'words in a few dozen tickets', facets: false, substring: true },
  { name: 'typo', what: 'misspelt words (one or two edits), English and Persian', facets: false, substring: true },
  { name: 'persian', what: 'Persian words and pairs, typed with Arabic yeh/kaf, with or without ZWNJ, Persian digits', facets: false, substring: true },
  { name: 'filtered', what: 'a common word plus status / priority / group filters', facets: false, substring: true },
  { name: 'facets', what: 'common words with facet counts (type, status, priority, group, category, tag)', facets: true, substring: false },
  { name: 'phrase', what: '"quoted" phrases', facets: false, substring: true },
  { name: 'prefix', what: 'the first letters of a word (type-ahead)', facets: false, substring: true },
  { name: 'number', what: 'a ticket number the role can see', facets: false, substring: true },
];

const COMMON = ['password', 'account', 'error', 'invoice', 'login', 'email', 'payment', 'connection', 'حساب', 'رمز', 'خطا', 'پرداخت'];
const RARE = ['tachograph', 'odometer', 'telematics', 'geofence', 'forklift', 'kubernetes', 'quorum', 'kerberos', 'لیفتراک', 'پالت', 'مالیات', 'بارکد'];
const TYPO = ['pasword', 'acount', 'invoise', 'conection', 'paymnet', 'notificaton', 'subscripton', 'certifcate', 'رمز عبر', 'فاکتر', 'اشتراگ', 'پرداحت'];
const PERSIAN_FIXED = ['رمز عبور', 'فاکتور', 'اتصال اینترنت', 'حساب كاربري', 'پيگيري', 'نمیشود', 'نمی‌شود', 'به‌روزرسانی', 'اشتراك', 'بازگشت وجه'];
const PHRASES = [
  '"reset my password"',
  '"password reset link"',
  '"connection timed out"',
  '"paper jam"',
  '"verification code"',
  '"account is locked"',
  '"رمز عبور"',
  '"اتصال اینترنت"',
  '"کد تایید"',
  '"بازگشت وجه"',
];
const PREFIXES = ['passw', 'invo', 'conn', 'subscr', 'notif', 'certif', 'پرداخ', 'اشترا', 'فاکت', 'گزار'];
const PUBLIC: Record<string, string[]> = {
  common: ['password', 'invoice', 'vpn', 'account', 'رمز', 'فاکتور', 'اشتراک'],
  rare: ['tachograph', 'kerberos', 'forklift', 'لیفتراک', 'بارکد'],
  typo: ['pasword', 'invoise', 'subscripton', 'رمز عبر', 'فاکتر'],
  persian: ['بازیابی رمز عبور', 'اشتراك', 'پيگيري', 'نمیشود', 'تمدید اشتراک'],
  phrase: ['"reset your password"', '"paper jam"', '"رمز عبور"', '"بازگشت وجه"'],
  prefix: ['passw', 'subscr', 'certif', 'اشترا', 'پرداخ'],
};

/** Word pairs whose ticket counts the report shows for both searches (admin scope). */
export const SAMPLES = ['password', 'printers', 'pasword', 'tachograph', 'حساب كاربري', 'كاربر', 'نمیشود', 'passw'];

export interface CategoryRun {
  role: RoleName;
  category: string;
  queries: number;
  distinct: number;
  latency: Distribution;
  errors: Record<string, number>;
  /** Average `total` the search answered. */
  meanTotal: number;
  zeroHits: number;
  /** Answers that stopped counting at the search limit (`exhaustive: false`: total is a lower bound). */
  capped: number;
  /** The same words through the old substring search (null where it cannot answer). */
  substring: { latency: Distribution; meanRows: number; zeroRows: number } | null;
  slowest: Array<{ q: string; params?: Record<string, string>; p50: number; max: number; total: number }>;
}

export interface Explained {
  role: RoleName;
  category: string;
  q: string;
  params?: Record<string, string>;
  statements: Array<{ sql: string; params: unknown[]; plan: string }>;
}

export interface QueryMixResult {
  perCategory: number;
  runs: CategoryRun[];
  overall: Record<RoleName | 'all', Distribution>;
  substringOverall: Distribution;
  samples: Array<{ q: string; searchTickets: number; substringTickets: number; searchOnlyInBody: number }>;
  explains: Explained[];
  queryLists: Record<string, Record<string, Query[]>>;
  seconds: number;
}

interface Ctx {
  orm: MikroORM;
  base: URL;
  roles: Roles;
  perCategory: number;
  groupIds: number[];
  services: ManagedProcess[];
  log: (m: string) => void;
}

function scopeSql(scope: Scope): { sql: string; params: unknown[] } {
  if (scope.kind === 'customer') return { sql: 't.requester_id = ?', params: [scope.userId] };
  if (scope.kind === 'agent') return { sql: '(t.assignee_id = ? or t.group_id = any(?::int[]))', params: [scope.userId, pgArray(scope.groupIds)] };
  return { sql: 'true', params: [] };
}

/** The ticket list's `q` before the search module (git show 3de7a76:api/src/tickets/service.ts, listTickets). */
export function substringSql(scope: Scope, query: Query, limit: number | null): { sql: string; params: unknown[] } {
  const s = scopeSql(scope);
  const where = ['t.deleted_at is null', s.sql];
  const params: unknown[] = [...s.params];
  const p = query.params ?? {};
  const inList = (col: string, values: string[]) => {
    where.push(`${col} in (${values.map(() => '?').join(',')})`);
    params.push(...values);
  };
  if (p.status) inList('t.status', p.status.split(','));
  if (p.priority) inList('t.priority', p.priority.split(','));
  if (p.groupId) inList('t.group_id', p.groupId.split(',').map(Number) as never);
  const like = `%${query.q.replace(/"/g, '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  where.push(`(t.subject ilike ? escape '\\' or t.number ilike ? escape '\\')`);
  params.push(like, like);
  if (limit === null) return { sql: `select count(*)::int as n from tickets t where ${where.join(' and ')}`, params };
  return {
    sql: `select t.*, r.name as requester_name, r.email as requester_email, a.email as assignee_email
            from tickets t join users r on r.id = t.requester_id left join users a on a.id = t.assignee_id
           where ${where.join(' and ')} order by t.created_at desc, t.id desc limit ${limit}`,
    params,
  };
}

async function visibleNumbers(em: EntityManager, scope: Scope, n: number): Promise<string[]> {
  const s = scopeSql(scope);
  const rows = await em.execute<{ number: string }[]>(`select t.number from tickets t where ${s.sql} and t.deleted_at is null order by md5(t.id::text) limit ${n}`, s.params);
  return rows.map((r) => r.number);
}

/** Persian-digit numbers that occur in messages (order and invoice numbers in the Persian templates). */
async function persianDigitNumbers(em: EntityManager, n: number): Promise<string[]> {
  const rows = await em.execute<{ d: string }[]>(
    `select distinct substring(body_text from '[۰-۹]{4,5}') as d from (select body_text from messages where body_text ~ '[۰-۹]{4,5}' order by id limit 200) m limit ${n}`,
  );
  return rows.map((r) => r.d).filter(Boolean);
}

export async function queryLists(ctx: Pick<Ctx, 'orm' | 'groupIds' | 'roles'>): Promise<Record<string, Record<string, Query[]>>> {
  const em = ctx.orm.em.fork();
  const [g1, g2] = ctx.groupIds;
  const digits = await persianDigitNumbers(em, 2);
  const persian = [...PERSIAN_FIXED, ...digits.map((d) => `سفارش ${d}`)].map((q) => ({ q }));
  const filtered: Query[] = [
    { q: 'password', params: { status: 'open' } },
    { q: 'invoice', params: { priority: 'high' } },
    { q: 'اتصال', params: { status: 'open,pending' } },
    { q: 'error', params: { groupId: String(g1) } },
    { q: 'order', params: { priority: 'urgent', status: 'new,open' } },
    { q: 'رمز', params: { groupId: String(g2 ?? g1) } },
  ];
  const lists: Record<string, Record<string, Query[]>> = {};
  for (const role of ['admin', 'agent', 'customer'] as const) {
    lists[role] = {
      common: COMMON.map((q) => ({ q })),
      rare: RARE.map((q) => ({ q })),
      typo: TYPO.map((q) => ({ q })),
      persian,
      filtered,
      facets: COMMON.map((q) => ({ q })),
      phrase: PHRASES.map((q) => ({ q })),
      prefix: PREFIXES.map((q) => ({ q })),
      number: (await visibleNumbers(em, ctx.roles[role].scope, 20)).map((q) => ({ q })),
    };
  }
  lists.public = Object.fromEntries(Object.entries(PUBLIC).map(([c, qs]) => [c, qs.map((q) => ({ q }))]));
  return lists;
}

function searchPath(role: RoleName, category: CategoryDef | undefined, query: Query): string {
  const qs = new URLSearchParams({ q: query.q, ...query.params });
  if (role === 'public') {
    qs.set('limit', '10');
    return `/api/v1/public/kb/search?${qs}`;
  }
  qs.set('limit', '20');
  qs.set('facets', String(category?.facets ?? false));
  return `/api/v1/search?${qs}`;
}

export function viewerOf(role: RoleName, roles: Roles): SearchViewer {
  if (role === 'public') return { kind: 'public' };
  const s = roles[role].scope;
  if (s.kind === 'customer') return { kind: 'customer', userId: s.userId };
  if (s.kind === 'agent') return { kind: 'staff', role: 'agent', userId: s.userId, groupIds: s.groupIds };
  return { kind: 'staff', role: 'admin', userId: 0, groupIds: [] };
}

export function requestOf(role: RoleName, category: CategoryDef | undefined, query: Query): SearchRequest {
  const p = query.params ?? {};
  const list = (v: string | undefined) => (v ? v.split(',') : undefined);
  const filters: SearchFilters = role === 'public' ? { types: ['article'] } : { status: list(p.status), priority: list(p.priority), groupId: list(p.groupId)?.map(Number) };
  return { q: query.q, filters, limit: role === 'public' ? 10 : 20, offset: 0, facets: role === 'public' ? false : (category?.facets ?? false) };
}

const cycle = <T>(list: T[], n: number) => Array.from({ length: n }, (_, i) => list[i % list.length]!);

export async function runQueryMix(ctx: Ctx): Promise<QueryMixResult> {
  const started = performance.now();
  const lists = await queryLists(ctx);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const runs: CategoryRun[] = [];
  const all: Record<string, number[]> = { admin: [], agent: [], customer: [], public: [], all: [] };
  const substringAll: number[] = [];
  try {
    for (const role of ['admin', 'agent', 'customer', 'public'] as const) {
      const token = role === 'public' ? undefined : ctx.roles[role].token;
      for (const [name, queries] of Object.entries(lists[role]!)) {
        if (queries.length === 0) continue;
        const category = CATEGORIES.find((c) => c.name === name);
        const send = async (query: Query) => {
          const r = await request(agent, ctx.base, 'GET', searchPath(role, category, query), { token });
          let total = -1;
          let exhaustive = true;
          if (r.status === 200) ({ total, exhaustive = true } = JSON.parse(r.body) as { total: number; exhaustive?: boolean });
          return { ms: r.ms, status: r.status, error: r.error, total, exhaustive };
        };
        for (const query of queries) await send(query); // warm-up
        const latencies: number[] = [];
        const errors: Record<string, number> = {};
        const byQuery = new Map<string, { query: Query; ms: number[]; total: number }>();
        let totals = 0;
        let zero = 0;
        let capped = 0;
        for (const query of cycle(queries, ctx.perCategory)) {
          const r = await send(query);
          if (r.status !== 200) {
            const kind = r.error ?? `HTTP ${r.status}`;
            errors[kind] = (errors[kind] ?? 0) + 1;
            continue;
          }
          latencies.push(r.ms);
          totals += r.total;
          if (r.total === 0) zero++;
          if (!r.exhaustive) capped++;
          const key = JSON.stringify(query);
          const e = byQuery.get(key) ?? { query, ms: [], total: r.total };
          e.ms.push(r.ms);
          byQuery.set(key, e);
        }
        assertRunning(ctx.services);
        all[role]!.push(...latencies);
        all.all!.push(...latencies);

        let substring: CategoryRun['substring'] = null;
        if (role !== 'public' && category?.substring) {
          const scope = ctx.roles[role].scope;
          const em = ctx.orm.em.fork();
          const one = async (query: Query) => {
            const { sql, params } = substringSql(scope, query, 26);
            const t0 = performance.now();
            const rows = await em.execute(sql, params);
            return { ms: performance.now() - t0, rows: rows.length };
          };
          for (const query of queries) await one(query);
          const ms: number[] = [];
          let rows = 0;
          let zeroRows = 0;
          for (const query of cycle(queries, ctx.perCategory)) {
            const r = await one(query);
            ms.push(r.ms);
            rows += Math.min(25, r.rows);
            if (r.rows === 0) zeroRows++;
          }
          substringAll.push(...ms);
          substring = { latency: distribution(ms), meanRows: rows / ms.length, zeroRows };
        }
        const slowest = [...byQuery.values()]
          .map((e) => ({ q: e.query.q, params: e.query.params, p50: distribution(e.ms).p50, max: Math.max(...e.ms), total: e.total }))
          .sort((a, b) => b.p50 - a.p50)
          .slice(0, 3);
        const run: CategoryRun = {
          role,
          category: name,
          queries: latencies.length,
          distinct: queries.length,
          latency: distribution(latencies),
          errors,
          meanTotal: latencies.length ? totals / latencies.length : 0,
          zeroHits: zero,
          capped,
          substring,
          slowest,
        };
        runs.push(run);
        ctx.log(
          `  ${role.padEnd(8)} ${name.padEnd(8)} p50 ${run.latency.p50.toFixed(1)} p95 ${run.latency.p95.toFixed(1)} p99 ${run.latency.p99.toFixed(1)} max ${run.latency.max.toFixed(0)} ms` +
            `${Object.keys(errors).length ? ` errors ${JSON.stringify(errors)}` : ''}; mean total ${run.meanTotal.toFixed(0)}` +
            (substring ? ` | substring p50 ${substring.latency.p50.toFixed(1)} p95 ${substring.latency.p95.toFixed(1)} ms, ${substring.meanRows.toFixed(1)} rows` : ''),
        );
      }
    }
  } finally {
    agent.destroy();
  }

  // What each search finds, for a few words (admin: every ticket).
  const em = ctx.orm.em.fork();
  const backend = createPostgresBackend(ctx.orm);
  const samples: QueryMixResult['samples'] = [];
  for (const q of SAMPLES) {
    const { sql, params } = substringSql({ kind: 'admin' }, { q }, null);
    const [row] = await em.execute<{ n: number }[]>(sql, params);
    const ids = await backend.matchingTicketIds(q, { kind: 'staff', role: 'admin', userId: 0, groupIds: [] }, 1_000_000);
    const [onlyBody] = await em.execute<{ n: number }[]>(`select count(*)::int as n from tickets t where t.id = any(?::int[]) and not (t.subject ilike ? or t.number ilike ?)`, [
      pgArray(ids),
      `%${q}%`,
      `%${q}%`,
    ]);
    samples.push({ q, searchTickets: ids.length, substringTickets: row?.n ?? 0, searchOnlyInBody: onlyBody?.n ?? 0 });
  }

  const explains = await explainSlow(ctx, runs, lists);
  const dist = (k: string) => distribution(all[k]!);
  return {
    perCategory: ctx.perCategory,
    runs,
    overall: { admin: dist('admin'), agent: dist('agent'), customer: dist('customer'), public: dist('public'), all: dist('all') },
    substringOverall: distribution(substringAll),
    samples,
    explains,
    queryLists: lists,
    seconds: (performance.now() - started) / 1000,
  };
}

export const SLOW = { p95: 50, p99: 150 };

/**
 * Runs one search through the PostgreSQL backend in process over an ORM that records its
 * statements (also those inside its transaction), then replays them in order in one transaction
 * as EXPLAIN (ANALYZE, BUFFERS), so the search transaction's own settings (set_config) apply to
 * the plans as they did to the search (each statement runs twice).
 */
export async function explainSearch(orm: MikroORM, request: SearchRequest, viewer: SearchViewer): Promise<Explained['statements']> {
  const recorded: Array<{ sql: string; params: unknown[] }> = [];
  const recording = (em: EntityManager): EntityManager =>
    new Proxy(em, {
      get(target, prop, receiver) {
        if (prop === 'fork') return () => recording(target.fork() as EntityManager);
        if (prop === 'transactional') return (cb: (tx: EntityManager) => Promise<unknown>) => target.transactional((tx) => cb(recording(tx as EntityManager)));
        if (prop === 'execute')
          return (sql: string, params: unknown[] = []) => {
            recorded.push({ sql, params });
            return target.execute(sql, params as never);
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const recordingEm = recording(orm.em.fork() as EntityManager);
  const recordingOrm = new Proxy(orm, { get: (t, p, rec) => (p === 'em' ? recordingEm : Reflect.get(t, p, rec)) });
  await createPostgresBackend(recordingOrm).search(request, viewer);
  return (orm.em.fork() as EntityManager).transactional(async (tx) => {
    const statements: Explained['statements'] = [];
    for (const s of recorded) {
      const plan = await tx.execute<Record<string, string>[]>(`explain (analyze, buffers) ${s.sql}`, s.params as never);
      statements.push({ sql: s.sql, params: s.params, plan: plan.map((row) => Object.values(row)[0]).join('\n') });
    }
    return statements;
  });
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statements the backend runs for the slowest query of each
 * category that missed a target: the backend is run in process over an ORM that records them.
 */
async function explainSlow(ctx: Ctx, runs: CategoryRun[], lists: Record<string, Record<string, Query[]>>): Promise<Explained[]> {
  const slow = runs.filter((r) => r.latency.p95 > SLOW.p95 || r.latency.p99 > SLOW.p99).sort((a, b) => b.latency.p95 - a.latency.p95);
  // One plan per category (the role where it is slowest), at most six.
  const seen = new Set<string>();
  const picked = slow.filter((r) => !seen.has(r.category) && seen.add(r.category)).slice(0, 6);
  const out: Explained[] = [];
  for (const r of picked) {
    const worst = r.slowest[0];
    const query = lists[r.role]![r.category]!.find((q) => q.q === worst?.q && JSON.stringify(q.params) === JSON.stringify(worst?.params));
    if (!query) continue;
    const category = CATEGORIES.find((c) => c.name === r.category);
    const statements = await explainSearch(ctx.orm, requestOf(r.role, category, query), viewerOf(r.role, ctx.roles));
    out.push({ role: r.role, category: r.category, q: query.q, params: query.params, statements });
    ctx.log(`  EXPLAIN ${r.role}/${r.category} "${query.q}": ${statements.length} statements`);
  }
  return out;
}
