import type { Distribution } from '../lib/load';
import { document, fmt, runSection, table, type Block, type RunInfo } from '../lib/markdown';
import type { LogSummary } from '../lib/services';
import type { RequestOverheadOptions } from '../request-overhead';
import { KIND_TITLE, median, pairDiffs as batchPairDiffs, type Background, type Batch, type CodeLabel, type Kind } from './measure';
import type { ProfileEntry, ProfileSummary } from './profile';

// docs/benchmarks-request-overhead.md: old vs new per request kind (medians over the rounds,
// latency over every request of the code), the difference per request and its share, every
// round's values, and the profiles when they were taken.

export interface CodeInfo {
  label: CodeLabel;
  root: string;
  commit: string;
  subject: string;
  preparedSeconds: number;
}

export interface ProfileRun {
  code: CodeLabel;
  requests: number;
  perSecond: number;
  /** From /proc while profiled (the profiler itself costs CPU). */
  apiUsPerRequest: number;
  latency: Distribution;
  summary: ProfileSummary | null;
  /** Profiles of worker threads written next to the main thread's (not summarised). */
  workerThreadProfiles?: number;
}

/** A run with the same code in both API processes: what the method reports when nothing changed. */
export interface ControlRun {
  file: string;
  command?: string;
  startedAt: string;
  commits: Record<CodeLabel, string>;
  otherCpuPct: number;
  batches: Batch[];
}

export interface RequestOverheadResult {
  run: RunInfo;
  options: RequestOverheadOptions;
  codes: Record<CodeLabel, CodeInfo>;
  groups: string[];
  background: Background;
  seededTickets: number;
  batches: Batch[];
  /** `${code}:${kind}` → latency over every request of that code and kind. */
  pooled: Record<string, Distribution>;
  profiles: { reason: string; old: ProfileRun; new: ProfileRun } | null;
  logs: LogSummary[];
  control?: ControlRun | null;
}

