import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpResult } from '../lib/load';

// Open-loop load: request i is due at start + i / rate whatever the answers so far, the way
// independent customers arrive. A slow server therefore builds up requests in flight instead
// of slowing the sender down (a closed loop would hide that). In-flight requests are capped;
// a request due while the cap is reached is not sent and counted. Latency is measured from the
// moment the request was due, so a late sender (this process short of CPU) shows in it too.

export interface OpenLoopResult {
  offeredPerSecond: number;
  durationMs: number;
  scheduled: number;
  sent: number;
  /** Due while `maxInFlight` requests were waiting for their answer. */
  notSent: number;
  /** From the first request due until the last answer. */
  elapsedMs: number;
  /** Per answered request, ms from its due time to its answer. */
  latencies: number[];
  ok: number;
  /** 429 answers (admission control). */
  tooMany: number;
  /** Other failures: "HTTP 500", "ECONNRESET", "client timeout" → count. */
  errors: Record<string, number>;
  /** Ids of the tickets created (2xx answers). */
  ids: number[];
  /** Largest number of requests in flight at once. */
  maxInFlight: number;
  /** How late the sender was, p99 over the requests sent, ms. */
  sendDelayP99Ms: number;
}

export async function openLoop(opts: { ratePerSecond: number; durationMs: number; maxInFlight: number; send: (agent: http.Agent, i: number) => Promise<HttpResult> }): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxInFlight, keepAliveMsecs: 10_000 });
  const total = Math.round((opts.ratePerSecond * opts.durationMs) / 1000);
  const interval = 1000 / opts.ratePerSecond;
  const result: OpenLoopResult = {
    offeredPerSecond: opts.ratePerSecond,
    durationMs: opts.durationMs,
    scheduled: total,
    sent: 0,
    notSent: 0,
    elapsedMs: 0,
    latencies: [],
    ok: 0,
    tooMany: 0,
    errors: {},
    ids: [],
    maxInFlight: 0,
    sendDelayP99Ms: 0,
  };
  const delays: number[] = [];
  const pending = new Set<Promise<void>>();
  let lastAnswer = 0;
  const start = performance.now();
  const fire = (i: number, due: number) => {
    const delay = performance.now() - due;
    delays.push(delay);
    result.sent++;
    const p = opts.send(agent, i).then((r) => {
      lastAnswer = performance.now();
      result.latencies.push(r.ms + delay);
      if (r.status >= 200 && r.status < 300) {
        result.ok++;
        try {
          const id = (JSON.parse(r.body) as { id?: unknown }).id;
          if (typeof id === 'number') result.ids.push(id);
        } catch {
          /* counted as ok, no id */
        }
      } else if (r.status === 429) result.tooMany++;
      else {
        const kind = r.error ?? `HTTP ${r.status}`;
        result.errors[kind] = (result.errors[kind] ?? 0) + 1;
      }
    });
    const tracked = p.finally(() => pending.delete(tracked));
    pending.add(tracked);
    result.maxInFlight = Math.max(result.maxInFlight, pending.size);
  };
  let next = 0;
  while (next < total) {
    const now = performance.now();
    // Everything due by now goes out now (a timer that fired late catches up at once).
    while (next < total && start + next * interval <= now) {
      if (pending.size >= opts.maxInFlight) result.notSent++;
      else fire(next, start + next * interval);
      next++;
    }
    if (next < total) await sleep(Math.max(0, start + next * interval - performance.now()));
  }
  await Promise.all([...pending]);
  result.elapsedMs = Math.max(lastAnswer, start + opts.durationMs) - start;
  delays.sort((a, b) => a - b);
  result.sendDelayP99Ms = delays.length ? delays[Math.min(delays.length - 1, Math.ceil(0.99 * delays.length) - 1)]! : 0;
  agent.destroy();
  return result;
}
