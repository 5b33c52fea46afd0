import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { descendantsOf } from '../../stack/processes';

// Linux /proc readers for the benchmark: CPU time per process tree, memory per process and a
// description of the machine. Everything degrades to "unknown" instead of throwing.

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, clock ticks. */
  cpu: number;
  /** cutime + cstime: CPU of children this process has already reaped (PostgreSQL backends). */
  childCpu: number;
  /** Clock ticks after boot. */
  starttime: number;
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may contain spaces or parentheses.
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(f[i] ?? 0);
    return { pid, ppid: n(1), cpu: n(11) + n(12), childCpu: n(13) + n(14), starttime: n(19) };
  } catch {
    return undefined;
  }
}

export function processTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) table.set(s.pid, s);
  }
  return table;
}

export function descendantsIn(table: Map<number, ProcStat>, pid: number): number[] {
  return descendantsOf(
    [...table.values()].map((p) => [p.pid, p.ppid] as const),
    pid,
  );
}

export function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Pids whose command line contains every one of `needles`: `pgrep -f` (regex-escaped, so a data
 * folder path matches literally), confirmed against /proc; a plain /proc scan when pgrep is missing.
 */
export function findPids(needles: string[]): number[] {
  const matches = (pid: number) => {
    const cl = cmdline(pid).join(' ');
    return cl.length > 0 && needles.every((n) => cl.includes(n));
  };
  let candidates: number[];
  try {
    const escaped = needles[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    candidates = execFileSync('pgrep', ['-f', escaped], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch (error) {
    // pgrep exits 1 when nothing matches; anything else (ENOENT): scan /proc ourselves.
    if ((error as { status?: number }).status === 1) return [];
    candidates = fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  }
  return candidates.filter((p) => p !== process.pid && matches(p));
}

export interface MemStatus {
  rssKb: number;
  hwmKb: number;
  threads: number;
}

export function memStatus(pid: number): MemStatus | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), threads: kb('Threads') };
  } catch {
    return undefined;
  }
}

/** Proportional set size (shared pages split between sharers), for multi-process servers. */
export function pssKb(pid: number): number {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Busy and total clock ticks of the whole machine (all CPUs) from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal; guest is inside user
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

export function loadAverage(): string {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

/** Seconds since `pid` started (uses /proc/uptime and the process start time). */
export function processAgeSeconds(pid: number): number | undefined {
  const s = readStat(pid);
  if (!s) return undefined;
  const uptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return uptime - s.starttime / CLK_TCK;
}

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memTotal: string;
  kernel: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^Model name:\s*(.+)$/m.exec(execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    /* lscpu missing: keep os.cpus() */
  }
  let memTotal = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
  try {
    const kb = Number(/^MemTotal:\s+(\d+)/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    if (kb) memTotal = `${(kb / 2 ** 20).toFixed(1)} GiB`;
  } catch {
    /* keep os.totalmem() */
  }
  let cpus = os.availableParallelism();
  try {
    cpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cpus;
  } catch {
    /* keep */
  }
  return { cpuModel, cpus, memTotal, kernel: `${os.type()} ${os.release()}`, node: process.version };
}
