import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { openOrm } from '@mehrdesk/core/db';
import { pendingChanges } from '@mehrdesk/search';
import { stopAll, type ManagedProcess } from '../stack/processes';
import { gitState } from './lib/git';
import { distribution, type Distribution } from './lib/load';
import { document as markdown, fmt, table } from './lib/markdown';
import { loadAverage, machineInfo } from './lib/procfs';
import { apiLogin, benchLogDir, requireEnv, ROOT, startService, waitApiReady } from './lib/services';
import { LONG_TASK_OBSERVER, measureLoad, type LoadTimings, jsTracker } from './console/browser-metrics';
import { seedArticles, type SeededArticles } from './portal/seed';
import { SUGGEST_DEBOUNCE_MS } from '../../../web/src/portal/composables/suggestTiming';

// `npm run bench:portal` (= ./mehrdesk bench portal [flags]): the customer portal against the
// real API and worker (separate processes, as in production) on a fresh stack with about 1,000
// published knowledge-base articles. Measures (1) the JavaScript of the portal's first route
// (gzip, as the browser loads it), (2) the server's answer time for public article pages
// (rendered by api/src/portal/ssr.ts), (3) cold load to interactive of the portal in headless
// Chromium, (4) deflection suggestions: from the customer's keystroke to the suggestions shown
// (the composable waits for a short typing pause first, SUGGEST_SUGGEST_DEBOUNCE_MS; the figure is also
// given from the end of that pause).
// Writes docs/benchmarks-portal.md.
//
//   --articles N    articles seeded (every third also in Persian); default 1000
//   --pages N       article page requests measured (after 50 unmeasured); default 1000
//   --loads N       cold loads of each page measured (each in a new browser context); default 10
//   --queries N     suggestion queries typed; default 40
//   --out FILE      default docs/benchmarks-portal.md

const log = (m: string) => console.log(`[bench:portal] ${m}`);
const DIST = path.join(ROOT, 'web', 'dist');

