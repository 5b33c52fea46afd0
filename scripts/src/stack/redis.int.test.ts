import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './ports';
import { isAlive, managedProcesses, stopAll } from './processes';
import { redisRaw, resp, startRedis } from './redis';

// This test starts its own Redis (never the system one on 6379), so ignore a launcher-exported one.
const savedUrl = process.env.REDIS_URL;
const log = (message: string): void => console.log(message);
let tmp: string;

beforeAll(() => {
  delete process.env.REDIS_URL;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-redis-'));
});

afterAll(async () => {
  await stopAll();
  if (savedUrl !== undefined) process.env.REDIS_URL = savedUrl;
  fs.rmSync(tmp, { recursive: true, force: true });
});

function redisPid(): number {
  const pid = managedProcesses().find((p) => p.name === 'redis')?.pid;
  expect(pid).toBeTypeOf('number');
  return pid!;
}

describe('redis', () => {
  it('answers PING, keeps data across restarts in its append-only file and leaves no process behind', async () => {
    const dataDir = path.join(tmp, 'redis');
    const port = await freePort();
    expect(port).not.toBe(6379);

    let redis = await startRedis({ dataDir, port, log });
    expect(redis.url).toBe(`redis://127.0.0.1:${port}`);
    let pid = redisPid();
    expect(await redisRaw('127.0.0.1', port, 'PING\r\n')).toBe('+PONG');
    expect(await redisRaw('127.0.0.1', port, resp('SET', 'k', 'v'))).toBe('+OK');
    await redis.stop();
    expect(isAlive(pid)).toBe(false);
    await expect(redisRaw('127.0.0.1', port, 'PING\r\n')).rejects.toThrow();

    redis = await startRedis({ dataDir, port, log });
    pid = redisPid();
    expect(await redisRaw('127.0.0.1', port, resp('GET', 'k'))).toBe('v');
    expect(await redisRaw('127.0.0.1', port, resp('GET', 'missing'))).toBeNull();
    await redis.stop();
    expect(isAlive(pid)).toBe(false);
    expect(managedProcesses().filter((p) => p.name === 'redis')).toEqual([]);
    expect(fs.readdirSync(dataDir)).toContain('appendonlydir');
  });

  it('uses REDIS_URL without starting anything', async () => {
    process.env.REDIS_URL = 'redis://example.invalid:1234';
    try {
      const redis = await startRedis({ dataDir: path.join(tmp, 'unused'), port: 1, log });
      expect(redis.url).toBe('redis://example.invalid:1234');
      expect(managedProcesses()).toEqual([]);
      await redis.stop();
      expect(fs.existsSync(path.join(tmp, 'unused'))).toBe(false);
    } finally {
      delete process.env.REDIS_URL;
    }
  });
});
