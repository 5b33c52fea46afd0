import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@mehrdesk/core/config';
import { openOrm } from '@mehrdesk/core/db';
import { stopAll } from '../stack/processes';
import { createFixtures, PASSWORD } from '../testing/fixtures';
import { CpuMonitor, type CpuGroup } from './lib/cpu';
import { gitState } from './lib/git';
import { closedLoop, distribution } from './lib/load';
import { runBench, writeBenchReport } from './lib/output';
import { findPids, loadAverage, machineInfo } from './lib/procfs';
import { benchLogDir, requireEnv, ROOT, stackPids, summarizeLog } from './lib/services';
import { createTickets, signIn, startApi, type RunningApi } from './request-overhead/apis';
import { measureBackground, median, pairDiffs, quieter, runBatch, sender, warmUp, type ApiUnderTest, type Batch, type CodeLabel, type Kind } from './request-overhead/measure';
import { mainThreadProfile, monotonicUs, summarizeProfile } from './request-overhead/profile';
import { renderRequestOverheadReport, type ControlRun, type ProfileRun, type RequestOverheadResult } from './request-overhead/report';
import { prepareWorktree } from './ticket-path/worktree';
import { intOption, benchCommand } from './lib/args';
import { gitLine } from './lib/git';

// `npm run bench:request-overhead` (= ./mehrdesk bench request-overhead [flags]): what every
// authenticated API request (and a sign-in) costs, the previous code and this code side by side
// on one stack. Both APIs run at once on ports of their own (the old one from a worktree of the
// previous commit, against this tree's schema: the migrations only added columns and tables);
// the same users sign in to each. Request kind by kind, batches alternate old, new, old, new …;
// each sends the kind a fixed number of times at a fixed concurrency (closed loop), with the API's,
// PostgreSQL's and Redis's CPU from /proc and Redis's own CPU and command counts (INFO). When the
// new code costs much more API CPU on GET /auth/me, both APIs are profiled (--cpu-prof) under the
// same load afterwards. Writes docs/benchmarks-request-overhead.md.
//
//   --old <commit>      the previous code (a worktree in the temp folder); default 38e412d (before issue 12)
//   --pairs N           old/new batch pairs per request kind; default 6 (quick 2)
//   --me N --tickets N --logins N   requests per round and kind; defaults 4000, 2000, 120 (quick 1500, 1000, 60)
//   --concurrency N     default 8
//   --kinds me,tickets,login
//   --profile auto|always|never   default auto: when the new API's CPU per GET /auth/me exceeds the old one's by more than 15 %
//   --quick             fewer requests; report to the temp folder;   --out FILE
//   --render JSON       re-render the report from a run's raw numbers (temp folder) without measuring
//   --control JSON      the raw numbers of a control run (the same code in both processes, e.g.
//                       --old <the commit the working tree is at>), shown as the method's noise