const us = (n: number) => (!Number.isFinite(n) ? '–' : Math.abs(n) < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const ms2 = (n: number) => (!Number.isFinite(n) ? '–' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const signed = (n: number, f: (x: number) => string) => (!Number.isFinite(n) ? '–' : `${n >= 0 ? '+' : '−'}${f(Math.abs(n))}`);
const pctOf = (n: number, of: number) => (Number.isFinite(n) && Number.isFinite(of) && of !== 0 ? `${n >= 0 ? '+' : '−'}${Math.abs((100 * n) / of).toFixed(0)} %` : '–');
/** µs, or ms when a request costs milliseconds. */
const cost = (n: number) => (!Number.isFinite(n) ? '–' : Math.abs(n) >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${us(n)} µs`);

interface Figures {
  rounds: number;
  perSecond: number;
  api: number;
  pg: number;
  redis: number;
  redisProc: number;
  loadGen: number;
  commands: Record<string, number>;
  latency: Distribution | undefined;
  errors: number;
}

function figures(r: RequestOverheadResult, code: CodeLabel, kind: Kind): Figures {
  const bs = r.batches.filter((b) => b.code === code && b.kind === kind);
  const commands: Record<string, number> = {};
  for (const name of new Set(bs.flatMap((b) => Object.keys(b.redisCommandsPerRequest)))) commands[name] = median(bs.map((b) => b.redisCommandsPerRequest[name] ?? 0));
  return {
    rounds: bs.length,
    perSecond: median(bs.map((b) => b.perSecond)),
    api: median(bs.map((b) => b.usPerRequest[`API ${code}`] ?? NaN)),
    pg: median(bs.map((b) => b.usPerRequest.PostgreSQL ?? NaN)),
    redis: median(bs.map((b) => b.redisUsPerRequest)),
    redisProc: median(bs.map((b) => b.usPerRequest.Redis ?? NaN)),
    loadGen: median(bs.map((b) => b.usPerRequest['load generator'] ?? NaN)),
    commands,
    latency: r.pooled[`${code}:${kind}`],
    errors: bs.reduce((s, b) => s + Object.values(b.errors).reduce((a, x) => a + x, 0), 0),
  };
}

const commandText = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([, v]) => v >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(v >= 10 ? 0 : 2)}`)
    .join(', ') || '0';

const pairDiffs = (r: RequestOverheadResult, kind: Kind, value: (b: Batch) => number) => batchPairDiffs(r.batches, kind, value);
const apiUs = (b: Batch) => b.usPerRequest[`API ${b.code}`] ?? NaN;
const stackUs = (b: Batch) => apiUs(b) + (b.usPerRequest.PostgreSQL ?? NaN) + b.redisUsPerRequest;

function profileTable(title: string, pick: (s: ProfileSummary) => ProfileEntry[], runs: ProfileRun[], n: number): Block[] {
  const withSummary = runs.filter((p) => p.summary);
  if (!withSummary.length) return [];
  const names: string[] = [];
  for (const p of withSummary) for (const e of pick(p.summary!).slice(0, n)) if (!names.includes(e.name)) names.push(e.name);
  const per = (p: ProfileRun, name: string) => {
    const e = pick(p.summary!).find((x) => x.name === name);
    return e ? { us: (1000 * e.ms) / p.requests, share: e.share } : null;
  };
  const rows = names
    .map((name) => ({ name, v: withSummary.map((p) => per(p, name)) }))
    .sort((a, b) => (b.v[b.v.length - 1]?.us ?? 0) - (a.v[a.v.length - 1]?.us ?? 0))
    .map(({ name, v }) => [`\`${name.replace(/\|/g, '\\|')}\``, ...v.flatMap((x) => [x ? us(x.us) : '–', x ? fmt.pct(100 * x.share) : '–'])]);
  return [title, table(['Function or package', ...withSummary.flatMap((p) => [`${p.code}: µs per request`, `${p.code}: share`])], rows)];
}

/** Time per package (or owner), new − old in µs per request: where the added cost sits. */
function packageDiff(a: ProfileRun, b: ProfileRun, title: string, intro: string, pick: (s: ProfileSummary) => ProfileEntry[]): Block[] {
  if (!a.summary || !b.summary) return [];
  const per = (p: ProfileRun) => new Map(pick(p.summary!).map((e) => [e.name, (1000 * e.ms) / p.requests]));
  const pa = per(a);
  const pb = per(b);
  const names = [...new Set([...pa.keys(), ...pb.keys()])];
  const rows = names
    .map((n) => ({ n, o: pa.get(n) ?? 0, x: pb.get(n) ?? 0 }))
    .sort((l, r) => r.x - r.o - (l.x - l.o))
    .slice(0, 12);
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);
  return [
    title,
    `${intro} Main thread busy time: old ${us(total(pa))} µs, new ${us(total(pb))} µs per request (${signed(total(pb) - total(pa), us)} µs). The twelve largest increases:`,
    table(
      ['Package or file', 'old µs/req', 'new µs/req', 'Δ µs/req'],
      rows.map((r) => [`\`${r.n}\``, us(r.o), us(r.x), signed(r.x - r.o, us)]),
    ),
  ];
}

/** What dominates the added cost in the new API's profile, and what would take it away. */
function profileReading(a: ProfileRun, b: ProfileRun, meOld: Figures | undefined, meNew: Figures | undefined, pgDelta: number): Block[] {
  if (!a.summary || !b.summary) return [];
  const incl = (p: ProfileRun, prefix: string) => {
    const e = p.summary!.inclusiveByFunction.find((x) => x.name.startsWith(prefix));
    return e ? { us: (1000 * e.ms) / p.requests, share: e.share } : null;
  };
  const owner = (p: ProfileRun, name: string) => {
    const e = p.summary!.byOwner.find((x) => x.name === name);
    return e ? (1000 * e.ms) / p.requests : 0;
  };
  const busy = (p: ProfileRun) => (1000 * p.summary!.busyMs) / p.requests;
  const consume = incl(b, 'consume (rate-limiter-flexible');
  const send = incl(b, 'sendCommand (ioredis');
  const write = b.summary.selfByFunction.find((x) => x.name.startsWith('writeUtf8String'));
  const redisOwned = owner(b, 'ioredis') + owner(b, 'rate-limiter-flexible') + owner(b, 'api/src/http/rate-limit.ts') + owner(b, 'api/src/auth/caller-limit.ts');
  const selfOf = (p: ProfileRun, name: string) => {
    const e = p.summary!.allPackages.find((x) => x.name === name);
    return e ? (1000 * e.ms) / p.requests : 0;
  };
  const limiterJs = ['ioredis', 'rate-limiter-flexible', 'api/src/http/rate-limit.ts', 'api/src/auth/caller-limit.ts'].reduce((sum, n) => sum + selfOf(b, n), 0);
  const out: string[] = [];
  const ownerDelta = (...names: string[]) => names.reduce((sum, n) => sum + owner(b, n) - owner(a, n), 0);
  const pgMore = ownerDelta('pg', 'pg-protocol', 'pg-pool', 'kysely', '@mikro-orm/core', '@mikro-orm/sql', '@mikro-orm/knex');
  const httpMore = ownerDelta('express', 'router', 'etag', 'api/src/http/redact.ts', 'pino-http', 'pino', 'zod');
  out.push(
    `- **The largest new item on GET /auth/me is the per-caller limit's Redis call.** Charged to whoever asked for the work, the limiter's files and packages (\`api/src/auth/caller-limit.ts\` → \`api/src/http/rate-limit.ts\` → \`rate-limiter-flexible\` → \`ioredis\`) hold ${us(redisOwned)} µs per request in the new profile` +
      `${consume ? `; inclusive time under \`consume\` (rate-limiter-flexible's \`RateLimiterRedis._upsert\`: one EVALSHA per request) ${us(consume.us)} µs (${fmt.pct(100 * consume.share)} of the main thread's sampled time)` : ''}` +
      `${send ? `, of which ioredis' \`sendCommand\` ${us(send.us)} µs` : ''}` +
      `${write ? `, most of it in the socket write itself (native \`writeUtf8String\`, ${us((1000 * write.ms) / b.requests)} µs: the \`write(2)\` of the command, in which the kernel also delivers it over loopback and wakes Redis)` : ''}. ` +
      `The limiter's own JavaScript (key, Lua call, reply parsing, the RateLimit-* headers: self time in those four) is ${us(limiterJs)} µs. ` +
      `Next come the database layer (pg, pg-protocol, pg-pool, kysely, MikroORM: ${signed(pgMore, us)} µs, the longer \`authenticate\` query: two more columns, the last-used test, a wider row to parse) and the HTTP layer (express, router, etag, pino, the redaction, zod: ${signed(httpMore, us)} µs; among the new work there: the three RateLimit-* headers every answer now carries, and \`UserDto.parse\` in the /auth/me handler).`,
  );
  out.push(
    `- **The profile's figures are wall time of the main thread, not CPU.** V8's profiler charges the time between two samples to the frame it finds; a socket write that wakes Redis on this shared 2-core machine can give the CPU away (to Redis, PostgreSQL or other engineers' processes) before it returns, and that wait lands in the write. So the profiles overstate what the write costs: their totals differ by ${signed(busy(b) - busy(a), us)} µs per request (main thread ${us(busy(a))} µs old, ${us(busy(b))} µs new), ` +
      `the API's CPU from /proc while profiled by ${signed(b.apiUsPerRequest - a.apiUsPerRequest, us)} µs (${us(a.apiUsPerRequest)} → ${us(b.apiUsPerRequest)} µs), and the measured batches above by ${meOld && meNew ? `${signed(meNew.api - meOld.api, us)} µs (medians ${us(meOld.api)} → ${us(meNew.api)} µs)` : 'the difference in the tables'}. The CPU figure is the one to use; the profile shows where it goes: mostly the extra round trip (the kernel's share of one more write and read on a socket, and the limiter's JavaScript), then the database and HTTP layers' small additions${meNew ? `; and Redis spends ${us(meNew.redis)} µs of its own per request` : ''}.`,
  );
  if (meOld && meNew)
    out.push(
      `- Redis's ${us(meNew.redis)} µs per request is one EVALSHA of rate-limiter-flexible's script (${commandText(meNew.commands)}: SET NX, INCRBY and PTTL run inside the script); PostgreSQL's ${signed(pgDelta, us)} µs (median of the pairs) is the longer \`authenticate\` query (session stage and the last-used test).`,
    );
  out.push(
    '- **If this cost is to go** (a description; production code is outside this benchmark), in order of effort: ' +
      "(1) `enableAutoPipelining: true` on the limiter's ioredis client (`createRateLimits` in `api/src/http/rate-limit.ts`): commands issued in the same event-loop tick share one socket write, so under concurrent load the write per request becomes one write per batch; the answer and the budget stay exact. " +
      "(2) Count locally, settle in Redis: keep each caller's count in process memory and add it to Redis with one `INCRBY` per caller every ~100–250 ms (or take a lease of, say, 20 points per caller from Redis and spend it locally); a session well below its budget then costs no round trip per request, and a budget can be overshot by at most one lease per replica. " +
      "(3) On sign-in, put the throttle's three `peek`s in one pipeline and `succeeded()`'s two deletes in one `DEL key1 key2` (today 3 MULTI/EXEC round trips before and 2 DELs after the password check, besides the caller limit's EVALSHA): about four fewer round trips per sign-in, small next to scrypt.",
  );
  return ['### Reading of the profiles', out];
}

