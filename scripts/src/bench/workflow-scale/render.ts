import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/services';
import { renderWorkflowScaleReport, type WorkflowScaleResult } from './report';

// Re-render the report from a run's raw numbers without measuring again:
//   node --import tsx scripts/src/bench/workflow-scale/render.ts <raw .json> [out.md]
// (default out: docs/benchmarks-workflow-memory.md).

const [raw, out = path.join(ROOT, 'docs/benchmarks-workflow-memory.md')] = process.argv.slice(2);
if (!raw) {
  console.error('usage: render.ts <mehrdesk-bench-workflow-scale-….json> [out.md]');
  process.exit(2);
}
const result = JSON.parse(fs.readFileSync(raw, 'utf8')) as WorkflowScaleResult;
result.run.startedAt = new Date(result.run.startedAt);
result.run.finishedAt = new Date(result.run.finishedAt);
result.failures ??= [];
fs.writeFileSync(out, renderWorkflowScaleReport(result));
console.log(`wrote ${out}`);
