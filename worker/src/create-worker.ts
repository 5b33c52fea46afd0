import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Transporter } from 'nodemailer';
import type { Config } from '@mehrdesk/core/config';
import type { Logger } from '@mehrdesk/core/logger';
import { createTicketActivities } from './activities/ticket-activities';
import { createWebhookActivities } from './activities/webhook-activities';
import { createAccountEmailActivities } from './activities/account-email-activities';
import { classifyFailures } from './activities/failures';

export const workflowsPath = fileURLToPath(import.meta.resolve('@mehrdesk/workflows'));

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;
/** Bundle the workflow code once per process (webpack takes seconds; tests start many workers). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never });
  return bundle;
}

export interface TicketWorkerDeps {
  config: Config;
  orm: MikroORM;
  mailer: Transporter;
  log: Logger;
  connection?: NativeConnection;
  taskQueue?: string;
  /** A Temporal client for activities that start workflows (webhook deliveries). */
  temporal?: Client;
}

export async function createTicketWorker(deps: TicketWorkerDeps): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = deps.connection ?? (await NativeConnection.connect({ address: deps.config.TEMPORAL_ADDRESS }));
  const worker = await Worker.create({
    connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.taskQueue ?? deps.config.TEMPORAL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: classifyFailures({ ...createTicketActivities(deps), ...createWebhookActivities(deps), ...createAccountEmailActivities(deps) }, deps.log),
    // The working set, not every open ticket: an idle ticket replays when its timer fires.
    maxCachedWorkflows: deps.config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentActivityTaskExecutions: 50,
  });
  return { worker, connection };
}
