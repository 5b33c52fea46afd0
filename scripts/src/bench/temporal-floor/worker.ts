import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities';

// The worker of bench:temporal-floor, a process of its own so that its CPU is counted apart from
// the client's. Sized like the product's worker (create-worker.ts).
const taskQueue = process.env.FLOOR_TASK_QUEUE!;
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities,
  maxCachedWorkflows: 2000,
  maxConcurrentWorkflowTaskExecutions: 100,
  maxConcurrentActivityTaskExecutions: 50,
});
process.on('SIGTERM', () => worker.shutdown());
console.log('polling');
await worker.run();
await connection.close();
