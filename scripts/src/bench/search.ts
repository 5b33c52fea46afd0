import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@mehrdesk/core/config';
import { openOrm } from '@mehrdesk/core/db';
import { createLogger } from '@mehrdesk/core/logger';
import { createPostgresBackend, drainAll } from '@mehrdesk/search';
import { stopAll, type ManagedProcess } from '../stack/processes';
import { CpuMonitor, type CpuGroup } from './lib/cpu';
import { gitState } from './lib/git';
import { apiLogin, benchLogDir, requireEnv, ROOT, stackPids, startService, summarizeLog, waitApiReady } from './lib/services';
import { runBench, writeBenchReport } from './lib/output';
import { loadAverage, machineInfo } from './lib/procfs';
import { BENCH_PASSWORD, generateData } from './search/generate';
import { measureLag } from './search/lag';
import { runQueryMix, type Roles } from './search/queries';
import { measureReindex } from './search/reindex';
import { baselineOf, renderSearchReport, type SearchBenchResult } from './search/report';

// `npm run bench:search` (= ./mehrdesk bench search [flags]): the search module on the PostgreSQL
// backend at the issue's size, against a fresh stack the launcher started and seeded.
//   1. generate 100,000 tickets with 1,000,000 messages (English and Persian), customers,
//      agents, groups and 1,000 bilingual KB articles in SQL, search triggers off;
//   2. full reindex (requestRebuild + runRebuild in process), timed per statement kind; index size;
//   3. the query mix per role through the real HTTP API (api/src/main.ts as its own process),
//      sequentially, next to the old substring search (`subject/number ilike`) for the same words;
//   4. indexing lag: 20 ticket changes per second, commit → findable through GET /api/v1/search,
//      with the indexer (startSearchIndexing: LISTEN/NOTIFY → BullMQ drain) running in process.
// Writes docs/benchmarks-search.md and the raw numbers as docs/benchmarks-search.json.
//
//   --tickets N (or BENCH_TICKETS)  tickets to generate; default 100000 (messages: 10 per ticket)
//   --queries N                     measured queries per category and role; default 200
//   --lag-seconds S                 length of the indexing-lag run; default 60
//   --rate R                        ticket changes per second in the lag run; default 20
//   --out FILE                      report (default docs/benchmarks-search.md; a smaller run writes to the temp folder)
//   --render JSON                   re-render the report from a run's raw numbers without measuring
//   --baseline JSON                 the raw numbers of a run of the previous code (a worktree of the
//                                   previous commit, run just before this one): shown side by side

const log = (m: string) => console.log(m);

