import type { CpuUsage } from './cpu';
import type { Distribution } from './load';
import type { MachineInfo } from './procfs';
import type { LogSummary } from './services';

// Markdown building blocks for the benchmark reports: number formats, tables, the "Run" section
// (date, command, machine, commit, load average) and CPU-per-process tables. A report is a list
// of blocks (a heading, a paragraph, a table, or a list given as an array of lines) that
// `document` separates with blank lines.

export type Block = string | string[];

export function document(blocks: Block[]): string {
  return `${blocks.map((b) => (Array.isArray(b) ? b.join('\n') : b)).join('\n\n')}\n`;
}

export const fmt = {
  ms: (n: number) => (!Number.isFinite(n) ? '–' : Math.abs(n) < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')),
  n: (n: number, digits = 0) => (!Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })),
  pct: (n: number) => (!Number.isFinite(n) ? '–' : `${Math.round(n)} %`),
  s: (n: number) => (!Number.isFinite(n) ? '–' : n < 100 ? `${n.toFixed(1)} s` : `${Math.round(n)} s`),
  utc: (d: Date) =>
    d
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC'),
};

const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;

export function table(head: string[], rows: Array<Array<string | number>>, align?: string[]): string {
  return [row(head), row(align ?? head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)].join('\n');
}

/** p50, p95, p99, max in ms. */
export const latencyCells = (d: Distribution) => [fmt.ms(d.p50), fmt.ms(d.p95), fmt.ms(d.p99), fmt.ms(d.max)];

export interface RunInfo {
  startedAt: Date;
  finishedAt: Date;
  benchSeconds: number;
  command: string;
  machine: MachineInfo;
  git: { commit: string; dirty: string[] };
  /** `uptime` load average (1/5/15 min) before the launcher started the stack (BENCH_LOADAVG_BEFORE, when given), when the benchmark started (after the stack start-up) and at the end. */
  loadavgBeforeLaunch: string | null;
  loadavgStart: string;
  loadavgEnd: string;
  /** Average CPU of processes outside the run over the measured phases, % of one core. */
  otherCpuPct: number;
  versions: string;
}

/** The "Run" section: when, what, where, and how busy the machine was. */
export function runSection(r: RunInfo, processes: string): Block[] {
  // Other engineers' processes show up as CPU outside this run's processes ("other").
  const busy = r.otherCpuPct >= 20;
  return [
    '## Run',
    [
      `- Date: ${fmt.utc(r.startedAt)} (finished ${r.finishedAt.toISOString().slice(11, 19)} UTC)`,
      `- Command: \`${r.command}\``,
      `- Runtime: ${fmt.s(r.benchSeconds)} for the benchmark itself (after the launcher's stack start-up, migrations and seed)`,
      `- Machine: ${r.machine.cpuModel}, ${r.machine.cpus} CPUs (nproc), ${r.machine.memTotal} RAM, ${r.machine.kernel}, Node ${r.machine.node}`,
      `- Versions: ${r.versions}`,
      `- Code: commit \`${r.git.commit}\`${r.git.dirty.length ? ` plus uncommitted changes (work in progress of other engineers at the time) in ${r.git.dirty.map((f) => `\`${f}\``).join(', ')}` : ''}`,
      `- Load average (1/5/15 min, as \`uptime\` shows it): ${r.loadavgBeforeLaunch ? `${r.loadavgBeforeLaunch} before the launcher started the stack, ` : ''}${r.loadavgStart} when the benchmark started (after the stack start-up), ${r.loadavgEnd} at the end.`,
      busy
        ? `- **The machine was busy**: processes outside this run (other engineers' test suites) used ${fmt.pct(r.otherCpuPct)} of one core on average while it measured (column "other" in the CPU tables), out of ${r.machine.cpus * 100} %. The figures are lower than this stack reaches on an idle machine.`
        : `- Processes outside this run used ${fmt.pct(r.otherCpuPct)} of one core on average while it measured (column "other" in the CPU tables).`,
      `- Everything shares the same ${r.machine.cpus} CPUs: ${processes}.`,
    ],
  ];
}

/** One row per phase: % of one core per process group, "other" (the rest of the machine) and the machine total. */
export function cpuTable(groups: string[], phases: Array<[string, CpuUsage | null]>): string {
  return table(
    ['Phase', 'Duration', ...groups, 'other', 'machine'],
    phases
      .filter((p): p is [string, CpuUsage] => p[1] !== null)
      .map(([name, u]) => [name, fmt.s(u.seconds), ...groups.map((g) => fmt.pct(u.pct[g] ?? NaN)), fmt.pct(u.otherPct), fmt.pct(u.machinePct)]),
  );
}

/** CPU milliseconds per unit of work (e.g. per delivery) and process group over a phase. */
export function cpuPerUnitTable(groups: string[], unit: string, phases: Array<[string, CpuUsage | null, number]>): string {
  return table(
    ['Phase', ...groups, 'total'],
    phases
      .filter((p): p is [string, CpuUsage, number] => p[1] !== null && p[2] > 0)
      .map(([name, u, units]) => {
        const per = groups.map((g) => (1000 * (u.cpuSeconds[g] ?? NaN)) / units);
        return [`${name} (ms per ${unit})`, ...per.map(fmt.ms), fmt.ms(per.filter(Number.isFinite).reduce((a, b) => a + b, 0))];
      }),
  );
}

/** The processes that used most CPU in a phase, "worker 80 %, Temporal 60 %". */
export function topConsumers(u: CpuUsage, n = 3): string {
  return Object.entries(u.pct)
    .filter(([, v]) => Number.isFinite(v))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([g, v]) => `${g} ${fmt.pct(v)}`)
    .join(', ');
}

export function logSection(logs: LogSummary[]): Block[] {
  return [
    '## Service logs (LOG_LEVEL=warn)',
    logs.map((l) => `- \`${l.file}\`: ${l.errors} error(s), ${l.warnings} warning(s)${l.samples.length ? `; e.g. ${l.samples.map((s) => `"${s.replace(/[|`]/g, ' ')}"`).join('; ')}` : ''}`),
  ];
}
