import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { descendants, isAlive, spawnManaged, type ManagedProcess } from '../stack/processes';
import { startPostgres } from '../stack/postgres';
import { startTemporal } from '../stack/temporal';
import { startRedis, redisRaw } from '../stack/redis';
import { waitFor } from '../stack/ports';
import { cmdline, findPids } from '../bench/lib/procfs';
import { ROOT } from '../bench/lib/services';

// The five processes the fault-injection suite kills with SIGKILL and starts again: the API and
// the worker (children of the chaos process, started as production runs them), and the stack's
// PostgreSQL, Temporal dev server and Redis, which the launcher (`./mehrdesk bench|test`)
// started. Those are found by the ports in the environment; a restart runs the stack's own
// start function (scripts/src/stack/*.ts) with the same data directory and port, under this
// process's supervisor. Killing takes the whole process tree (PostgreSQL's backends too), as a
// machine or container crash would.

export type ServiceName = 'api' | 'worker' | 'temporal' | 'postgres' | 'redis';
export const SERVICES: ServiceName[] = ['api', 'worker', 'temporal', 'postgres', 'redis'];

export interface ServiceEvent {
  at: number;
  service: ServiceName;
  what: 'killed' | 'restarted' | 'exited unexpectedly' | 'restart failed';
  detail?: string;
  /** For 'restarted': ms from the start of the restart until the service answered. */
  ms?: number;
}

const portOf = (url: string) => Number(new URL(url.includes('://') ? url : `tcp://${url}`).port);

function argAfter(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function killTree(pid: number): number[] {
  const tree = [pid, ...descendants(pid)];
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return tree;
}

async function waitDead(pids: number[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) throw new Error(`processes ${pids.filter(isAlive).join(', ')} still alive after SIGKILL`);
    await sleep(50);
  }
}