function options() {
  const { values } = parseArgs({
    options: {
      tickets: { type: 'string' },
      queries: { type: 'string' },
      'lag-seconds': { type: 'string' },
      rate: { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
      baseline: { type: 'string' },
    },
    strict: true,
  });
  const int = (raw: string | undefined, name: string, def: number, min = 1) => {
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return n;
  };
  const tickets = int(values.tickets ?? process.env.BENCH_TICKETS, 'tickets', 100_000, 100);
  const full = tickets >= 100_000;
  return {
    tickets,
    full,
    queries: int(values.queries, 'queries', 200),
    lagSeconds: int(values['lag-seconds'], 'lag-seconds', 60),
    rate: int(values.rate, 'rate', 20),
    render: values.render ? path.resolve(values.render) : null,
    baseline: values.baseline ? path.resolve(values.baseline) : null,
    out: path.resolve(ROOT, values.out ?? (full ? 'docs/benchmarks-search.md' : path.join(os.tmpdir(), `mehrdesk-benchmarks-search-${tickets}.md`))),
  };
}

async function main(): Promise<number> {
  const opts = options();
  const rawOut = opts.out.replace(/\.md$/, '.json');
  if (opts.render) {
    const saved = JSON.parse(fs.readFileSync(opts.render, 'utf8')) as SearchBenchResult;
    const run = { ...saved.run, startedAt: new Date(saved.run.startedAt), finishedAt: new Date(saved.run.finishedAt) };
    fs.writeFileSync(opts.out, renderSearchReport({ ...saved, run }));
    log(`report re-rendered from ${opts.render} to ${path.relative(ROOT, opts.out) || opts.out}`);
    return 0;
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/search') || f.startsWith('docs/benchmarks-search'));
  log(`${opts.full ? 'full size' : `SMALL run (${opts.tickets} tickets: numbers are not for the record)`}; load average ${loadavgStart}`);

  const databaseUrl = requireEnv('DATABASE_URL', 'search');
  const base = new URL(requireEnv('PUBLIC_URL', 'search'));
  const logDir = benchLogDir();
  // The public KB search is rate limited per client; the benchmark is one client asking hundreds of times.
  const serviceEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMIT_PUBLIC_SEARCH_PER_MINUTE: '100000' };
  const config = loadConfig(serviceEnv);
  const orm = await openOrm(databaseUrl, { poolMax: 8 });
  const services: ManagedProcess[] = [];
  let monitor: CpuMonitor | undefined;
  try {
    const stack = stackPids();
    const groups: CpuGroup[] = [{ name: 'bench (load, indexer)', pid: process.pid, tree: false }];
    if (stack.postgres) groups.push({ name: 'PostgreSQL', pid: stack.postgres, tree: true });
    monitor = new CpuMonitor(groups);

    // ---- 1. data
    log(`generating ${opts.tickets.toLocaleString('en-US')} tickets …`);
    let cpuMark = monitor.snapshot();
    const generated = await generateData(
      orm,
      {
        tickets: opts.tickets,
        messagesPerTicket: 10,
        customers: Math.max(20, Math.round(opts.tickets / 50)),
        organizations: Math.max(5, Math.round(opts.tickets / 500)),
        agents: 20,
        articles: Math.max(50, Math.round(opts.tickets / 100)),
        seed: 0.20261202,
      },
      log,
    );
    const generateCpu = monitor.usage(cpuMark, monitor.snapshot());
    log(`generated in ${generated.seconds.toFixed(1)} s: ${JSON.stringify(generated.counts)}; outbox rows ${generated.outboxRows}`);

    // ---- 2. full reindex
    cpuMark = monitor.snapshot();
    const reindex = await measureReindex(orm, log, monitor);
    const reindexCpu = monitor.usage(cpuMark, monitor.snapshot());
    log(`reindex: ${reindex.documents.toLocaleString('en-US')} documents in ${reindex.seconds.toFixed(1)} s; index ${(reindex.size.total / 2 ** 20).toFixed(0)} MiB`);
    log(`  stages: ${reindex.stages.map((s) => `${s.stage} ${s.seconds.toFixed(1)} s`).join(', ')}`);
    for (const p of reindex.phases) log(`  ${p.seconds.toFixed(1).padStart(6)} s  ${p.phase}${p.calls ? ` (${p.calls} statements)` : ''}`);
    // What the seed put in the outbox before the benchmark (the demo articles) is indexed now.
    const drained = await drainAll(orm, createPostgresBackend(orm));
    log(`drained ${drained} outbox rows left by the seed`);

    // ---- 3. query mix through the API
    const api = startService('api', serviceEnv, logDir);
    services.push(api);
    await waitApiReady(base, services, 120_000);
    if (api.pid) groups.push({ name: 'API', pid: api.pid, tree: true });
    monitor = new CpuMonitor(groups);
    const roles: Roles = {
      admin: { token: await apiLogin(base, 'admin@mehrdesk.local', 'admin-demo-1'), scope: { kind: 'admin' } },
      agent: { token: await apiLogin(base, generated.logins.agent.email, BENCH_PASSWORD), scope: { kind: 'agent', userId: generated.logins.agent.id, groupIds: generated.logins.agent.groupIds } },
      customer: { token: await apiLogin(base, generated.logins.customer.email, BENCH_PASSWORD), scope: { kind: 'customer', userId: generated.logins.customer.id } },
    };
    cpuMark = monitor.snapshot();
    const queries = await runQueryMix({ orm, base, roles, perCategory: opts.queries, groupIds: generated.logins.agent.groupIds, services, log });
    const queriesCpu = monitor.usage(cpuMark, monitor.snapshot());

    // ---- 4. indexing lag
    cpuMark = monitor.snapshot();
    const lag = await measureLag({ orm, config, base, token: roles.admin.token, rate: opts.rate, seconds: opts.lagSeconds, services, log, logger: createLogger('bench-search', 'warn') });
    const lagCpu = monitor.usage(cpuMark, monitor.snapshot());

    const pgVersion = await orm.em
      .fork()
      .execute<{ server_version: string }[]>('show server_version')
      .then((r) => r[0]?.server_version ?? '?')
      .catch(() => '?');
    const args = process.argv.slice(2).join(' ');
    const result: SearchBenchResult = {
      run: {
        startedAt,
        finishedAt: new Date(),
        benchSeconds: (performance.now() - t0) / 1000,
        command: process.env.npm_lifecycle_event === 'bench:search' ? `npm run bench:search${args ? ` -- ${args}` : ''}` : `./mehrdesk bench search${args ? ` ${args}` : ''}`,
        machine: machineInfo(),
        git,
        loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
        loadavgStart,
        loadavgEnd: loadAverage(),
        otherCpuPct: (queriesCpu.otherPct * queriesCpu.seconds + lagCpu.otherPct * lagCpu.seconds) / Math.max(1, queriesCpu.seconds + lagCpu.seconds),
        versions: `PostgreSQL ${pgVersion} (embedded); Node ${process.versions.node}; redis-server from the launcher`,
      },
      options: { tickets: opts.tickets, full: opts.full, queries: opts.queries, lagSeconds: opts.lagSeconds, rate: opts.rate },
      generated,
      reindex,
      queries,
      lag,
      cpu: { groups: groups.map((g) => g.name), generate: generateCpu, reindex: reindexCpu, queries: queriesCpu, lag: lagCpu },
      logs: [summarizeLog(path.join(logDir, 'api.log'))],
      ...(opts.baseline ? { baseline: baselineOf(JSON.parse(fs.readFileSync(opts.baseline, 'utf8')) as SearchBenchResult) } : {}),
    };
    // The raw numbers first: a report that fails to render can be re-rendered from them (--render).
    fs.writeFileSync(rawOut, `${JSON.stringify(result, null, 1)}\n`);
    writeBenchReport('search', opts.out, renderSearchReport(result), result, startedAt);
    log(`report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${path.relative(ROOT, rawOut) || rawOut}; load average at the end ${result.run.loadavgEnd}`);
    return 0;
  } finally {
    monitor?.stop();
    await stopAll(15_000);
    await orm.close().catch(() => {});
  }
}

runBench(main);
