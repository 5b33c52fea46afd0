import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from './ports';
import { spawnManaged } from './processes';
import { findOnPath, isExecutable } from './executables';
import { aptInstall, rootAptGet } from './apt';

export interface StartRedisOptions {
  /** Working directory of the server: holds the append-only file, kept across runs. */
  dataDir: string;
  port: number;
  log: (message: string) => void;
  /** Server output goes here instead of the console (prefixed "[redis]"). */
  logFile?: string;
}

export interface RedisHandle {
  url: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const APT_PACKAGE = 'redis-server';

/**
 * Redis for BullMQ: `REDIS_URL` if given, otherwise a `redis-server` run under our process
 * supervisor, bound to 127.0.0.1 with an append-only file in `dataDir` so queued jobs survive
 * restarts. Never touches a system Redis (e.g. one on 6379): it only runs its own on `port`.
 */
export async function startRedis({ dataDir, port, log, logFile }: StartRedisOptions): Promise<RedisHandle> {
  if (process.env.REDIS_URL) {
    log('Redis: using REDIS_URL, starting nothing');
    return { url: process.env.REDIS_URL, stop: async () => {} };
  }
  const bin = await resolveRedisServer(log);
  dataDir = path.resolve(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });

  const started = Date.now();
  const server = spawnManaged(
    'redis',
    bin,
    [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--dir',
      dataDir,
      // BullMQ keeps jobs in Redis: persist every write (fsync once a second), no RDB snapshots.
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--logfile',
      '', // stdout, i.e. the supervisor's log file or console
      // On the console only warnings (start-up banner and notices are noise); a log file gets everything.
      ...(logFile ? [] : ['--loglevel', 'warning']),
    ],
    { logFile, quietStop: true, cwd: dataDir },
  );
  const died = server.exited.then((info) => {
    throw new Error(`Redis exited during start-up (${info.error?.message ?? `code ${info.code}, signal ${info.signal}`}):\n${server.recentOutput()}`);
  });
  died.catch(() => {}); // only observed through the race below
  try {
    await Promise.race([
      died,
      waitFor(async () => (await redisRaw(HOST, port, 'PING\r\n')) === '+PONG', {
        timeoutMs: 60_000, // replaying a large append-only file answers -LOADING for a while
        intervalMs: 100,
        what: `Redis (${bin}) to answer PING on ${HOST}:${port}`,
      }),
    ]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = `redis://${HOST}:${port}`;
  log(`Redis: ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { url, stop: () => server.stop() };
}

/**
 * `REDIS_SERVER`, else `redis-server` on PATH, else (root with apt-get) installs Debian's
 * `redis-server` package, else throws saying what to install.
 */
export async function resolveRedisServer(log: (message: string) => void): Promise<string> {
  const fromEnv = process.env.REDIS_SERVER;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`REDIS_SERVER=${fromEnv} is not an executable file`);
  }
  const found = findRedisServer();
  if (found) return found;

  const apt = rootAptGet();
  if (apt) {
    await aptInstall(apt, APT_PACKAGE, APT_PACKAGE, log, 'Redis', 'set REDIS_SERVER or REDIS_URL');
    const installed = findRedisServer();
    if (installed) return installed;
    throw new Error(`apt-get installed ${APT_PACKAGE} but no redis-server executable was found afterwards`);
  }
  throw new Error(
    'Redis (`redis-server`, version 6.2 or newer for BullMQ) is required but was not found. Either:\n' +
      '  - install it: `sudo apt-get install redis-server` (Debian/Ubuntu), `sudo dnf install redis` (Fedora), ' +
      '`brew install redis` (macOS), and make sure redis-server is on PATH, or\n' +
      '  - set REDIS_SERVER=/path/to/redis-server, or REDIS_URL=redis://host:port to use a running server.',
  );
}

function findRedisServer(): string | undefined {
  return (
    findOnPath('redis-server', process.env.PATH ?? '') ??
    // Not always on a non-login PATH (Homebrew on Apple silicon, /usr/sbin-less PATHs).
    ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'].find(isExecutable)
  );
}

/**
 * Sends raw bytes (an inline command such as `PING\r\n`, or RESP) and resolves the first reply
 * as text: `+PONG`, `-ERR ...`, `:1`, or a bulk string's content (`null` for a nil bulk).
 */
export function redisRaw(host: string, port: number, payload: string, timeoutMs = 2_000): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = Buffer.alloc(0);
    const done = (error: Error | undefined, reply?: string | null): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? null);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', (error) => done(error));
    socket.once('connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd < 0) return;
      const line = buffer.subarray(0, lineEnd).toString();
      if (line[0] !== '$') return done(undefined, line);
      const length = Number(line.slice(1));
      if (length < 0) return done(undefined, null);
      if (buffer.length >= lineEnd + 2 + length) {
        done(undefined, buffer.subarray(lineEnd + 2, lineEnd + 2 + length).toString());
      }
    });
    socket.once('end', () => done(new Error(`${host}:${port} closed the connection without a complete reply`)));
  });
}

/** Encodes a command as a RESP array of bulk strings, e.g. `resp('SET', 'k', 'v')`. */
export function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}
