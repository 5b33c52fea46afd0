import type { Client } from '@temporalio/client';

// Task-queue backlog from Temporal (DescribeTaskQueue with report_stats): tasks waiting for a
// worker poll. A growing workflow-task backlog while the API keeps accepting tickets means the
// worker/Temporal pipeline is slower than ticket creation.

export interface Backlog {
  workflowTasks: number;
  workflowAgeS: number;
  activityTasks: number;
  activityAgeS: number;
}

export interface BacklogSummary {
  samples: number;
  maxWorkflowTasks: number;
  maxWorkflowAgeS: number;
  maxActivityTasks: number;
  maxActivityAgeS: number;
}

const seconds = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) => (d ? Number(d.seconds ?? 0) + Number(d.nanos ?? 0) / 1e9 : 0);

export async function backlog(temporal: Client, taskQueue: string): Promise<Backlog | null> {
  try {
    const one = async (taskQueueType: number) => {
      const r = await temporal.workflowService.describeTaskQueue({
        namespace: temporal.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType,
        reportStats: true,
      });
      return { count: Number(r.stats?.approximateBacklogCount ?? 0), age: seconds(r.stats?.approximateBacklogAge) };
    };
    const [wf, act] = await Promise.all([one(1), one(2)]); // TASK_QUEUE_TYPE_WORKFLOW, _ACTIVITY
    return { workflowTasks: wf.count, workflowAgeS: wf.age, activityTasks: act.count, activityAgeS: act.age };
  } catch {
    return null;
  }
}

export class BacklogSampler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private s: BacklogSummary = { samples: 0, maxWorkflowTasks: 0, maxWorkflowAgeS: 0, maxActivityTasks: 0, maxActivityAgeS: 0 };

  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
    private readonly everyMs = 2000,
  ) {}

  start(): this {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    this.timer.unref();
    return this;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const b = await backlog(this.temporal, this.taskQueue);
      if (!b) return;
      this.s.samples++;
      this.s.maxWorkflowTasks = Math.max(this.s.maxWorkflowTasks, b.workflowTasks);
      this.s.maxWorkflowAgeS = Math.max(this.s.maxWorkflowAgeS, b.workflowAgeS);
      this.s.maxActivityTasks = Math.max(this.s.maxActivityTasks, b.activityTasks);
      this.s.maxActivityAgeS = Math.max(this.s.maxActivityAgeS, b.activityAgeS);
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<BacklogSummary> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    await this.sample();
    return { ...this.s };
  }
}
