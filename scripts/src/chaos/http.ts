import http from 'node:http';

// A small HTTP client for the chaos load: node:http (cheap on a shared 2-core machine), a
// client-side timeout, and every outcome turned into a value (never a throw), so a killed API
// shows up as ECONNRESET/ECONNREFUSED in the record instead of stopping the load.

export interface Answer {
  status: number;
  body: unknown;
  ms: number;
  /** Network error code or 'client timeout' when no HTTP answer came. */
  error?: string;
}

export function call(agent: http.Agent, base: URL, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
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
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started });
        });
        res.on('error', (err) => resolve({ status: 0, body: null, ms: performance.now() - started, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'client timeout' })));
    req.on('error', (err) => resolve({ status: 0, body: null, ms: performance.now() - started, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(payload);
  });
}

/** "201", "503", "ECONNREFUSED", "client timeout". */
export const outcomeOf = (a: Answer): string => (a.status ? String(a.status) : (a.error ?? 'error'));
