import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@mehrdesk/scripts/testing/harness';
import { createPostgresBackend } from '../src/postgres/backend';
import { pendingChanges } from '../src/outbox';
import { freshDatabase, type FreshDatabase } from './fresh-database';

// The outbox cannot lose a change: the real worker process is killed (SIGKILL) while it drains
// 1,000 pending changes, another 1,000 changes arrive while it is dead, and after a restart
// every ticket's document is in the index exactly at its latest state.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TICKETS = 1000;
let db: FreshDatabase;
let worker: ChildProcess | null = null;
let output = '';

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_TASK_QUEUE: `outbox-${randomBytes(4).toString('hex')}`, INBOUND_SMTP_PORT: '0', INBOUND_IMAP_URL: '', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

const count = async (sql: string) => Number((await db.orm.em.fork().execute<{ n: string }[]>(sql))[0]!.n);

beforeAll(async () => {
  db = await freshDatabase('search_outbox');
  const em = db.orm.em.fork();
  const [u] = await em.execute<{ id: number }[]>(
    `insert into users (email, name, role, locale, active, available, created_at) values ('bulk@example.com', 'Bulk Customer', 'customer', 'en', true, true, now()) returning id`,
  );
  await em.execute(
    `insert into tickets (number, subject, body_html, requester_id, source, priority, status, created_at, updated_at)
     select 'TKT-OUTBOX-' || g, 'first subject ' || g, '', ?, 'web', 'normal', 'open', now(), now() from generate_series(1, ?) g`,
    [u!.id, TICKETS],
  );
}, 120_000);

afterAll(async () => {
  if (worker) await kill(worker, 'SIGTERM');
  await db?.drop();
});

describe('search outbox', () => {
  it('loses nothing when the worker is killed mid-drain', async () => {
    expect(await pendingChanges(db.orm.em.fork())).toBeGreaterThanOrEqual(TICKETS);
    worker = startWorker();
    // Kill it as soon as it has started writing the index, with changes still pending.
    await eventually(async () => (await count('select count(*) as n from search_documents')) > 0, `the worker to start indexing\n${output}`, 60_000, 20);
    await kill(worker, 'SIGKILL');
    const leftBehind = await pendingChanges(db.orm.em.fork());
    expect(leftBehind).toBeGreaterThan(0);
    // Another thousand changes while no worker runs: every subject changes again.
    await db.orm.em.fork().execute(`update tickets set subject = 'latest subject ' || id || ' ' || md5(id::text)`);
    expect(await pendingChanges(db.orm.em.fork())).toBe(leftBehind + TICKETS);

    worker = startWorker();
    await eventually(async () => (await pendingChanges(db.orm.em.fork())) === 0, `the outbox to drain\n${output}`, 90_000, 200);
    const stale = await db.orm.em.fork().execute<{ id: number }[]>(
      `select t.id from tickets t left join search_texts d on d.kind = 'ticket' and d.doc_id = t.id
        where d.doc_id is null or d.display_title <> 'latest subject ' || t.id || ' ' || md5(t.id::text)`,
    );
    expect(stale).toEqual([]);
    expect(await count(`select count(*) as n from search_documents where kind = 'ticket'`)).toBe(TICKETS);
    const backend = createPostgresBackend(db.orm);
    const hits = await backend.search({ q: 'latest subject', limit: 5, offset: 0 }, { kind: 'staff', userId: 1, role: 'admin', groupIds: [] });
    expect(hits.total).toBe(TICKETS);
  });

  it('indexes a new change within seconds through the notification', async () => {
    const em = db.orm.em.fork();
    const [t] = await em.execute<{ id: number }[]>(`update tickets set subject = 'zanzibar quokka' where number = 'TKT-OUTBOX-7' returning id`);
    const backend = createPostgresBackend(db.orm);
    const viewer = { kind: 'staff', userId: 1, role: 'admin', groupIds: [] } as const;
    const found = await eventually(
      async () => {
        const r = await backend.search({ q: 'quokka', limit: 5, offset: 0 }, viewer);
        return r.total > 0 ? r : null;
      },
      'the change to be findable',
      10_000,
      50,
    );
    expect(found.hits.map((h) => h.id)).toEqual([t!.id]);
  });
});