function options() {
  const { values } = parseArgs({
    options: { articles: { type: 'string' }, pages: { type: 'string' }, loads: { type: 'string' }, queries: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const int = (raw: string | undefined, name: string, def: number) => {
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return n;
  };
  return {
    articles: int(values.articles, 'articles', 1000),
    pages: int(values.pages, 'pages', 1000),
    loads: int(values.loads, 'loads', 10),
    queries: int(values.queries, 'queries', 40),
    out: path.resolve(ROOT, values.out ?? 'docs/benchmarks-portal.md'),
  };
}

/** One GET of an article page as a browser asks for it; the time to the last byte. */
function getPage(agent: http.Agent, base: URL, pathname: string): Promise<{ status: number; ms: number; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: base.hostname, port: base.port, method: 'GET', path: pathname, headers: { accept: 'text/html,application/xhtml+xml' } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

const pagePath = (p: { lang: string; slug: string }) => `/portal/kb/${p.lang}/${encodeURIComponent(p.slug)}`;

async function serverPages(base: URL, pages: SeededArticles['pages'], n: number, concurrency: number): Promise<{ ms: number[]; errors: number; bytes: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const ms: number[] = [];
  let errors = 0;
  let bytes = 0;
  let i = 0;
  // Unmeasured first: the API process has just started (cold JIT, query plans).
  for (let w = 0; w < 50; w++) await getPage(agent, base, pagePath(pages[w % pages.length]!));
  const worker = async () => {
    while (i < n) {
      const k = i++;
      const r = await getPage(agent, base, pagePath(pages[(k * 7919) % pages.length]!));
      if (r.status !== 200) errors++;
      else ms.push(r.ms);
      bytes = r.bytes;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { ms, errors, bytes };
}

async function newContext(browser: Browser, origin: string, token?: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: origin, viewport: { width: 1280, height: 860 } });
  await context.addInitScript(
    ([t, observer]) => {
      if (t) localStorage.setItem('mehrdesk.token', t);
      localStorage.setItem('mehrdesk.locale', 'en');
      new Function(observer!)();
    },
    [token ?? '', LONG_TASK_OBSERVER],
  );
  return context;
}

async function coldLoads(browser: Browser, origin: string, route: string, ready: string, n: number) {
  const loads: LoadTimings[] = [];
  let js = { files: [] as string[], raw: 0, gzip: 0 };
  for (let i = -1; i < n; i++) {
    const context = await newContext(browser, origin);
    const page = await context.newPage();
    const tracker = jsTracker(page, origin, DIST);
    await page.goto(route, { waitUntil: 'commit' });
    const timings = await measureLoad(page, ready);
    await page.waitForTimeout(300);
    if (i === 0) js = { files: tracker.files().sort(), ...tracker.sizes() };
    await context.close();
    if (i >= 0) loads.push(timings);
    log(`${route}: ${i < 0 ? 'warm-up' : `load ${i + 1}/${n}`}: first content ${fmt.ms(timings.firstRowMs)} ms, interactive ${fmt.ms(timings.ttiMs)} ms`);
  }
  return { loads, js };
}

/** Type queries into the new-request subject; keystroke → suggestions for that query shown. */
async function suggestions(browser: Browser, origin: string, token: string, queries: string[]) {
  const context = await newContext(browser, origin, token);
  const page = await context.newPage();
  await page.goto('/portal/tickets/new');
  const subject = page.getByTestId('new-ticket-subject');
  await subject.waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { __lastKey: number };
    document.querySelector('[data-testid="new-ticket-subject"]')!.addEventListener('keydown', () => (w.__lastKey = performance.now()), { capture: true });
  });
  const total: number[] = [];
  const afterPause: number[] = [];
  let missed = 0;
  for (const q of queries) {
    await subject.fill('');
    await page.waitForSelector('[data-testid="suggestions"]', { state: 'detached', timeout: 5000 }).catch(() => {});
    const shown = page.evaluate(
      ({ query, timeout }) =>
        new Promise<number | null>((resolve) => {
          const sel = `[data-testid="suggestions"][data-query="${query}"]`;
          const timer = setTimeout(() => resolve(null), timeout);
          const obs = new MutationObserver(() => {
            if (document.querySelector(sel)) {
              obs.disconnect();
              clearTimeout(timer);
              resolve(performance.now());
            }
          });
          obs.observe(document.body, { subtree: true, childList: true, attributes: true });
        }),
      { query: q, timeout: 5000 },
    );
    await subject.pressSequentially(q, { delay: 40 });
    const at = await shown;
    const lastKey = await page.evaluate(() => (window as unknown as { __lastKey: number }).__lastKey);
    if (at === null) missed++;
    else {
      total.push(at - lastKey);
      afterPause.push(at - lastKey - SUGGEST_DEBOUNCE_MS);
    }
    await sleep(100);
  }
  await context.close();
  return { total, afterPause, missed };
}

async function main(): Promise<void> {
  const opts = options();
  if (!fs.existsSync(path.join(DIST, 'portal.html'))) throw new Error('web/dist/portal.html is missing: build the web app first (`cd web && npx vite build`; ./mehrdesk start builds it)');
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const base = new URL(requireEnv('PUBLIC_URL', 'portal'));
  const origin = base.origin;
  const databaseUrl = requireEnv('DATABASE_URL', 'portal');
  const logDir = benchLogDir();
  // The public search is rate limited per client; the benchmark is one client typing 40 queries.
  const serviceEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMIT_PUBLIC_SEARCH_PER_MINUTE: '100000' };
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const orm = await openOrm(databaseUrl, { poolMax: 2 });
  const services: ManagedProcess[] = [];
  let browser: Browser | undefined;
  try {
    services.push(startService('worker', serviceEnv, logDir), startService('api', serviceEnv, logDir));
    await waitApiReady(base, services, 120_000);
    const adminToken = await apiLogin(base, 'admin@mehrdesk.local', 'admin-demo-1');
    const customerToken = await apiLogin(base, 'customer@mehrdesk.local', 'customer-demo-1');
    const seeded = await seedArticles(base, adminToken, opts.articles, log);
    log(`seeded ${seeded.count} articles (${seeded.persian} also in Persian) in ${(seeded.ms / 1000).toFixed(1)} s`);
    const indexStart = performance.now();
    while ((await pendingChanges(orm.em.fork())) > 0) await sleep(250);
    log(`search index caught up ${((performance.now() - indexStart) / 1000).toFixed(1)} s after seeding`);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    });

    // 1 + 3. Cold loads of the first route (help-center home) and of a server-rendered article.
    const home = await coldLoads(browser, origin, '/portal/', '[data-testid="kb-recent"] li', opts.loads);
    const article = await coldLoads(browser, origin, pagePath(seeded.pages[0]!), '[data-testid="kb-feedback"]', opts.loads);

    // 2. Article pages from the server.
    const sequential = await serverPages(base, seeded.pages, opts.pages, 1);
    log(`article pages, 1 client: p95 ${fmt.ms(distribution(sequential.ms).p95)} ms`);
    const parallel = await serverPages(base, seeded.pages, opts.pages, 4);
    log(`article pages, 4 clients: p95 ${fmt.ms(distribution(parallel.ms).p95)} ms`);

    // 4. Suggestions while typing a new request.
    const queries = Array.from({ length: opts.queries }, (_, i) => `${seeded.nouns[i % seeded.nouns.length]}${i >= seeded.nouns.length ? ` ${['reset', 'install', 'update', 'connect'][i % 4]}` : ''}`);
    const typed = await suggestions(browser, origin, customerToken, queries);
    log(`suggestions: keystroke → shown p95 ${fmt.ms(distribution(typed.total).p95)} ms (${typed.missed} missed)`);

    const result = {
      opts,
      startedAt,
      finishedAt: new Date(),
      machine: machineInfo(),
      git: gitState(ROOT, (f) => f.startsWith('scripts/src/bench/portal') || f === 'docs/benchmarks-portal.md'),
      loadBefore,
      loadAfter: loadAverage(),
      seeded,
      home,
      article,
      sequential,
      parallel,
      typed,
    };
    fs.writeFileSync(opts.out, render(result));
    log(`wrote ${path.relative(ROOT, opts.out)}`);
  } finally {
    await browser?.close();
    await stopAll();
    await orm.close();
  }
}

