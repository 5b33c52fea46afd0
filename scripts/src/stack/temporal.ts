import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { waitFor } from './ports';
import { isAlive, spawnManaged } from './processes';
import { findOnPath, isExecutable } from './executables';

export interface StartTemporalOptions {
  /** SQLite file holding workflows, timers and visibility; reused across runs. */
  dbFile: string;
  port: number;
  uiPort: number;
  namespace?: string;
  log: (message: string) => void;
  /** Server output goes here instead of the console (prefixed "[temporal]"). */
  logFile?: string;
}

export interface TemporalHandle {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** Custom search attributes the ticket workflow upserts (all exact-match keywords). */
export const TICKET_SEARCH_ATTRIBUTES = {
  TicketNumber: 'Keyword',
  TicketStatus: 'Keyword',
  TicketPriority: 'Keyword',
  TicketAssignee: 'Keyword',
  TicketGroup: 'Keyword',
  TicketSlaState: 'Keyword',
} as const;

// temporal.api.enums.v1.IndexedValueType; numeric so we need no direct @temporalio/proto import.
const INDEXED_VALUE_TYPE = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 } as const;

export const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const LOCAL_CLI = path.join(REPO_ROOT, '.tools', 'bin', 'temporal');

/**
 * Dev-server tuning for thousands of concurrent ticket workflows. The defaults target a tiny
 * laptop demo: bulk starts/signals and visibility queries (ticket lists) get rate limited.
 */
const DYNAMIC_CONFIG: Record<string, unknown> = {
  'frontend.rps': 20_000,
  'frontend.namespaceRPS': 20_000,
  'frontend.namespaceRPS.visibility': 2_000, // ticket lists query by search attributes (default 10, dev 100)
  'history.rps': 20_000,
  'matching.rps': 20_000,
  'history.hostLevelCacheMaxSize': 16_384, // keep more open ticket workflows' state in memory (dev 8096)
  // One partition per task queue: a single-node server gains nothing from more, and a single
  // worker would otherwise see tasks forwarded between partitions (extra latency).
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

/** TEMPORAL_CLI → `temporal` on PATH → <repo>/.tools/bin/temporal → build it with Go. */
export async function resolveTemporalCli(log: (message: string) => void): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
  }
  const found = findOnPath('temporal') ?? (isExecutable(LOCAL_CLI) ? LOCAL_CLI : undefined);
  if (found) return found;

  const go = findOnPath('go') ?? ['/usr/local/go/bin/go'].find(isExecutable);
  if (go) return buildOnce(go, log);
  throw new Error(
    'The Temporal CLI (`temporal`) is required but was not found. Either:\n' +
      '  - install it: `brew install temporal`, or `curl -sSf https://temporal.download/cli.sh | sh` and put it on PATH, or\n' +
      `  - install Go >= 1.21 (https://go.dev/dl/) and re-run; it builds \`go install ${TEMPORAL_CLI_PACKAGE}\` into ${path.dirname(LOCAL_CLI)}, or\n` +
      '  - set TEMPORAL_CLI=/path/to/temporal, or TEMPORAL_ADDRESS=host:port to use a running server.',
  );
}

const BUILD_LOCK = path.join(path.dirname(LOCAL_CLI), '.temporal-build.lock');

/**
 * One build at a time: concurrent launchers (several terminals, parallel focused test runs) on
 * a fresh clone would each start a 10-minute `go install` on the same few cores. The first
 * takes the lock (an exclusive-create file holding its pid); the others wait for the binary,
 * and take over when the holder died.
 */
