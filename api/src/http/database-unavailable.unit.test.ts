import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from './database-unavailable';

const withCode = (code: string, message = 'db error') => Object.assign(new Error(message), { code });

describe('database unavailable or too slow', () => {
  it('recognises lost connections, shutdowns, timeouts and held locks, also wrapped', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '08006', '08001', '57P01', '57P03', '53300', '57014', '55P03']) expect(databaseUnavailable(withCode(code)), code).toBe(true);
    expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(databaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    // MikroORM keeps the driver's error in `previous`; others in `cause`.
    expect(databaseUnavailable(Object.assign(new Error('DriverException'), { previous: withCode('ECONNREFUSED') }))).toBe(true);
    expect(databaseUnavailable(new Error('wrapped', { cause: withCode('57014', 'canceling statement due to statement timeout') }))).toBe(true);
  });

  it('leaves refused values, constraints and programming errors alone (they are not transient)', () => {
    for (const code of ['22021', '23505', '42703', '40P01']) expect(databaseUnavailable(withCode(code)), code).toBe(false);
    expect(databaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(databaseUnavailable(undefined)).toBe(false);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(databaseUnavailable(loop)).toBe(false);
  });
});
