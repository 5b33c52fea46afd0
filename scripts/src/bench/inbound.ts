import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '@mehrdesk/core/config';
import { openOrm } from '@mehrdesk/core/db';
import { stopAll, type ManagedProcess } from '../stack/processes';
import { CpuMonitor, type CpuGroup } from './lib/cpu';
import { gitState } from './lib/git';
import { runBench, writeBenchReport } from './lib/output';
import { loadAverage, machineInfo } from './lib/procfs';
import { assertRunning, benchLogDir, requireEnv, ROOT, stackPids, startService, summarizeLog, waitWorkerPolling } from './lib/services';
import { attachmentBytes, SenderPool, type ReplyTarget } from './inbound/mails';
import { renderInboundReport, type InboundBenchResult } from './inbound/report';
import { runBatch, type RunContext } from './inbound/run';
import { intOption } from './lib/args';

// `npm run bench:inbound` (= ./mehrdesk bench inbound [flags]): inbound e-mail throughput from
// SMTP to ticket, against a fresh embedded stack the launcher started (PostgreSQL, Temporal dev
// server, Redis, SMTP catcher). The worker runs as its own process, as in production, with its
// inbound SMTP listener on the launcher's INBOUND_SMTP_PORT; this process sends the mail with
// nodemailer and follows each message into PostgreSQL. Writes docs/benchmarks-inbound.md.
//
//   --count N                messages measured; default 1000
//   --reply-fraction F       share of replies threaded by In-Reply-To to existing tickets; default 0.3
//   --attachment-fraction F  share of messages with a 2 KiB CSV attachment; default 0.2
//   --connections C          SMTP connections sending in parallel; default 4
//   --seed-tickets N         tickets opened by mail before the measurement (first reply targets); default 20
//   --paced-count N          then N more messages at half the end-to-end rate (latency without a queue); 0 skips; default 100
//   --timeout-seconds S      default 900;   --quick: 200 messages, report to the temp folder;   --out FILE
//   --render JSON            re-render the report from a run's raw numbers (temp folder) without measuring

