import http from 'node:http';

// Closed-loop HTTP load: N workers, each sending its next request as soon as the previous one
// answered, over keep-alive connections (one per worker). node:http with a keep-alive Agent is
// used rather than fetch because it costs the load generator, which shares the CPUs with the
// system under test, noticeably less CPU per request.

export interface HttpResult {
  status: number;
  body: string;
  ms: number;
  error?: string;
}

export function request(
  agent: http.Agent,
  base: URL,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.headers ?? {}),
        },
        timeout: opts.timeoutMs ?? 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', (err) => resolve({ status: 0, body: '', ms: performance.now() - started, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', ms: performance.now() - started, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(payload);
  });
}

export interface LoadResult {
  concurrency: number;
  /** Wall time from the first request until the last answer. */
  elapsedMs: number;
  /** Latency of every request, in completion order. */
  latencies: number[];
  ok: number;
  /** Error kind ("HTTP 503", "ECONNRESET", ...) → count. */
  errors: Record<string, number>;
  /** Ids of the tickets created (2xx answers). */
  ids: number[];
}

/**
 * Run `concurrency` closed-loop workers until `durationMs` has passed (no new request after it;
 * requests in flight finish and count) or `total` requests were sent, whichever comes first.
 */
export async function closedLoop(opts: { concurrency: number; durationMs?: number; total?: number; send: (agent: http.Agent, i: number) => Promise<HttpResult> }): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency, keepAliveMsecs: 10_000 });
  const result: LoadResult = { concurrency: opts.concurrency, elapsedMs: 0, latencies: [], ok: 0, errors: {}, ids: [] };
  const started = performance.now();
  const deadline = opts.durationMs === undefined ? Infinity : started + opts.durationMs;
  let issued = 0;
  const worker = async () => {
    while (performance.now() < deadline && (opts.total === undefined || issued < opts.total)) {
      const r = await opts.send(agent, issued++);
      result.latencies.push(r.ms);
      if (r.status >= 200 && r.status < 300) {
        result.ok++;
        try {
          const id = (JSON.parse(r.body) as { id?: unknown }).id;
          if (typeof id === 'number') result.ids.push(id);
        } catch {
          /* not JSON: counted as ok, no id */
        }
      } else {
        const kind = r.error ?? `HTTP ${r.status}`;
        result.errors[kind] = (result.errors[kind] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  result.elapsedMs = performance.now() - started;
  agent.destroy();
  return result;
}

/** Nearest-rank percentile of unsorted values (copy is sorted); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!);
  return {
    n: sorted.length,
    min: sorted[0] ?? NaN,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN,
  };
}