export function renderRequestOverheadReport(r: RequestOverheadResult): string {
  const o = r.options;
  const kinds = o.kinds.filter((k) => r.batches.some((b) => b.kind === k));
  const f = Object.fromEntries(kinds.map((k) => [k, { old: figures(r, 'old', k), new: figures(r, 'new', k) }])) as Record<Kind, Record<CodeLabel, Figures>>;
  const blocks: Block[] = [];
  blocks.push('# Benchmarks: cost per API request, old and new code');
  blocks.push(
    `> Generated by \`scripts/src/bench/request-overhead.ts\`. Re-run with \`npm run bench:request-overhead\` (full) or \`npm run bench:request-overhead -- --quick\`; do not edit the numbers by hand.`,
  );
  blocks.push(
    `What every authenticated request and a sign-in cost before and after this change set: the richer \`authenticate\` query (session stage, last-used time touched at most once a minute), the per-caller rate limit counted in Redis (\`api/src/auth/caller-limit.ts\` through rate-limiter-flexible: per session, per API key, and per client address for requests without credentials such as the sign-in), the API-key lookup, and on sign-in the throttle (\`api/src/auth/login-throttle.ts\`: three Redis reads before the password check, two deletes after it) and the audit-log insert. ` +
      `Old: commit \`${r.codes.old.commit}\` (${r.codes.old.subject}), run from a worktree. New: the working tree at \`${r.codes.new.commit}\` (${r.codes.new.subject}; other engineers' uncommitted files are listed under Run).`,
  );

  // --- summary
  blocks.push('## Old vs new per request kind');
  blocks.push(
    `Medians over the ${o.pairs} batches of each code per request kind (kind by kind, ${o.pairs * 2} batches alternating old, new, old, new …, so the two batches of a pair run seconds apart); latency over every request of the code. The differences below are medians of the ${o.pairs} old/new pair differences, which cancels most of the drift of the load other engineers put on the machine. CPU per request is each process's CPU over the batch (from /proc/<pid>/stat, PostgreSQL with its backends) divided by the requests, its idle CPU over as long taken off; Redis's is its own \`used_cpu_user + used_cpu_sys\` (INFO, µs precision), its commands from INFO commandstats. Concurrency ${o.concurrency}, keep-alive, closed loop; ${o.users} signed-in users (requests take their tokens in turn); the list shows 20 of ${r.seededTickets} tickets.`,
  );
  const rows: Array<Array<string | number>> = [];
  for (const k of kinds) {
    for (const c of ['old', 'new'] as const) {
      const x = f[k][c];
      rows.push([
        c === 'old' ? `${KIND_TITLE[k]} (${fmt.n(o.requests[k])} per batch)` : '',
        c,
        fmt.n(x.perSecond),
        ms2(x.latency?.p50 ?? NaN),
        ms2(x.latency?.p95 ?? NaN),
        ms2(x.latency?.p99 ?? NaN),
        `**${us(x.api)}**`,
        us(x.pg),
        us(x.redis),
        us(x.api + x.pg + x.redis),
        commandText(x.commands),
        x.errors,
      ]);
    }
  }
  blocks.push(
    table(['Request', 'Code', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'API CPU µs/req', 'PostgreSQL µs/req', 'Redis µs/req', 'API + PG + Redis µs/req', 'Redis commands per request', 'errors'], rows, [
      '---',
      '---',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      '---',
      '---:',
    ]),
  );

  // --- difference
  blocks.push('## The difference per request');
  const drows = kinds.map((k) => {
    const a = f[k].old;
    const b = f[k].new;
    const d = pairDiffs(r, k, apiUs);
    const dApi = median(d);
    const dTotal = median(pairDiffs(r, k, stackUs));
    return [
      KIND_TITLE[k],
      `${signed(dApi, us)} (${pctOf(dApi, a.api)})`,
      d.length ? `${signed(Math.min(...d), us)} … ${signed(Math.max(...d), us)}; ${d.filter((x) => x > 0).length} of ${d.length} > 0` : '–',
      pctOf(dApi, b.api),
      signed(median(pairDiffs(r, k, (x) => x.usPerRequest.PostgreSQL ?? NaN)), us),
      signed(median(pairDiffs(r, k, (x) => x.redisUsPerRequest)), us),
      `${signed(dTotal, us)} (${pctOf(dTotal, a.api + a.pg + a.redis)})`,
      signed((b.latency?.p50 ?? NaN) - (a.latency?.p50 ?? NaN), ms2),
      signed((b.latency?.p99 ?? NaN) - (a.latency?.p99 ?? NaN), ms2),
      pctOf(b.perSecond - a.perSecond, a.perSecond),
    ];
  });
  blocks.push(
    table(
      [
        'Request',
        'API CPU Δ µs/req (median of pairs)',
        'API Δ per pair (min … max)',
        'Δ as share of the new request’s API CPU',
        'PostgreSQL Δ µs',
        'Redis Δ µs',
        'API + PG + Redis Δ µs',
        'p50 Δ ms',
        'p99 Δ ms',
        'req/s Δ',
      ],
      drows,
    ),
  );

  // --- control
  const control = r.control ?? null;
  const controlBand = (k: Kind) => (control ? batchPairDiffs(control.batches, k, apiUs) : []);
  if (control) {
    blocks.push('### Control: the same code in both processes');
    blocks.push(
      `The same benchmark with the same code in both API processes (old: a worktree of \`${control.commits.old}\`, new: the working tree at \`${control.commits.new}\`), run ${control.startedAt.slice(0, 16).replace('T', ' ')} UTC on the same machine${control.command ? ` (\`${control.command}\`, raw numbers \`${control.file}\` in the temp folder)` : ''} (other processes ${fmt.pct(control.otherCpuPct)} of one core on average). Whatever it reports is not the code: two processes of the same code differ (JIT decisions, memory layout, the order of the pair), and the machine's load drifts.`,
    );
    blocks.push(
      table(
        ['Request', 'pairs', 'API Δ µs/req (median of pairs)', 'API Δ per pair (min … max)', 'PostgreSQL Δ µs', 'Redis Δ µs'],
        kinds
          .filter((k) => controlBand(k).length)
          .map((k) => {
            const d = controlBand(k);
            return [
              KIND_TITLE[k],
              d.length,
              signed(median(d), us),
              `${signed(Math.min(...d), us)} … ${signed(Math.max(...d), us)}`,
              signed(median(batchPairDiffs(control.batches, k, (x) => x.usPerRequest.PostgreSQL ?? NaN)), us),
              signed(median(batchPairDiffs(control.batches, k, (x) => x.redisUsPerRequest)), us),
            ];
          }),
      ),
    );
  }

  // --- reading
  blocks.push('## Reading');
  const reading: string[] = [];
  const short = kinds.map((k) => {
    const a = f[k].old;
    const dStack = median(pairDiffs(r, k, stackUs));
    const dApi = median(pairDiffs(r, k, apiUs));
    const dPg = median(pairDiffs(r, k, (x) => x.usPerRequest.PostgreSQL ?? NaN));
    const dRedis = median(pairDiffs(r, k, (x) => x.redisUsPerRequest));
    return `${KIND_TITLE[k]} ${signed(dStack, cost)} of CPU per request over API, PostgreSQL and Redis (${pctOf(dStack, a.api + a.pg + a.redis)}; API ${signed(dApi, cost)}, PostgreSQL ${signed(dPg, cost)}, Redis ${signed(dRedis, cost)})`;
  });
  reading.push(`- **In short** (medians of the old/new pair differences): ${short.join('; ')}. Per kind:`);
  for (const k of kinds) {
    const a = f[k].old;
    const b = f[k].new;
    const d = pairDiffs(r, k, apiUs);
    const dApi = median(d);
    const up = d.filter((x) => x > 0).length;
    const consistent = d.length >= 2 && (up === d.length || up === 0);
    const mostly = d.length >= 4 && (up >= d.length - 1 || up <= 1);
    const totalOld = a.api + a.pg + a.redis;
    const totalNew = b.api + b.pg + b.redis;
    const cmdsOld = Object.entries(a.commands).reduce((s, [, v]) => s + v, 0);
    const cmdsNew = Object.entries(b.commands).reduce((s, [, v]) => s + v, 0);
    reading.push(
      `- **${KIND_TITLE[k]}**: the new API spends ${cost(b.api)} of CPU per request against ${cost(a.api)} before (medians); the median of the ${d.length} old/new pair differences is ${signed(dApi, cost)} (${pctOf(dApi, a.api)} of the old cost; ${pctOf(dApi, b.api)} of the new request's API CPU)` +
        `${d.length ? `; ${consistent ? 'every pair agrees on the sign' : mostly ? `${Math.max(up, d.length - up)} of ${d.length} pairs agree on the sign` : `the pairs do **not** agree on the sign (${up} of ${d.length} positive): the difference is within the noise of this shared machine`} (${d.map((x) => signed(x, us)).join(', ')} µs)` : ''}. ` +
        `${controlBand(k).length ? `In the control run the same code differed by ${signed(Math.min(...controlBand(k)), us)} … ${signed(Math.max(...controlBand(k)), us)} µs per pair (median ${signed(median(controlBand(k)), us)}): ${Math.abs(dApi) > Math.max(...controlBand(k).map(Math.abs)) ? 'the difference is larger than that' : 'the difference is within that band, so this method cannot tell it from zero on this machine'}. ` : ''}` +
        `With PostgreSQL (${us(a.pg)} → ${us(b.pg)} µs) and Redis (${us(a.redis)} → ${us(b.redis)} µs; ${cmdsOld.toFixed(1)} → ${cmdsNew.toFixed(1)} commands per request) the request costs ${cost(totalOld)} → ${cost(totalNew)} of CPU (medians); the median of the pairs' differences over API, PostgreSQL and Redis is ${signed(median(pairDiffs(r, k, stackUs)), cost)} (${pctOf(median(pairDiffs(r, k, stackUs)), totalOld)}). ` +
        `Throughput ${fmt.n(a.perSecond)} → ${fmt.n(b.perSecond)} req/s, latency p50 ${ms2(a.latency?.p50 ?? NaN)} → ${ms2(b.latency?.p50 ?? NaN)} ms, p99 ${ms2(a.latency?.p99 ?? NaN)} → ${ms2(b.latency?.p99 ?? NaN)} ms at concurrency ${o.concurrency}.`,
    );
  }
  const meOld = f.me?.old.api;
  if (meOld !== undefined) {
    const growth = median(pairDiffs(r, 'me', apiUs)) / meOld;
    reading.push(
      `- The fixed cost (GET /auth/me, the cheapest authenticated request) changed by ${pctOf(growth, 1)} of API CPU (median of the pairs): ${growth > 0.15 ? 'above the 15 % this benchmark tolerates before profiling; see the profiles below' : 'within the 15 % this benchmark tolerates before profiling'}.`,
    );
  }
  reading.push(
    "- The last-used touch (`update auth_tokens set last_used_at`) runs at most once a minute per session: each batch lasts seconds, so after the warm-up it is not in the measured requests, as for a client sending many requests a minute. A sign-in always writes its session row; the new code adds the audit-log row and the throttle's Redis calls.",
  );
  blocks.push(reading);

  // --- profiles
  if (r.profiles) {
    const p = r.profiles;
    blocks.push('## Profiles of GET /auth/me');
    blocks.push(
      `Taken because ${p.reason}${p.reason.startsWith('asked') && median(pairDiffs(r, 'me', apiUs)) / (f.me?.old.api ?? NaN) <= 0.15 ? ' (the 15 % threshold for profiling was not reached: profiled to show where the new work sits)' : ''}. After the measured batches each code's API ran alone under \`node --cpu-prof\` (the same environment, ${o.users} users, a warm-up, then the requests below at concurrency ${o.concurrency}); only the samples taken while the measured requests ran count. "µs per request" is the main thread's sampled time ÷ requests; "share" is its share of the main thread's busy time. The profiler adds its own cost, so these figures are higher than the ones above; compare old with new, not with the tables above.`,
    );
    blocks.push(
      table(
        ['Code', 'Requests', 'req/s (profiled)', 'API CPU µs/req (profiled, /proc)', 'main thread busy µs/req (samples)', 'Profile'],
        [p.old, p.new].map((x) => [
          x.code,
          fmt.n(x.requests),
          fmt.n(x.perSecond),
          us(x.apiUsPerRequest),
          x.summary ? us((1000 * x.summary.busyMs) / x.requests) : '–',
          x.summary ? `\`${x.summary.file}\`` : 'not written',
        ]),
      ),
    );
    blocks.push(
      ...packageDiff(
        p.old,
        p.new,
        '### Where the new code spends more, by who asked for the work',
        "Each sample is charged to the nearest frame on its stack from a package or a project file (Node's own modules and native code, e.g. the socket write, count for whoever called them: pg, ioredis, express).",
        (s) => s.byOwner,
      ),
    );
    blocks.push(...packageDiff(p.old, p.new, '### Where the new code spends more, by self time', 'Self time: the frame the sample was taken in.', (s) => s.allPackages));
    blocks.push(...profileTable('### Self time by package or file', (s) => s.selfByPackage, [p.old, p.new], 12));
    blocks.push(...profileTable('### Self time by function (top of the new code)', (s) => s.selfByFunction, [p.old, p.new], 15));
    blocks.push(...profileTable('### Inclusive time by function (top of the new code)', (s) => s.inclusiveByFunction, [p.old, p.new], 30));
    blocks.push(...profileReading(p.old, p.new, f.me?.old, f.me?.new, median(pairDiffs(r, 'me', (x) => x.usPerRequest.PostgreSQL ?? NaN))));
  }

  // --- rounds
  blocks.push('## Every batch');
  blocks.push(
    table(
      [
        'Round',
        'Code',
        'Request',
        'Requests',
        'Errors',
        'Duration',
        'req/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'API µs/req',
        'PostgreSQL µs/req',
        'Redis µs/req (INFO)',
        'Redis µs/req (/proc)',
        'load gen µs/req',
        'other %',
      ],
      r.batches.map((b) => [
        b.round,
        b.code,
        KIND_TITLE[b.kind],
        fmt.n(b.requests),
        Object.values(b.errors).reduce((a, x) => a + x, 0),
        fmt.s(b.seconds),
        fmt.n(b.perSecond),
        ms2(b.latency.p50),
        ms2(b.latency.p95),
        ms2(b.latency.p99),
        us(apiUs(b)),
        us(b.usPerRequest.PostgreSQL ?? NaN),
        us(b.redisUsPerRequest),
        us(b.usPerRequest.Redis ?? NaN),
        us(b.usPerRequest['load generator'] ?? NaN),
        fmt.pct(b.otherPct),
      ]),
    ),
  );
  blocks.push(
    `Idle CPU, measured twice over 5 s after the warm-up and a 5 s pause with both APIs running and no requests, the lower reading per process (taken off every batch): ${Object.entries(
      r.background.pct,
    )
      .map(([g, v]) => `${g} ${v.toFixed(1)} %`)
      .join(', ')}; Redis (INFO) ${(100 * r.background.redisCpuPerSecond).toFixed(2)} % of one core. "other" is CPU used by processes outside this run (other engineers' tests on the shared machine).`,
  );

  // --- setup
  blocks.push(...runSection(r.run, `both API processes (one at a time under load), PostgreSQL, Redis, the Temporal dev server, the SMTP catcher (inside the launcher) and the load generator`));
  blocks.push('## Configuration');
  blocks.push([
    `- Old code: \`${r.codes.old.commit}\` from \`${r.codes.old.root}\` (a git worktree with its own \`npm ci\`${r.codes.old.preparedSeconds > 0 ? `, prepared in ${fmt.s(r.codes.old.preparedSeconds)}` : ', reused'}); new code: the working tree (\`${r.codes.new.root}\`). Both APIs run at the same time on ports of their own, against the same PostgreSQL (the new code's migrations applied by the launcher: the old code ignores the added columns and tables) and the same Redis; only one receives requests at a time.`,
    `- API processes as production starts them (\`node --import tsx api/src/main.ts\`), environment: the launcher's plus \`NODE_ENV=production\`, \`LOG_LEVEL=warn\`, \`RATE_LIMIT_PER_TOKEN_PER_MINUTE=${process.env.RATE_LIMIT_PER_TOKEN_PER_MINUTE ?? '(launcher default)'}\` (the launcher's: the limiter counts every request but never refuses the load generator), \`RATE_LIMIT_ANONYMOUS_PER_MINUTE=1000000\` (sign-ins carry no credentials and all come from 127.0.0.1: counted per address, never refused), \`ADMISSION_MAX_WORKFLOW_BACKLOG=0\` (no worker runs; the listed tickets' workflows wait on their own task queue, which the admission gate would otherwise count).`,
    `- Requests per batch: ${kinds.map((k) => `${KIND_TITLE[k]} ${fmt.n(o.requests[k])}`).join(', ')}; each code warmed up with half of that per kind before the first batch. Users: agent, agent, supervisor, admin from \`scripts/src/testing/fixtures.ts\` (scrypt N=16384 password hashes); tickets created by a customer in the agents' group.`,
    `- Order: kind by kind (${kinds.join(', ')}), for each ${o.pairs * 2} batches ${Array.from({ length: o.pairs * 2 }, (_, i) => (i % 2 === 0 ? 'old' : 'new')).join(', ')}; "round" in the table of every batch is the batch's place in its kind's sequence.`,
  ]);
  if (r.logs.length)
    blocks.push(
      '## Service logs (LOG_LEVEL=warn)',
      r.logs.map((l) => `- \`${l.file}\`: ${l.errors} error(s), ${l.warnings} warning(s)${l.samples.length ? `; e.g. ${l.samples.map((s) => `"${s.replace(/[|`]/g, ' ')}"`).join('; ')}` : ''}`),
    );
  return document(blocks);
}
