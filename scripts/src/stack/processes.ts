import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Tiny supervisor for the services the launcher runs (PostgreSQL, Temporal, worker, ...).
 *
 * Children stay in our process group (`detached: false`) so a terminal Ctrl-C reaches them
 * too, and our SIGINT/SIGTERM/SIGHUP handler stops them all before exiting. Because they share
 * our group we can't kill "their" group without killing ourselves, so escalation walks the
 * descendant tree instead (catches grandchildren of wrappers such as npx or tsx). On Linux each
 * child is also started through `setpriv --pdeathsig` so even a SIGKILLed launcher leaves no
 * orphan behind.
 */

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  error?: Error;
}

export interface SpawnManagedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Append output here instead of prefixing it onto our stdout/stderr. */
  logFile?: string;
  /** Called once when the process ends, including during stopAll(). */
  onExit?: (info: ExitInfo) => void;
  /** First signal on stop; PostgreSQL wants SIGINT ("fast" shutdown; SIGTERM waits for clients). */
  stopSignal?: NodeJS.Signals;
  /** Run as this user/group (root launcher running PostgreSQL). */
  uid?: number;
  gid?: number;
  /** Don't echo output once stop() was called (shutdown chatter); it still feeds recentOutput(). */
  quietStop?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly stopSignal: NodeJS.Signals;
  readonly exited: Promise<ExitInfo>;
  /** Last lines of output, for error messages when a service dies during start-up. */
  recentOutput(): string;
  /** Stop signal, wait up to `timeoutMs`, then SIGKILL the process and its descendants. */
  stop(timeoutMs?: number): Promise<void>;
}

const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const RECENT_LINES = 60;
const live = new Set<ManagedProcess>();
let handlersInstalled = false;
let shuttingDown = false;

export function spawnManaged(name: string, cmd: string, args: readonly string[], options: SpawnManagedOptions = {}): ManagedProcess {
  installHandlers();
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  const [file, argv] = withParentDeathSignal(cmd, args, stopSignal);
  const logFd = options.logFile ? openLog(options.logFile) : undefined;
  const out = logFd ?? 'pipe';

  let child: ChildProcess;
  try {
    child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
      detached: false,
      uid: options.uid,
      gid: options.gid,
    });
  } finally {
    if (logFd !== undefined) fs.closeSync(logFd); // the child holds its own copy
  }

  let running = true;
  let stopping = false;
  const recent: string[] = [];
  const onLine =
    (target: NodeJS.WritableStream) =>
    (line: string): void => {
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
      if (!(stopping && options.quietStop)) target.write(`[${name}] ${line}\n`);
    };
  if (logFd === undefined) {
    pipeLines(child.stdout, onLine(process.stdout));
    pipeLines(child.stderr, onLine(process.stderr));
  }

  const exited = new Promise<ExitInfo>((resolve) => {
    const finish = (info: ExitInfo): void => {
      if (!running) return;
      running = false;
      live.delete(handle);
      if (!stopping && !shuttingDown && (info.error || info.code !== 0)) {
        const how = info.error ? `failed to start: ${info.error.message}` : describeExit(info);
        process.stderr.write(`[${name}] ${how}\n`);
      }
      options.onExit?.(info);
      resolve(info);
    };
    child.once('error', (error) => finish({ code: null, signal: null, error }));
    // Prefer 'close' so the last output lines are flushed first, but a grandchild that inherited
    // our pipes can hold 'close' back forever, so 'exit' finishes shortly after regardless.
    child.once('close', (code, signal) => finish({ code, signal }));
    child.once('exit', (code, signal) => setTimeout(() => finish({ code, signal }), 1_000).unref());
  });

  const handle: ManagedProcess = {
    name,
    get pid() {
      return child.pid;
    },
    get running() {
      return running;
    },
    stopSignal,
    exited,
    recentOutput: () => (options.logFile ? tailFile(options.logFile) : recent.join('\n')),
    async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS) {
      const pid = child.pid;
      if (!running || pid === undefined) return;
      stopping = true;
      // Snapshot first: once the main process is gone its children are re-parented and untraceable.
      const tree = descendants(pid);
      signal(pid, stopSignal);
      const timer = new AbortController(); // cancel the timeout so it can't hold the event loop open
      const graceful = await Promise.race([exited.then(() => true), sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false)]);
      timer.abort();
      if (!graceful) {
        process.stderr.write(`[${name}] did not stop within ${timeoutMs / 1000} s, sending SIGKILL\n`);
        for (const p of new Set([pid, ...tree, ...descendants(pid)])) signal(p, 'SIGKILL');
      }
      await exited;
      for (const p of tree) if (isAlive(p)) signal(p, 'SIGKILL'); // leftovers of wrapper processes
    },
  };
  live.add(handle);
  return handle;
}

