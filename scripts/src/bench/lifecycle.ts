import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { ticketWorkflowId } from '@mehrdesk/workflows/contracts';
import { openOrm, type MikroORM } from '@mehrdesk/core/db';
import { stopAll, type ManagedProcess } from '../stack/processes';
import { createFixtures, PASSWORD, type Fixtures } from '../testing/fixtures';
import { scrapeCreateHistogram, serverLatency } from './lib/api-metrics';
import { CpuMonitor, type CpuGroup } from './lib/cpu';
import { closedLoop, distribution, request, type LoadResult } from './lib/load';
import { PgWaitSampler } from './lib/postgres-waits';
import { BacklogSampler, backlog } from './lib/temporal-backlog';
import { cmdline, descendantsIn, findPids, loadAverage, machineInfo, memStatus, processAgeSeconds, processTable, pssKb } from './lib/procfs';
import { renderReport } from './lib/report';
import { assertRunning, startService, summarizeLog, waitApiReady, waitWorkerPolling } from './lib/services';
import type { BenchOptions, BenchResult, CreateRun, DrainResult, EndToEnd, MemoryResult, MemorySnapshot, SlaResult, StepResult } from './lib/types';
import { gitState } from './lib/git';

// `npm run bench:lifecycle` (= ./mehrdesk bench lifecycle [--quick]): ticket creation throughput,
// SLA timer precision and memory with many open ticket workflows, against a fresh embedded stack
// the launcher started (PostgreSQL, Temporal dev server on SQLite, SMTP catcher). The API and the
// worker run as separate processes exactly as in production; this process is the load generator.
// Writes a Markdown report (docs/benchmarks.md in full mode).

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const log = (m: string) => console.log(m); // the launcher prefixes our lines with [bench]

// ---------------------------------------------------------------------------------------------
// Options

