import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './stack/ports';
import { startPostgres } from './stack/postgres';
import { startTemporal } from './stack/temporal';
import { startRedis } from './stack/redis';
import { isAlive, spawnManaged, stopAll, type ManagedProcess } from './stack/processes';
import { startMailCatcher, type MailCatcher } from './mail-catcher';
import { ensureConsoleBuilt } from './stack/console-build';
import { resolveChromium } from './stack/chromium';

// The project launcher behind `./mehrdesk <command>`: brings up PostgreSQL, the Temporal dev
// server and the SMTP catcher with no manual step, then runs the app, the tests or a benchmark.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = process.execPath;
const TSX = ['--import', 'tsx'];
const log = (m: string) => console.log(`[mehrdesk] ${m}`);

interface Stack {
  env: NodeJS.ProcessEnv;
  urls: { api: string; temporalUi: string; mail: string; smtp: string; database: string; temporal: string; redis: string; inboundSmtp: string };
  mail: MailCatcher;
}

interface StackOptions {
  dataDir: string;
  fresh: boolean;
  ports: { postgres?: number; temporal?: number; temporalUi?: number; smtp?: number; mailHttp?: number; api?: number; redis?: number; inboundSmtp?: number };
}

async function port(preferred: number | undefined, what: string): Promise<number> {
  const p = await freePort(preferred);
  if (preferred && p !== preferred) log(`${what}: port ${preferred} is taken, using ${p}`);
  return p;
}

