import type http from 'node:http';
import { request } from '../bench/lib/load';

// The chaos load's HTTP client: the benchmarks' node:http request (cheap on a shared 2-core
// machine, a client-side timeout, every outcome a value, never a throw, so a killed API shows
// up as ECONNRESET/ECONNREFUSED in the record instead of stopping the load), with JSON bodies.

export interface Answer {
  status: number;
  body: unknown;
  ms: number;
  /** Network error code or 'client timeout' when no HTTP answer came. */
  error?: string;
}

export async function call(
  agent: http.Agent,
  base: URL,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const r = await request(agent, base, method, path, { timeoutMs: 30_000, ...opts });
  let body: unknown = r.body;
  try {
    body = r.body ? JSON.parse(r.body) : null;
  } catch {
    /* not JSON */
  }
  return { status: r.status, body, ms: r.ms, ...(r.error ? { error: r.error } : {}) };
}

/** "201", "503", "ECONNREFUSED", "client timeout". */
export const outcomeOf = (a: Answer): string => (a.status ? String(a.status) : (a.error ?? 'error'));
