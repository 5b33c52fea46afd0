import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/services';
import { renderWorkflowScaleReport, type WorkflowScaleResult } from './report';

// Re-render the report from a run's raw numbers without measuring again:
//   node --import tsx scripts/src/bench/workflow-scale/render.ts <raw .json> [out.md] [--sla <raw .json>] [--note <text>]...
// (default out: docs/benchmarks-workflow-memory.md). With --sla, part "sla" comes from that run
// (each part still shows old and new side by side from one run) and both runs are described.

const args = process.argv.slice(2);
const flag = (name: string) => {
  const values: string[] = [];
  // splice takes the flag and its value out, so the next one is searched for from the same place
  for (let i = args.indexOf(name); i >= 0; i = args.indexOf(name, i)) values.push(...args.splice(i, 2).slice(1));
  return values;
};
const slaRaw = flag('--sla')[0];
const notes = flag('--note');
const [raw, out = path.join(ROOT, 'docs/benchmarks-workflow-memory.md')] = args;
if (!raw) {
  console.error('usage: render.ts <mehrdesk-bench-workflow-scale-….json> [out.md] [--sla <raw .json>] [--note <text>]...');
  process.exit(2);
}
const read = (file: string) => {
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as WorkflowScaleResult;
  r.run.startedAt = new Date(r.run.startedAt);
  r.run.finishedAt = new Date(r.run.finishedAt);
  r.failures ??= [];
  return r;
};
const result = read(raw);
if (slaRaw) {
  const sla = read(slaRaw);
  result.sla = sla.sla;
  result.failures = [...result.failures.filter((f) => !f.startsWith('sla ')), ...sla.failures];
  result.options = { ...result.options, timers: sla.options.timers, windowSeconds: sla.options.windowSeconds, leadSeconds: sla.options.leadSeconds, rate: sla.options.rate };
  result.slaRun = { run: sla.run, waited: sla.waited, command: sla.run.command };
}
if (notes.length) result.notes = notes;
fs.writeFileSync(out, renderWorkflowScaleReport(result));
console.log(`wrote ${out}`);