async function buildOnce(go: string, log: (message: string) => void): Promise<string> {
  fs.mkdirSync(path.dirname(BUILD_LOCK), { recursive: true });
  let waiting = false;
  for (;;) {
    if (isExecutable(LOCAL_CLI)) return LOCAL_CLI;
    try {
      fs.writeFileSync(BUILD_LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(BUILD_LOCK, 'utf8') || 0);
      if (!holder || !isAlive(holder)) {
        fs.rmSync(BUILD_LOCK, { force: true });
        continue;
      }
      if (!waiting) log(`waiting for another launcher (pid ${holder}) to finish building the Temporal CLI`);
      waiting = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    if (isExecutable(LOCAL_CLI)) return LOCAL_CLI;
    log(`Temporal CLI not found: building ${TEMPORAL_CLI_PACKAGE} into ${path.dirname(LOCAL_CLI)} (first run only, a few minutes)...`);
    const started = Date.now();
    const build = spawnManaged('go install', go, ['install', TEMPORAL_CLI_PACKAGE], {
      env: { ...process.env, GOBIN: path.dirname(LOCAL_CLI) },
    });
    const { code, error } = await build.exited;
    if (code === 0 && isExecutable(LOCAL_CLI)) {
      log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s`);
      return LOCAL_CLI;
    }
    throw new Error(`Building the Temporal CLI failed (${error?.message ?? `exit code ${code}`}); see the [go install] output above`);
  } finally {
    fs.rmSync(BUILD_LOCK, { force: true });
  }
}

/**
 * `temporal server start-dev` with a persistent SQLite file (workflows and timers survive
 * restarts), or TEMPORAL_ADDRESS when set. Resolves once the frontend answers and every ticket
 * search attribute is registered in `namespace`.
 */
export async function startTemporal({ dbFile, port, uiPort, namespace = 'default', log, logFile }: StartTemporalOptions): Promise<TemporalHandle> {
  if (process.env.TEMPORAL_ADDRESS) {
    log('Temporal: using TEMPORAL_ADDRESS, starting nothing');
    return { address: process.env.TEMPORAL_ADDRESS, uiUrl: process.env.TEMPORAL_UI_URL ?? '', stop: async () => {} };
  }
  const cli = await resolveTemporalCli(log);
  dbFile = path.resolve(dbFile);
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const address = `127.0.0.1:${port}`;
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    // WAL + synchronous=normal: far fewer fsyncs per workflow task on the single SQLite
    // connection; still crash-safe for the process (only an OS crash may lose the last commits).
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    ...Object.entries(TICKET_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...Object.entries(DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
  const started = Date.now();
  const server = spawnManaged('temporal', cli, args, { logFile, quietStop: true });
  const died = server.exited.then((info) => {
    throw new Error(`Temporal dev server exited during start-up (${info.error?.message ?? `code ${info.code}, signal ${info.signal}`}):\n${server.recentOutput()}`);
  });
  died.catch(() => {}); // only observed through the race below
  try {
    await Promise.race([died, waitUntilReady(address, namespace)]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  log(`Temporal: ready at ${address} (UI ${uiUrl}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { address, uiUrl, stop: () => server.stop() };
}

async function waitUntilReady(address: string, namespace: string): Promise<void> {
  let connection: Connection | undefined;
  await waitFor(
    async () => {
      const candidate = await Connection.connect({ address, connectTimeout: '2s' });
      try {
        await candidate.workflowService.getSystemInfo({});
      } catch (error) {
        await candidate.close();
        throw error;
      }
      connection = candidate;
      return true;
    },
    { timeoutMs: 90_000, intervalMs: 300, what: `the Temporal frontend on ${address}` },
  );
  try {
    // start-dev only registers search attributes when it creates the namespace, so a database
    // from an older checkout may lack newer ones: add what is missing.
    const wanted = Object.entries(TICKET_SEARCH_ATTRIBUTES);
    const { customAttributes } = await connection!.operatorService.listSearchAttributes({ namespace });
    const missing = wanted.filter(([name]) => customAttributes?.[name] === undefined);
    if (missing.length > 0) {
      await connection!.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]])),
      });
    }
    let listed: Record<string, number> = {};
    await waitFor(
      async () => {
        listed = (await connection!.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
        return wanted.every(([name]) => listed[name] !== undefined);
      },
      { timeoutMs: 30_000, intervalMs: 300, what: `Temporal search attributes in namespace ${namespace}` },
    );
    const wrong = wanted.filter(([name, type]) => listed[name] !== INDEXED_VALUE_TYPE[type]);
    if (wrong.length > 0) {
      throw new Error(`Temporal search attribute(s) ${wrong.map(([n]) => n).join(', ')} exist in ${namespace} with another type; ` + 'use a fresh Temporal database file');
    }
  } finally {
    await connection!.close();
  }
}
