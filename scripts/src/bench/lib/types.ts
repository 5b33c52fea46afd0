import type { ServerLatency } from './api-metrics';
import type { CpuUsage } from './cpu';
import type { Distribution } from './load';
import type { PgWaitSummary } from './postgres-waits';
import type { BacklogSummary } from './temporal-backlog';
import type { MachineInfo, MemStatus } from './procfs';

// The numbers one run of the lifecycle benchmark collects; report.ts renders them.

export interface BenchOptions {
  quick: boolean;
  stepSeconds: number;
  concurrency: number[];
  workflowCheckSeconds: number;
  slaTickets: number;
  slaTargetSeconds: number;
  slaTimeoutSeconds: number;
  openWorkflows: number;
  settleSeconds: number;
  createConcurrency: number | null;
  parts: Set<'A' | 'B' | 'C'>;
  out: string;
}

export interface CreateRun {
  concurrency: number;
  seconds: number;
  created: number;
  tps: number;
  latency: Distribution;
  errors: Record<string, number>;
}

export interface StepResult extends CreateRun {
  server: ServerLatency | null;
  workflows: {
    total: number;
    /** Tickets whose workflow ran its first task (ticket_created e-mail row)  when the check ended (≤ workflowCheckSeconds after the step). */
    startedInCheck: number;
    /** Time after the step's end until every workflow had started; null if not within the check. */
    allStartedAfterMs: number | null;
    /** First-task time − created_at of the started ones. */
    startLagMs: Distribution;
  };
  cpu: CpuUsage;
  peakMachinePct: number;
  pgWaits: PgWaitSummary;
  /** Temporal task-queue backlog during the step and its workflow check. */
  backlog: BacklogSummary;
}

export interface DrainResult {
  tickets: number;
  /** Until every workflow had started and the task queues were empty (or the timeout). */
  seconds: number;
  complete: boolean;
  startedAtBegin: number;
  started: number;
  /** Seconds until the last workflow had started (null: not all did). */
  allStartedAfterS: number | null;
  /** Workflow starts per second while draining (the pipeline's rate with no new tickets), if ≥ 50 started. */
  startsPerSecond: number | null;
  backlog: BacklogSummary;
}

export interface EndToEnd {
  tickets: number;
  /** From the first step's start until the backlog had drained. */
  seconds: number;
  cpu: CpuUsage;
  /** 5 s with no load right before the first step: background CPU (subtracted per ticket). */
  baseline: CpuUsage;
  drain: DrainResult;
}

export interface SlaResult {
  tickets: number;
  targetSeconds: number;
  warningFraction: number;
  create: CreateRun;
  /** From the last ticket's creation until every ticket had a breach row (or the timeout). */
  waitedSeconds: number;
  timedOut: boolean;
  breachLatenessMs: Distribution;
  warningLatenessMs: Distribution;
  /** Breach lateness over the firing window, in 10% slices of the tickets (by target time). */
  latenessBySlice: Array<{ slice: number; p50: number; p99: number; max: number }>;
  /** Tickets whose workflow started (first activity) only after the breach was already due. */
  startedAfterDue: number;
  /** Breach lateness of the tickets whose workflow was running before the breach was due. */
  onTimeStartBreachLatenessMs: Distribution;
  backlog: BacklogSummary;
  missingBreach: number;
  missingWarning: number;
  duplicateBreach: number;
  duplicateWarning: number;
  startLagMs: Distribution;
  cpuCreate: CpuUsage;
  cpuFiring: CpuUsage | null;
  firingWindowSeconds: number;
  /** Breaches per second in the busiest second of the firing window. */
  peakBreachesPerSecond: number;
}

export interface ProcMemory extends MemStatus {
  pid: number;
  /** PostgreSQL: PSS summed over the postmaster and all its backends (shared buffers counted once). */
  treePssKb?: number;
  treeProcs?: number;
}

export interface MemorySnapshot {
  label: string;
  openWorkflows: number | null;
  procs: Record<string, ProcMemory | null>;
}

export interface MemoryResult {
  target: number;
  openBefore: number;
  create: CreateRun | null;
  /** Creation split into tenths: does creation slow down as open tickets accumulate? */
  chunks: Array<{ from: number; to: number; tps: number; p50: number; p99: number }>;
  allStarted: boolean;
  startWaitSeconds: number;
  drain: DrainResult | null;
  settleSeconds: number;
  openAfter: number | null;
  openAfterDb: number;
  cpuCreate: CpuUsage | null;
  cpuSettle: CpuUsage;
}

import type { LogSummary } from './services';
export type { LogSummary };

export interface BenchResult {
  startedAt: Date;
  finishedAt: Date;
  benchSeconds: number;
  /** Including the launcher's stack start-up (process age of the launcher). */
  totalSeconds: number | null;
  command: string;
  machine: MachineInfo;
  /** Commit and files with uncommitted changes when the run started (the code measured). */
  git: { commit: string; dirty: string[] };
  loadavgStart: string;
  loadavgEnd: string;
  loadavgBeforeLaunch: string | null;
  options: BenchOptions;
  taskQueue: string;
  versions: { temporal: string; postgres: string; node: string };
  config: { workerOptions: string[]; apiEnv: string[]; temporalCmd: string[]; postgresCmd: string[]; dbPoolMax: number };
  pids: Record<string, number | null>;
  steps: StepResult[];
  /** Part A as a whole, including the time the workflows needed to catch up afterwards. */
  partA: EndToEnd | null;
  /** History of the first part A ticket after its start settled: the Temporal work per ticket. */
  history: { ticketId: number; events: number; byType: Record<string, number> } | null;
  sla: SlaResult | null;
  memory: MemoryResult | null;
  snapshots: MemorySnapshot[];
  logs: LogSummary[];
}
