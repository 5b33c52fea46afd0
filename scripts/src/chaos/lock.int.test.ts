import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { enterSignal } from './lock-probe/workflows';

// Why the chaos suite found tickets frozen by nondeterminism (docs/chaos.md, finding 1): the
// ticket workflow's WorkflowLock (workflows/src/lock.ts) must let one waiter in at a time. It
// used to wait with condition(() => !held) and set `held` after the await, and the SDK resolves
// every satisfied condition in one pass, so two handlers waiting at a release both got in
// (maxInside 2). It now takes the lock inside the predicate; this test asserts mutual exclusion.

async function probe(): Promise<{ maxInside: number; order: string[] }> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run through ./mehrdesk test');
  const taskQueue = `lock-probe-${randomBytes(4).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./lock-probe/workflows.ts', import.meta.url)),
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  try {
    return await worker.runUntil(async () => {
      const handle = await client.workflow.start('lockProbe', { taskQueue, workflowId: `lock-probe-${randomBytes(4).toString('hex')}` });
      await handle.signal(enterSignal, 'a');
      await handle.signal(enterSignal, 'b');
      return (await handle.result()) as { maxInside: number; order: string[] };
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

describe('WorkflowLock', () => {
  it('lets one waiter in at a time when two are waiting at release', { timeout: 120_000 }, async () => {
    const result = await probe();
    expect(result, JSON.stringify(result.order)).toMatchObject({ maxInside: 1 });
    expect(result.order).toHaveLength(4);
  });
});
