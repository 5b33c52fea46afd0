import type { CpuUsage } from '../lib/cpu';
import type { Distribution } from '../lib/load';
import { cpuTable, document, fmt, latencyCells, logSection, runSection, table, type Block, type RunInfo } from '../lib/markdown';
import type { LogSummary } from '../lib/services';
import type { GenerateResult } from './generate';
import type { LagResult } from './lag';
import { CATEGORIES, SLOW, type QueryMixResult } from './queries';
import type { ReindexResult } from './reindex';

// Renders docs/benchmarks-search.md from one run's numbers; verdicts come from comparing the
// measured values with the issue's targets.

export interface SearchBenchResult {
  run: RunInfo;
  options: { tickets: number; full: boolean; queries: number; lagSeconds: number; rate: number };
  generated: GenerateResult;
  reindex: ReindexResult;
  queries: QueryMixResult;
  lag: LagResult;
  cpu: { groups: string[]; generate: CpuUsage; reindex: CpuUsage; queries: CpuUsage; lag: CpuUsage };
  logs: LogSummary[];
  /** Further remarks on what was tried, listed under "What was tried". */
  notes?: string[];
  /** The same benchmark run on the previous code just before this run (--baseline). */
  baseline?: Baseline;
}

/** What the side-by-side comparison needs of a run of the previous code. */
export interface Baseline {
  commit: string;
  startedAt: string;
  finishedAt: string;
  loadavgStart: string;
  otherCpuPct: number;
  overall: Record<string, Distribution>;
  categories: Record<string, Distribution>;
  reindexSeconds: number;
  stages: Array<{ stage: string; seconds: number }>;
  sizeBytes: number;
  lagP95: number;
}

export function baselineOf(r: SearchBenchResult): Baseline {
  return {
    commit: r.run.git.commit,
    startedAt: new Date(r.run.startedAt).toISOString(),
    finishedAt: new Date(r.run.finishedAt).toISOString(),
    loadavgStart: r.run.loadavgStart,
    otherCpuPct: r.run.otherCpuPct,
    overall: r.queries.overall,
    categories: Object.fromEntries(r.queries.runs.map((c) => [`${c.role}/${c.category}`, c.latency])),
    reindexSeconds: r.reindex.seconds,
    stages: r.reindex.stages,
    sizeBytes: r.reindex.size.total,
    lagP95: r.lag.lagMs.p95,
  };
}

/**
 * The first design of the PostgreSQL backend, as this benchmark measured it on 2026-12-02 06:49 UTC
 * (`./mehrdesk bench search`, commit 3de7a76 plus work in progress, 100,000 tickets; the machine
 * busy with other engineers' work, 65 % of one core): p50 / p95 / p99 ms per role and category.
 */
export const FIRST_DESIGN = {
  date: '2026-12-02 06:49 UTC',
  overall: { admin: [201, 552, 1105], agent: [224, 604, 981], customer: [136, 398, 544], public: [29, 43, 46], all: [152, 478, 867] } as Record<string, [number, number, number]>,
  categories: {
    'admin/common': [207, 270, 298],
    'admin/rare': [102, 145, 177],
    'admin/typo': [193, 290, 313],
    'admin/persian': [160, 204, 257],
    'admin/filtered': [204, 276, 332],
    'admin/facets': [299, 360, 398],
    'admin/phrase': [518, 1260, 1580],
    'admin/prefix': [248, 420, 496],
    'admin/number': [28, 55, 85],
    'agent/common': [267, 376, 434],
    'agent/rare': [155, 217, 274],
    'agent/typo': [234, 331, 378],
    'agent/persian': [205, 279, 308],
    'agent/filtered': [240, 304, 327],
    'agent/facets': [296, 529, 652],
    'agent/phrase': [573, 1149, 1422],
    'agent/prefix': [180, 267, 298],
    'agent/number': [28, 49, 84],
    'customer/common': [150, 198, 217],
    'customer/rare': [45, 78, 123],
    'customer/typo': [114, 166, 193],
    'customer/persian': [124, 186, 215],
    'customer/filtered': [151, 179, 190],
    'customer/facets': [141, 184, 203],
    'customer/phrase': [384, 567, 661],
    'customer/prefix': [154, 286, 309],
    'customer/number': [23, 28, 28],
    'public/common': [35, 45, 46],
    'public/rare': [15, 19, 26],
    'public/typo': [28, 38, 41],
    'public/persian': [34, 44, 52],
    'public/phrase': [23, 35, 36],
    'public/prefix': [34, 44, 47],
  } as Record<string, [number, number, number]>,
  reindexSeconds: 116,
  reindex: 'one page at a time on one connection: INSERT 72.9 s (63 %), Node normalisation and the rest 18.9 s, load 6.8 s, JSON 2.7 s, seal 14.0 s (GIN on tsv 7.8 s, ts_stat 3.9 s)',
  sizeMiB: 557.4,
  size: 'search_documents heap 136.1 MiB, its TOAST 373.9 MiB, GIN on tsv 35.9 MiB, GIN on internal_tsv 8.0 MiB, primary key 3.2 MiB',
};

