import * as wf from '@temporalio/workflow';
import { TERMINAL_STATUSES, initialClocks, isListened, newerListeners, type SlaClockName, type TicketListeners } from '@mehrdesk/core/domain';
import type { RuleEventType } from '../activity-contracts';
import type { Actor, CarriedState, ScheduledRuleMatch, TicketLifecycleInput, TicketSnapshot } from '../contracts';
import { WorkflowLock } from '../lock';
import { localDb, remoteDb, type TicketDb } from './activities';
import { LOCAL_DB_PATCH } from './patches';

// One run of a ticket's workflow: the state it carries, what is queued for its main loop, and
// the few decisions every part needs (which patches apply, who listens to an event).

export const WORKFLOW_ACTOR: Actor = { type: 'workflow', id: null, role: null };

export interface RuleEvent {
  type: RuleEventType;
  /** Whether rules and webhook subscriptions listen to it (decided when it was queued). */
  rules: boolean;
  webhooks: boolean;
  at: number;
  previous: TicketSnapshot | null;
  clock?: SlaClockName;
  messageId?: number;
  surveyId?: number;
  requestId: string;
}

export interface TicketRun {
  readonly input: TicketLifecycleInput;
  /** Everything the run knows, carried into the next one by Continue-As-New. */
  readonly s: CarriedState;
  /** A `ticketLifecycle` run (started before `ticketWorkflow` existed). */
  readonly legacy: boolean;
  /**
   * The patches of patches.ts: a legacy run asks Temporal (recording a marker); a new one was
   * born with them. A change made from now on calls wf.patched() itself, in both types.
   */
  patched(id: string): boolean;
  readonly db: TicketDb;
  readonly workflowId: string;
  /** One change at a time: updates, signals, timers and rules take turns. */
  readonly lock: WorkflowLock;
  /** E-mails and follow-ups in flight: they must finish before the run ends or continues. */
  readonly background: Set<Promise<unknown>>;
  readonly ruleEvents: RuleEvent[];
  readonly scheduledMatches: ScheduledRuleMatch[];
  /** Set by whatever gives the main loop work. */
  wake: boolean;
  /** A key unique within the ticket's whole life (the sequence is carried). */
  nextKey(what: string): string;
  finished(): boolean;
  /** Keep the newest listener flag a caller sent. */
  hear(flag: TicketListeners | undefined): void;
  /** Queue an event for rules and webhooks, unless nothing listens to it; `fresh` when it came with the caller's flag. */
  queueRules(ev: Omit<RuleEvent, 'at' | 'rules' | 'webhooks'>, fresh?: boolean): void;
}

export function startRun(input: TicketLifecycleInput, legacy: boolean): TicketRun {
  const patched = (id: string) => !legacy || wf.patched(id);
  const db = patched(LOCAL_DB_PATCH) ? localDb : remoteDb;
  const { workflowId } = wf.workflowInfo();
  const s: CarriedState = input.carried ?? {
    ticket: input.ticket,
    clocks: initialClocks(input.policy, input.ticket.priority, input.createdAt),
    policy: input.policy,
    autoCloseAt: null,
    seq: 0,
    createdNotified: false,
    firstResponded: false,
  };
  const hears = (kind: 'rules' | 'webhooks', event: string, fresh: boolean) => legacy || isListened(s.listeners, kind, event, fresh);
  const run: TicketRun = {
    input,
    s,
    legacy,
    patched,
    db,
    workflowId,
    lock: new WorkflowLock(patched),
    background: new Set(),
    ruleEvents: [],
    scheduledMatches: [],
    wake: false,
    nextKey: (what) => `${workflowId}:${++s.seq}:${what}`,
    finished: () => TERMINAL_STATUSES.includes(s.ticket.status),
    hear(flag) {
      if (!legacy) s.listeners = newerListeners(s.listeners, flag);
    },
    queueRules(ev, fresh = false) {
      const rules = hears('rules', ev.type, fresh);
      const webhooks = hears('webhooks', ev.type, fresh);
      if (!rules && !webhooks) return;
      run.ruleEvents.push({ ...ev, at: Date.now(), rules, webhooks });
      run.wake = true;
    },
  };
  return run;
}