async function startStack(opts: StackOptions): Promise<Stack> {
  if (opts.fresh) fs.rmSync(opts.dataDir, { recursive: true, force: true });
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const logs = path.join(opts.dataDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const [pgPort, tPort, uiPort, smtpPort, mailPort, apiPort] = [
    await port(opts.ports.postgres, 'PostgreSQL'),
    await port(opts.ports.temporal, 'Temporal'),
    await port(opts.ports.temporalUi, 'Temporal UI'),
    await port(opts.ports.smtp, 'SMTP catcher'),
    await port(opts.ports.mailHttp, 'Mail catcher UI'),
    await port(opts.ports.api, 'API'),
  ];
  const [redisPort, inboundPort] = [await port(opts.ports.redis, 'Redis'), await port(opts.ports.inboundSmtp, 'Inbound SMTP')];
  const t0 = Date.now();
  const [pg, temporal, mail, redis] = await Promise.all([
    startPostgres({ dataDir: path.join(opts.dataDir, 'postgres'), port: pgPort, log, logFile: path.join(logs, 'postgres.log') }),
    startTemporal({ dbFile: path.join(opts.dataDir, 'temporal.db'), port: tPort, uiPort, log, logFile: path.join(logs, 'temporal.log') }),
    startMailCatcher({ smtpPort, httpPort: mailPort, dir: path.join(opts.dataDir, 'mail') }),
    startRedis({ dataDir: path.join(opts.dataDir, 'redis'), port: redisPort, log, logFile: path.join(logs, 'redis.log') }),
  ]);
  log(`infrastructure ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const api = `http://127.0.0.1:${apiPort}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_UI_URL: temporal.uiUrl || `http://127.0.0.1:${uiPort}`,
    SMTP_URL: `smtp://127.0.0.1:${mail.smtpPort}`,
    MAIL_CATCHER_URL: mail.url,
    PORT: String(apiPort),
    PUBLIC_URL: api,
    REDIS_URL: redis.url,
    INBOUND_SMTP_PORT: String(inboundPort),
    STORAGE_DIR: path.join(opts.dataDir, 'files'),
  };
  return {
    env,
    mail,
    urls: {
      api,
      temporalUi: env.TEMPORAL_UI_URL!,
      mail: mail.url,
      smtp: env.SMTP_URL!,
      database: pg.url,
      temporal: temporal.address,
      redis: redis.url,
      inboundSmtp: `smtp://127.0.0.1:${inboundPort}`,
    },
  };
}

function runNode(name: string, script: string, args: string[], env: NodeJS.ProcessEnv, logFile?: string): ManagedProcess {
  return spawnManaged(name, NODE, [...TSX, path.join(ROOT, script), ...args], { env, cwd: ROOT, ...(logFile ? { logFile } : {}) });
}

async function waitExit(p: ManagedProcess): Promise<number> {
  const info = await p.exited;
  return info.code ?? (info.signal ? 1 : 0);
}

async function migrate(env: NodeJS.ProcessEnv, seed: boolean): Promise<void> {
  const code = await waitExit(runNode('migrate', 'scripts/src/migrate.ts', seed ? ['--seed'] : [], env));
  if (code !== 0) throw new Error(`migrations failed (exit ${code})`);
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become ready within ${timeoutMs / 1000} s`);
}

const DEV_PORTS = { postgres: 54320, temporal: 7233, temporalUi: 8233, smtp: 1025, mailHttp: 8025, api: Number(process.env.PORT ?? 3000), redis: 6380, inboundSmtp: 2525 };
const DEV_DATABASE_URL = 'postgres://mehrdesk:mehrdesk@127.0.0.1:54320/mehrdesk';

async function start(): Promise<number> {
  await ensureConsoleBuilt(ROOT, NODE, log);
  const dataDir = process.env.MEHRDESK_DATA_DIR ?? path.join(ROOT, '.data', 'dev');
  const stack = await startStack({
    dataDir,
    fresh: false,
    ports: DEV_PORTS,
  });
  await migrate(stack.env, true);
  const logs = path.join(dataDir, 'logs');
  const worker = runNode('worker', 'worker/src/main.ts', [], stack.env, path.join(logs, 'worker.log'));
  const api = runNode('api', 'api/src/main.ts', [], stack.env, path.join(logs, 'api.log'));
  await waitForHttp(`${stack.urls.api}/readyz`, 60_000);
  const { DEMO_LOGINS } = await import('@mehrdesk/core/db/seed');
  console.log(
    [
      '',
      'Mehrdesk is running (Ctrl-C stops everything; data stays in ' + path.relative(ROOT, dataDir) + ')',
      `  Console          ${stack.urls.api}/   (agents' and admins' web console; log in with a demo login below)`,
      `  API              ${stack.urls.api}/api/v1   OpenAPI: ${stack.urls.api}/api/openapi.json`,
      `  Temporal Web UI  ${stack.urls.temporalUi}   (search e.g. TicketNumber="TKT-2026-000001")`,
      `  Mail catcher     ${stack.urls.mail}   SMTP ${stack.urls.smtp}`,
      `  PostgreSQL       ${stack.urls.database}`,
      `  Temporal         ${stack.urls.temporal}`,
      `  Inbound e-mail   ${stack.urls.inboundSmtp}   (send mail here: it becomes tickets and replies)`,
      `  Queues           ${stack.urls.api}/admin/queues   (bull-board, admins; Redis ${stack.urls.redis})`,
      `  Logs             ${path.relative(ROOT, logs)}/{api,worker,postgres,temporal}.log`,
      '  Demo logins (console, or POST /api/v1/auth/login):',
      ...DEMO_LOGINS.map((u) => `    ${u.role.padEnd(10)} ${u.email.padEnd(28)} ${u.password}`),
      '',
    ].join('\n'),
  );
  const code = await Promise.race([waitExit(worker), waitExit(api)]);
  log(`a service exited (code ${code}); stopping the rest`);
  await stack.mail.close();
  await stopAll();
  return code || 1;
}

/** A private data folder per run, so concurrent runs (several terminals, helpers) never collide. */
function runDir(kind: string): string {
  const base = path.join(ROOT, '.data', kind);
  fs.mkdirSync(base, { recursive: true });
  for (const d of fs.readdirSync(base)) {
    const pid = Number(d);
    if (Number.isInteger(pid) && !isAlive(pid)) fs.rmSync(path.join(base, d), { recursive: true, force: true });
  }
  return path.join(base, String(process.pid));
}

/** Static checks first: a type error, a determinism-rule violation or unformatted code fails the run early. */
async function staticChecks(): Promise<number> {
  const bin = (name: string) => path.join(ROOT, 'node_modules', name);
  const checks: [string, string[]][] = [
    ['typecheck', [bin('typescript/bin/tsc'), '--noEmit', '-p', path.join(ROOT, 'tsconfig.json')]],
    ['typecheck web', [bin('vue-tsc/bin/vue-tsc.js'), '--noEmit', '-p', path.join(ROOT, 'web', 'tsconfig.json')]],
    ['lint', [bin('eslint/bin/eslint.js'), '--max-warnings', '0', ROOT]],
    // Layout (.prettierrc.json); `npm run format` rewrites what this refuses.
    ['format', [bin('prettier/bin/prettier.cjs'), '--check', '--log-level', 'warn', ROOT]],
  ];
  for (const [name, argv] of checks) {
    const t0 = Date.now();
    const code = await waitExit(spawnManaged(name, NODE, argv, { cwd: ROOT }));
    if (code !== 0) return code;
    log(`${name} passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return 0;
}

/** Whether a test run includes web/e2e: no file arguments at all, or one of them under web/. */
function consoleE2eInScope(args: string[]): boolean {
  const files = args.filter((a, i) => !a.startsWith('-') && !/^-(t|-testNamePattern|-project)$/.test(args[i - 1] ?? '') && /[/.]/.test(a));
  return files.length === 0 || files.some((f) => f.startsWith('web') || f.includes('e2e'));
}

async function test(args: string[]): Promise<number> {
  // A full run (no file/filter arguments) also type-checks and lints; a focused run skips them.
  if (args.length === 0) {
    const code = await staticChecks();
    if (code !== 0) return code;
  }
  // The console's end-to-end tests load the built console from the API and drive Chromium.
  await ensureConsoleBuilt(ROOT, NODE, log);
  const browser = consoleE2eInScope(args) ? { CHROMIUM_PATH: await resolveChromium(log) } : {};
  const dataDir = runDir('test');
  const stack = await startStack({ dataDir, fresh: true, ports: {} });
  await migrate(stack.env, true);
  const vitest = spawnManaged('vitest', NODE, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...args], {
    env: { ...stack.env, ...browser, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    cwd: ROOT,
  });
  const code = await waitExit(vitest);
  await stack.mail.close();
  await stopAll();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return code;
}

async function bench(name: string | undefined, args: string[]): Promise<number> {
  const script = name ? path.join('scripts/src/bench', `${name}.ts`) : '';
  if (!name || !fs.existsSync(path.join(ROOT, script))) {
    const known = fs.existsSync(path.join(ROOT, 'scripts/src/bench'))
      ? fs
          .readdirSync(path.join(ROOT, 'scripts/src/bench'))
          .filter((f) => f.endsWith('.ts'))
          .map((f) => f.replace(/\.ts$/, ''))
      : [];
    console.error(`usage: ./mehrdesk bench <${known.join('|')}>`);
    return 2;
  }
  const stack = await startStack({ dataDir: runDir('bench'), fresh: true, ports: {} });
  await migrate(stack.env, true);
  // Load generators send thousands of requests a minute from one session and one address: the
  // per-caller budgets would measure themselves rather than the system.
  const unlimited = { RATE_LIMIT_PER_TOKEN_PER_MINUTE: '1000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000' };
  const code = await waitExit(runNode('bench', script, args, { ...unlimited, ...stack.env, LOG_LEVEL: 'warn' }));
  await stack.mail.close();
  await stopAll();
  return code;
}

/**
 * Rebuild the search indexes of the development installation (or of DATABASE_URL): against the
 * running system when `./mehrdesk start` is up, else with its PostgreSQL started for the purpose.
 */
async function reindex(): Promise<number> {
  if (process.env.DATABASE_URL) return waitExit(runNode('reindex', 'scripts/src/reindex.ts', [], process.env));
  const running = await waitForHttp(`http://127.0.0.1:${Number(process.env.PORT ?? 3000)}/readyz`, 1).then(
    () => true,
    () => false,
  );
  if (running) return waitExit(runNode('reindex', 'scripts/src/reindex.ts', [], { ...process.env, DATABASE_URL: DEV_DATABASE_URL }));
  const stack = await startStack({ dataDir: process.env.MEHRDESK_DATA_DIR ?? path.join(ROOT, '.data', 'dev'), fresh: false, ports: DEV_PORTS });
  await migrate(stack.env, false);
  const code = await waitExit(runNode('reindex', 'scripts/src/reindex.ts', [], stack.env));
  await stack.mail.close();
  await stopAll();
  return code;
}

async function migrationCreate(name: string | undefined): Promise<number> {
  const stack = await startStack({ dataDir: runDir('migrations'), fresh: true, ports: {} });
  await migrate(stack.env, false);
  const code = await waitExit(runNode('migration', 'scripts/src/migration-create.ts', name ? [name] : [], stack.env));
  await stack.mail.close();
  await stopAll();
  return code;
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, () => Promise<number>> = {
  start,
  test: () => test(rest),
  bench: () => bench(rest[0], rest.slice(1)),
  'migration:create': () => migrationCreate(rest[0]),
  reindex,
};
const run = commands[command ?? ''];
if (!run) {
  console.error('usage: ./mehrdesk <start|test [vitest args]|bench <name>|migration:create <Name>|reindex>');
  process.exit(2);
}
run().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(`[mehrdesk] ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  },
);