type Loads = Awaited<ReturnType<typeof coldLoads>>;

function render(r: {
  opts: ReturnType<typeof options>;
  startedAt: Date;
  finishedAt: Date;
  machine: ReturnType<typeof machineInfo>;
  git: ReturnType<typeof gitState>;
  loadBefore: string;
  loadAfter: string;
  seeded: SeededArticles;
  home: Loads;
  article: Loads;
  sequential: Awaited<ReturnType<typeof serverPages>>;
  parallel: Awaited<ReturnType<typeof serverPages>>;
  typed: Awaited<ReturnType<typeof suggestions>>;
}): string {
  const d = (xs: number[]): Distribution => distribution(xs);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  const homeTti = d(r.home.loads.map((l) => l.ttiMs));
  const seq = d(r.sequential.ms);
  const par = d(r.parallel.ms);
  const total = d(r.typed.total);
  const after = d(r.typed.afterPause);
  const vuetify = r.home.js.files.filter((f) => /vuetify|\/index-/.test(f));
  const loadRows = (name: string, l: Loads) => {
    const tti = d(l.loads.map((x) => x.ttiMs));
    const fcp = d(l.loads.flatMap((x) => (x.fcpMs === null ? [] : [x.fcpMs])));
    const first = d(l.loads.map((x) => x.firstRowMs));
    return [
      [`${name}: first contentful paint`, fmt.ms(fcp.p50), fmt.ms(fcp.p95), fmt.ms(fcp.max)],
      [`${name}: app content in the DOM`, fmt.ms(first.p50), fmt.ms(first.p95), fmt.ms(first.max)],
      [`**${name}: interactive**`, `**${fmt.ms(tti.p50)}**`, `**${fmt.ms(tti.p95)}**`, fmt.ms(tti.max)],
    ];
  };
  return markdown([
    '# Customer portal benchmark',
    `Generated by \`./mehrdesk bench portal\` (\`npm run bench:portal\`) on ${r.startedAt.toISOString().slice(0, 10)} (${r.startedAt.toISOString().slice(11, 16)} UTC); do not edit by hand — rerun the command.`,
    "Question (issue 10): how much JavaScript does the portal's first page load, how fast does the server answer a public article page, how fast does the portal become interactive, and how soon do article suggestions follow the customer's typing, with about 1,000 articles? Targets: first route ≤ 150 kB gzip, article page p95 ≤ 50 ms, cold load to interactive ≤ 1 s, suggestions p95 ≤ 150 ms. Baseline: none — there was no portal before this one (n/a).",
    '## Summary',
    [
      `- **JavaScript for the first route** (\`/portal/\`, everything the browser fetched): ${r.home.js.files.length} files, ${kib(r.home.js.gzip)} gzip (${kib(r.home.js.raw)} raw) → target ≤ 150 kB ${verdict(r.home.js.gzip <= 150_000)}; console code loaded: ${vuetify.length ? vuetify.join(', ') : 'none (no Vuetify chunk, no console entry)'}.`,
      `- **Article page from the server** (${r.sequential.ms.length} requests, one client, ${r.seeded.count.toLocaleString('en')} articles / ${r.seeded.pages.length.toLocaleString('en')} translations): median ${fmt.ms(seq.p50)} ms, p95 ${fmt.ms(seq.p95)} ms, p99 ${fmt.ms(seq.p99)} ms → target p95 ≤ 50 ms ${verdict(seq.p95 <= 50 && r.sequential.errors === 0)}; with 4 clients at once p95 ${fmt.ms(par.p95)} ms.`,
      `- **Cold load to interactive** (help-center home, ${r.home.loads.length} loads, each in a new browser context): median ${fmt.ms(homeTti.p50)} ms, p95 ${fmt.ms(homeTti.p95)} ms → target ≤ 1,000 ms ${verdict(homeTti.p95 <= 1000)}.`,
      `- **Suggestions, keystroke → shown** (${r.typed.total.length} queries, ${r.typed.missed} not shown within 5 s): median ${fmt.ms(total.p50)} ms, p95 ${fmt.ms(total.p95)} ms → target p95 ≤ 150 ms ${verdict(total.p95 <= 150 && r.typed.missed === 0)}. That includes the ${SUGGEST_DEBOUNCE_MS} ms typing pause the portal waits for before it asks; from the end of the pause (request, search over ${r.seeded.count.toLocaleString('en')} articles, render): median ${fmt.ms(after.p50)} ms, p95 ${fmt.ms(after.p95)} ms.`,
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
        ['Browser', 'Debian Chromium, headless (`--headless --no-sandbox --disable-gpu --disable-background-networking`), 1280×860, driven by playwright-core'],
        ['Code', `commit ${r.git.commit}${r.git.dirty.length ? ` + ${r.git.dirty.length} uncommitted file(s)` : ''}`],
        [
          'Command',
          '`npm run bench:portal` = `./mehrdesk bench portal` (fresh embedded PostgreSQL, Temporal dev server, Redis, SMTP catcher; API and worker as separate processes serving the built web/dist; PostgreSQL search backend)',
        ],
        [
          'Data',
          `${r.seeded.count.toLocaleString('en')} published public articles (${r.seeded.persian} also in Persian), written through the API in ${(r.seeded.ms / 1000).toFixed(1)} s and indexed before measuring`,
        ],
        ['Load average', `${r.loadBefore} at start, ${r.loadAfter} at the end (2 cores shared by browser, API, worker, Temporal, PostgreSQL)`],
      ],
    ),
    '## JavaScript of the first route',
    `What the browser fetched for \`/portal/\` (a new context, not signed in), gzip level 9 of the served files. The portal is its own Vite entry (web/portal.html); its lazy pages (sign-in, requests, the editor with TipTap) load only when opened.`,
    table(
      ['File', 'gzip'],
      r.home.js.files.map((f) => [`\`${f}\``, kib(gzipSync(fs.readFileSync(path.join(DIST, f)), { level: 9 }).length)]),
    ),
    '## Cold loads',
    `Each load in a new browser context (empty cache); one unmeasured load before them warms the just-started API. Interactive = the end of the last long task (> 50 ms) before a 500 ms quiet window, never earlier than the app's content: the first article of the home page's list, or the article page's "was this helpful?" box, which only the app renders (the server's HTML already shows the article before that).`,
    table(['Milestone (ms after navigation start)', 'median', 'p95', 'max'], [...loadRows('Home', r.home), ...loadRows('Article (server-rendered)', r.article)]),
    '## Article pages from the server',
    `\`GET /portal/kb/:lang/:slug\` with \`Accept: text/html\` over keep-alive connections, pages drawn across all ${r.seeded.pages.length.toLocaleString('en')} translations, after 50 unmeasured requests; time to the last byte of the ${kib(r.sequential.bytes)} page. Each answer reads the article and its translations, counts a view (an upsert) and fills the built portal.html.`,
    table(
      ['Clients', 'requests', 'errors', 'median ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        [1, r.sequential.ms.length, r.sequential.errors, fmt.ms(seq.p50), fmt.ms(seq.p95), fmt.ms(seq.p99), fmt.ms(seq.max)],
        [4, r.parallel.ms.length, r.parallel.errors, fmt.ms(par.p50), fmt.ms(par.p95), fmt.ms(par.p99), fmt.ms(par.max)],
      ],
    ),
    '## Suggestions while typing',
    `A signed-in customer types a subject on the new-request page (40 ms between keys); the latency is from the last keydown to the moment the suggestions for that text are in the page (MutationObserver), both on the page's clock. The portal waits for a ${SUGGEST_DEBOUNCE_MS} ms pause in typing, then calls \`GET /api/v1/public/kb/search?q=…&limit=5&source=suggest\` (PostgreSQL full-text backend).`,
    table(
      ['', 'n', 'median ms', 'p95 ms', 'max ms'],
      [
        ['Keystroke → shown', r.typed.total.length, fmt.ms(total.p50), fmt.ms(total.p95), fmt.ms(total.max)],
        [`After the ${SUGGEST_DEBOUNCE_MS} ms pause → shown`, r.typed.afterPause.length, fmt.ms(after.p50), fmt.ms(after.p95), fmt.ms(after.max)],
      ],
    ),
  ]);
}

await main();
