// Configuration that changes rarely (categories, groups, organizations, SLA policies with their
// calendars, which triggers have listeners) read once and kept until a change is announced.
// Statement-level triggers (migration TicketPathSpeed) NOTIFY `CONFIG_CHANNEL` at commit; a
// process that LISTENs switches its cache on while the connection is up and drops everything on
// each announcement, on a lost connection and on reconnecting (announcements may have been
// missed meanwhile). Without a LISTEN connection (the worker, a test) every read goes to the
// database, so a cache can never be stale for longer than a NOTIFY takes to arrive.

export const CONFIG_CHANNEL = 'mehrdesk_config';

/** Far above any real configuration; reached only by a flood of distinct organizations. */
const MAX_ENTRIES = 20_000;

export class ConfigCache {
  private entries = new Map<string, Promise<unknown>>();
  private on = false;

  /** Whether changes can be heard; reads bypass the cache while they cannot. */
  get enabled(): boolean {
    return this.on;
  }

  /** The memoised value of `key`, loaded by `load` on a miss; a failed load is not kept. */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.on) return load();
    const hit = this.entries.get(key);
    if (hit) return hit as Promise<T>;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const p = load();
    this.entries.set(key, p);
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    return p;
  }

  /** A change was announced (or may have been missed): forget everything. */
  invalidate(): void {
    this.entries.clear();
  }

  /** The LISTEN connection came up (true) or went away (false); either way nothing cached is trusted. */
  listening(on: boolean): void {
    this.entries.clear();
    this.on = on;
  }
}