/** What changed between the first design and the second (commit eaa8c1c). */
const FIRST_CHANGES = [
  '`search_documents` is narrow (kind, doc_id, version, lang, updated_at, requester_id, assignee_id, group_id, category_id, kb_category_id, status, priority, tags, public_visible, has_internal, tsv, internal_tsv), the tsvectors stored out of line (`storage external`, `toast_tuple_target = 128`); the texts (display_title, title, body, internal, number, requester_name, email, organization, article_id, slug, visibility) moved to a new table `search_texts`, read only for the page of hits; `joined` is no longer stored (only in the tsvector).',
  "Indexes: GIN on tsv, GIN on internal_tsv partial `where has_internal`, and new partial B-trees on requester_id, assignee_id and group_id (`where kind = 'ticket'`) for the role scope.",
  'The tsquery is a parameter at each use instead of a materialised CTE, so the planner sees it and can estimate the match; the ranking pool is 300 documents instead of 1,000.',
  "Rebuild: pages of 500 written by 3 concurrent workers (a connection each); the seal builds the live table's indexes with `maintenance_work_mem` 256 MB; an ASCII fast path in the normalisation (no NFKD/NFC or Persian replacements for strings without characters above U+007F).",
];

/** What changed between the previous code (the --baseline run) and this code. */
const CHANGES = [
  '**Bounded work per query.** A staff search reads the most recent matches through recency windows (the newest N documents the viewer may see, N from the words\' document counts, then wider only while too few are found) instead of every match; totals and facets are exact up to 1,000 matches (`EXHAUSTIVE_LIMIT`, Meilisearch\'s default maxTotalHits) and beyond that the answer says `exhaustive: false` (the console shows "1,000+"); phrases are checked on at most 500 candidates.',
  "**Tokens in the tsvectors** (migration `Migration20261202100000_SearchRecency`): day-block tokens (`~b<k>_<n>`: aligned blocks of 2^k days, k = 0…12), so a window is one GIN scan intersecting at most three posting lists, and filter and visibility tokens (`~s.open`, `~p.high`, `~r.<requester>`, `~pub`, …) for selective filters, customers and the public; an index on the UTC day (visibility columns included) finds where a window starts; `search_terms.ndoc` keeps each word's document count from the last rebuild.",
  '**Cheaper steps**: snippets are cut from 800 characters around the first occurrence of a query word (ts_headline parsed up to 20,000 characters before); the ranking pool is the 100 most recent matches; numbers and identifiers are no longer prefix-matched (`bn`:* matched every ticket number).',
  "**Reindex**: the normalisation has a one-pass fast path for text of ASCII and the Arabic block (proved equal to the full definition by a property test); pages travel as one bound `json` parameter (MikroORM wrote them into the SQL text, escaping every character; `jsonb` parsing replaced by `json`); search_texts stores the texts uncompressed (`storage external`: pglz compression was a fifth of the rebuild); the embedded PostgreSQL (and docker-compose) run with `max_wal_size=4GB`, so the rebuild's gigabyte of writes does not force a checkpoint midway.",
];

export const TARGETS = { p95: SLOW.p95, p99: SLOW.p99, lagP95: 1000, reindexSeconds: 60 };

const mib = (b: number | null) => (b === null || !Number.isFinite(b) ? '–' : `${fmt.n(b / 2 ** 20, 1)} MiB`);
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const lat = (d: Distribution) => `p50 ${fmt.ms(d.p50)} / p95 ${fmt.ms(d.p95)} / p99 ${fmt.ms(d.p99)} / max ${fmt.ms(d.max)} ms`;