const log = (m: string) => console.log(m);
const BENCH = 'request-overhead';
const ALL_KINDS: Kind[] = ['me', 'tickets', 'login'];
const PROFILE_THRESHOLD = 0.15;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      old: { type: 'string' },
      pairs: { type: 'string' },
      me: { type: 'string' },
      tickets: { type: 'string' },
      logins: { type: 'string' },
      concurrency: { type: 'string' },
      kinds: { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
      control: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick;
  const int = intOption(quick);
  const kinds = (values.kinds ?? ALL_KINDS.join(',')).split(',').map((s) => s.trim()) as Kind[];
  if (!kinds.length || kinds.some((k) => !ALL_KINDS.includes(k))) throw new Error(`--kinds must be a list of ${ALL_KINDS.join(', ')}`);
  const profile = values.profile ?? 'auto';
  if (!['auto', 'always', 'never'].includes(profile)) throw new Error('--profile must be auto, always or never');
  return {
    quick,
    old: values.old ?? '38e412d',
    pairs: int(values.pairs, 'pairs', 6, 2),
    requests: { me: int(values.me, 'me', 4000, 1500), tickets: int(values.tickets, 'tickets', 2000, 1000), login: int(values.logins, 'logins', 120, 60) } as Record<Kind, number>,
    concurrency: int(values.concurrency, 'concurrency', 8, 8),
    kinds,
    profile: profile as 'auto' | 'always' | 'never',
    users: 4,
    seedTickets: 60,
    render: values.render ? path.resolve(values.render) : null,
    /** The raw numbers of a run with the same code in both processes (--old <the new commit>): the method's noise, shown next to the difference. */
    control: values.control ? path.resolve(values.control) : null,
    out: path.resolve(ROOT, values.out ?? (quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-request-overhead-quick.md') : 'docs/benchmarks-request-overhead.md')),
  };
}
export type RequestOverheadOptions = ReturnType<typeof options>;

/** The API of one code under --cpu-prof: signed in, warmed up, then `requests` GET /auth/me; the profile's samples of that window. */
async function profileRun(
  label: CodeLabel,
  root: string,
  stackEnv: NodeJS.ProcessEnv,
  logDir: string,
  taskQueue: string,
  emails: string[],
  requests: number,
  concurrency: number,
): Promise<ProfileRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mehrdesk-request-overhead-prof-${label}-`));
  const running = await startApi({ label: `profile-${label}`, root, stackEnv, logDir, taskQueue, nodeOptions: `--cpu-prof --cpu-prof-dir=${dir}` });
  try {
    const api: ApiUnderTest = { code: label, base: running.base, tokens: await signIn(running.base, emails, PASSWORD), emails, password: PASSWORD };
    await warmUp(api, 'me', Math.min(2000, requests), concurrency);
    const monitor = new CpuMonitor([{ name: 'API', pid: running.proc.pid!, tree: true }]);
    const c0 = monitor.snapshot();
    const from = monotonicUs();
    const load = await closedLoop({ concurrency, total: requests, send: sender(api, 'me') });
    const to = monotonicUs();
    const u = monitor.usage(c0, monitor.snapshot());
    await running.proc.stop(30_000);
    const { main: file, others } = mainThreadProfile(dir);
    const summary = file ? summarizeProfile(file, [ROOT, root], from, to) : null;
    log(
      `profile ${label}: ${load.ok}/${requests} ok, ${(load.ok / (load.elapsedMs / 1000)).toFixed(0)}/s, ${file ?? 'NO profile written'}${others.length ? ` (and ${others.length} worker-thread profile(s))` : ''}`,
    );
    return {
      code: label,
      requests: load.latencies.length,
      perSecond: load.ok / (load.elapsedMs / 1000),
      apiUsPerRequest: (1e6 * (u.cpuSeconds.API ?? NaN)) / load.latencies.length,
      latency: distribution(load.latencies),
      summary,
      workerThreadProfiles: others.length,
    };
  } finally {
    if (running.proc.running) await running.proc.stop(30_000);
  }
}

/** A control run's batches, from its raw numbers. */
function loadControl(file: string | null): ControlRun | null {
  if (!file) return null;
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as RequestOverheadResult;
  return {
    file: path.basename(file),
    command: c.run.command,
    startedAt: String(c.run.startedAt),
    commits: { old: c.codes.old.commit, new: c.codes.new.commit },
    otherCpuPct: c.run.otherCpuPct,
    batches: c.batches,
  };
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.render) {
    const saved = JSON.parse(fs.readFileSync(opts.render, 'utf8')) as RequestOverheadResult;
    const run = { ...saved.run, startedAt: new Date(saved.run.startedAt), finishedAt: new Date(saved.run.finishedAt) };
    fs.writeFileSync(opts.out, renderRequestOverheadReport({ ...saved, run, control: loadControl(opts.control) ?? saved.control ?? null }));
    log(`report re-rendered from ${opts.render} to ${path.relative(ROOT, opts.out) || opts.out}`);
    return 0;
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith(`scripts/src/bench/${BENCH}`) || f === `docs/benchmarks-${BENCH}.md`);
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadavgStart}`);

  const oldTree = await prepareWorktree(ROOT, opts.old, 'old', log);
  const codes = {
    old: { label: 'old' as const, root: oldTree.root, commit: oldTree.short, subject: gitLine(ROOT, ['log', '-1', '--format=%s', oldTree.commit]), preparedSeconds: oldTree.preparedSeconds },
    new: { label: 'new' as const, root: ROOT, commit: git.commit, subject: `${gitLine(ROOT, ['log', '-1', '--format=%s', 'HEAD'])} (working tree)`, preparedSeconds: 0 },
  };

  const redisUrl = new URL(requireEnv('REDIS_URL', BENCH));
  const config = loadConfig({ ...process.env, NODE_ENV: 'production' });
  const logDir = benchLogDir();
  const orm = await openOrm(config.DATABASE_URL, { poolMax: 2 });
  const taskQueue = `bench-ro-${randomBytes(3).toString('hex')}`;
  const apis: Partial<Record<CodeLabel, RunningApi>> = {};
  try {
    const stack = stackPids();
    // Redis rewrites its process title to "redis-server <host>:<port>", which stackPids' search misses.
    stack.redis ??= findPids(['redis-server', `:${redisUrl.port}`])[0] ?? null;
    for (const label of ['old', 'new'] as const) {
      apis[label] = await startApi({ label, root: codes[label].root, stackEnv: process.env, logDir, taskQueue });
      log(`${label} API (${codes[label].commit}, ${codes[label].root}) ready on ${apis[label].base.origin}, pid ${apis[label].proc.pid}`);
    }
    const groups: CpuGroup[] = [
      { name: 'API old', pid: apis.old!.proc.pid ?? null, tree: true },
      { name: 'API new', pid: apis.new!.proc.pid ?? null, tree: true },
      { name: 'PostgreSQL', pid: stack.postgres, tree: true },
      { name: 'Redis', pid: stack.redis, tree: true },
      { name: 'Temporal', pid: stack.temporal, tree: true },
      { name: 'load generator', pid: process.pid, tree: false },
    ].filter((g): g is CpuGroup => g.pid !== null);
    const monitor = new CpuMonitor(groups);

    // The same users for both codes; each code's API signs them in itself.
    const fx = await createFixtures(orm.em.fork());
    const emails = [fx.users.agent1.email, fx.users.agent2.email, fx.users.supervisor.email, fx.users.admin.email].slice(0, opts.users);
    const customer = await signIn(apis.new!.base, [fx.users.customer.email], PASSWORD);
    const seeded = await createTickets(apis.new!.base, customer[0]!, fx.categoryId, opts.seedTickets);
    log(`${seeded} tickets created for the list requests (task queue ${taskQueue}, no worker)`);
    const under: Record<CodeLabel, ApiUnderTest> = {
      old: { code: 'old', base: apis.old!.base, tokens: await signIn(apis.old!.base, emails, PASSWORD), emails, password: PASSWORD },
      new: { code: 'new', base: apis.new!.base, tokens: await signIn(apis.new!.base, emails, PASSWORD), emails, password: PASSWORD },
    };
    for (const label of ['old', 'new'] as const) {
      for (const kind of opts.kinds) await warmUp(under[label], kind, Math.max(20, Math.round(opts.requests[kind] / 2)), opts.concurrency);
      log(`${label}: warmed up`);
    }
    // Idle CPU (taken off every batch): twice, after a pause, the lower reading per process.
    const idle = async () => {
      await new Promise((r) => setTimeout(r, 5000));
      const b = await measureBackground(monitor, redisUrl, 5);
      log(
        `idle: ${Object.entries(b.pct)
          .map(([g, v]) => `${g} ${v.toFixed(1)} %`)
          .join(', ')}, Redis INFO ${(100 * b.redisCpuPerSecond).toFixed(2)} %`,
      );
      return b;
    };
    const background = quieter(await idle(), await idle());
    const batches: Batch[] = [];
    const pooledLatencies: Record<string, number[]> = {};
    // Kind by kind, old and new alternating batch by batch: the two batches of a pair run seconds
    // apart, so the load other engineers put on the machine changes little between them.
    const rounds = opts.pairs * 2;
    for (const kind of opts.kinds) {
      for (let round = 1; round <= rounds; round++) {
        const code: CodeLabel = round % 2 === 1 ? 'old' : 'new';
        const { batch, latencies } = await runBatch({ round, api: under[code], kind, requests: opts.requests[kind], concurrency: opts.concurrency, monitor, redisUrl, background });
        batches.push(batch);
        (pooledLatencies[`${code}:${kind}`] ??= []).push(...latencies);
        const errors = Object.values(batch.errors).reduce((a, b) => a + b, 0);
        log(
          `round ${round} ${code} ${kind}: ${batch.perSecond.toFixed(0)}/s, p50 ${batch.latency.p50.toFixed(2)} p99 ${batch.latency.p99.toFixed(2)} ms, ` +
            `API ${batch.usPerRequest[`API ${code}`]?.toFixed(0)} µs, PostgreSQL ${batch.usPerRequest.PostgreSQL?.toFixed(0)} µs, Redis ${batch.redisUsPerRequest.toFixed(1)} µs per request; ` +
            `Redis commands ${JSON.stringify(Object.fromEntries(Object.entries(batch.redisCommandsPerRequest).map(([k, v]) => [k, Number(v.toFixed(2))])))}; errors ${errors}; other ${batch.otherPct.toFixed(0)} %`,
        );
        if (errors > 0) log(`  errors: ${JSON.stringify(batch.errors)}`);
      }
    }
    const pooled = Object.fromEntries(Object.entries(pooledLatencies).map(([k, v]) => [k, distribution(v)]));
    const logs = (['old', 'new'] as const).map((l) => summarizeLog(apis[l]!.logFile));

    // Profile when the new code's fixed cost grew noticeably (or when asked).
    const meApi = (b: Batch) => b.usPerRequest[`API ${b.code}`] ?? NaN;
    const meOld = median(batches.filter((b) => b.code === 'old' && b.kind === 'me').map(meApi));
    const growth = median(pairDiffs(batches, 'me', meApi)) / meOld;
    let profiles: RequestOverheadResult['profiles'] = null;
    if (opts.profile === 'always' || (opts.profile === 'auto' && growth > PROFILE_THRESHOLD)) {
      const reason =
        opts.profile === 'always'
          ? 'asked for (--profile always)'
          : `the new API's CPU per GET /auth/me is ${(100 * growth).toFixed(0)} % above the old one's (threshold ${100 * PROFILE_THRESHOLD} %)`;
      log(`profiling both APIs: ${reason}`);
      // Alone on the stack: the measured APIs stop first.
      for (const l of ['old', 'new'] as const) await apis[l]!.proc.stop(15_000);
      const requests = Math.max(opts.requests.me, 6000);
      const prOld = await profileRun('old', codes.old.root, process.env, logDir, taskQueue, emails, requests, opts.concurrency);
      const prNew = await profileRun('new', codes.new.root, process.env, logDir, taskQueue, emails, requests, opts.concurrency);
      profiles = { reason, old: prOld, new: prNew };
    }

    const pgVersion = await orm.em
      .fork()
      .execute<{ server_version: string }[]>('show server_version')
      .then((r) => r[0]?.server_version ?? '?')
      .catch(() => '?');
    const others = batches.map((b) => b.otherPct);
    const result: RequestOverheadResult = {
      run: {
        startedAt,
        finishedAt: new Date(),
        benchSeconds: (performance.now() - t0) / 1000,
        command: benchCommand(BENCH),
        machine: machineInfo(),
        git,
        loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
        loadavgStart,
        loadavgEnd: loadAverage(),
        otherCpuPct: others.length ? others.reduce((a, b) => a + b, 0) / others.length : NaN,
        versions: `PostgreSQL ${pgVersion}; Redis from scripts/src/stack/redis.ts; Temporal dev server (SQLite)`,
      },
      options: opts,
      codes,
      groups: groups.map((g) => g.name),
      background,
      seededTickets: seeded,
      batches,
      pooled,
      profiles,
      logs,
      control: loadControl(opts.control),
    };
    const raw = writeBenchReport(BENCH, opts.out, renderRequestOverheadReport(result), result, startedAt);
    log(`report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${raw}; load average at the end ${result.run.loadavgEnd}`);
    return 0;
  } finally {
    await stopAll(15_000);
    await orm.close().catch(() => {});
  }
}

runBench(main);