/** Stops every managed process in parallel (stop signal, wait up to `timeoutMs`, SIGKILL). */
export async function stopAll(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(timeoutMs)));
}

export function managedProcesses(): readonly ManagedProcess[] {
  return [...live];
}

/** True while `pid` exists and is not a zombie (zombies still answer kill(pid, 0)). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readProcStat(pid);
  return stat === undefined || stat.state !== 'Z';
}

/** All transitive children of `pid` (via /proc on Linux, `ps` elsewhere). */
export function descendants(pid: number): number[] {
  return descendantsOf(processTable(), pid);
}

/** Breadth-first walk of (child, parent) links from `pid`; shared with the benchmark's /proc reader. */
export function descendantsOf(links: Iterable<readonly [child: number, parent: number]>, pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of links) {
    const list = children.get(parent) ?? [];
    list.push(child);
    children.set(parent, list);
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

function processTable(): Array<[pid: number, ppid: number]> {
  if (fs.existsSync('/proc/self/stat')) {
    const rows: Array<[number, number]> = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readProcStat(Number(entry));
      if (stat) rows.push([Number(entry), stat.ppid]);
    }
    return rows;
  }
  try {
    return execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  } catch {
    return [];
  }
}

function readProcStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may contain spaces/parens, so split after the last ')'.
    const [state = '', ppid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      const exitCode = 128 + (osConstants.signals[sig] ?? 1);
      if (shuttingDown) {
        // Second Ctrl-C: don't make the user wait for slow shutdowns.
        for (const p of live) if (p.pid !== undefined) signal(p.pid, 'SIGKILL');
        process.exit(exitCode);
      }
      shuttingDown = true;
      if (live.size > 0) process.stderr.write(`\n${sig}: stopping ${[...live].map((p) => p.name).join(', ')}...\n`);
      void stopAll().finally(() => process.exit(exitCode));
    });
  }
  // Last resort (uncaught exception, process.exit elsewhere): 'exit' handlers must be
  // synchronous, so ask children to stop gracefully and let them finish on their own.
  process.on('exit', () => {
    for (const p of live) if (p.pid !== undefined) signal(p.pid, p.stopSignal);
  });
}

let setprivPath: string | null | undefined;

/**
 * Wraps the command in `setpriv --pdeathsig <sig>` when available (util-linux, Linux only) so the
 * kernel signals the child if the launcher dies without running its handlers (SIGKILL, OOM).
 * Note: the kernel ties this to the spawning *thread*; spawn from the main thread only.
 */
function withParentDeathSignal(cmd: string, args: readonly string[], sig: NodeJS.Signals): [string, string[]] {
  if (setprivPath === undefined) setprivPath = findSetpriv();
  if (setprivPath === null) return [cmd, [...args]];
  return [setprivPath, ['--pdeathsig', sig.replace(/^SIG/, ''), '--', cmd, ...args]];
}

function findSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat('/usr/bin', '/bin')) {
    const candidate = path.join(dir, 'setpriv');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      // --pdeathsig appeared in util-linux 2.33; older builds must not break spawning.
      const help = execFileSync(candidate, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return help.includes('--pdeathsig') ? candidate : null;
    } catch {
      // not here
    }
  }
  return null;
}

function openLog(logFile: string): number {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  return fs.openSync(logFile, 'a');
}

function tailFile(file: string, bytes = 8192): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      return buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

function pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
}

function describeExit({ code, signal: sig }: ExitInfo): string {
  return sig ? `exited on ${sig}` : `exited with code ${code}`;
}
