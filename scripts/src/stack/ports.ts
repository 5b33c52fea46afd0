import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Binds host:port briefly; resolves the port actually bound (0 → OS-assigned), or rejects when taken. */
function probe(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * `preferred` when it is free on 127.0.0.1 (stable URLs across runs), otherwise a port the OS
 * picks. There is an unavoidable window between this check and the real bind; callers start
 * services right after, which keeps it small.
 */
export async function freePort(preferred?: number): Promise<number> {
  if (preferred !== undefined && preferred > 0) {
    try {
      return await probe(preferred, '127.0.0.1');
    } catch {
      // taken: fall through to an OS-assigned port
    }
  }
  return probe(0, '127.0.0.1');
}

export interface WaitForOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Human description used in the timeout error, e.g. "PostgreSQL on 127.0.0.1:5433". */
  what: string;
}

/**
 * Polls `check` until it resolves true. A throwing check counts as "not yet" (services refuse
 * connections while booting); its last error is quoted in the timeout error to aid diagnosis.
 */
export async function waitFor(check: () => Promise<boolean>, { timeoutMs, intervalMs = 250, what }: WaitForOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${cause}`, {
        cause: lastError,
      });
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
