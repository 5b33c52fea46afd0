import type { Client } from '@temporalio/client';
import type { Logger } from '@mehrdesk/core/logger';
import { DomainError } from '../errors';

// Admission control for new tickets. A ticket's SLA timers start in its workflow; when workflow
// tasks queue up faster than the workers take them, a ticket accepted now would have its
// deadlines set late (its clock runs from creation, its timers from the workflow's first task).
// So creation refuses, with a retry time, while the task queue's workflow-task backlog is above
// its bounds (how many tasks wait, and how long the oldest has waited), instead of accepting
// work it cannot start on time. The backlog comes from Temporal
// (DescribeTaskQueue with stats), read at most once per interval and only while tickets are
// being created; a failed read admits (Temporal being away is handled by the reconciler).

/** Refused for now: the caller should retry after `retryAfterSeconds`. */
export class OverloadedError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super('overloaded', 'overloaded', message);
    this.name = 'OverloadedError';
  }
}

export interface AdmissionSettings {
  /** Workflow tasks waiting in the ticket task queue above which creation is refused; 0 turns the gate off. */
  maxBacklog: number;
  /** How long the oldest waiting workflow task may have waited (seconds); 0: no bound on age. */
  maxBacklogSeconds: number;
  /** How often the backlog is read while tickets are being created. */
  checkMs: number;
}

export interface BacklogReading {
  count: number;
  ageSeconds: number;
  at: number;
}

const seconds = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) => (d ? Number(d.seconds ?? 0) + Number(d.nanos ?? 0) / 1e9 : 0);

export class AdmissionGate {
  private last: BacklogReading | null = null;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
    private readonly settings: AdmissionSettings,
    private readonly log: Logger,
  ) {}

  /** Throws OverloadedError while the backlog is above the bound; starts a fresh reading when the last one is old. */
  async admit(): Promise<void> {
    if (this.settings.maxBacklog <= 0) return;
    const stale = !this.last || Date.now() - this.last.at >= this.settings.checkMs;
    // The first request waits for a reading; later ones decide on the last and refresh behind.
    if (stale) this.reading ??= this.read().finally(() => (this.reading = null));
    if (!this.last && this.reading) await this.reading;
    const refusal = this.last && admissionRefusal(this.last, this.settings);
    if (refusal) throw refusal;
  }

  private async read(): Promise<void> {
    try {
      const r = await this.temporal.workflowService.describeTaskQueue({
        namespace: this.temporal.options.namespace,
        taskQueue: { name: this.taskQueue },
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
        reportStats: true,
      });
      this.last = { count: Number(r.stats?.approximateBacklogCount ?? 0), ageSeconds: seconds(r.stats?.approximateBacklogAge), at: Date.now() };
    } catch (err) {
      this.log.warn({ err }, 'admission: could not read the task-queue backlog; admitting');
      this.last = { count: 0, ageSeconds: 0, at: Date.now() };
    }
  }
}

/** The refusal a backlog reading calls for, or null to admit. */
export function admissionRefusal(r: Pick<BacklogReading, 'count' | 'ageSeconds'>, settings: AdmissionSettings): OverloadedError | null {
  if (settings.maxBacklog <= 0 || r.count === 0) return null;
  const tooMany = r.count > settings.maxBacklog;
  const tooOld = settings.maxBacklogSeconds > 0 && r.ageSeconds > settings.maxBacklogSeconds;
  if (!tooMany && !tooOld) return null;
  // Roughly how long the queue needs to get back within its bounds, within reason.
  const excess = Math.max(tooMany ? 1 - settings.maxBacklog / r.count : 0, tooOld ? 1 - settings.maxBacklogSeconds / r.ageSeconds : 0);
  const retryAfter = Math.min(60, Math.max(1, Math.ceil(r.ageSeconds * excess)));
  return new OverloadedError(retryAfter, `Too many tickets are waiting to start (${r.count} queued workflow tasks, the oldest for ${Math.round(r.ageSeconds)} s); try again in ${retryAfter} s`);
}
