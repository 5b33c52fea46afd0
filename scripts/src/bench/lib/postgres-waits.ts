import type { MikroORM } from '@mehrdesk/core/db';

// Samples pg_stat_activity while load runs: how many backends are active and what they wait
// for (Lock/advisory = serialised on a lock, ClientRead = waiting for the application, ...).

export interface PgWaitSummary {
  samples: number;
  /** Average backends in state 'active' (excluding the sampler). */
  avgActive: number;
  /** Average backends idle inside an open transaction (waiting for the application). */
  avgIdleInTx: number;
  /** Average backends waiting on a heavyweight lock (row locks, advisory locks, ...). */
  avgLockWaits: number;
  /** Most frequent wait events among active/idle-in-transaction backends, average count per sample. */
  top: Array<{ wait: string; avg: number }>;
}

export class PgWaitSampler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private samples = 0;
  private active = 0;
  private idleInTx = 0;
  private lockWaits = 0;
  private readonly waits = new Map<string, number>();

  constructor(
    private readonly orm: MikroORM,
    private readonly everyMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const rows = await this.orm.em.fork().execute<{ state: string | null; wait_event_type: string | null; wait_event: string | null; n: string }[]>(
        `select state, wait_event_type, wait_event, count(*) as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'
            and state in ('active', 'idle in transaction')
          group by 1, 2, 3`,
      );
      this.samples++;
      for (const r of rows) {
        const n = Number(r.n);
        if (r.state === 'active') this.active += n;
        else this.idleInTx += n;
        if (r.wait_event_type === 'Lock') this.lockWaits += n;
        const key = `${r.state === 'active' ? 'active' : 'idle in tx'}: ${r.wait_event_type ? `${r.wait_event_type}/${r.wait_event}` : 'on CPU'}`;
        this.waits.set(key, (this.waits.get(key) ?? 0) + n);
      }
    } catch {
      /* a missed sample is fine */
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<PgWaitSummary> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    const per = (x: number) => (this.samples ? x / this.samples : 0);
    const top = [...this.waits.entries()]
      .map(([wait, n]) => ({ wait, avg: per(n) }))
      .sort((a, b) => b.avg - a.avg)
      .slice(0, 4);
    return { samples: this.samples, avgActive: per(this.active), avgIdleInTx: per(this.idleInTx), avgLockWaits: per(this.lockWaits), top };
  }
}
