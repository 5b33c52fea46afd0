import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import { createPostgresBackend, pendingChanges } from '@mehrdesk/search';
import { startSearchIndexing } from '@mehrdesk/worker/search/indexing';
import type { ManagedProcess } from '../../stack/processes';
import { distribution, request, type Distribution } from '../lib/load';
import { assertRunning } from '../lib/services';
import { explainSearch, type Explained } from './queries';

// Indexing lag under a steady stream of ticket changes: the production indexer
// (startSearchIndexing: LISTEN search_outbox → BullMQ `drain` jobs → drainAll into the
// PostgreSQL backend) runs in this process; every 1/rate seconds one change commits (even: the
// subject gets a fresh token; odd: a new public message carries it), and a poller asks GET
// /api/v1/search for the token every POLL_MS until the ticket is found.

export const POLL_MS = 20;
/** Issue 9: p95 commit → findable. */
export const LAG_TARGET_MS = 1000;
const GIVE_UP_MS = 30_000;

export interface LagResult {
  rate: number;
  seconds: number;
  changes: number;
  /** Achieved: changes committed per second. */
  committedPerSecond: number;
  found: number;
  timedOut: number;
  /** Commit (the UPDATE/INSERT answered) → the search answer that had the ticket arrived. */
  lagMs: Distribution;
  bySubject: Distribution;
  byMessage: Distribution;
  commitMs: Distribution;
  /** Search requests the pollers sent, and their latency. */
  polls: number;
  pollLatencyMs: Distribution;
  pendingAtEnd: number;
  /** Most polls waiting for an answer at once. */
  maxPollsInFlight: number;
  /** When the target was missed: the slowest poll's search, explained after the run (indexer stopped). */
  slowPoll?: { token: string; ms: number; statements: Explained['statements'] };
}

export async function measureLag(ctx: {
  orm: MikroORM;
  config: Config;
  base: URL;
  token: string;
  rate: number;
  seconds: number;
  services: ManagedProcess[];
  log: (m: string) => void;
  logger: Logger;
}): Promise<LagResult> {
  const { orm, rate, seconds } = ctx;
  const indexing = await startSearchIndexing({ config: ctx.config, orm, log: ctx.logger, backend: createPostgresBackend(orm) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const run = randomBytes(3).toString('hex');
  const [range] = await orm.em.fork().execute<{ lo: number; n: number }[]>(`select min(id)::int as lo, count(*)::int as n from tickets where deleted_at is null`);
  const lo = range!.lo;
  const n = range!.n;
  const total = rate * seconds;
  const lags: number[] = [];
  const bySubject: number[] = [];
  const byMessage: number[] = [];
  const commits: number[] = [];
  const pollMs: number[] = [];
  let timedOut = 0;
  let lastCommit = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let slowest = { token: '', ms: 0 };

  const one = async (i: number) => {
    const token = `lag${run}x${i}`;
    const ticketId = lo + ((i * 7919) % n);
    const em = orm.em.fork();
    const t0 = performance.now();
    if (i % 2 === 0) await em.execute(`update tickets set subject = regexp_replace(subject, ' lag[0-9a-f]+x[0-9]+$', '') || ' ' || ?, updated_at = now() where id = ?`, [token, ticketId]);
    else
      await em.execute(`insert into messages (ticket_id, kind, channel, body_html, body_text, idempotency_key, created_at) values (?, 'public', 'web', ?, ?, ?, now())`, [
        ticketId,
        `<p>Any news? Reference ${token}</p>`,
        `Any news? Reference ${token}`,
        `bench-lag-${run}-${i}`,
      ]);
    const committed = performance.now();
    commits.push(committed - t0);
    lastCommit = committed;
    const path = `/api/v1/search?${new URLSearchParams({ q: token, types: 'ticket', facets: 'false', limit: '5' })}`;
    while (performance.now() - committed < GIVE_UP_MS) {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      const r = await request(agent, ctx.base, 'GET', path, { token: ctx.token }).finally(() => inFlight--);
      pollMs.push(r.ms);
      if (r.ms > slowest.ms) slowest = { token, ms: r.ms };
      if (r.status === 200 && (JSON.parse(r.body) as { hits: Array<{ id: number }> }).hits.some((h) => h.id === ticketId)) {
        const lag = performance.now() - committed;
        lags.push(lag);
        (i % 2 === 0 ? bySubject : byMessage).push(lag);
        return;
      }
      await sleep(POLL_MS);
    }
    timedOut++;
  };

  const pending: Promise<void>[] = [];
  const started = performance.now();
  try {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(one(i));
      if (i % (rate * 10) === 0 && i > 0) {
        assertRunning(ctx.services);
        const d = distribution(lags);
        ctx.log(`  lag: ${i} changes, ${lags.length} found; p50 ${d.p50.toFixed(0)} p95 ${d.p95.toFixed(0)} ms so far`);
      }
    }
    await Promise.all(pending);
  } finally {
    agent.destroy();
    await indexing.close();
  }
  const result: LagResult = {
    rate,
    seconds,
    changes: total,
    committedPerSecond: total / ((lastCommit - started) / 1000),
    found: lags.length,
    timedOut,
    lagMs: distribution(lags),
    bySubject: distribution(bySubject),
    byMessage: distribution(byMessage),
    commitMs: distribution(commits),
    polls: pollMs.length,
    pollLatencyMs: distribution(pollMs),
    pendingAtEnd: await pendingChanges(orm.em.fork()),
    maxPollsInFlight: maxInFlight,
  };
  if ((result.lagMs.p95 > LAG_TARGET_MS || timedOut > 0) && slowest.token) {
    // The poll the API answered slowest, as the backend runs it (admin, tickets, 5 hits, no facets).
    try {
      const statements = await explainSearch(orm, { q: slowest.token, filters: { types: ['ticket'] }, limit: 5, offset: 0, facets: false }, { kind: 'staff', role: 'admin', userId: 0, groupIds: [] });
      result.slowPoll = { ...slowest, statements };
      ctx.log(`  EXPLAIN lag poll "${slowest.token}" (answered in ${slowest.ms.toFixed(0)} ms): ${statements.length} statements`);
    } catch (err) {
      ctx.log(`  EXPLAIN lag poll failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  ctx.log(
    `lag: ${result.found}/${total} found, ${timedOut} timed out; commit → findable p50 ${result.lagMs.p50.toFixed(0)} p95 ${result.lagMs.p95.toFixed(0)} p99 ${result.lagMs.p99.toFixed(0)} max ${result.lagMs.max.toFixed(0)} ms`,
  );
  return result;
}