export function renderSearchReport(r: SearchBenchResult): string {
  const g = r.generated;
  const x = r.reindex;
  const q = r.queries;
  const l = r.lag;
  const out: Block[] = [];
  const p = (...blocks: Block[]) => out.push(...blocks);
  const o = q.overall.all;
  const reindexOk = x.seconds <= TARGETS.reindexSeconds;

  p(
    '# Benchmarks: search (PostgreSQL backend)',
    `> Generated by \`scripts/src/bench/search.ts\`${r.options.full ? '' : ` at a **reduced size (${fmt.n(r.options.tickets)} tickets): development numbers, not for the record**`}. Re-run with \`npm run bench:search\` (flags: \`--tickets\`, \`--queries\`, \`--lag-seconds\`, \`--rate\`); raw numbers in \`docs/benchmarks-search.json\`; do not edit the numbers by hand.`,
  );

  p(
    '## Summary',
    table(
      ['Target (issue 9)', 'Measured', 'Verdict'],
      [
        [`search p95 ≤ ${TARGETS.p95} ms (all roles and categories)`, `p95 **${fmt.ms(o.p95)} ms** over ${fmt.n(o.n)} queries`, verdict(o.p95 <= TARGETS.p95)],
        [`search p99 ≤ ${TARGETS.p99} ms`, `p99 **${fmt.ms(o.p99)} ms** (max ${fmt.ms(o.max)} ms)`, verdict(o.p99 <= TARGETS.p99)],
        [
          `indexing lag p95 ≤ 1 s at ${l.rate} ticket changes/s`,
          `p95 **${fmt.ms(l.lagMs.p95)} ms** (p50 ${fmt.ms(l.lagMs.p50)}, p99 ${fmt.ms(l.lagMs.p99)}, max ${fmt.ms(l.lagMs.max)}; ${fmt.n(l.found)} of ${fmt.n(l.changes)} found, ${l.timedOut} not within 30 s)`,
          verdict(l.lagMs.p95 <= TARGETS.lagP95 && l.timedOut === 0),
        ],
        [`full reindex of ${fmt.n(g.counts.tickets)} tickets ≤ 60 s`, `**${fmt.s(x.seconds)}** for ${fmt.n(x.documents)} documents`, verdict(reindexOk)],
        ['index size on disk (reported)', `**${mib(x.size.total)}** (search_documents with TOAST and indexes + search_texts with TOAST + search_terms)`, '–'],
      ],
      ['---', '---', '---'],
    ),
    `Categories missing a latency target (p95 > ${TARGETS.p95} ms or p99 > ${TARGETS.p99} ms): ${
      q.runs
        .filter((c) => c.latency.p95 > TARGETS.p95 || c.latency.p99 > TARGETS.p99)
        .map((c) => `${c.role}/${c.category} (p95 ${fmt.ms(c.latency.p95)}, p99 ${fmt.ms(c.latency.p99)})`)
        .join(', ') || 'none'
    }.`,
  );

  if (r.baseline) p(...baselineSection(r, r.baseline));

  p(
    ...runSection(
      r.run,
      'PostgreSQL, Redis, the API process (api/src/main.ts, as in production) and this benchmark process (data generation, the reindex, the load generator and, for the lag part, the indexer)',
    ),
  );

  p(
    '## Data',
    table(
      ['What', 'Count'],
      [
        ['tickets', fmt.n(g.counts.tickets)],
        ['messages (of which internal notes)', `${fmt.n(g.counts.messages)} (${fmt.n(g.counts.internalNotes)})`],
        ['message text', mib(g.messageTextBytes)],
        ['customers / organisations', `${fmt.n(g.counts.customers)} / ${fmt.n(g.counts.organizations)}`],
        ['agents / groups / categories', `${fmt.n(g.counts.agents)} / ${fmt.n(g.counts.groups)} / ${fmt.n(g.counts.categories)}`],
        ['KB articles / translations (published and public)', `${fmt.n(g.counts.kbArticles)} / ${fmt.n(g.counts.kbTranslations)} (${fmt.n(g.counts.kbPublished)})`],
        ['outbox rows after generating (triggers off)', fmt.n(g.outboxRows)],
      ],
      ['---', '---:'],
    ),
    [
      `- Generated in PostgreSQL in **${fmt.s(g.seconds)}** (one transaction, \`session_replication_role = replica\` so neither the search triggers nor foreign-key checks fire; \`setseed\` makes the corpus the same every run): ${g.steps.map((s) => `${s.step} ${fmt.s(s.seconds)}`).join('; ')}.`,
      '- Text: a pool of sentences per language, 80 % word salad drawn from support vocabularies (about 290 English and 190 Persian words) with a Zipf-like rank distribution (P(rank k) ≈ ln(1 + 1/k)), 20 % real support sentences with order and invoice numbers (Persian ones mostly in Persian digits). Tickets are 65 % English, 35 % Persian; a tenth of the sentences of a message come from the other language; a fifth of the Persian messages are written with Arabic yeh and kaf (ي ك); the Persian vocabulary has ZWNJ words (نمی‌شود, به‌روزرسانی, …). Messages have 2–7 sentences, tickets 1–19 messages (10 on average), 12 % of the later messages are internal notes.',
      `- Statuses, priorities (weighted), 5 groups of 8 agents (every agent in two groups), 8 categories, 0–2 of 12 tags, created over two years. The agent role signs in as \`${g.logins.agent.email}\` (groups ${g.logins.agent.groupIds.join(', ')}), the customer role as \`${g.logins.customer.email}\` (${g.logins.customer.tickets} tickets of their own), admin as the seeded demo admin.`,
    ],
  );

  const stageSeconds = (st: string) => x.stages.find((v) => v.stage === st)?.seconds ?? NaN;
  const pgGroup = r.cpu.groups.find((gr) => gr.startsWith('PostgreSQL'));
  const benchGroup = r.cpu.groups.find((gr) => gr.startsWith('bench'));
  const cpuLine = (u: CpuUsage | null) =>
    u
      ? `PostgreSQL ${fmt.pct(pgGroup ? (u.pct[pgGroup] ?? NaN) : NaN)}, this process ${fmt.pct(benchGroup ? (u.pct[benchGroup] ?? NaN) : NaN)}, other processes ${fmt.pct(u.otherPct)} (machine ${fmt.pct(u.machinePct)} of ${r.run.machine.cpus * 100} %)`
      : '–';
  p(
    '## Full reindex',
    `\`requestRebuild\` + \`runRebuild\` in process (what \`POST /api/v1/search/reindex\` and \`./mehrdesk reindex\` run): a new pair of tables (\`search_documents_r<id>\`, \`search_texts_r<id>\`) filled by ${x.workers} workers at once, ${fmt.n(x.pageSize)} documents per page (each worker loads a page in SQL, normalises it in Node and writes it with one INSERT into both tables), then \`seal\` (the live table's indexes built over the filled table with \`maintenance_work_mem\` 256 MB, ANALYZE, the typo word list) and the swap. **${fmt.s(x.seconds)}** for ${fmt.n(x.documents)} documents (${Object.entries(
      x.byKind,
    )
      .map(([k, v]) => `${fmt.n(v)} ${k}`)
      .join(
        ', ',
      )}): target ≤ 60 s ${verdict(reindexOk)}. JSON sent to PostgreSQL: ${mib(x.jsonBytes)}; text stored in search_texts (title, body, internal): ${mib(x.textBytes)}; tsvectors stored: ${mib(x.tsvectorBytes)}.`,
    '**Where the time goes, wall clock** (the stages of the rebuild, from the backend calls that open and close them):',
    table(
      ['Stage', 'Seconds', 'Share', 'What runs'],
      [
        ['setup', fmt.n(stageSeconds('setup'), 1), fmt.pct((100 * stageSeconds('setup')) / x.seconds), 'register the rebuild, create the two tables'],
        [
          'fill',
          fmt.n(stageSeconds('fill'), 1),
          fmt.pct((100 * stageSeconds('fill')) / x.seconds),
          `${x.workers} workers: list the ids, then per page load (SQL), normalise (Node), INSERT (PostgreSQL); ${fmt.n(x.fill.pages)} pages`,
        ],
        ['seal', fmt.n(stageSeconds('seal'), 1), fmt.pct((100 * stageSeconds('seal')) / x.seconds), 'indexes, ANALYZE, ts_stat → search_terms'],
        ['finish', fmt.n(stageSeconds('finish'), 1), fmt.pct((100 * stageSeconds('finish')) / x.seconds), 'documents changed meanwhile written again, swap'],
      ],
      ['---', '---:', '---:', '---'],
    ),
    `**Statements by kind** (timed in the client and summed over the connections: with ${x.workers} pages in flight the fill statements add up to more than the fill stage's wall time, and a statement's time includes waiting while another worker's normalisation holds Node's event loop; "÷ stage" divides by the wall time of the stage the statement runs in, so ${x.workers * 100} % would be ${x.workers} connections busy all the time):`,
    table(
      ['Statement', 'Connection-seconds', '÷ stage', 'Statements'],
      x.phases.map((ph) => {
        const st = /^seal/.test(ph.phase) ? stageSeconds('seal') : /^(INSERT|load)/.test(ph.phase) ? stageSeconds('fill') : x.seconds;
        return [ph.phase, fmt.n(ph.seconds, 1), fmt.pct((100 * ph.seconds) / st), fmt.n(ph.calls)];
      }),
      ['---', '---:', '---:', '---:'],
    ),
    `Fill stage (${fmt.s(stageSeconds('fill'))}): Node's event loop was busy ${fmt.s(x.fill.nodeBusySeconds)} (${fmt.pct((100 * x.fill.nodeBusySeconds) / stageSeconds('fill'))} of it), of which ${fmt.s(x.fill.jsonSeconds)} building the INSERTs' JSON (toRecord, JSON.stringify); the rest is normalising rows into documents and the driver's work. CPU in the fill stage (% of one core): ${cpuLine(x.cpu.fill)}; in the seal stage: ${cpuLine(x.cpu.seal)}.`,
    `to_tsvector alone (the expressions the INSERT computes: title, body and the requester fields, weighted, plus internal notes; text read from search_texts) over 5,000 ticket documents on one connection, scaled to all tickets: **${fmt.s(x.toTsvectorEstimateSeconds)}** of CPU: that part of the INSERT is text search parsing and stemming, the rest is JSON parsing, heap, TOAST and index writes.`,
    ...(reindexOk ? [] : [reindexAnalysis(x, r.cpu.reindex, r.cpu.groups, r.run.machine.cpus)]),
    '**Index size on disk**',
    table(
      ['Relation', 'Size'],
      [
        ['search_documents heap (narrow rows: filter, facet, order and visibility columns)', mib(x.size.docsHeap)],
        ['its TOAST (the tsv and internal_tsv values, stored out of line) with its index', mib(x.size.docsToast)],
        ...x.size.docsIndexes.map((ix) => [indexLabel(ix), mib(ix.bytes)]),
        ['search_texts heap (display title, title, body, internal, number, requester, …)', mib(x.size.textsHeap)],
        ['its TOAST (long bodies and internal notes) with its index', mib(x.size.textsToast)],
        ['search_texts primary key (kind, doc_id)', mib(x.size.textsIndexes)],
        [`search_terms (${fmt.n(x.size.terms)} words) + its trigram index`, `${mib(x.size.termsTable)} + ${mib(x.size.termsTrgm)}`],
        [
          '**total** (= backend.stats().bytes: pg_total_relation_size of search_documents, search_texts and search_terms)',
          `**${mib(x.size.total)}**${x.size.statsBytes !== x.size.total ? ` (stats() said ${mib(x.size.statsBytes)})` : ''}`,
        ],
      ],
      ['---', '---:'],
    ),
  );

  p(
    '## Query latency',
    [
      `- Through the real HTTP API: \`GET /api/v1/search\` (limit 20) for admin, agent and customer, \`GET /api/v1/public/kb/search\` (limit 10, articles only) for the public; bearer tokens from \`POST /auth/login\`; one keep-alive connection, **sequential** (one query at a time), after one unmeasured pass over each category's queries. ${fmt.n(q.perCategory)} measured queries per category and role, cycling through the category's list.`,
      "- Latency is the client's: request sent → whole JSON answer read, API process and PostgreSQL on the same machine.",
      `- \`facets=false\` except in the category "facets" (API default \`true\`): the facet cost shows as the difference between "common" and "facets", which use the same words.`,
      `- "Substring (old)": the ticket list's \`q\` before the search module, run as SQL from this process: \`(t.subject ilike '%q%' or t.number ilike '%q%')\` with the role's row scope, \`order by created_at desc, id desc limit 26\` (git show 3de7a76:api/src/tickets/service.ts, listTickets); same words, same roles, quotes dropped.`,
    ],
    table(
      ['Role', 'Category', 'Queries', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'mean total', 'zero hits', 'capped at 1,000', 'substring (old) p50 / p95 / p99 ms', 'old: mean rows'],
      q.runs.map((c) => [
        c.role,
        c.category,
        fmt.n(c.queries),
        ...latencyCells(c.latency).map((v, i) => ((i === 1 && c.latency.p95 > TARGETS.p95) || (i === 2 && c.latency.p99 > TARGETS.p99) ? `**${v}**` : v)),
        fmt.n(c.meanTotal),
        fmt.n(c.zeroHits),
        c.capped === undefined ? '–' : fmt.n(c.capped),
        c.substring ? `${fmt.ms(c.substring.latency.p50)} / ${fmt.ms(c.substring.latency.p95)} / ${fmt.ms(c.substring.latency.p99)}` : '–',
        c.substring ? fmt.n(c.substring.meanRows, 1) : '–',
      ]),
    ),
    table(
      ['Overall', 'Queries', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        ...(['admin', 'agent', 'customer', 'public'] as const).map((k) => [k, fmt.n(q.overall[k].n), ...latencyCells(q.overall[k])]),
        ['**all roles**', fmt.n(o.n), ...latencyCells(o)],
        ['substring search (old), all roles', fmt.n(q.substringOverall.n), ...latencyCells(q.substringOverall)],
      ],
    ),
    '**Categories**: ' + CATEGORIES.map((c) => `${c.name}: ${c.what}`).join('; ') + '. Query lists are in the JSON (`queries.queryLists`).',
    `**Limitation of the generated text**: the vocabularies have ${'~'}480 words and no long tail, so even the last-ranked words ("rare") are in ${rareShare(q, g.counts.tickets)}; a word in a handful of tickets is represented only by the ticket numbers (category "number"). Real text has a long tail (names, product codes, error strings), where the GIN lookup is as cheap as for "number".`,
    errorsLine(q),
    '**Slowest queries** (highest median of their repetitions, top 3 per category and role where p95 > 25 ms):',
    slowestTable(q),
  );

  const missed = q.runs.filter((c) => c.latency.p95 > TARGETS.p95 || c.latency.p99 > TARGETS.p99);
  if (missed.length) p('## Where the query time goes, and what would help', queryAnalysis(q));

  p(
    '## What substring search finds, and misses',
    'Tickets found for a few words (admin: every ticket). "Search" counts every ticket the new search matches (`matchingTicketIds`, no cap); "of which not by subject/number" are the ones the old search could never return: the words are only in messages, or match by stem, by typo correction, or by Persian letter variants.',
    table(
      ['Query', 'Search: tickets', '… of which not by subject/number substring', 'Substring (old): tickets'],
      q.samples.map((s) => [`\`${s.q}\``, fmt.n(s.searchTickets), fmt.n(s.searchOnlyInBody), fmt.n(s.substringTickets)]),
      ['---', '---:', '---:', '---:'],
    ),
  );

  p(
    '## Indexing lag',
    [
      `- The production indexer in this process (\`startSearchIndexing\`: LISTEN \`search_outbox\` → BullMQ \`drain\` job → \`drainAll\` into the PostgreSQL backend), the API as above.`,
      `- ${fmt.n(l.changes)} changes at ${l.rate}/s for ${l.seconds} s (achieved ${fmt.n(l.committedPerSecond, 1)}/s), alternating: the subject of a ticket gets a fresh token (UPDATE) / a new public message carrying the token (INSERT); tickets spread over the whole table.`,
      `- Lag = the change's statement answered (autocommit) → the first \`GET /api/v1/search?q=<token>&types=ticket\` answer (admin) that contains the ticket; each change is polled every ${20} ms after the previous answer (each change has its own poller, so polls overlap). ${fmt.n(l.polls)} polls (answer ${lat(l.pollLatencyMs)}). Outbox rows pending at the end: ${fmt.n(l.pendingAtEnd)}.`,
    ],
    table(
      ['Lag (commit → findable)', 'Changes', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        ['all', fmt.n(l.lagMs.n), ...latencyCells(l.lagMs)],
        ['subject updated', fmt.n(l.bySubject.n), ...latencyCells(l.bySubject)],
        ['message added', fmt.n(l.byMessage.n), ...latencyCells(l.byMessage)],
        ["(the change's own statement)", fmt.n(l.commitMs.n), ...latencyCells(l.commitMs)],
      ],
    ),
    `Target p95 ≤ 1 s: ${verdict(l.lagMs.p95 <= TARGETS.lagP95 && l.timedOut === 0)}. At most ${fmt.n(l.maxPollsInFlight)} polls waited for an answer at once.`,
  );
  if (l.slowPoll) {
    p(
      `**The slowest poll** (\`${l.slowPoll.token}\`, answered in ${fmt.ms(l.slowPoll.ms)} ms during the run), run again through the backend after the run (indexer stopped, no other polls) and explained:`,
    );
    for (const st of l.slowPoll.statements) p(['```sql', st.sql.trim().replace(/\n\s*\n/g, '\n'), `-- parameters: ${JSON.stringify(st.params).slice(0, 400)}`, '```'], ['```', st.plan, '```']);
  }

  p(
    '## CPU per process',
    `% of one core (the machine has ${r.run.machine.cpus * 100} %), from /proc; PostgreSQL includes its backends. "other" is machine busy time not used by this run (other engineers' work).`,
    cpuTable(r.cpu.groups, [
      ['generate', r.cpu.generate],
      ['reindex', r.cpu.reindex],
      ['query mix', r.cpu.queries],
      ['indexing lag', r.cpu.lag],
    ]),
  );

  if (q.explains.length) {
    p(
      '## EXPLAIN (ANALYZE, BUFFERS) of the slow categories',
      'The statements the PostgreSQL backend sends for the slowest query of each category that missed a target (run once more in process with the same viewer and filters, recorded, then explained: the word counts and typo corrections, the start of the first window, then each round of the search statement).',
    );
    for (const e of q.explains) {
      p(
        `### ${e.role} / ${e.category}: \`${e.q}\`${
          e.params
            ? ` with ${Object.entries(e.params)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}`
            : ''
        }`,
      );
      for (const s of e.statements) p(['```sql', s.sql.trim().replace(/\n\s*\n/g, '\n'), `-- parameters: ${JSON.stringify(s.params).slice(0, 400)}`, '```'], ['```', s.plan, '```']);
    }
  }

  p(
    '## What was tried',
    `**First design → this run.** The first design of the PostgreSQL backend was measured with this benchmark on ${FIRST_DESIGN.date} (${r.options.full ? 'same data, same queries, same machine, which was busy as well' : `**at 100,000 tickets: this run has ${fmt.n(r.options.tickets)}, so the columns below are not comparable**`}): overall p95 ${fmt.ms(FIRST_DESIGN.overall.all![1])} / p99 ${fmt.ms(FIRST_DESIGN.overall.all![2])} ms, reindex ${fmt.s(FIRST_DESIGN.reindexSeconds)}, index ${fmt.n(FIRST_DESIGN.sizeMiB, 1)} MiB. What changed from it to the second design (commit eaa8c1c):`,
    FIRST_CHANGES.map((c) => `- ${c}`),
    ...(r.baseline ? ['From the second design to this one: see "The previous code and this code, in one session" above.'] : []),
    table(
      ['Overall', 'first design p50 / p95 / p99 ms', 'this run p50 / p95 / p99 ms'],
      (['admin', 'agent', 'customer', 'public', 'all'] as const).map((k) => {
        const f = FIRST_DESIGN.overall[k]!;
        const d = q.overall[k];
        return [k === 'all' ? '**all roles**' : k, f.map((v) => fmt.ms(v)).join(' / '), `${fmt.ms(d.p50)} / ${fmt.ms(d.p95)} / ${fmt.ms(d.p99)}`];
      }),
      ['---', '---:', '---:'],
    ),
    table(
      ['Role', 'Category', 'first design p95 / p99 ms', 'this run p95 / p99 ms', 'p95 change'],
      q.runs.map((c) => {
        const f = FIRST_DESIGN.categories[`${c.role}/${c.category}`];
        const miss = c.latency.p95 > TARGETS.p95 || c.latency.p99 > TARGETS.p99;
        const now = `${fmt.ms(c.latency.p95)} / ${fmt.ms(c.latency.p99)}`;
        return [
          c.role,
          c.category,
          f ? `${fmt.ms(f[1])} / ${fmt.ms(f[2])}` : '–',
          miss ? `**${now}**` : now,
          f ? `${c.latency.p95 <= f[1] ? '−' : '+'}${fmt.pct((100 * Math.abs(c.latency.p95 - f[1])) / f[1])}` : '–',
        ];
      }),
      ['---', '---', '---:', '---:', '---:'],
    ),
    table(
      ['', 'first design', 'this run'],
      [
        [
          'full reindex',
          `${fmt.s(FIRST_DESIGN.reindexSeconds)}: ${FIRST_DESIGN.reindex}`,
          `${fmt.s(x.seconds)}: ${x.stages.map((v) => `${v.stage} ${fmt.s(v.seconds)}`).join(', ')} (${x.workers} workers)`,
        ],
        [
          'index size',
          `${fmt.n(FIRST_DESIGN.sizeMiB, 1)} MiB: ${FIRST_DESIGN.size}`,
          `${mib(x.size.total)}: search_documents ${mib(x.size.docsHeap)} heap + ${mib(x.size.docsToast)} TOAST + ${mib(x.size.docsIndexes.reduce((a, ix) => a + ix.bytes, 0))} indexes; search_texts ${mib(x.size.textsHeap + x.size.textsToast + x.size.textsIndexes)}`,
        ],
      ],
      ['---', '---', '---'],
    ),
    [
      "- Reindex: wall time per stage of the rebuild, every statement it sends timed by kind (an ORM wrapper around `execute`, forks and transactions), Node's event-loop busy time in the fill stage, and `to_tsvector` alone over a sample to split the INSERT.",
      '- Queries: the slowest query of each category that missed a target re-run in process with the same viewer and filters, its statements recorded and explained.',
      ...(r.notes ?? []).map((n) => `- ${n}`),
    ],
  );
  p(...logSection(r.logs));
  p('## Method notes', [
    '- Percentiles are nearest-rank over every measured request.',
    '- Sources: `scripts/src/bench/search.ts`, `scripts/src/bench/search/` (generate, vocabulary, reindex, queries, lag, report), shared helpers in `scripts/src/bench/lib/`.',
  ]);
  return document(out);
}

