import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser } from 'playwright-core';
import { openOrm } from '@mehrdesk/core/db';
import { stopAll, type ManagedProcess } from '../stack/processes';
import { gitState } from './lib/git';
import { distribution, request, type Distribution } from './lib/load';
import { document as markdown, fmt, table } from './lib/markdown';
import { loadAverage, machineInfo } from './lib/procfs';
import { apiLogin, benchLogDir, requireEnv, ROOT, startService, waitApiReady } from './lib/services';
import { armDomWatch, measureLoad, seenAt, signedInContext, type LoadTimings, jsTracker } from './console/browser-metrics';
import { seedInboxTickets } from './console/seed';

// `npm run bench:console` (= ./mehrdesk bench console [flags]): the console in headless
// Chromium against the real API and worker (separate processes, as in production) on a fresh
// stack with 10,000 tickets. Measures (1) cold first load and time-to-interactive of the inbox,
// (2) JavaScript per route, gzip, as the browser loads it, (3) live-update latency: from the
// API accepting a change made by one agent to another agent's browser showing it. Writes
// docs/benchmarks-console.md.
//
//   --tickets N     tickets in the database; default 10000
//   --loads N       cold loads of the inbox (each in a new, empty browser context); default 10
//   --changes N     live changes measured (half priority changes, half internal notes); default 40
//   --out FILE      default docs/benchmarks-console.md

const log = (m: string) => console.log(`[bench:console] ${m}`);
const DIST = path.join(ROOT, 'web', 'dist');
const ROW = '[data-testid^="ticket-link-"]';
const PRIORITY_LABEL = { high: 'High', urgent: 'Urgent' } as const;

