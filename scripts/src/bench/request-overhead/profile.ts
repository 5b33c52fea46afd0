import fs from 'node:fs';
import path from 'node:path';

// Reads a V8 CPU profile (.cpuprofile, written by `node --cpu-prof` when the process exits) and
// sums the time of the samples taken inside a window (the measured requests, not start-up):
// self time per function and per file or package, and inclusive time per function (each sample
// counted once per function on its stack, so recursion does not count twice).

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  /** `function (file:line)` or a package/file name. */
  name: string;
  /** Milliseconds of samples in the window. */
  ms: number;
  /** Share of the main thread's busy time in the window. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  windowMs: number;
  /** Sampled time in the window that was not (idle): the main thread's busy time. */
  busyMs: number;
  selfByFunction: ProfileEntry[];
  selfByPackage: ProfileEntry[];
  /** Every package's self time (for old-vs-new differences). */
  allPackages: ProfileEntry[];
  /**
   * Every sample charged to the nearest frame on its stack from a package or a project file
   * (not Node's own `node:` modules, not native code): socket writes under pg count as pg's,
   * under ioredis as ioredis's, under express as express's.
   */
  byOwner: ProfileEntry[];
  inclusiveByFunction: ProfileEntry[];
}

/** node_modules/<pkg> (scoped too), or the project-relative file, or a V8 pseudo-frame. */
export function packageOf(url: string, roots: string[]): string {
  if (!url) return '(native/V8)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (clean.startsWith('node:')) return clean;
  for (const r of roots) if (clean.startsWith(`${r}/`)) return clean.slice(r.length + 1);
  return clean;
}

const frameName = (f: CallFrame, roots: string[]) => `${f.functionName || '(anonymous)'} (${packageOf(f.url, roots)}${f.url ? `:${f.lineNumber + 1}` : ''})`;

const top = (m: Map<string, number>, total: number, n: number): ProfileEntry[] =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : NaN }));

/**
 * `fromUs`/`toUs`: the window in the profile's clock (CLOCK_MONOTONIC µs, the same clock as
 * process.hrtime in the benchmark); null takes every sample.
 */
export function summarizeProfile(file: string, roots: string[], fromUs: number | null, toUs: number | null, n = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const self = new Map<string, number>();
  const pkg = new Map<string, number>();
  const incl = new Map<string, number>();
  const owner = new Map<string, number>();
  const ownerOf = (id: number): string => {
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const url = byId.get(x)!.callFrame.url;
      if (url && !url.startsWith('node:')) return packageOf(url, roots);
    }
    return '(Node itself)';
  };
  let t = p.startTime;
  let total = 0;
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if ((fromUs !== null && t < fromUs) || (toUs !== null && t > toUs)) continue;
    // The delta before the next sample is this sample's time (as Chrome DevTools counts it).
    const dt = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    total += dt;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') continue;
    if (fn === '(program)' || fn === '(garbage collector)') {
      // Native work outside JavaScript (the HTTP parser, libuv, bindings) and GC.
      busy += dt;
      self.set(fn, (self.get(fn) ?? 0) + dt);
      pkg.set(fn, (pkg.get(fn) ?? 0) + dt);
      owner.set(fn, (owner.get(fn) ?? 0) + dt);
      continue;
    }
    busy += dt;
    const name = frameName(node.callFrame, roots);
    self.set(name, (self.get(name) ?? 0) + dt);
    const pk = packageOf(node.callFrame.url, roots);
    pkg.set(pk, (pkg.get(pk) ?? 0) + dt);
    const ow = ownerOf(node.id);
    owner.set(ow, (owner.get(ow) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (f.functionName === '(root)') break;
      const k = frameName(f, roots);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  }
  return {
    file,
    windowMs: total / 1000,
    busyMs: busy / 1000,
    selfByFunction: top(self, busy, n),
    selfByPackage: top(pkg, busy, n),
    allPackages: top(pkg, busy, Infinity),
    byOwner: top(owner, busy, Infinity),
    inclusiveByFunction: top(incl, busy, n * 2),
  };
}

/**
 * The main thread's profile in `dir`: node names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile,
 * and worker threads (thread id > 0) write their own. The newest one of thread 0.
 */
export function mainThreadProfile(dir: string): { main: string | null; others: string[] } {
  if (!fs.existsSync(dir)) return { main: null, others: [] };
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  const main = files.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)) ?? null;
  return { main, others: files.filter((f) => f !== main) };
}

/** The profile clock now: CLOCK_MONOTONIC in µs, as V8 stamps samples. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