/** Old and new code side by side: the run of the previous commit's worktree just before this one. */
function baselineSection(r: SearchBenchResult, b: Baseline): Block[] {
  const q = r.queries;
  const x = r.reindex;
  const change = (before: number, after: number) => (Number.isFinite(before) && before > 0 ? `${after <= before ? '−' : '+'}${fmt.pct((100 * Math.abs(after - before)) / before)}` : '–');
  const triple = (d: Distribution | undefined) => (d ? `${fmt.ms(d.p50)} / ${fmt.ms(d.p95)} / ${fmt.ms(d.p99)}` : '–');
  return [
    '## The previous code and this code, in one session',
    `The same benchmark (same data, same queries, same machine) was run on a worktree of the previous commit \`${b.commit}\` (${b.startedAt.slice(0, 16).replace('T', ' ')}–${b.finishedAt.slice(11, 16)} UTC, load average at its start ${b.loadavgStart}, other processes ${fmt.pct(b.otherCpuPct)} of one core) and then on this code (${r.run.startedAt.toISOString().slice(11, 16)}–${r.run.finishedAt.toISOString().slice(11, 16)} UTC), back to back.`,
    table(
      ['', `previous code (${b.commit.slice(0, 7)})`, 'this code', 'change'],
      [
        [
          'search, all roles: p50 / p95 / p99 ms',
          triple(b.overall.all),
          triple(q.overall.all),
          `p95 ${change(b.overall.all?.p95 ?? NaN, q.overall.all.p95)}, p99 ${change(b.overall.all?.p99 ?? NaN, q.overall.all.p99)}`,
        ],
        ...(['admin', 'agent', 'customer', 'public'] as const).map((k) => [`… ${k}`, triple(b.overall[k]), triple(q.overall[k]), `p95 ${change(b.overall[k]?.p95 ?? NaN, q.overall[k].p95)}`]),
        [
          'full reindex',
          `${fmt.s(b.reindexSeconds)} (${b.stages.map((v) => `${v.stage} ${fmt.s(v.seconds)}`).join(', ')})`,
          `${fmt.s(x.seconds)} (${x.stages.map((v) => `${v.stage} ${fmt.s(v.seconds)}`).join(', ')})`,
          change(b.reindexSeconds, x.seconds),
        ],
        ['index size on disk', mib(b.sizeBytes), mib(x.size.total), change(b.sizeBytes, x.size.total)],
        ['indexing lag p95', `${fmt.ms(b.lagP95)} ms`, `${fmt.ms(r.lag.lagMs.p95)} ms`, change(b.lagP95, r.lag.lagMs.p95)],
      ],
      ['---', '---:', '---:', '---:'],
    ),
    table(
      ['Role', 'Category', 'previous p50 / p95 / p99 ms', 'this code p50 / p95 / p99 ms', 'p95 change'],
      q.runs.map((c) => {
        const before = b.categories[`${c.role}/${c.category}`];
        return [c.role, c.category, triple(before), triple(c.latency), change(before?.p95 ?? NaN, c.latency.p95)];
      }),
      ['---', '---', '---:', '---:', '---:'],
    ),
    'What changed between the two:',
    CHANGES.map((c) => `- ${c}`),
  ];
}

