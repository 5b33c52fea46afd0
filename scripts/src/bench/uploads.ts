import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { openOrm } from '@mehrdesk/core/db';
import { uploadTempDir } from '@mehrdesk/core/attachments/storage';
import net from 'node:net';
import { spawnManaged, stopAll, type ManagedProcess } from '../stack/processes';
import { CpuMonitor, type CpuGroup, type CpuUsage } from './lib/cpu';
import { gitState } from './lib/git';
import { distribution, type Distribution } from './lib/load';
import { cpuTable, document, fmt, latencyCells, logSection, runSection, table, type RunInfo } from './lib/markdown';
import { runBench, writeBenchReport } from './lib/output';
import { loadAverage, machineInfo, memStatus } from './lib/procfs';
import { apiLogin, assertRunning, benchLogDir, requireEnv, ROOT, stackPids, startService, summarizeLog, waitApiReady, type LogSummary } from './lib/services';

// `npm run bench:uploads` (= ./mehrdesk bench uploads [flags]): streamed attachment uploads
// (POST /api/v1/uploads, issue 10) against a fresh embedded stack the launcher started. The API
// runs as its own process, as in production; this process sends rounds of N concurrent
// multipart uploads of random bytes over loopback and samples the API's resident memory
// (/proc/<pid>/status) every 50 ms. What it shows: upload throughput, per-upload time, and that
// the API does not hold files in memory (RSS growth over the warm API, target ≤ 50 MB).
// Every upload is checked afterwards: 201, its row's SHA-256 is that of the bytes sent, the
// stored file has its size, and no temporary file is left. Writes docs/benchmarks-uploads.md.
//
//   --concurrency N   uploads in flight at once; default 20
//   --size-mb M       bytes per upload, in MiB; default 10
//   --rounds R        rounds of N uploads (each starts when the last one ended); default 3
//   --quick           1 round, report to the temp folder;   --out FILE

const log = (m: string) => console.log(m);
const MiB = 1024 * 1024;
const RSS_TARGET_MB = 50;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      'size-mb': { type: 'string' },
      rounds: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const int = (raw: string | undefined, name: string, def: number) => {
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return n;
  };
  return {
    quick: values.quick,
    concurrency: int(values.concurrency, 'concurrency', 20),
    sizeMb: int(values['size-mb'], 'size-mb', 10),
    rounds: int(values.rounds, 'rounds', values.quick ? 1 : 3),
    out: path.resolve(ROOT, values.out ?? (values.quick ? path.join(os.tmpdir(), 'mehrdesk-benchmarks-uploads-quick.md') : 'docs/benchmarks-uploads.md')),
  };
}

interface Sent {
  status: number;
  id: number | null;
  sha256: string;
  bytes: number;
  ms: number;
}