const log = (m: string) => console.log(m);

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      count: { type: 'string' },
      'reply-fraction': { type: 'string' },
      'attachment-fraction': { type: 'string' },
      connections: { type: 'string' },
      'seed-tickets': { type: 'string' },
      'paced-count': { type: 'string' },
      'timeout-seconds': { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick;
  const int = intOption(quick);
  const fraction = (raw: string | undefined, name: string, def: number) => {
    const n = raw === undefined ? def : Number(raw);
    if (!(n >= 0 && n <= 1)) throw new Error(`--${name} must be between 0 and 1, got ${raw}`);
    return n;
  };
  return {
    quick,
    count: int(values.count, 'count', 1000, 200),
    replyFraction: fraction(values['reply-fraction'], 'reply-fraction', 0.3),
    attachmentFraction: fraction(values['attachment-fraction'], 'attachment-fraction', 0.2),
    connections: int(values.connections, 'connections', 4, 4),
    seedTickets: int(values['seed-tickets'], 'seed-tickets', 20, 10),
    pacedCount: int(values['paced-count'], 'paced-count', 100, 40, 0),
    timeoutSeconds: int(values['timeout-seconds'], 'timeout-seconds', 900, 300),
    /** Re-render the report from a run's raw JSON (written to the temp folder) without measuring again. */
    render: values.render ? path.resolve(values.render) : null,
    out: path.resolve(ROOT, values.out ?? (quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-inbound-quick.md') : 'docs/benchmarks-inbound.md')),
  };
}

/** Until the worker's SMTP listener takes connections (it starts after the Temporal worker). */
async function waitSmtpListening(port: number, worker: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    assertRunning([worker]);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(250);
  }
  throw new Error(`the inbound SMTP listener on port ${port} did not open within 60 s`);
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.render) {
    const saved = JSON.parse(fs.readFileSync(opts.render, 'utf8')) as InboundBenchResult;
    const run = { ...saved.run, startedAt: new Date(saved.run.startedAt), finishedAt: new Date(saved.run.finishedAt) };
    fs.writeFileSync(opts.out, renderInboundReport({ ...saved, run }));
    log(`report re-rendered from ${opts.render} to ${path.relative(ROOT, opts.out) || opts.out}`);
    return 0;
  }
  const startedAt = new Date();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/inbound') || f === 'docs/benchmarks-inbound.md');
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadavgStart}`);

  const smtpPort = Number(requireEnv('INBOUND_SMTP_PORT', 'inbound'));
  const logDir = benchLogDir();
  const taskQueue = `bench-${randomBytes(4).toString('hex')}`;
  // Production's environment plus a private task queue; everything inbound at its defaults.
  const serviceEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  const config = loadConfig(serviceEnv);

  const orm = await openOrm(config.DATABASE_URL, { poolMax: 4 });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const services: ManagedProcess[] = [];
  let monitor: CpuMonitor | undefined;
  try {
    const worker = startService('worker', serviceEnv, logDir);
    services.push(worker);
    await waitWorkerPolling(temporal, taskQueue, worker);
    await waitSmtpListening(smtpPort, worker);
    log(`worker ready (task queue ${taskQueue}, inbound SMTP on ${smtpPort}, logs in ${path.relative(ROOT, logDir)})`);

    const stack = stackPids();
    const pids: Record<string, number | null> = {
      worker: worker.pid ?? null,
      Temporal: stack.temporal,
      PostgreSQL: stack.postgres,
      Redis: stack.redis,
      'bench (SMTP client)': process.pid,
      'SMTP catcher': stack.launcher,
    };
    const groups: CpuGroup[] = Object.entries(pids)
      .filter((e): e is [string, number] => e[1] !== null)
      .map(([name, pid]) => ({ name, pid, tree: name !== 'SMTP catcher' && !name.startsWith('bench') }));
    monitor = new CpuMonitor(groups);
    monitor.start(1000);

    const run = randomBytes(3).toString('hex');
    const targets: ReplyTarget[] = [];
    // Stay well under the per-sender loop guard (INBOUND_MAX_PER_SENDER messages per 10 minutes).
    const senderBudget = Math.max(1, Math.min(12, config.INBOUND_MAX_PER_SENDER - 4));
    const ctx: RunContext = { orm, monitor, services, smtp: { host: '127.0.0.1', port: smtpPort }, run, senders: new SenderPool(run, senderBudget), targets, log };
    const mix = { replyFraction: opts.replyFraction, attachmentFraction: opts.attachmentFraction };
    const timeoutMs = opts.timeoutSeconds * 1000;
    const t0 = performance.now();
    const whole = monitor.snapshot();

    // Seed (also the warm-up): tickets opened by mail, so the first replies have something to answer.
    const seed = await runBatch(ctx, { count: opts.seedTickets, firstIndex: 0, mix: { replyFraction: 0, attachmentFraction: 0 }, connections: 2, seed: 1, timeoutMs });
    log(`seed: ${seed.statuses.ticket_created ?? 0} tickets opened by mail; ${targets.length} reply targets`);

    const batch = await runBatch(ctx, { count: opts.count, firstIndex: opts.seedTickets, mix, connections: opts.connections, seed: 20261121, timeoutMs });
    log(
      `SMTP accept ${batch.smtp.perSecond.toFixed(1)}/s; end to end ${batch.endToEndPerSecond.toFixed(1)}/s; send → ticket row p50 ${batch.latencyMs.all.p50.toFixed(0)} p95 ${batch.latencyMs.all.p95.toFixed(0)} p99 ${batch.latencyMs.all.p99.toFixed(0)} ms; ` +
        `${batch.problems.length} problems, ${batch.duplicates} duplicates`,
    );
    // Latency without a queue: the same mix at half the end-to-end rate.
    const pacedRate = Math.max(0.5, Math.round((batch.endToEndPerSecond / 2) * 2) / 2);
    const paced =
      opts.pacedCount > 0
        ? await runBatch(ctx, { count: opts.pacedCount, firstIndex: opts.seedTickets + opts.count, mix, connections: opts.connections, seed: 7, timeoutMs, perSecond: pacedRate })
        : null;
    if (paced)
      log(
        `paced at ${pacedRate}/s: send → ticket row p50 ${paced.latencyMs.all.p50.toFixed(0)} p95 ${paced.latencyMs.all.p95.toFixed(0)} p99 ${paced.latencyMs.all.p99.toFixed(0)} ms; ${paced.problems.length} problems`,
      );
    monitor.stop();

    const pgVersion = await orm.em
      .fork()
      .execute<{ server_version: string }[]>('show server_version')
      .then((r) => r[0]?.server_version ?? '?')
      .catch(() => '?');
    const args = process.argv.slice(2).join(' ');
    const result: InboundBenchResult = {
      run: {
        startedAt,
        finishedAt: new Date(),
        benchSeconds: (performance.now() - t0) / 1000,
        command: process.env.npm_lifecycle_event === 'bench:inbound' ? `npm run bench:inbound${args ? ` -- ${args}` : ''}` : `./mehrdesk bench inbound${args ? ` ${args}` : ''}`,
        machine: machineInfo(),
        git,
        loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
        loadavgStart,
        loadavgEnd: loadAverage(),
        otherCpuPct: monitor.usage(whole, monitor.snapshot()).otherPct,
        versions: `PostgreSQL ${pgVersion}; Temporal dev server (SQLite); redis-server from the launcher`,
      },
      options: opts,
      taskQueue,
      groups: groups.map((g) => g.name),
      senderBudget,
      maxPerSender: config.INBOUND_MAX_PER_SENDER,
      attachmentBytes,
      seed: { count: seed.count, ticketsCreated: seed.statuses.ticket_created ?? 0, seconds: seed.endToEndSeconds },
      batch,
      paced,
      logs: [summarizeLog(path.join(logDir, 'worker.log'))],
    };
    const raw = writeBenchReport('inbound', opts.out, renderInboundReport(result), result, startedAt);
    log(`report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${raw}; load average at the end ${result.run.loadavgEnd}`);
    return 0;
  } finally {
    monitor?.stop();
    await stopAll(15_000);
    await connection.close().catch(() => {});
    await orm.close().catch(() => {});
  }
}

runBench(main);
