import fs from 'node:fs';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowBundle } from '@mehrdesk/worker/create-worker';

// Replays recorded ticket histories (e.g. one a chaos run left with a failed workflow task)
// against the current workflow code, the way workflows/test/replay.int.test.ts does:
//   node --import tsx scripts/src/chaos/replay.ts scripts/src/chaos/histories/*.json

let failed = 0;
for (const file of process.argv.slice(2)) {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [{ workflowId: file, history }])) {
    console.log(`${file}: ${r.error ? `FAILED: ${r.error instanceof Error ? r.error.message : String(r.error)}` : 'replays'}`);
    if (r.error) failed++;
  }
}
process.exit(failed ? 1 : 0);