/** Runs `start` with `variable` absent from process.env while its synchronous part reads it. */
async function withoutEnv<T>(variable: string, start: () => Promise<T>): Promise<T> {
  const saved = process.env[variable];
  delete process.env[variable];
  let p: Promise<T>;
  try {
    p = start();
  } finally {
    if (saved !== undefined) process.env[variable] = saved;
  }
  return p;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

export interface ServiceControl {
  name: ServiceName;
  /** SIGKILL (whole tree). */
  kill(): Promise<void>;
  /** Start again with the same data and port; resolves once it answers. */
  restart(): Promise<void>;
  /** Current main pid (for memory sampling), if running. */
  pid(): number | null;
}

export interface StackServices {
  controls: Record<ServiceName, ServiceControl>;
  events: ServiceEvent[];
  api(): ManagedProcess;
  worker(): ManagedProcess;
  /** The stack's log folder (postgres.log, temporal.log, redis.log). */
  stackLogDir: string;
  /** Stop the API and the worker (gracefully); restarted infrastructure stays for the launcher's/our stopAll. */
  stopApp(): Promise<void>;
}

export interface StackOptions {
  env: NodeJS.ProcessEnv;
  logDir: string;
  log: (m: string) => void;
  /** PUBLIC_URL of the API. */
  apiBase: URL;
  /** Port of the worker's inbound SMTP listener (its readiness signal). */
  inboundPort: number;
}

export async function startStackServices(opts: StackOptions): Promise<StackServices> {
  const events: ServiceEvent[] = [];
  const record = (e: Omit<ServiceEvent, 'at'>) => {
    const ev = { at: Date.now(), ...e };
    events.push(ev);
    opts.log(`[chaos] ${e.service} ${e.what}${e.ms !== undefined ? ` in ${(e.ms / 1000).toFixed(1)} s` : ''}${e.detail ? ` (${e.detail})` : ''}`);
  };
  const env = opts.env;
  const stackLog = (m: string) => opts.log(`[stack] ${m}`);

  // --- API and worker: our children; an unexpected exit is recorded and the process restarted (as a supervisor would).
  const app: Record<'api' | 'worker', { proc: ManagedProcess | null; killing: boolean; down: boolean }> = {
    api: { proc: null, killing: false, down: false },
    worker: { proc: null, killing: false, down: false },
  };
  let stopping = false;
  const spawnApp = (name: 'api' | 'worker') => {
    const proc = spawnManaged(name, process.execPath, ['--import', 'tsx', path.join(ROOT, `${name}/src/main.ts`)], {
      env,
      cwd: ROOT,
      logFile: path.join(opts.logDir, `${name}.log`),
    });
    app[name].proc = proc;
    app[name].down = false;
    void proc.exited.then((info) => {
      if (app[name].proc !== proc || app[name].killing || stopping) return;
      record({ service: name, what: 'exited unexpectedly', detail: info.signal ? `signal ${info.signal}` : `code ${info.code}` });
      app[name].down = true;
      // Restarted after a pause by the supervisor loop below.
    });
    return proc;
  };
  const appReady = async (name: 'api' | 'worker', timeoutMs = 180_000) => {
    await waitFor(
      async () => {
        if (!app[name].proc?.running) throw new Error(`${name} is not running:\n${app[name].proc?.recentOutput() ?? ''}`);
        if (name === 'worker') return tcpOpen(opts.inboundPort);
        const r = await fetch(new URL('/readyz', opts.apiBase), { signal: AbortSignal.timeout(3000) });
        return r.status === 200;
      },
      { timeoutMs, intervalMs: 250, what: `${name} to be ready` },
    );
  };
  const supervisor = setInterval(() => {
    for (const name of ['api', 'worker'] as const) {
      if (!app[name].down || stopping) continue;
      app[name].down = false;
      spawnApp(name);
      record({ service: name, what: 'restarted', detail: 'after an unexpected exit' });
    }
  }, 2000);
  supervisor.unref();

  const appControl = (name: 'api' | 'worker'): ServiceControl => ({
    name,
    pid: () => app[name].proc?.pid ?? null,
    async kill() {
      const proc = app[name].proc;
      if (!proc?.running || proc.pid === undefined) return;
      app[name].killing = true;
      await waitDead(killTree(proc.pid));
      await proc.exited;
      record({ service: name, what: 'killed' });
    },
    async restart() {
      const t0 = Date.now();
      app[name].killing = false;
      if (!app[name].proc?.running) spawnApp(name);
      await appReady(name);
      record({ service: name, what: 'restarted', ms: Date.now() - t0 });
    },
  });

  // --- Infrastructure the launcher started.
  const pgPort = portOf(env.DATABASE_URL!);
  const temporalPort = portOf(env.TEMPORAL_ADDRESS!);
  const redisPort = portOf(env.REDIS_URL!);
  const pgPid0 = findPids(['postgres', `-p ${pgPort}`]).sort((a, b) => a - b)[0];
  if (!pgPid0) throw new Error(`no PostgreSQL on port ${pgPort} found (run through ./mehrdesk bench chaos or ./mehrdesk test)`);
  const pgDataDir = argAfter(cmdline(pgPid0), '-D')!;
  const temporalPid0 = findPids(['start-dev', `--port ${temporalPort}`])[0];
  if (!temporalPid0) throw new Error(`no Temporal dev server on port ${temporalPort} found`);
  const temporalArgv = cmdline(temporalPid0);
  const temporalDb = argAfter(temporalArgv, '--db-filename')!;
  const temporalUiPort = Number(argAfter(temporalArgv, '--ui-port'));
  const redisPid0 = findPids(['redis-server', `:${redisPort}`])[0];
  if (!redisPid0) throw new Error(`no Redis on port ${redisPort} found`);
  const redisDir = fs.readlinkSync(`/proc/${redisPid0}/cwd`);
  const stackLogs = path.join(path.dirname(pgDataDir), 'logs');

  const pgPid = () => {
    try {
      const pid = Number(fs.readFileSync(path.join(pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return pid > 0 && isAlive(pid) ? pid : null;
    } catch {
      return null;
    }
  };
  const temporalPid = () => findPids(['start-dev', `--port ${temporalPort}`])[0] ?? null;
  const redisPid = () => findPids(['redis-server', `:${redisPort}`])[0] ?? null;

  const infraControl = (name: 'postgres' | 'temporal' | 'redis', pid: () => number | null, start: () => Promise<unknown>): ServiceControl => ({
    name,
    pid,
    async kill() {
      const p = pid();
      if (p === null) return;
      await waitDead(killTree(p));
      record({ service: name, what: 'killed', detail: `pid ${p}` });
    },
    async restart() {
      const t0 = Date.now();
      try {
        await start();
      } catch (err) {
        record({ service: name, what: 'restart failed', detail: err instanceof Error ? err.message.slice(0, 300) : String(err) });
        throw err;
      }
      record({ service: name, what: 'restarted', ms: Date.now() - t0 });
    },
  });

  const controls: Record<ServiceName, ServiceControl> = {
    api: appControl('api'),
    worker: appControl('worker'),
    postgres: infraControl('postgres', pgPid, () =>
      withoutEnv('DATABASE_URL', () => startPostgres({ dataDir: pgDataDir, port: pgPort, log: stackLog, logFile: path.join(stackLogs, 'postgres.log') })),
    ),
    temporal: infraControl('temporal', temporalPid, () =>
      withoutEnv('TEMPORAL_ADDRESS', () => startTemporal({ dbFile: temporalDb, port: temporalPort, uiPort: temporalUiPort, log: stackLog, logFile: path.join(stackLogs, 'temporal.log') })),
    ),
    redis: infraControl('redis', redisPid, async () => {
      await withoutEnv('REDIS_URL', () => startRedis({ dataDir: redisDir, port: redisPort, log: stackLog, logFile: path.join(stackLogs, 'redis.log') }));
      await waitFor(async () => (await redisRaw('127.0.0.1', redisPort, 'PING\r\n')) === '+PONG', { timeoutMs: 30_000, what: 'Redis PING' });
    }),
  };

  spawnApp('worker');
  spawnApp('api');
  await appReady('api');
  await appReady('worker');
  return {
    controls,
    events,
    stackLogDir: stackLogs,
    api: () => app.api.proc!,
    worker: () => app.worker.proc!,
    async stopApp() {
      stopping = true;
      clearInterval(supervisor);
      await Promise.all([app.api.proc?.stop(15_000), app.worker.proc?.stop(15_000)]);
    },
  };
}
