import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '@mehrdesk/core/logger';

// "This ticket's workflow runs" (tickets.workflow_started_at) written for many tickets in one
// statement a few milliseconds later instead of one commit per ticket. Losing a batch (a crash
// in between) costs nothing: the reconciler starts a ticket left unmarked after 20 s, and the
// start finds the running workflow (USE_EXISTING).

const MARK = 'update tickets set workflow_started_at = coalesce(workflow_started_at, now()) where id = any(?::int[])';

export class StartedMarks {
  private pending = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly orm: MikroORM,
    private readonly log: Logger,
    private readonly delayMs = 25,
  ) {}

  mark(ticketId: number): void {
    this.pending.add(ticketId);
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Write what is pending now (also on shutdown). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = [...this.pending];
    this.pending.clear();
    if (ids.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.orm.em
        .fork()
        .execute(MARK, [`{${ids.join(',')}}`])
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn({ err, count: ids.length }, 'could not mark started workflows; the reconciler will')),
    );
    return this.flushing;
  }
}

/** Mark one ticket at once (callers without a batcher: the worker's channels, the reconciler). */
export async function markStartedNow(orm: MikroORM, ticketId: number): Promise<void> {
  await orm.em.fork().execute(MARK, [`{${ticketId}}`]);
}
