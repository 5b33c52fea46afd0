import type { Client } from '@temporalio/client';
import { ticketWorkflowId, webhookWorkflowId } from '@mehrdesk/workflows/contracts';

// The Temporal work behind a delivery: the events in the ticket workflow's history (the old code
// starts the delivery workflows from there as children, the new code from the enqueue activity)
// and in one delivery workflow's history. Every event is a write on the Temporal server; every
// workflow task is a round trip to the worker.

export interface HistoryCount {
  workflowId: string;
  events: number;
  /** Event type (e.g. ChildWorkflowExecutionCompleted) → count. */
  byType: Record<string, number>;
}

/** temporal.api.enums.v1.EventType, numeric so that no direct @temporalio/proto import is needed. */
const EVENT_TYPES: Record<number, string> = {
  1: 'WorkflowExecutionStarted',
  2: 'WorkflowExecutionCompleted',
  5: 'WorkflowTaskScheduled',
  6: 'WorkflowTaskStarted',
  7: 'WorkflowTaskCompleted',
  10: 'ActivityTaskScheduled',
  11: 'ActivityTaskStarted',
  12: 'ActivityTaskCompleted',
  13: 'ActivityTaskFailed',
  17: 'TimerStarted',
  18: 'TimerFired',
  25: 'MarkerRecorded',
  26: 'WorkflowExecutionSignaled',
  29: 'StartChildWorkflowExecutionInitiated',
  31: 'ChildWorkflowExecutionStarted',
  32: 'ChildWorkflowExecutionCompleted',
  33: 'ChildWorkflowExecutionFailed',
  40: 'UpsertWorkflowSearchAttributes',
  41: 'WorkflowExecutionUpdateAccepted',
  43: 'WorkflowExecutionUpdateCompleted',
  46: 'WorkflowPropertiesModified',
};
const typeName = (n: number) => EVENT_TYPES[n] ?? `EventType${n}`;

async function count(temporal: Client, workflowId: string): Promise<HistoryCount | null> {
  try {
    const h = await temporal.workflow.getHandle(workflowId).fetchHistory();
    const byType: Record<string, number> = {};
    for (const e of h.events ?? []) {
      const name = typeName(Number(e.eventType ?? 0));
      byType[name] = (byType[name] ?? 0) + 1;
    }
    return { workflowId, events: h.events?.length ?? 0, byType };
  } catch {
    return null;
  }
}

export const ticketHistory = (temporal: Client, ticketId: number) => count(temporal, ticketWorkflowId(ticketId));
export const deliveryHistory = (temporal: Client, deliveryId: string) => count(temporal, webhookWorkflowId(deliveryId));
