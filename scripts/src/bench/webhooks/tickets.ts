import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedLoop, request, type HttpResult, type LoadResult } from '../lib/load';

// Webhook deliveries are generated the way production generates them: a customer creates a
// ticket through the API, the ticket's workflow records one delivery per active subscription to
// `ticket.created` (enqueueWebhooks) and starts one `webhook-<id>` workflow each.

export type Send = (agent: http.Agent, i: number) => Promise<HttpResult>;

export function ticketSender(base: URL, token: string, categoryId: number, label: string): Send {
  return (agent, i) =>
    request(agent, base, 'POST', '/api/v1/tickets', {
      token,
      body: {
        subject: `[bench ${label}] order sync failed (#${i})`,
        body: `<p>Benchmark ticket ${label}-${i}: the shop's order export did not reach the CRM.</p>`,
        categoryId,
      },
    });
}

/** As many tickets as the API accepts with `concurrency` requests in flight (closed loop). */
export function createTickets(send: Send, total: number, concurrency: number): Promise<LoadResult> {
  return closedLoop({ concurrency, total, send });
}

/**
 * Open loop: one ticket every 1/rate s for `seconds`, whether or not earlier requests have
 * answered (up to 64 in flight), so a slow system does not slow the offered load down.
 */
export async function createTicketsPaced(send: Send, rate: number, seconds: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const result: LoadResult = { concurrency: 0, elapsedMs: 0, latencies: [], ok: 0, errors: {}, ids: [] };
  const total = Math.max(1, Math.round(rate * seconds));
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(
      send(agent, i).then((r) => {
        result.latencies.push(r.ms);
        if (r.status >= 200 && r.status < 300) {
          result.ok++;
          result.ids.push((JSON.parse(r.body) as { id: number }).id);
        } else {
          const kind = r.error ?? `HTTP ${r.status}`;
          result.errors[kind] = (result.errors[kind] ?? 0) + 1;
        }
      }),
    );
  }
  await Promise.all(inFlight);
  result.elapsedMs = performance.now() - started;
  agent.destroy();
  return result;
}