/** One multipart upload, written in 64 KiB chunks with backpressure, as a browser streams a file. */
function uploadOnce(base: URL, token: string | null, file: Buffer, name: string): Promise<Sent> {
  const boundary = `----bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const sha256 = createHash('sha256').update(file).digest('hex');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/api/v1/uploads', base), {
      method: 'POST',
      agent: false,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + file.length + tail.length),
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const id = res.statusCode === 201 ? (JSON.parse(body) as { id: number | null }).id : null;
        if (res.statusCode !== 201) log(`upload ${name} answered ${res.statusCode}: ${body.slice(0, 200)}`);
        resolve({ status: res.statusCode ?? 0, id, sha256, bytes: file.length, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    const parts = [head, ...Array.from({ length: Math.ceil(file.length / (64 * 1024)) }, (_, i) => file.subarray(i * 64 * 1024, (i + 1) * 64 * 1024)), tail];
    const pump = () => {
      while (parts.length) if (!req.write(parts.shift()!)) return void req.once('drain', pump);
      req.end();
    };
    pump();
  });
}

interface Round {
  seconds: number;
  mbPerSecond: number;
  latency: Distribution;
  rssPeakMb: number;
  statuses: Record<number, number>;
}

/** A server under load: its rounds, its memory before (warm), at the peak and a second after, every upload. */
interface Measured {
  rssWarmMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  rounds: Round[];
  latency: Distribution;
  sent: Sent[];
}

/** Warm up, then rounds of `concurrency` uploads at once, sampling the server's RSS every 50 ms. */
async function measure(opts: ReturnType<typeof options>, label: string, base: URL, token: string | null, pid: number, alive: () => void): Promise<Measured> {
  const rssMb = () => (memStatus(pid)?.rssKb ?? NaN) / 1024;
  for (let i = 0; i < 5; i++) await uploadOnce(base, token, randomBytes(256 * 1024), `warm-${i}.bin`);
  await sleep(2000);
  const rssWarmMb = rssMb();
  log(`${label} warm: RSS ${rssWarmMb.toFixed(1)} MB`);
  let rssPeakMb = rssWarmMb;
  const sent: Sent[] = [];
  const rounds: Round[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const files = Array.from({ length: opts.concurrency }, () => randomBytes(opts.sizeMb * MiB));
    let roundPeak = rssMb();
    const sampler = setInterval(() => (roundPeak = Math.max(roundPeak, rssMb())), 50);
    const start = performance.now();
    const results = await Promise.all(files.map((f, i) => uploadOnce(base, token, f, `round${round}-${i}.bin`)));
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    roundPeak = Math.max(roundPeak, rssMb());
    rssPeakMb = Math.max(rssPeakMb, roundPeak);
    alive();
    sent.push(...results);
    const statuses: Record<number, number> = {};
    for (const x of results) statuses[x.status] = (statuses[x.status] ?? 0) + 1;
    rounds.push({ seconds, mbPerSecond: (opts.concurrency * opts.sizeMb) / seconds, latency: distribution(results.map((x) => x.ms)), rssPeakMb: roundPeak, statuses });
    log(
      `${label} round ${round}: ${opts.concurrency} × ${opts.sizeMb} MiB in ${seconds.toFixed(2)} s (${((opts.concurrency * opts.sizeMb) / seconds).toFixed(1)} MiB/s); RSS peak ${roundPeak.toFixed(1)} MB`,
    );
  }
  await sleep(1000);
  return { rssWarmMb, rssPeakMb, rssEndMb: rssMb(), rounds, latency: distribution(sent.map((x) => x.ms)), sent };
}

interface UploadBenchResult {
  run: RunInfo;
  options: ReturnType<typeof options>;
  api: Omit<Measured, 'sent'>;
  /** The same API with UPLOAD_RECLAIM_MB=0: the code before the reclaim step (api/src/uploads/reclaim.ts), run first. */
  apiWithoutReclaim: Omit<Measured, 'sent'>;
  /** The same load on a bare Node server (uploads/reference-server.ts): the runtime's own share. */
  reference: Omit<Measured, 'sent'> | null;
  cpu: CpuUsage | null;
  groups: string[];
  checked: { uploads: number; rowsMatching: number; filesMatching: number; tempFilesLeft: number };
  logs: LogSummary[];
}

const growthOf = (m: Omit<Measured, 'sent'>) => m.rssPeakMb - m.rssWarmMb;
const mibPerSecond = (m: Omit<Measured, 'sent'>, o: ReturnType<typeof options>) => (o.rounds * o.concurrency * o.sizeMb) / m.rounds.reduce((a, x) => a + x.seconds, 0);

function renderReport(r: UploadBenchResult): string {
  const o = r.options;
  const total = r.api.rounds.reduce((a, x) => a + x.seconds, 0);
  const growth = growthOf(r.api);
  const ref = r.reference;
  const base = r.apiWithoutReclaim;
  return document([
    '# Benchmarks: streamed uploads',
    '> Generated by `scripts/src/bench/uploads.ts`. Re-run with `npm run bench:uploads` (flags: `--concurrency`, `--size-mb`, `--rounds`, `--quick`); do not edit the numbers by hand.',
    '## Summary',
    'Baseline: the same API with its reclaim step turned off (`UPLOAD_RECLAIM_MB=0`, the code as it was before api/src/uploads/reclaim.ts), run first in the same session against the same stack. There was no upload endpoint before this issue.',
    table(
      ['Measure', 'Measured', 'Target', 'Baseline'],
      [
        [
          'Upload throughput',
          `**${fmt.n(mibPerSecond(r.api, o), 1)} MiB/s** (${o.rounds} × ${o.concurrency} concurrent uploads of ${o.sizeMb} MiB in ${fmt.s(total)})`,
          '–',
          `${fmt.n(mibPerSecond(base, o), 1)} MiB/s`,
        ],
        [
          `Time per upload (${o.concurrency} at once)`,
          `p50 ${fmt.ms(r.api.latency.p50)} / p95 ${fmt.ms(r.api.latency.p95)} / max ${fmt.ms(r.api.latency.max)} ms`,
          '–',
          `p50 ${fmt.ms(base.latency.p50)} / p95 ${fmt.ms(base.latency.p95)} / max ${fmt.ms(base.latency.max)} ms`,
        ],
        [
          'API RSS growth (peak − warm)',
          `**${fmt.n(growth, 1)} MB** (warm ${fmt.n(r.api.rssWarmMb, 1)} MB → peak ${fmt.n(r.api.rssPeakMb, 1)} MB; ${fmt.n(r.api.rssEndMb, 1)} MB a second after)`,
          `≤ ${RSS_TARGET_MB} MB: ${growth <= RSS_TARGET_MB ? 'met' : '**not met**'}`,
          `${fmt.n(growthOf(base), 1)} MB (warm ${fmt.n(base.rssWarmMb, 1)} → peak ${fmt.n(base.rssPeakMb, 1)} MB)`,
        ],
        ...(ref
          ? [
              [
                'Same load on a bare Node server (reference)',
                `RSS growth ${fmt.n(growthOf(ref), 1)} MB (warm ${fmt.n(ref.rssWarmMb, 1)} → peak ${fmt.n(ref.rssPeakMb, 1)} MB) at ${fmt.n(mibPerSecond(ref, o), 1)} MiB/s`,
                '–',
                '–',
              ],
            ]
          : []),
        [
          'Uploads checked',
          `${r.checked.uploads} answered 201; ${r.checked.rowsMatching} rows with the SHA-256 sent; ${r.checked.filesMatching} stored files of the right size; ${r.checked.tempFilesLeft} temporary files left`,
          'all; 0 left',
          '–',
        ],
      ],
      ['---', '---', '---', '---'],
    ),
    ...runSection(
      r.run,
      `the API (this benchmark's only Mehrdesk process; the worker is not needed for uploads), PostgreSQL, Temporal and Redis (idle here), the reference server (only during its own rounds) and this benchmark process (the HTTP client, which holds the ${o.concurrency} files of a round in memory)`,
    ),
    '## Configuration',
    [
      '- Path measured (production code): `POST /api/v1/uploads` (api/src/uploads/routes.ts) → busboy parses the multipart body as it arrives (api/src/uploads/receive.ts) → the bytes flow through SHA-256 into a temporary file under `STORAGE_DIR/tmp/uploads` → type by the bytes (file-type) → the file is renamed to `attachments/<aa>/<sha256>` and a pending `attachments` row is inserted, under an advisory lock on the hash.',
      '- API: its own process as in production (`node --import tsx api/src/main.ts`), `NODE_ENV=production`, `LOG_LEVEL=warn`, upload limits at their defaults (25 MiB per file), `RATE_LIMIT_UPLOADS_PER_MINUTE` raised so the benchmark is not throttled.',
      `- Client: ${o.concurrency} uploads at once over loopback, one connection each, Content-Length given, written in 64 KiB chunks with backpressure; each round starts when the previous one has finished. Files are random bytes (typed \`application/octet-stream\`), a new set per round, as demo customer \`customer@mehrdesk.local\`.`,
      '- Memory: the server process\'s VmRSS (/proc/<pid>/status) every 50 ms. "Warm" is after 5 small warm-up uploads and a 2 s pause; "peak" is the largest sample during the rounds. Files are never held whole: a buffered server would grow by the round\'s whole volume (' +
        `${o.concurrency * o.sizeMb}` +
        " MiB). What grows is the socket read buffers (64 KiB each, a fresh one per read) that wait for V8's garbage collector, which counts them as external memory and collects them in steps of tens of MB; the more MiB/s, the more are waiting. The reference row measures that floor: the same load on a bare Node server that only hashes each body into a file (scripts/src/bench/uploads/reference-server.ts). The API runs a minor garbage collection after every `UPLOAD_RECLAIM_MB` (16) MiB received, which frees those buffers while they are few (api/src/uploads/reclaim.ts); the baseline run has it off.",
    ],
    '## Results by round',
    table(
      ['Server', 'Round', 'Duration', 'MiB/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'RSS peak MB', 'Answers'],
      [
        ...base.rounds.map((x, i): [string, Round, number] => ['API, reclaim off (baseline)', x, i]),
        ...r.api.rounds.map((x, i): [string, Round, number] => ['API', x, i]),
        ...(ref?.rounds ?? []).map((x, i): [string, Round, number] => ['reference', x, i]),
      ].map(([server, x, i]) => [
        server,
        String(i + 1),
        fmt.s(x.seconds),
        fmt.n(x.mbPerSecond, 1),
        ...latencyCells(x.latency),
        fmt.n(x.rssPeakMb, 1),
        Object.entries(x.statuses)
          .map(([st, n]) => `${n} × ${st}`)
          .join(', '),
      ]),
    ),
    '## CPU (% of one core, over the API rounds)',
    r.cpu ? cpuTable(r.groups, [['uploads', r.cpu]]) : 'not measured',
    ...logSection(r.logs),
  ]);
}

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function main(): Promise<number> {
  const opts = options();
  const startedAt = new Date();
  const loadavgStart = loadAverage();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/bench/uploads') || f === 'docs/benchmarks-uploads.md');
  log(`${opts.quick ? 'QUICK mode (numbers are not for the record)' : 'full mode'}; load average ${loadavgStart}`);
  const base = new URL(requireEnv('PUBLIC_URL', 'uploads'));
  const logDir = benchLogDir();
  const storageDir = path.join(path.dirname(logDir), 'files');
  const serviceEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', STORAGE_DIR: storageDir, RATE_LIMIT_UPLOADS_PER_MINUTE: '100000' };
  const orm = await openOrm(requireEnv('DATABASE_URL', 'uploads'), { poolMax: 2 });
  const services: ManagedProcess[] = [];
  let monitor: CpuMonitor | undefined;
  try {
    // The baseline first: the same API with the reclaim step off; then the code as it ships.
    const runApi = async (env: NodeJS.ProcessEnv) => {
      const api = startService('api', env, logDir);
      services.push(api);
      await waitApiReady(base, services, 120_000);
      const token = await apiLogin(base, 'customer@mehrdesk.local', 'customer-demo-1');
      return { api, token };
    };
    const off = await runApi({ ...serviceEnv, UPLOAD_RECLAIM_MB: '0' });
    const measuredOff = await measure(opts, 'API, reclaim off', base, off.token, off.api.pid!, () => assertRunning(services));
    await off.api.stop(15_000);
    services.splice(services.indexOf(off.api), 1);
    const { api, token } = await runApi(serviceEnv);

    const stack = stackPids();
    const groups: CpuGroup[] = [
      { name: 'API', pid: api.pid!, tree: true },
      ...(stack.postgres ? [{ name: 'PostgreSQL', pid: stack.postgres, tree: true }] : []),
      { name: 'bench (client)', pid: process.pid, tree: false },
    ];
    monitor = new CpuMonitor(groups);
    monitor.start(1000);
    const before = monitor.snapshot();
    const t0 = performance.now();
    const measured = await measure(opts, 'API', base, token, api.pid!, () => assertRunning(services));
    const cpu = monitor.usage(before, monitor.snapshot());
    monitor.stop();
    const benchSeconds = (performance.now() - t0) / 1000;

    // Every upload as the client sent it: its row's hash, its stored file's size, no temporary leftovers.
    const ok = [...measuredOff.sent, ...measured.sent].filter((x) => x.status === 201 && x.id !== null);
    const rows = await orm.em
      .fork()
      .execute<{ id: number; sha256: string; storage_path: string }[]>('select id, sha256, storage_path from attachments where id = any(?::int[])', [`{${ok.map((x) => x.id).join(',')}}`]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const rowsMatching = ok.filter((x) => byId.get(x.id!)?.sha256 === x.sha256).length;
    const filesMatching = ok.filter((x) => {
      const row = byId.get(x.id!);
      return row !== undefined && fs.statSync(path.resolve(storageDir, row.storage_path), { throwIfNoEntry: false })?.size === x.bytes;
    }).length;
    const tempDir = uploadTempDir(storageDir);
    const tempFilesLeft = fs.existsSync(tempDir) ? fs.readdirSync(tempDir).length : 0;

    // The runtime's floor: the same load on a bare Node server (the API is idle meanwhile).
    const refPort = await freePort();
    const refServer = spawnManaged(
      'reference',
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'scripts/src/bench/uploads/reference-server.ts'), String(refPort), path.join(storageDir, 'reference')],
      {
        cwd: ROOT,
        logFile: path.join(logDir, 'reference.log'),
      },
    );
    services.push(refServer);
    const refBase = new URL(`http://127.0.0.1:${refPort}`);
    const deadline = Date.now() + 30_000;
    while (
      !(await new Promise<boolean>((resolve) =>
        net
          .connect(refPort, '127.0.0.1')
          .on('connect', function (this: net.Socket) {
            this.end();
            resolve(true);
          })
          .on('error', () => resolve(false)),
      ))
    ) {
      if (Date.now() > deadline) throw new Error('the reference server did not listen within 30 s');
      assertRunning(services);
      await sleep(200);
    }
    const reference = await measure(opts, 'reference', refBase, null, refServer.pid!, () => assertRunning(services));

    const args = process.argv.slice(2).join(' ');
    const strip = ({ sent: _sent, ...m }: Measured) => m;
    const result: UploadBenchResult = {
      run: {
        startedAt,
        finishedAt: new Date(),
        benchSeconds,
        command: process.env.npm_lifecycle_event === 'bench:uploads' ? `npm run bench:uploads${args ? ` -- ${args}` : ''}` : `./mehrdesk bench uploads${args ? ` ${args}` : ''}`,
        machine: machineInfo(),
        git,
        loadavgBeforeLaunch: process.env.BENCH_LOADAVG_BEFORE ?? null,
        loadavgStart,
        loadavgEnd: loadAverage(),
        otherCpuPct: cpu.otherPct,
        versions: `PostgreSQL ${await orm.em
          .fork()
          .execute<{ server_version: string }[]>('show server_version')
          .then((r) => r[0]?.server_version ?? '?')}; busboy 1.6.0`,
      },
      options: opts,
      api: strip(measured),
      apiWithoutReclaim: strip(measuredOff),
      reference: strip(reference),
      cpu,
      groups: groups.map((g) => g.name),
      checked: { uploads: ok.length, rowsMatching, filesMatching, tempFilesLeft },
      logs: [summarizeLog(path.join(logDir, 'api.log'))],
    };
    const raw = writeBenchReport('uploads', opts.out, renderReport(result), result, startedAt);
    log(
      `API RSS growth ${growthOf(result.api).toFixed(1)} MB (target ≤ ${RSS_TARGET_MB}; reclaim off ${growthOf(result.apiWithoutReclaim).toFixed(1)} MB; bare Node server ${growthOf(result.reference!).toFixed(1)} MB); report written to ${path.relative(ROOT, opts.out) || opts.out}; raw numbers in ${raw}`,
    );
    const expected = 2 * opts.rounds * opts.concurrency;
    return ok.length === expected && rowsMatching === expected && filesMatching === expected && tempFilesLeft === 0 ? 0 : 1;
  } finally {
    monitor?.stop();
    await stopAll(15_000);
    await orm.close().catch(() => {});
  }
}

runBench(main);
