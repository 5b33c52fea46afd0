import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { ManagedProcess } from '../../stack/processes';
import { freePort } from '../../stack/ports';
import { request } from '../lib/load';
import { apiLogin, startService, waitApiReady } from '../lib/services';

// The API process of one code root (the previous commit's worktree or this working tree) on the
// launcher's stack, on a port of its own, so both codes can run side by side and the benchmark
// alternates between them without restarting either.

export interface RunningApi {
  proc: ManagedProcess;
  base: URL;
  logFile: string;
}

export async function startApi(opts: {
  label: string;
  root: string;
  stackEnv: NodeJS.ProcessEnv;
  logDir: string;
  taskQueue: string;
  /** Added to NODE_OPTIONS of this process only (e.g. --cpu-prof). */
  nodeOptions?: string;
}): Promise<RunningApi> {
  const port = await freePort();
  const base = new URL(`http://127.0.0.1:${port}`);
  const logDir = path.join(opts.logDir, opts.label);
  fs.mkdirSync(logDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...opts.stackEnv,
    PORT: String(port),
    PUBLIC_URL: base.origin,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    // No worker runs here (no request measured needs one): the tickets listed are created once
    // up front and their workflows wait on the task queue, which the admission gate would count.
    ADMISSION_MAX_WORKFLOW_BACKLOG: '0',
    // Sign-ins come without credentials, all from 127.0.0.1: like the launcher's per-session
    // budget, the per-address one still counts every request but never refuses the load generator.
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
  };
  if (opts.nodeOptions) env.NODE_OPTIONS = [opts.stackEnv.NODE_OPTIONS, opts.nodeOptions].filter(Boolean).join(' ');
  const proc = startService('api', env, logDir, opts.root);
  await waitApiReady(base, [proc], 120_000);
  return { proc, base, logFile: path.join(logDir, 'api.log') };
}

export async function signIn(base: URL, emails: string[], password: string): Promise<string[]> {
  const tokens: string[] = [];
  for (const e of emails) tokens.push(await apiLogin(base, e, password));
  return tokens;
}

/** `count` tickets by `customerToken` in `categoryId` (so its agents and supervisor see them). */
export async function createTickets(base: URL, customerToken: string, categoryId: number, count: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let created = 0;
  try {
    for (let i = 0; i < count; i++) {
      const r = await request(agent, base, 'POST', '/api/v1/tickets', {
        token: customerToken,
        body: { subject: `[bench request-overhead] VPN drops every few minutes (#${i})`, body: `<p>Ticket ${i} for the list benchmark: the VPN client disconnects.</p>`, categoryId },
      });
      if (r.status !== 201) throw new Error(`creating ticket ${i} failed: ${r.status} ${r.body.slice(0, 300)}`);
      created++;
    }
  } finally {
    agent.destroy();
  }
  return created;
}