/** How common the "rare" words are: their mean total, unless every answer stopped counting at the limit. */
function rareShare(q: QueryMixResult, tickets: number): string {
  const rare = q.runs.find((c) => c.role === 'admin' && c.category === 'rare');
  if (!rare) return '–';
  if (rare.capped !== undefined && rare.capped >= rare.queries) return 'more than 1,000 tickets each (every answer of that category stopped counting at 1,000)';
  return `${fmt.pct((100 * rare.meanTotal) / tickets)} of the tickets`;
}

function errorsLine(q: QueryMixResult): string {
  const errs = q.runs.filter((c) => Object.keys(c.errors).length);
  return errs.length ? `**Errors**: ${errs.map((c) => `${c.role}/${c.category}: ${JSON.stringify(c.errors)}`).join('; ')}.` : 'Errors: none (every request answered 200).';
}

function slowestTable(q: QueryMixResult): string {
  const rows = q.runs
    .filter((c) => c.latency.p95 > 25)
    .flatMap((c) =>
      c.slowest.map((s) => [
        c.role,
        c.category,
        `\`${s.q}\`${
          s.params
            ? ` (${Object.entries(s.params)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')})`
            : ''
        }`,
        fmt.ms(s.p50),
        fmt.ms(s.max),
        fmt.n(s.total),
      ]),
    );
  return rows.length ? table(['Role', 'Category', 'Query', 'p50 ms', 'max ms', 'total'], rows) : '(none above 25 ms)';
}

const INDEX_LABELS: Record<string, string> = {
  tsv: 'GIN index on tsv',
  internal_tsv: 'GIN index on internal_tsv (partial: where has_internal)',
  requester: "B-tree on requester_id (partial: where kind = 'ticket')",
  assignee: "B-tree on assignee_id (partial: where kind = 'ticket')",
  group: "B-tree on group_id (partial: where kind = 'ticket')",
  pkey: 'primary key (kind, doc_id)',
};
const indexLabel = (ix: { suffix: string; name: string }) => INDEX_LABELS[ix.suffix] ?? `index ${ix.name}`;

/** Why the reindex missed 60 s, from its own stage and statement timings, and what is still open. */
function reindexAnalysis(x: ReindexResult, cpu: CpuUsage, groups: string[], cpus: number): Block {
  const sec = (re: RegExp) => x.phases.filter((ph) => re.test(ph.phase)).reduce((a, ph) => a + ph.seconds, 0);
  const stage = (st: string) => x.stages.find((v) => v.stage === st)?.seconds ?? NaN;
  const fill = stage('fill');
  const insert = sec(/^INSERT/);
  const load = sec(/^load/);
  const pg = groups.find((g) => g.startsWith('PostgreSQL'));
  const bench = groups.find((g) => g.startsWith('bench'));
  const fillCpu = x.cpu.fill ?? cpu;
  const pgFill = pg ? (fillCpu.pct[pg] ?? NaN) : NaN;
  const benchFill = bench ? (fillCpu.pct[bench] ?? NaN) : NaN;
  return [
    `**Why it takes ${fmt.s(x.seconds)}**: the fill stage is ${fmt.s(fill)} (${fmt.pct((100 * fill) / x.seconds)}) and the seal ${fmt.s(stage('seal'))}. In the fill stage ${x.workers} connections spent ${fmt.s(insert)} in INSERTs and ${fmt.s(load)} loading pages, on average ${fmt.n((insert + load) / fill, 1)} statements in flight; the work is CPU: PostgreSQL used ${fmt.pct(pgFill)} and this process ${fmt.pct(benchFill)} of one core, other processes ${fmt.pct(fillCpu.otherPct)}, out of the machine's ${cpus * 100} %. ` +
      `to_tsvector alone is ${fmt.s(x.toTsvectorEstimateSeconds)} of CPU, and Node's event loop was busy ${fmt.s(x.fill.nodeBusySeconds)}: with two cores shared with other work, ${x.workers} workers cannot go faster than the cores PostgreSQL gets; more workers would not help here, on a 4-core server they would.`,
    '',
    "**Still open for the reindex, largest first** (not applied: the search module is its owner's):",
    '1. Create the rebuild tables `unlogged` (derived data, rebuilt from PostgreSQL at will) and `alter table … set logged` at the swap only if crash safety of the index matters more than the rebuild time: WAL for the heap, TOAST and indexes is written otherwise.',
    '2. Send pages with COPY (pg-copy-streams) into a temporary table instead of `jsonb_to_recordset(?::jsonb)`: no JSON text to build in Node and to parse in PostgreSQL.',
    `3. seal: ts_stat over every tsvector (${fmt.s(sec(/ts_stat/))}) could be replaced by collecting the words while writing (the live path already does \`insert into search_terms … from d\`).`,
    `4. The tsvector work itself (≈ ${fmt.s(x.toTsvectorEstimateSeconds)} of CPU) only divides by the cores PostgreSQL can use: on this 2-core machine shared by the benchmark process, the API and other engineers' work, the fill stage is bounded below by about half of it.`,
  ];
}

/** The node that computes `matched` in a plan: what it is, its rows, time and buffers, and the statement's execution time. */
export function matchedNode(plan: string): { node: string; rows: number; ms: number; hit: number; read: number; removed: number; executionMs: number } | null {
  const lines = plan.split('\n');
  const at = lines.findIndex((l) => /^\s*CTE (cand|matched)\b/.test(l));
  if (at < 0) return null;
  const head = lines[at + 1] ?? '';
  const m = /->\s+(.+?)\s+\(cost=[^)]*\)\s+\(actual time=[\d.]+\.\.([\d.]+) rows=([\d.]+)/.exec(head);
  if (!m) return null;
  const indent = head.search(/\S/);
  let hit = 0;
  let read = 0;
  let removed = 0;
  for (let i = at + 2; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() && l.search(/\S/) <= indent) break;
    const b = /Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?/.exec(l);
    if (b && hit === 0 && read === 0) {
      hit = Number(b[1] ?? 0);
      read = Number(b[2] ?? 0);
    }
    const r = /Rows Removed by (?:Filter|Index Recheck): (\d+)/.exec(l);
    if (r) removed += Number(r[1]);
  }
  const exec = /Execution Time: ([\d.]+) ms/.exec(plan);
  return { node: m[1]!, rows: Number(m[3]), ms: Number(m[2]), hit, read, removed, executionMs: exec ? Number(exec[1]) : NaN };
}

/** Why queries miss the latency targets: the shape of the backend's statement and where the explained plans spend their time. */
function queryAnalysis(q: QueryMixResult): Block {
  const plans = q.explains.flatMap((e) => {
    const last = e.statements[e.statements.length - 1];
    const m = last ? matchedNode(last.plan) : null;
    return m ? [{ e, m }] : [];
  });
  return [
    "- **The statement** (below): `cand` holds the 1,001 most recent documents matching the words within the window (the GIN index intersects the words with the window's block tokens and the selective filter tokens), the viewer's scope and the filters checked on those rows; `matched` keeps 1,000 of them (for a phrase: those where the words are adjacent); the total and the facets count `matched`; its 100 most recent are ranked with `ts_rank_cd`, the rest follow by recency; the page of 20 is joined to `search_texts` for snippets. When the window held too few matches the backend widens it and sends the statement again (the earlier rounds are among the statements below).",
    '',
    plans.length ? '**Where the explained statements spend their time** (the node that produces `cand`, from the last plan of each query below; "execution" is the whole statement):' : '',
    '',
    plans.length
      ? table(
          ['Role / category', 'Query', '`cand` from', 'rows kept / removed', 'ms in it', 'buffers hit / read', 'execution ms'],
          plans.map(({ e, m }) => [
            `${e.role} / ${e.category}`,
            `\`${e.q}\``,
            m.node.replace(/ on search_documents d$/, ''),
            `${fmt.n(m.rows)} / ${fmt.n(m.removed)}`,
            fmt.ms(m.ms),
            `${fmt.n(m.hit)} / ${fmt.n(m.read)}`,
            fmt.ms(m.executionMs),
          ]),
          ['---', '---', '---', '---:', '---:', '---:', '---:'],
        )
      : '',
  ];
}