function options() {
  const { values } = parseArgs({
    options: { tickets: { type: 'string' }, loads: { type: 'string' }, changes: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const int = (raw: string | undefined, name: string, def: number) => {
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return n;
  };
  return {
    tickets: int(values.tickets, 'tickets', 10_000),
    loads: int(values.loads, 'loads', 10),
    changes: int(values.changes, 'changes', 40),
    out: path.resolve(ROOT, values.out ?? 'docs/benchmarks-console.md'),
  };
}

interface RouteWeight {
  route: string;
  files: number;
  rawKiB: number;
  gzipKiB: number;
  /** Chunks beyond those the inbox already loaded (what navigating there costs after sign-in). */
  extraGzipKiB: number;
}

async function routeWeights(browser: Browser, origin: string, token: string, routes: [string, string][]): Promise<RouteWeight[]> {
  const out: RouteWeight[] = [];
  let inboxFiles: string[] = [];
  for (const [route, ready] of routes) {
    const context = await browser.newContext({ baseURL: origin, viewport: { width: 1440, height: 900 } });
    await signedInContext(context, token);
    const page = await context.newPage();
    const js = jsTracker(page, origin, DIST);
    await page.goto(route);
    await page.waitForSelector(ready, { timeout: 30_000 });
    await page.waitForTimeout(1500); // not networkidle: the event stream stays open
    const files = js.files();
    if (route.startsWith('/inbox')) inboxFiles = files;
    const all = js.sizes(files);
    const extra = js.sizes(files.filter((f) => !inboxFiles.includes(f)));
    out.push({ route, files: files.length, rawKiB: all.raw / 1024, gzipKiB: all.gzip / 1024, extraGzipKiB: extra.gzip / 1024 });
    await context.close();
  }
  return out;
}

async function main(): Promise<void> {
  const opts = options();
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error('web/dist is missing: build the console first (`cd web && npx vite build`, or ./mehrdesk start builds it)');
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const base = new URL(requireEnv('PUBLIC_URL', 'console'));
  const origin = base.origin;
  const databaseUrl = requireEnv('DATABASE_URL', 'console');
  const logDir = benchLogDir();
  const serviceEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const orm = await openOrm(databaseUrl, { poolMax: 4 });
  const services: ManagedProcess[] = [];
  let browser: Browser | undefined;
  try {
    const seeded = await seedInboxTickets(orm, opts.tickets);
    log(`seeded ${seeded.count} tickets in ${(seeded.ms / 1000).toFixed(1)} s (${seeded.agentOpen} open and assigned to the demo agent)`);
    services.push(startService('worker', serviceEnv, logDir), startService('api', serviceEnv, logDir));
    await waitApiReady(base, services, 120_000);
    const agentToken = await apiLogin(base, 'agent@mehrdesk.local', 'agent-demo-1');
    const supervisorToken = await apiLogin(base, 'supervisor@mehrdesk.local', 'supervisor-demo-1');
    const adminToken = await apiLogin(base, 'admin@mehrdesk.local', 'admin-demo-1');

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    });

    // 1. Cold loads: a new context each time (empty HTTP cache, no service worker), signed in.
    // One unmeasured load first: the API and PostgreSQL have just started (cold JIT, caches,
    // query plans), which no user of a running server meets. Every measured load still starts
    // in a new browser context with an empty cache.
    const loads: LoadTimings[] = [];
    let firstRouteJs = { raw: 0, gzip: 0, files: 0 };
    for (let i = -1; i < opts.loads; i++) {
      const context = await browser.newContext({ baseURL: origin, viewport: { width: 1440, height: 900 } });
      await signedInContext(context, agentToken);
      const page = await context.newPage();
      const js = jsTracker(page, origin, DIST);
      await page.goto('/inbox/allOpen', { waitUntil: 'commit' });
      const timings = await measureLoad(page, ROW);
      await context.close();
      if (i < 0) {
        log(`warm-up load (not counted): interactive ${fmt.ms(timings.ttiMs)} ms`);
        continue;
      }
      loads.push(timings);
      if (i === 0) firstRouteJs = { ...js.sizes(), files: js.files().length };
      log(`cold load ${i + 1}/${opts.loads}: first row ${fmt.ms(timings.firstRowMs)} ms, interactive ${fmt.ms(timings.ttiMs)} ms`);
    }

    // 2. Per-route JavaScript.
    // The probe ticket is created through the API, so it has a workflow that applies changes.
    const agent = new http.Agent({ keepAlive: true });
    const created = await request(agent, base, 'POST', '/api/v1/tickets', {
      token: supervisorToken,
      body: { subject: 'Live update probe', body: 'Measuring the console', groupId: seeded.groupId, assigneeId: seeded.agentId, requesterId: seeded.customerId },
    });
    if (created.status !== 201) throw new Error(`creating the probe ticket failed: ${created.status} ${created.body}`);
    const probe = JSON.parse(created.body) as { id: number; number: string };
    const routes = await routeWeights(browser, origin, adminToken, [
      ['/inbox/allOpen', ROW],
      [`/tickets/${probe.id}`, '[data-testid="ticket-number"]'],
      ['/notifications', 'main'],
      ['/admin/rules', 'main'],
      ['/admin/sla-policies', 'main'],
      ['/admin/webhooks', 'main'],
    ]);

    // 3. Live updates: agent B watches the probe ticket; the supervisor changes it through the API.
    const context = await browser.newContext({ baseURL: origin, viewport: { width: 1440, height: 900 } });
    await signedInContext(context, agentToken);
    const watcher = await context.newPage();
    await watcher.goto(`/tickets/${probe.id}`);
    await watcher.waitForSelector('[data-testid="field-priority"]');
    await sleep(1500); // the event stream connects after the page renders
    const latency: { priority: number[]; note: number[]; missed: number } = { priority: [], note: [], missed: 0 };
    for (let i = 0; i < opts.changes; i++) {
      const key = `change-${i}`;
      let t0: number;
      if (i % 2 === 0) {
        const priority = i % 4 === 0 ? 'urgent' : 'high';
        await armDomWatch(watcher, key, '[data-testid="field-priority"]', PRIORITY_LABEL[priority]);
        t0 = Date.now();
        const r = await request(agent, base, 'POST', `/api/v1/tickets/${probe.id}/priority`, { token: supervisorToken, body: { priority } });
        if (r.status !== 200) throw new Error(`priority change failed: ${r.status} ${r.body}`);
      } else {
        const body = `Live note ${i} ${Date.now()}`;
        await armDomWatch(watcher, key, '[data-message-kind="internal"]', body);
        t0 = Date.now();
        const r = await request(agent, base, 'POST', `/api/v1/tickets/${probe.id}/messages`, { token: supervisorToken, body: { body, internal: true } });
        if (r.status !== 201) throw new Error(`note failed: ${r.status} ${r.body}`);
      }
      const seen = await seenAt(watcher, key, 10_000);
      if (seen === null) latency.missed++;
      else (i % 2 === 0 ? latency.priority : latency.note).push(seen - t0);
      await sleep(300);
    }
    await context.close();
    agent.destroy();

    const loadAfter = loadAverage();
    const result = {
      opts,
      startedAt,
      finishedAt: new Date(),
      machine: machineInfo(),
      git: gitState(ROOT, (f) => f.startsWith('scripts/src/bench/console')),
      loadBefore,
      loadAfter,
      seeded,
      loads,
      firstRouteJs,
      routes,
      latency,
    };
    fs.writeFileSync(opts.out, render(result));
    log(`wrote ${path.relative(ROOT, opts.out)}`);
  } finally {
    await browser?.close();
    await stopAll();
    await orm.close();
  }
}

function render(r: {
  opts: ReturnType<typeof options>;
  startedAt: Date;
  finishedAt: Date;
  machine: ReturnType<typeof machineInfo>;
  git: ReturnType<typeof gitState>;
  loadBefore: string;
  loadAfter: string;
  seeded: Awaited<ReturnType<typeof seedInboxTickets>>;
  loads: LoadTimings[];
  firstRouteJs: { raw: number; gzip: number; files: number };
  routes: RouteWeight[];
  latency: { priority: number[]; note: number[]; missed: number };
}): string {
  const d = (xs: number[]): Distribution => distribution(xs);
  const tti = d(r.loads.map((l) => l.ttiMs));
  const firstRow = d(r.loads.map((l) => l.firstRowMs));
  const fcp = d(r.loads.flatMap((l) => (l.fcpMs === null ? [] : [l.fcpMs])));
  const dcl = d(r.loads.map((l) => l.domContentLoadedMs));
  const all = d([...r.latency.priority, ...r.latency.note]);
  const changes = r.latency.priority.length + r.latency.note.length;
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  return markdown([
    '# Console benchmark',
    `Generated by \`./mehrdesk bench console\` on ${r.startedAt.toISOString().slice(0, 10)} (${r.startedAt.toISOString().slice(11, 16)} UTC); do not edit by hand — rerun the command.`,
    "Question (issue 4): how fast does the built console load and become interactive with 10,000 tickets in the database, how much JavaScript does each route load, and how long does a change made by one person take to appear in another person's browser? Targets: inbox interactive ≤ 1.5 s, JS for the first route ≤ 300 kB gzip, live update p95 ≤ 500 ms.",
    '## Summary',
    [
      `- **Inbox time-to-interactive, cold** (${r.loads.length} loads, each in a new browser context with an empty cache, ${r.seeded.count.toLocaleString('en')} tickets in the database): median ${fmt.ms(tti.p50)} ms, p95 ${fmt.ms(tti.p95)} ms, max ${fmt.ms(tti.max)} ms → target ≤ 1,500 ms ${verdict(tti.p95 <= 1500)}.`,
      `- **JavaScript for the first route** (everything the inbox fetched: entry, vendor and route chunks): ${r.firstRouteJs.files} files, ${kib(r.firstRouteJs.gzip)} gzip (${kib(r.firstRouteJs.raw)} raw) → target ≤ 300 kB ${verdict(r.firstRouteJs.gzip <= 300_000)}.`,
      `- **Live update latency** (API accepts the change → the other agent's open ticket page shows it; ${changes} changes, ${r.latency.missed} not seen within 10 s): median ${fmt.ms(all.p50)} ms, p95 ${fmt.ms(all.p95)} ms, max ${fmt.ms(all.max)} ms → target p95 ≤ 500 ms ${verdict(all.p95 <= 500 && r.latency.missed === 0)}.`,
    ],
    '## Machine and run',
    table(
      ['', ''],
      [
        ['Date', `${r.startedAt.toISOString()} → ${r.finishedAt.toISOString()}`],
        ['CPU', `${r.machine.cpuModel}, ${r.machine.cpus} CPUs`],
        ['Memory', r.machine.memTotal],
        ['Kernel', r.machine.kernel],
        ['Node.js', process.version],
        ['Browser', 'Debian Chromium, headless (`--headless --no-sandbox --disable-gpu --disable-background-networking`), 1440×900, driven by playwright-core'],
        ['Code', `commit ${r.git.commit}${r.git.dirty.length ? ` + ${r.git.dirty.length} uncommitted file(s)` : ''}`],
        ['Command', '`./mehrdesk bench console` (fresh embedded PostgreSQL, Temporal dev server, Redis, SMTP catcher; API and worker as separate processes serving the built web/dist)'],
        ['Load average', `${r.loadBefore} at start, ${r.loadAfter} at the end (2 cores shared by browser, API, worker, Temporal, PostgreSQL)`],
      ],
    ),
    '## Inbox cold load',
    `The agent opens \`/inbox/allOpen\` signed in (token already in localStorage, as after a login), each time in a new browser context with an empty cache; one unmeasured load before them warms the just-started API and database, as any running server is. ${r.seeded.count.toLocaleString('en')} tickets in the Support group (${r.seeded.agentOpen} open and assigned to this agent); the list pages with a cursor, so the first page is what the first paint needs. Time-to-interactive is the end of the last long task (> 50 ms) before a 500 ms quiet window, and never earlier than the first row.`,
    table(
      ['Milestone (ms after navigation start)', 'median', 'p95', 'max'],
      [
        ['First contentful paint', fmt.ms(fcp.p50), fmt.ms(fcp.p95), fmt.ms(fcp.max)],
        ['DOMContentLoaded', fmt.ms(dcl.p50), fmt.ms(dcl.p95), fmt.ms(dcl.max)],
        ['First ticket row in the DOM', fmt.ms(firstRow.p50), fmt.ms(firstRow.p95), fmt.ms(firstRow.max)],
        ['**Interactive**', `**${fmt.ms(tti.p50)}**`, `**${fmt.ms(tti.p95)}**`, fmt.ms(tti.max)],
      ],
    ),
    `Long tasks per load: median ${d(r.loads.map((l) => l.longTasks)).p50}, totalling median ${fmt.ms(d(r.loads.map((l) => l.longTaskTotalMs)).p50)} ms of main-thread time.`,
    ...waterfall(r.loads),
    '## JavaScript per route',
    'What the browser fetched for each route when opened directly (new context, signed in as admin), gzip level 9 of the served files; "extra" is what it costs beyond the inbox\'s chunks.',
    table(
      ['Route', 'JS files', 'raw', 'gzip', 'extra gzip after the inbox'],
      r.routes.map((x) => [`\`${x.route}\``, x.files, `${x.rawKiB.toFixed(1)} KiB`, `${x.gzipKiB.toFixed(1)} KiB`, `${x.extraGzipKiB.toFixed(1)} KiB`]),
    ),
    '## Live updates',
    `Agent B has the ticket page open (its event stream connected). The supervisor alternately changes the priority (B\'s priority field must show the new value) and adds an internal note (B\'s conversation must show it). Latency = the moment a MutationObserver in B\'s page sees it − the moment before the API request was sent, both on this machine\'s clock; it includes the API call, the workflow update, the PostgreSQL notification, the event stream, B's refetch and render.`,
    table(
      ['Change', 'n', 'median ms', 'p95 ms', 'max ms'],
      [
        ['Priority (ticket.updated)', r.latency.priority.length, fmt.ms(d(r.latency.priority).p50), fmt.ms(d(r.latency.priority).p95), fmt.ms(d(r.latency.priority).max)],
        ['Internal note (message.added)', r.latency.note.length, fmt.ms(d(r.latency.note).p50), fmt.ms(d(r.latency.note).p95), fmt.ms(d(r.latency.note).max)],
        ['All', changes, fmt.ms(all.p50), fmt.ms(all.p95), fmt.ms(all.max)],
      ],
    ),
  ]);
}

/** Where the median load's time went: the script downloads and each API call, in order. */
function waterfall(loads: LoadTimings[]): string[] {
  if (loads.length === 0) return [];
  const median = [...loads].sort((a, b) => a.ttiMs - b.ttiMs)[Math.floor(loads.length / 2)]!;
  const scripts = median.requests.filter((q) => q.name.endsWith('.js'));
  const styles = median.requests.filter((q) => q.name.endsWith('.css'));
  const api = median.requests.filter((q) => q.name.startsWith('/api/') && q.name !== '/api/v1/events');
  const span = (xs: { startMs: number; endMs: number }[]) => (xs.length ? `${fmt.ms(Math.min(...xs.map((x) => x.startMs)))} → ${fmt.ms(Math.max(...xs.map((x) => x.endMs)))}` : '–');
  return [
    `Waterfall of the median load (interactive at ${fmt.ms(median.ttiMs)} ms; ms after navigation start):`,
    table(
      ['Request', 'start → end'],
      [
        [`${scripts.length} JavaScript files`, span(scripts)],
        [`${styles.length} style sheets`, span(styles)],
        ...api.sort((a, b) => a.startMs - b.startMs).map((q) => [`\`GET ${q.name}\``, `${fmt.ms(q.startMs)} → ${fmt.ms(q.endMs)}`]),
        ['First ticket row in the DOM', fmt.ms(median.firstRowMs)],
      ],
    ),
  ];
}

await main();
