import net from 'node:net';

// Redis's own accounting, read with INFO over a plain socket (the scripts workspace has no Redis
// client): CPU from getrusage (µs precision, where /proc's 10 ms ticks are too coarse for a few
// thousand requests) and, per command, calls and the time spent executing them.

export interface RedisStats {
  /** used_cpu_user + used_cpu_sys of the main process, seconds. */
  cpuSeconds: number;
  /** Command (lower case) → calls and µs inside the command. */
  commands: Record<string, { calls: number; usec: number }>;
}

function info(url: URL, section: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(new Error(`Redis INFO ${section}: no answer within ${timeoutMs} ms`)), timeoutMs);
    s.on('connect', () => s.write(`*2\r\n$4\r\nINFO\r\n$${Buffer.byteLength(section)}\r\n${section}\r\n`));
    s.on('data', (b: Buffer) => {
      chunks.push(b);
      const all = Buffer.concat(chunks);
      const eol = all.indexOf('\r\n');
      if (eol < 0) return;
      const head = all.subarray(0, eol).toString();
      if (!head.startsWith('$')) {
        clearTimeout(timer);
        s.destroy();
        reject(new Error(`Redis INFO ${section}: ${head}`));
        return;
      }
      const len = Number(head.slice(1));
      if (all.length >= eol + 2 + len) {
        clearTimeout(timer);
        s.end();
        resolve(all.subarray(eol + 2, eol + 2 + len).toString());
      }
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function redisStats(url: URL): Promise<RedisStats> {
  const [cpu, cmd] = await Promise.all([info(url, 'cpu'), info(url, 'commandstats')]);
  const num = (key: string) => Number(new RegExp(`^${key}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? NaN);
  const commands: RedisStats['commands'] = {};
  for (const m of cmd.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) commands[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  return { cpuSeconds: num('used_cpu_user') + num('used_cpu_sys'), commands };
}

/** What happened between two readings: CPU seconds and, per command, calls and µs. */
export function redisDelta(a: RedisStats, b: RedisStats): RedisStats {
  const commands: RedisStats['commands'] = {};
  for (const [name, v] of Object.entries(b.commands)) {
    const calls = v.calls - (a.commands[name]?.calls ?? 0);
    if (calls > 0) commands[name] = { calls, usec: v.usec - (a.commands[name]?.usec ?? 0) };
  }
  return { cpuSeconds: b.cpuSeconds - a.cpuSeconds, commands };
}
