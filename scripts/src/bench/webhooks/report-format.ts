import type { CpuUsage } from '../lib/cpu';
import type { Distribution } from '../lib/load';
import { fmt, table } from '../lib/markdown';
import type { BacklogSummary } from '../lib/temporal-backlog';
import type { Outcome } from './parts';
import type { RoundResult } from './round';

// Number formats and derived figures the sections of docs/benchmarks-webhooks.md share.

export const rate = (n: number) => `${fmt.n(n, 1)}/s`;
export const lat = (d: Distribution) => `p50 ${fmt.ms(d.p50)} / p95 ${fmt.ms(d.p95)} / p99 ${fmt.ms(d.p99)} ms`;
export const p50p99 = (d: Distribution | undefined) => (d ? `${fmt.ms(d.p50)} / ${fmt.ms(d.p99)}` : '–');
export const backlogText = (b: BacklogSummary) =>
  `workflow tasks up to ${fmt.n(b.maxWorkflowTasks)} (oldest ${fmt.s(b.maxWorkflowAgeS)}), activity tasks up to ${fmt.n(b.maxActivityTasks)} (oldest ${fmt.s(b.maxActivityAgeS)})`;
const histogram = (h: Record<number, number>) =>
  Object.entries(h)
    .map(([attempts, n]) => `${fmt.n(n)} × ${attempts}`)
    .join(', ');

export function outcomeRows<T>(cell: (f: (o: Outcome) => string) => T): Array<[string, T]> {
  return [
    ['delivery rows recorded / expected', cell((o) => `${fmt.n(o.recorded)} / ${fmt.n(o.expected)}`)],
    ['distinct delivery ids at the receiver', cell((o) => fmt.n(o.delivered))],
    ['recorded but never received (lost)', cell((o) => fmt.n(o.missing))],
    ['received more than once (duplicates)', cell((o) => fmt.n(o.duplicates))],
    ['failed for good (database)', cell((o) => fmt.n(o.failed))],
    ['still pending at the end', cell((o) => fmt.n(o.pendingAtEnd))],
    ['attempts per delivery (deliveries × attempts)', cell((o) => histogram(o.attemptsHistogram))],
  ];
}

export const clean = (o: Outcome) => o.missing === 0 && o.duplicates === 0 && o.failed === 0 && o.pendingAtEnd === 0 && o.recorded === o.expected;
export const sum = (per: Record<string, number>) => Object.values(per).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);

/** CPU ms per delivery per process over a phase; `baseline` given: each process's idle rate over as long taken off. */
export function perDelivery(u: CpuUsage, deliveries: number, baseline?: CpuUsage): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [g, s] of Object.entries(u.cpuSeconds)) {
    const idle = baseline ? ((baseline.pct[g] ?? 0) / 100) * u.seconds : 0;
    out[g] = deliveries > 0 ? (1000 * Math.max(0, s - (Number.isFinite(idle) ? idle : 0))) / deliveries : NaN;
  }
  return out;
}

export const roundLabel = (r: RoundResult) => `${r.code.label} \`${r.code.commit}\``;

/** new ÷ old as "×1.8", or '–'. */
export const ratio = (oldV: number, newV: number) => (Number.isFinite(oldV) && Number.isFinite(newV) && oldV > 0 ? `×${fmt.n(newV / oldV, newV / oldV < 10 ? 2 : 1)}` : '–');

/** A table with one column per round (old, then new), '–' where a round lacks the figure. */
export function sideBySide(rounds: RoundResult[], rows: Array<[string, (r: RoundResult) => string | undefined]>): string {
  return table(
    ['', ...rounds.map(roundLabel)],
    rows.map(([name, cell]) => [name, ...rounds.map((r) => cell(r) ?? '–')]),
    ['---', ...rounds.map(() => '---')],
  );
}
