import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { metricsAccess } from './metrics-access';

const run = (token: string | undefined, ip: string, authorization?: string) => {
  const headers: Record<string, string> = {};
  const res = { setHeader: (k: string, v: string) => (headers[k] = v) } as unknown as Response;
  let passed = false;
  try {
    metricsAccess({ METRICS_TOKEN: token })({ ip, headers: { authorization } } as Request, res, () => (passed = true));
    return { passed, status: 200, headers };
  } catch (err) {
    return { passed, status: (err as { status: number }).status, headers };
  }
};

describe('who may read /metrics', () => {
  it('without a token: this machine only', () => {
    expect(run(undefined, '127.0.0.1').passed).toBe(true);
    expect(run(undefined, '::1').passed).toBe(true);
    expect(run(undefined, '::ffff:127.0.0.1').passed).toBe(true);
    expect(run(undefined, '10.0.0.5').status).toBe(403);
    expect(run(undefined, '128.0.0.1').status).toBe(403);
  });

  it('with a token: whoever sends it, from anywhere, and nobody else (this machine included)', () => {
    const token = 'm'.repeat(24);
    expect(run(token, '10.0.0.5', `Bearer ${token}`).passed).toBe(true);
    const wrong = run(token, '127.0.0.1', `Bearer ${'n'.repeat(24)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['WWW-Authenticate']).toContain('Bearer');
    expect(run(token, '127.0.0.1').status).toBe(401);
    expect(run(token, '127.0.0.1', `Bearer ${token}x`).status).toBe(401);
  });
});