function options(): BenchOptions {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'step-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      'workflow-check-seconds': { type: 'string' },
      'sla-tickets': { type: 'string' },
      'sla-target-seconds': { type: 'string' },
      'sla-timeout-seconds': { type: 'string' },
      'open-workflows': { type: 'string' },
      'settle-seconds': { type: 'string' },
      'create-concurrency': { type: 'string' },
      parts: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const env = process.env;
  const quick = values.quick || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const num = (flag: string | undefined, envName: string, full: number, fast: number) => {
    const raw = flag ?? env[envName];
    if (raw === undefined || raw === '') return quick ? fast : full;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(
        `${envName} / --${envName
          .replace(/^BENCH_/, '')
          .toLowerCase()
          .replace(/_/g, '-')} must be a positive number, got ${raw}`,
      );
    return n;
  };
  const concurrency = (values.concurrency ?? env.BENCH_CONCURRENCY ?? '1,4,8,16,32').split(',').map((s) => Number(s.trim()));
  if (concurrency.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('--concurrency must be a list of positive integers, e.g. 1,4,8,16,32');
  const parts = new Set(
    (values.parts ?? env.BENCH_PARTS ?? 'A,B,C')
      .toUpperCase()
      .split(',')
      .map((s) => s.trim()),
  );
  for (const p of parts) if (!['A', 'B', 'C'].includes(p)) throw new Error(`--parts: unknown part ${p} (A, B, C)`);
  const createConcurrency = values['create-concurrency'] ?? env.BENCH_CREATE_CONCURRENCY;
  return {
    quick,
    stepSeconds: num(values['step-seconds'], 'BENCH_STEP_SECONDS', 20, 5),
    concurrency,
    workflowCheckSeconds: num(values['workflow-check-seconds'], 'BENCH_WORKFLOW_CHECK_SECONDS', 10, 10),
    slaTickets: Math.round(num(values['sla-tickets'], 'BENCH_SLA_TICKETS', 1000, 100)),
    slaTargetSeconds: num(values['sla-target-seconds'], 'BENCH_SLA_TARGET_SECONDS', 30, 30),
    slaTimeoutSeconds: num(values['sla-timeout-seconds'], 'BENCH_SLA_TIMEOUT_SECONDS', 300, 300),
    openWorkflows: Math.round(num(values['open-workflows'], 'BENCH_OPEN_WORKFLOWS', 10_000, 1000)),
    settleSeconds: num(values['settle-seconds'], 'BENCH_SETTLE_SECONDS', 60, 15),
    createConcurrency: createConcurrency ? Number(createConcurrency) : null,
    parts: parts as Set<'A' | 'B' | 'C'>,
    out: path.resolve(ROOT, values.out ?? env.BENCH_OUT ?? (quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-quick.md') : 'docs/benchmarks.md')),
  };
}

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through \`npm run bench:lifecycle\` (./mehrdesk bench lifecycle)`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Processes of this run

/** The launcher keeps each run's services in .data/bench/<launcher pid>. */
function runDataDir(): string | null {
  const fromEnv = process.env.MEHRDESK_BENCH_DATA_DIR;
  if (fromEnv && fs.existsSync(fromEnv)) return fromEnv;
  const dir = path.join(ROOT, '.data', 'bench', String(process.ppid));
  return fs.existsSync(dir) ? dir : null;
}

function findServicePids(dataDir: string | null): { temporal: number | null; postgres: number | null } {
  const temporalPort = requireEnv('TEMPORAL_ADDRESS').split(':').pop()!;
  const pgPort = new URL(requireEnv('DATABASE_URL')).port;
  const pick = (byDir: string[] | null, byPort: string[]) => {
    let found = byDir ? findPids(byDir) : [];
    if (found.length === 0) found = findPids(byPort);
    return found.length ? Math.min(...found) : null; // the server itself is the oldest match
  };
  return {
    temporal: pick(dataDir ? [path.join(dataDir, 'temporal.db'), 'start-dev'] : null, ['start-dev', `--port ${temporalPort}`]),
    postgres: pick(dataDir ? [path.join(dataDir, 'postgres'), '-D'] : null, ['postgres', `-p ${pgPort}`]),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

async function login(base: URL, email: string): Promise<string> {
  const agent = new http.Agent({ keepAlive: false });
  const r = await request(agent, base, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  agent.destroy();
  if (r.status !== 200) throw new Error(`login ${email} failed: ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { token: string }).token;
}

function ticketSender(base: URL, token: string, fx: Fixtures, label: string) {
  return (agent: http.Agent, i: number) =>
    request(agent, base, 'POST', '/api/v1/tickets', {
      token,
      body: {
        subject: `[bench ${label}] printer on floor 3 jammed (#${i})`,
        body: `<p>Benchmark ticket ${label}-${i}: the printer on floor 3 reports <b>paper jam</b> again.</p>`,
        categoryId: fx.categoryId,
      },
    });
}

function createRun(r: LoadResult): CreateRun {
  return {
    concurrency: r.concurrency,
    seconds: r.elapsedMs / 1000,
    created: r.ids.length,
    tps: r.ok / (r.elapsedMs / 1000),
    latency: distribution(r.latencies),
    errors: r.errors,
  };
}

const idArray = (ids: number[]) => `{${ids.join(',')}}`;

async function startedCount(orm: MikroORM, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await orm.em.fork().execute<{ n: string }[]>(`select count(distinct ticket_id) as n from email_log where ticket_id = any(?::int[]) and template = 'ticket_created'`, [idArray(ids)]);
  return Number(row?.n ?? 0);
}

async function startLags(orm: MikroORM, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await orm.em.fork().execute<{ lag: string }[]>(
    `select extract(epoch from (min(e.created_at) - t.created_at)) * 1000 as lag
       from tickets t join email_log e on e.ticket_id = t.id and e.template = 'ticket_created'
      where t.id = any(?::int[]) group by t.id, t.created_at`,
    [idArray(ids)],
  );
  return rows.map((r) => Number(r.lag));
}

/** Poll until every ticket's workflow has started or `timeoutMs` passed. */
async function waitStarted(orm: MikroORM, ids: number[], timeoutMs: number): Promise<{ started: number; afterMs: number | null }> {
  const t0 = performance.now();
  for (;;) {
    const started = await startedCount(orm, ids);
    const elapsed = performance.now() - t0;
    if (started >= ids.length) return { started, afterMs: elapsed };
    if (elapsed >= timeoutMs) return { started, afterMs: null };
    await sleep(Math.min(500, Math.max(0, timeoutMs - elapsed)));
  }
}

/**
 * Wait until every ticket's workflow has started and Temporal's task queues are empty (the
 * pipeline has caught up), or `timeoutMs`. Reports how fast workflows started meanwhile.
 */
async function drain(orm: MikroORM, temporal: Client, taskQueue: string, ids: number[], timeoutMs: number, label: string): Promise<DrainResult> {
  const sampler = new BacklogSampler(temporal, taskQueue).start();
  const t0 = performance.now();
  const startedAtBegin = await startedCount(orm, ids);
  let started = startedAtBegin;
  let allStartedAt: number | null = null;
  let quiet = 0;
  let lastLog = t0;
  let complete = false;
  for (;;) {
    const now = performance.now();
    started = await startedCount(orm, ids);
    if (started >= ids.length && allStartedAt === null) allStartedAt = now;
    if (allStartedAt !== null) {
      const b = await backlog(temporal, taskQueue);
      quiet = b && b.workflowTasks === 0 && b.activityTasks === 0 ? quiet + 1 : 0;
      // The backlog count is approximate; 30 s after the last start counts as drained too.
      if (quiet >= 2 || now - allStartedAt > 30_000) {
        complete = true;
        break;
      }
    }
    if (now - t0 > timeoutMs) break;
    if (now - lastLog > 30_000) {
      const b = await backlog(temporal, taskQueue);
      log(`${label}: ${started}/${ids.length} workflows started; backlog ${b ? `${b.workflowTasks} workflow tasks (oldest ${b.workflowAgeS.toFixed(0)} s), ${b.activityTasks} activity tasks` : '?'}`);
      lastLog = now;
    }
    await sleep(1000);
  }
  const seconds = (performance.now() - t0) / 1000;
  const startedDuring = started - startedAtBegin;
  const startWindow = ((allStartedAt ?? performance.now()) - t0) / 1000;
  return {
    tickets: ids.length,
    seconds,
    complete,
    startedAtBegin,
    started,
    allStartedAfterS: allStartedAt === null ? null : (allStartedAt - t0) / 1000,
    startsPerSecond: startedDuring >= 50 && startWindow > 0 ? startedDuring / startWindow : null,
    backlog: await sampler.stop(),
  };
}

async function openWorkflowCount(temporal: Client, taskQueue: string): Promise<number | null> {
  try {
    return (await temporal.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`)).count;
  } catch (error) {
    log(`Temporal count failed (${error instanceof Error ? error.message : String(error)}); using the database`);
    return null;
  }
}

async function openTicketsInDb(orm: MikroORM, categoryIds: number[]): Promise<number> {
  const [row] = await orm.em.fork().execute<{ n: string }[]>(
    `select count(*) as n from tickets t where category_id = any(?::int[])
        and exists (select 1 from email_log e where e.ticket_id = t.id and e.template = 'ticket_created')
        and status not in ('closed', 'cancelled') and deleted_at is null`,
    [idArray(categoryIds)],
  );
  return Number(row?.n ?? 0);
}

function temporalVersion(pid: number | null): string {
  if (pid === null) return 'unknown';
  try {
    const exe = fs.readlinkSync(`/proc/${pid}/exe`);
    return execFileSync(exe, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

function workerOptionsFromSource(): string[] {
  try {
    const src = fs.readFileSync(path.join(ROOT, 'worker/src/create-worker.ts'), 'utf8');
    const block = /Worker\.create\(\{([\s\S]*?)\n\s*\}\);/.exec(src)?.[1] ?? '';
    return block
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('//') && !/^(connection|namespace|taskQueue|workflowBundle|activities)\b/.test(l));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const opts = options();
  const startedAt = new Date();
  const t0 = performance.now();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/') || f.startsWith('docs/benchmarks'));
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadavgStart}`);

  const base = new URL(requireEnv('PUBLIC_URL'));
  const databaseUrl = requireEnv('DATABASE_URL');
  const dataDir = runDataDir();
  const logDir = path.join(dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-bench-')), 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const taskQueue = `bench-${randomBytes(4).toString('hex')}`;
  // Production's environment (Dockerfile: NODE_ENV=production) plus a task queue private to this run.
  const serviceEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  const appConfig = loadConfig(serviceEnv);

  const orm = await openOrm(databaseUrl, { poolMax: 4 });
  const connection = await Connection.connect({ address: appConfig.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: appConfig.TEMPORAL_NAMESPACE });
  const services: ManagedProcess[] = [];
  const cpuGroups: CpuGroup[] = [];
  let monitor: CpuMonitor | undefined;

  try {
    // 1. Fixtures: one isolated set per part, so each part's tickets are easy to tell apart.
    const slaTargets = { firstResponseSeconds: opts.slaTargetSeconds };
    const fxA = await createFixtures(orm.em.fork());
    const fxB = await createFixtures(orm.em.fork(), {
      targets: { low: slaTargets, normal: slaTargets, high: slaTargets, urgent: slaTargets },
      warningFraction: 0.8,
      escalation: [],
      calendar: { timeZone: 'UTC', alwaysOpen: true, shifts: [] },
    });
    const fxC = await createFixtures(orm.em.fork());

    // 2. API and worker as production runs them: separate processes, tsx, same task queue.
    const worker = startService('worker', serviceEnv, logDir);
    const api = startService('api', serviceEnv, logDir);
    services.push(worker, api);
    const ready0 = performance.now();
    await waitApiReady(base, services, 120_000);
    log(`API ready in ${((performance.now() - ready0) / 1000).toFixed(1)} s (task queue ${taskQueue}, logs in ${path.relative(ROOT, logDir)})`);
    // The worker bundles the workflow code (webpack) before it polls; give it a moment to be polling.
    await waitWorkerPolling(temporal, taskQueue, worker);

    const svc = findServicePids(dataDir);
    const launcherPid = cmdline(process.ppid).some((a) => a.endsWith('cli.ts')) ? process.ppid : null;
    const pids: Record<string, number | null> = {
      api: api.pid ?? null,
      worker: worker.pid ?? null,
      temporal: svc.temporal,
      postgres: svc.postgres,
      'load generator': process.pid,
      'launcher (SMTP catcher)': launcherPid,
    };
    log(
      `pids: ${Object.entries(pids)
        .map(([k, v]) => `${k}=${v ?? '?'}`)
        .join(', ')}`,
    );
    for (const [name, pid] of Object.entries(pids)) {
      if (pid === null) continue;
      // The launcher is every process's ancestor: count only itself (it runs the SMTP catcher).
      cpuGroups.push({ name, pid, tree: name !== 'launcher (SMTP catcher)' && name !== 'load generator' });
    }
    monitor = new CpuMonitor(cpuGroups);
    monitor.start(1000);

    const snapshots: MemorySnapshot[] = [];
    const categoryIds = [fxA.categoryId, fxB.categoryId, fxC.categoryId];
    const memorySnapshot = async (label: string) => {
      const table = processTable();
      const procs: MemorySnapshot['procs'] = {};
      for (const [name, pid] of Object.entries(pids)) {
        if (pid === null) {
          procs[name] = null;
          continue;
        }
        const m = memStatus(pid);
        if (!m) {
          procs[name] = null;
          continue;
        }
        procs[name] = { pid, ...m };
        if (name === 'postgres') {
          const tree = [pid, ...descendantsIn(table, pid)];
          procs[name] = { pid, ...m, treePssKb: tree.reduce((s, p) => s + pssKb(p), 0), treeProcs: tree.length };
        }
      }
      const open = (await openWorkflowCount(temporal, taskQueue)) ?? (await openTicketsInDb(orm, categoryIds));
      snapshots.push({ label, openWorkflows: open, procs });
      log(
        `memory [${label}]: ${Object.entries(procs)
          .map(([k, v]) => `${k} ${v ? Math.round(v.rssKb / 1024) : '?'} MiB`)
          .join(', ')}; open workflows ${open}`,
      );
    };
    await memorySnapshot('after start-up');

    const metricsAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

    // 3. Part A: creation throughput at increasing concurrency.
    const steps: StepResult[] = [];
    const partAIds: number[] = [];
    let partA: EndToEnd | null = null;
    let partAStart: ReturnType<CpuMonitor['snapshot']> | undefined;
    const stepIds: number[][] = [];
    let history: BenchResult['history'] = null;
    if (opts.parts.has('A')) {
      const token = await login(base, fxA.users.customer.email);
      const send = ticketSender(base, token, fxA, 'A');
      // Warm-up (JIT, connection pools, Temporal task queue): not recorded.
      const warm = await closedLoop({ concurrency: 4, total: 40, send });
      await drain(orm, temporal, taskQueue, warm.ids, 60_000, 'warm-up');
      const b0 = monitor.snapshot();
      await sleep(5000);
      const baseline = monitor.usage(b0, monitor.snapshot());
      for (const concurrency of opts.concurrency) {
        const before = await scrapeCreateHistogram(metricsAgent, base);
        const pg = new PgWaitSampler(orm);
        pg.start();
        const backlogSampler = new BacklogSampler(temporal, taskQueue).start();
        const c0 = monitor.snapshot();
        if (steps.length === 0) partAStart = c0;
        const r = await closedLoop({ concurrency, durationMs: opts.stepSeconds * 1000, send });
        const c1 = monitor.snapshot();
        const pgWaits = await pg.stop();
        const after = await scrapeCreateHistogram(metricsAgent, base);
        const started = await waitStarted(orm, r.ids, opts.workflowCheckSeconds * 1000);
        const lags = await startLags(orm, r.ids);
        const stepBacklog = await backlogSampler.stop();
        const step: StepResult = {
          ...createRun(r),
          server: serverLatency(before, after),
          workflows: { total: r.ids.length, startedInCheck: started.started, allStartedAfterMs: started.afterMs, startLagMs: distribution(lags) },
          cpu: monitor.usage(c0, c1),
          peakMachinePct: monitor.peakMachinePct(c0.at, c1.at),
          pgWaits,
          backlog: stepBacklog,
        };
        steps.push(step);
        partAIds.push(...r.ids);
        stepIds.push(r.ids);
        log(
          `A c=${concurrency}: ${step.tps.toFixed(1)} tickets/s, p50 ${step.latency.p50.toFixed(0)} p99 ${step.latency.p99.toFixed(0)} max ${step.latency.max.toFixed(0)} ms, ` +
            `errors ${Object.values(step.errors).reduce((a, b) => a + b, 0)}, workflows started ${started.started}/${r.ids.length} ` +
            `(${started.afterMs === null ? `not all within ${opts.workflowCheckSeconds} s` : `all after ${(started.afterMs / 1000).toFixed(1)} s`}), ` +
            `CPU ${Object.entries(step.cpu.pct)
              .map(([k, v]) => `${k.split(' ')[0]} ${v.toFixed(0)}%`)
              .join(' ')}, machine ${step.cpu.machinePct.toFixed(0)}%`,
        );
        assertRunning(services);
      }
      // End to end: until the worker and Temporal have caught up with every ticket of part A.
      const d = await drain(orm, temporal, taskQueue, partAIds, opts.quick ? 300_000 : 900_000, 'A drain');
      const cEnd = monitor.snapshot();
      partA = { tickets: partAIds.length, seconds: (cEnd.at - partAStart!.at) / 1000, cpu: monitor.usage(partAStart!, cEnd), baseline, drain: d };
      log(
        `A end to end: ${partAIds.length} tickets, drained ${d.complete ? '' : 'NOT '}after ${d.seconds.toFixed(0)} s ` +
          `(${d.startedAtBegin} started at the beginning; ${d.startsPerSecond === null ? '?' : d.startsPerSecond.toFixed(1)} starts/s while draining)`,
      );
      // Start lag of every ticket, now that all (or most) workflows have started.
      for (const [i, ids] of stepIds.entries()) steps[i]!.workflows.startLagMs = distribution(await startLags(orm, ids));
      history = await historyOf(temporal, partAIds[0]);
      await memorySnapshot('after part A');
    }

    // 4. Part B: SLA timer precision.
    let sla: SlaResult | null = null;
    if (opts.parts.has('B')) {
      const best = steps.length ? steps.reduce((a, b) => (b.tps > a.tps ? b : a)) : null;
      const concurrency = opts.createConcurrency ?? best?.concurrency ?? 16;
      // Part A has drained (above), so the timers start from a quiet system.
      await sleep(5000);
      const token = await login(base, fxB.users.customer.email);
      log(`B: creating ${opts.slaTickets} tickets with a ${opts.slaTargetSeconds} s first-response target at concurrency ${concurrency}`);
      const backlogB = new BacklogSampler(temporal, taskQueue).start();
      const c0 = monitor.snapshot();
      const r = await closedLoop({ concurrency, total: opts.slaTickets, send: ticketSender(base, token, fxB, 'B') });
      const c1 = monitor.snapshot();
      const create = createRun(r);
      log(`B: created ${create.created} in ${create.seconds.toFixed(1)} s (${create.tps.toFixed(1)}/s); waiting for every breach (timeout ${opts.slaTimeoutSeconds} s)`);
      const ids = r.ids;
      const w0 = performance.now();
      let timedOut = false;
      for (;;) {
        const [row] = await orm.em
          .fork()
          .execute<{ n: string }[]>(`select count(distinct ticket_id) as n from sla_events where ticket_id = any(?::int[]) and type = 'breach' and clock = 'first_response'`, [idArray(ids)]);
        const n = Number(row?.n ?? 0);
        if (n >= ids.length) break;
        if (performance.now() - w0 > opts.slaTimeoutSeconds * 1000) {
          timedOut = true;
          log(`B: timed out with ${n}/${ids.length} breaches`);
          break;
        }
        await sleep(1000);
      }
      const waitedSeconds = (performance.now() - w0) / 1000;
      await sleep(2000); // late duplicates, if any, get a chance to show up
      const c2 = monitor.snapshot();
      const events = await orm.em.fork().execute<{ ticket_id: number; type: string; late: string; target: string; actual: string; started_after_due: boolean | null }[]>(
        `select e.ticket_id, e.type, extract(epoch from (e.actual_at - e.target_at)) * 1000 as late,
                extract(epoch from e.target_at) * 1000 as target, extract(epoch from e.actual_at) * 1000 as actual,
                (select min(m.created_at) from email_log m where m.ticket_id = e.ticket_id and m.template = 'ticket_created') > e.target_at as started_after_due
           from sla_events e join tickets t on t.id = e.ticket_id
          where e.ticket_id = any(?::int[]) and e.clock = 'first_response' and e.type in ('warning', 'breach')`,
        [idArray(ids)],
      );
      const backlogSummaryB = await backlogB.stop();
      const per = new Map<number, { breach: number; warning: number }>();
      for (const id of ids) per.set(id, { breach: 0, warning: 0 });
      for (const e of events) {
        const p = per.get(e.ticket_id);
        if (p) p[e.type as 'breach' | 'warning']++;
      }
      const breaches = events.filter((e) => e.type === 'breach').sort((a, b) => Number(a.target) - Number(b.target));
      const latenessBySlice = Array.from({ length: 10 }, (_, i) => {
        const slice = breaches.slice(Math.floor((i * breaches.length) / 10), Math.floor(((i + 1) * breaches.length) / 10)).map((e) => Number(e.late));
        const d = distribution(slice);
        return { slice: i + 1, p50: d.p50, p99: d.p99, max: d.max };
      });
      const perSecond = new Map<number, number>();
      for (const e of breaches) perSecond.set(Math.floor(Number(e.actual) / 1000), (perSecond.get(Math.floor(Number(e.actual) / 1000)) ?? 0) + 1);
      const firstTarget = breaches.length ? Number(breaches[0]!.target) : NaN;
      const lastActual = breaches.length ? Math.max(...breaches.map((e) => Number(e.actual))) : NaN;
      // CPU while the timers fired: from the first warning due time (target − 20 % of 30 s) to the last breach.
      const firingWindowSeconds = (lastActual - firstTarget) / 1000 + opts.slaTargetSeconds * 0.2;
      const values = [...per.values()];
      sla = {
        tickets: ids.length,
        targetSeconds: opts.slaTargetSeconds,
        warningFraction: 0.8,
        create,
        waitedSeconds,
        timedOut,
        breachLatenessMs: distribution(breaches.map((e) => Number(e.late))),
        warningLatenessMs: distribution(events.filter((e) => e.type === 'warning').map((e) => Number(e.late))),
        latenessBySlice,
        startedAfterDue: breaches.filter((e) => e.started_after_due === true).length,
        onTimeStartBreachLatenessMs: distribution(breaches.filter((e) => e.started_after_due === false).map((e) => Number(e.late))),
        backlog: backlogSummaryB,
        missingBreach: values.filter((v) => v.breach === 0).length,
        missingWarning: values.filter((v) => v.warning === 0).length,
        duplicateBreach: values.filter((v) => v.breach > 1).length,
        duplicateWarning: values.filter((v) => v.warning > 1).length,
        startLagMs: distribution(await startLags(orm, ids)),
        cpuCreate: monitor.usage(c0, c1),
        cpuFiring: c2.at > c1.at ? monitor.usage(c1, c2) : null,
        firingWindowSeconds,
        peakBreachesPerSecond: Math.max(0, ...perSecond.values()),
      };
      log(
        `B: breach lateness p50 ${sla.breachLatenessMs.p50.toFixed(0)} p95 ${sla.breachLatenessMs.p95.toFixed(0)} p99 ${sla.breachLatenessMs.p99.toFixed(0)} max ${sla.breachLatenessMs.max.toFixed(0)} ms; ` +
          `missing ${sla.missingBreach}, duplicated breaches ${sla.duplicateBreach}, duplicated warnings ${sla.duplicateWarning}`,
      );
      assertRunning(services);
      await memorySnapshot('after part B');
    }

    // 5. Part C: memory with many open ticket workflows.
    let memory: MemoryResult | null = null;
    if (opts.parts.has('C')) {
      const best = steps.length ? steps.reduce((a, b) => (b.tps > a.tps ? b : a)) : null;
      const concurrency = opts.createConcurrency ?? best?.concurrency ?? 16;
      const openBefore = (await openWorkflowCount(temporal, taskQueue)) ?? (await openTicketsInDb(orm, categoryIds));
      const needed = Math.max(0, opts.openWorkflows - openBefore);
      log(`C: ${openBefore} open workflows; creating ${needed} more (1 h / 8 h targets) at concurrency ${concurrency}`);
      const token = await login(base, fxC.users.customer.email);
      const send = ticketSender(base, token, fxC, 'C');
      const c0 = monitor.snapshot();
      const results: LoadResult[] = [];
      const chunks: MemoryResult['chunks'] = [];
      // Tenths, so a slow-down as open tickets pile up is visible.
      const chunk = Math.max(1, Math.ceil(needed / 10));
      let made = 0;
      let attempts = 0;
      while (made < needed && attempts < 12 + Math.ceil(needed / chunk)) {
        attempts++;
        const n = Math.min(chunk, needed - made);
        const r = await closedLoop({ concurrency, total: n, send });
        results.push(r);
        const d = distribution(r.latencies);
        chunks.push({ from: openBefore + made, to: openBefore + made + r.ids.length, tps: r.ok / (r.elapsedMs / 1000), p50: d.p50, p99: d.p99 });
        made += r.ids.length;
        log(`C: ${openBefore + made}/${opts.openWorkflows} (${(r.ok / (r.elapsedMs / 1000)).toFixed(1)}/s, p99 ${d.p99.toFixed(0)} ms)`);
        assertRunning(services);
      }
      const c1 = monitor.snapshot();
      const merged: LoadResult | null = results.length
        ? {
            concurrency,
            elapsedMs: results.reduce((s, r) => s + r.elapsedMs, 0),
            latencies: results.flatMap((r) => r.latencies),
            ok: results.reduce((s, r) => s + r.ok, 0),
            errors: results.reduce<Record<string, number>>((acc, r) => {
              for (const [k, v] of Object.entries(r.errors)) acc[k] = (acc[k] ?? 0) + v;
              return acc;
            }, {}),
            ids: results.flatMap((r) => r.ids),
          }
        : null;
      const ids = merged?.ids ?? [];
      const d = await drain(orm, temporal, taskQueue, ids, opts.quick ? 300_000 : 1_200_000, 'C drain');
      const startWaitSeconds = d.seconds;
      log(`C: ${d.started}/${ids.length} workflows started, drained ${d.complete ? '' : 'NOT '}after ${startWaitSeconds.toFixed(1)} s; settling ${opts.settleSeconds} s`);
      const c2 = monitor.snapshot();
      await sleep(opts.settleSeconds * 1000);
      const c3 = monitor.snapshot();
      const openAfter = await openWorkflowCount(temporal, taskQueue);
      const openAfterDb = await openTicketsInDb(orm, categoryIds);
      memory = {
        target: opts.openWorkflows,
        openBefore,
        create: merged ? createRun(merged) : null,
        chunks,
        allStarted: d.started >= ids.length,
        startWaitSeconds,
        drain: d,
        settleSeconds: opts.settleSeconds,
        openAfter,
        openAfterDb,
        cpuCreate: merged ? monitor.usage(c0, c1) : null,
        cpuSettle: monitor.usage(c2, c3),
      };
      await memorySnapshot(`part C, after ${opts.settleSeconds} s settle`);
      assertRunning(services);
    }
    metricsAgent.destroy();
    monitor.stop();

    const pgVersion = await orm.em
      .fork()
      .execute<{ v: string }[]>('show server_version')
      .then((r) => `PostgreSQL ${Object.values(r[0] ?? {})[0] ?? '?'}`)
      .catch(() => 'unknown');
    const logs = [summarizeLog(path.join(logDir, 'api.log')), summarizeLog(path.join(logDir, 'worker.log'))];
    const launcherAge = launcherPid ? processAgeSeconds(launcherPid) : undefined;
    const args = process.argv.slice(2).join(' ');
    const result: BenchResult = {
      startedAt,
      finishedAt: new Date(),
      benchSeconds: (performance.now() - t0) / 1000,
      totalSeconds: launcherAge ?? null,
      command: process.env.npm_lifecycle_event === 'bench:lifecycle' ? `npm run bench:lifecycle${args ? ` -- ${args}` : ''}` : `./mehrdesk bench lifecycle${args ? ` ${args}` : ''}`,
      machine: machineInfo(),
      git,
      loadavgStart,
      loadavgEnd: loadAverage(),
      loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
      options: opts,
      taskQueue,
      versions: { temporal: temporalVersion(svc.temporal), postgres: pgVersion, node: process.version },
      config: {
        workerOptions: workerOptionsFromSource(),
        apiEnv: ['NODE_ENV=production', 'LOG_LEVEL=warn', `TEMPORAL_TASK_QUEUE=${taskQueue}`, `DB_POOL_MAX=${appConfig.DB_POOL_MAX} (default)`],
        temporalCmd: svc.temporal ? cmdline(svc.temporal) : [],
        postgresCmd: svc.postgres ? cmdline(svc.postgres) : [],
        dbPoolMax: appConfig.DB_POOL_MAX,
      },
      pids,
      steps,
      partA,
      history,
      sla,
      memory,
      snapshots,
      logs,
    };
    const md = keepOtherBenchmarks(renderReport(result), opts.out);
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, md);
    const rawFile = path.join(os.tmpdir(), `mehrdesk-bench-lifecycle-${opts.quick ? 'quick' : 'full'}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(
      rawFile,
      JSON.stringify(result, (_k, v: unknown) => (v instanceof Set ? [...v] : v), 2),
    );
    console.log(`\n${md}`);
    log(`report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${rawFile}; benchmark took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return 0;
  } finally {
    monitor?.stop();
    await stopAll(15_000);
    await connection.close().catch(() => {});
    await orm.close().catch(() => {});
  }
}

const EVENT_NAMES: Record<number, string> = {
  1: 'WorkflowExecutionStarted',
  5: 'WorkflowTaskScheduled',
  6: 'WorkflowTaskStarted',
  7: 'WorkflowTaskCompleted',
  10: 'ActivityTaskScheduled',
  11: 'ActivityTaskStarted',
  12: 'ActivityTaskCompleted',
  13: 'ActivityTaskFailed',
  17: 'TimerStarted',
  18: 'TimerFired',
  19: 'TimerCanceled',
  25: 'MarkerRecorded',
  26: 'WorkflowExecutionSignaled',
  40: 'UpsertWorkflowSearchAttributes',
  41: 'WorkflowExecutionUpdateAccepted',
  43: 'WorkflowExecutionUpdateCompleted',
  46: 'WorkflowPropertiesModified',
};

/** What one ticket's start costs Temporal: its history right after creation settled. */
async function historyOf(temporal: Client, ticketId: number | undefined): Promise<BenchResult['history']> {
  if (ticketId === undefined) return null;
  try {
    const h = await temporal.workflow.getHandle(ticketWorkflowId(ticketId)).fetchHistory();
    const byType: Record<string, number> = {};
    for (const e of h.events ?? []) {
      const n = Number(e.eventType ?? 0);
      const name = EVENT_NAMES[n] ?? `EventType${n}`;
      byType[name] = (byType[name] ?? 0) + 1;
    }
    return { ticketId, events: h.events?.length ?? 0, byType };
  } catch (error) {
    log(`history of ticket ${ticketId} unavailable: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/**
 * docs/benchmarks.md also carries a hand-kept "Other benchmarks" section (summaries of the other
 * benches' reports): a rerun replaces the lifecycle figures and keeps that section, before "## Run".
 */
function keepOtherBenchmarks(md: string, out: string): string {
  const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  const other = /\n## Other benchmarks\n[\s\S]*?(?=\n## )/.exec(previous)?.[0];
  if (!other || md.includes('\n## Other benchmarks\n')) return md;
  const at = md.indexOf('\n## Run\n');
  return at < 0 ? `${md.trimEnd()}\n${other}\n` : `${md.slice(0, at)}${other}${md.slice(at)}`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
