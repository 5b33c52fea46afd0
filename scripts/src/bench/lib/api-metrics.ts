import type http from 'node:http';
import { request } from './load';

// Server-side view of POST /api/v1/tickets from the API's own Prometheus histogram: comparing it
// with the client-side latency separates time spent in the API from time queued in the client.

export interface Histogram {
  /** Cumulative counts per upper bound in seconds (Infinity for +Inf). */
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

export interface ServerLatency {
  count: number;
  meanMs: number;
  /** Share of requests the API answered within 250 ms. */
  within250: number;
  /** Upper bound of the histogram bucket holding the 99th percentile (ms; Infinity = above 5 s). */
  p99BucketMs: number;
}

const SERIES = 'mehrdesk_http_request_duration_seconds';

export async function scrapeCreateHistogram(agent: http.Agent, base: URL): Promise<Histogram | null> {
  const r = await request(agent, base, 'GET', '/metrics');
  if (r.status !== 200) return null;
  const h: Histogram = { buckets: new Map(), sum: 0, count: 0 };
  for (const line of r.body.split('\n')) {
    if (!line.startsWith(SERIES) || !line.includes('method="POST"') || !line.includes('route="/api/v1/tickets"') || !/status="2\d\d"/.test(line)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${SERIES}_bucket`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1] ?? '+Inf';
      const bound = le === '+Inf' ? Infinity : Number(le);
      h.buckets.set(bound, (h.buckets.get(bound) ?? 0) + value);
    } else if (line.startsWith(`${SERIES}_sum`)) h.sum += value;
    else if (line.startsWith(`${SERIES}_count`)) h.count += value;
  }
  return h;
}

export function serverLatency(before: Histogram | null, after: Histogram | null): ServerLatency | null {
  if (!after) return null;
  const count = after.count - (before?.count ?? 0);
  if (count <= 0) return null;
  const sum = after.sum - (before?.sum ?? 0);
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const delta = (b: number) => (after.buckets.get(b) ?? 0) - (before?.buckets.get(b) ?? 0);
  const p99 = bounds.find((b) => delta(b) >= 0.99 * count) ?? Infinity;
  return { count, meanMs: (1000 * sum) / count, within250: delta(0.25) / count, p99BucketMs: p99 * 1000 };
}
