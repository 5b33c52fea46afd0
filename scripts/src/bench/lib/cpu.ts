import { CLK_TCK, descendantsIn, machineTicks, processTable } from './procfs';

// CPU accounting per process (tree) from /proc/<pid>/stat. Everything shares the same cores, so
// the per-process split of a phase is the evidence for where a bottleneck sits.

export interface CpuGroup {
  name: string;
  pid: number;
  /** Add the CPU of child processes (PostgreSQL backends, wrapper children). */
  tree: boolean;
}

export interface CpuSnapshot {
  at: number;
  /** Clock ticks per group. */
  groups: Record<string, number>;
  machine: { busy: number; total: number };
}

export interface CpuUsage {
  seconds: number;
  /** Average % of one core per group over the window (100 = one core fully busy). */
  pct: Record<string, number>;
  /** Machine busy (all processes, ours and others), % of one core: the ceiling is cpus × 100. */
  machinePct: number;
  /** Machine busy minus our groups: other users of the machine. */
  otherPct: number;
  /** CPU seconds per group over the window. */
  cpuSeconds: Record<string, number>;
}

export class CpuMonitor {
  private readonly series: CpuSnapshot[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly groups: CpuGroup[]) {}

  snapshot(): CpuSnapshot {
    const table = processTable();
    const groups: Record<string, number> = {};
    for (const g of this.groups) {
      const root = table.get(g.pid);
      if (!root) {
        groups[g.name] = NaN;
        continue;
      }
      let ticks = root.cpu;
      if (g.tree) {
        ticks += root.childCpu;
        for (const d of descendantsIn(table, g.pid)) ticks += table.get(d)?.cpu ?? 0;
      }
      groups[g.name] = ticks;
    }
    return { at: performance.now(), groups, machine: machineTicks() };
  }

  /** Sample every `everyMs` in the background (for per-second peaks). */
  start(everyMs = 1000): void {
    this.series.push(this.snapshot());
    this.timer = setInterval(() => this.series.push(this.snapshot()), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  usage(a: CpuSnapshot, b: CpuSnapshot): CpuUsage {
    const seconds = (b.at - a.at) / 1000;
    const pct: Record<string, number> = {};
    const cpuSeconds: Record<string, number> = {};
    let ours = 0;
    for (const g of this.groups) {
      const ticks = Math.max(0, (b.groups[g.name] ?? NaN) - (a.groups[g.name] ?? NaN));
      cpuSeconds[g.name] = ticks / CLK_TCK;
      pct[g.name] = seconds > 0 ? (100 * ticks) / CLK_TCK / seconds : NaN;
      if (Number.isFinite(pct[g.name])) ours += pct[g.name]!;
    }
    // /proc/stat ticks are summed over all CPUs, in USER_HZ like /proc/<pid>/stat.
    const machineTicksBusy = b.machine.busy - a.machine.busy;
    const machinePct = seconds > 0 ? (100 * machineTicksBusy) / CLK_TCK / seconds : NaN;
    return { seconds, pct, machinePct, otherPct: Math.max(0, machinePct - ours), cpuSeconds };
  }

  /** Highest 1-second machine busy % seen in the background series between two times. */
  peakMachinePct(fromAt: number, toAt: number): number {
    let peak = 0;
    for (let i = 1; i < this.series.length; i++) {
      const a = this.series[i - 1]!;
      const b = this.series[i]!;
      if (a.at < fromAt || b.at > toAt) continue;
      peak = Math.max(peak, this.usage(a, b).machinePct);
    }
    return peak;
  }
}
