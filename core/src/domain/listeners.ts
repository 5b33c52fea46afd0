// Which ticket events anything listens to (rules by trigger, webhook subscriptions by event), as
// the API tells a ticket's workflow: a flag whose version grows with every change to rules or
// subscriptions (core/src/services/ticket-listeners.ts reads it; the database counts the version).

export interface TicketListeners {
  version: number;
  /** Rule triggers with at least one enabled rule. */
  rules: string[];
  /** Webhook events with at least one active subscription. */
  webhooks: string[];
}

/** The newer of two flags (an API replica with an older cache may speak last). */
export function newerListeners(held: TicketListeners | undefined, heard: TicketListeners | undefined): TicketListeners | undefined {
  if (!heard) return held;
  if (!held || heard.version > held.version) return heard;
  return held;
}

/**
 * Whether `event` must be handed to rules or webhooks. Without a flag (older callers) it must.
 * Events the workflow raises itself from a timer may postdate the flag it holds, so the caller
 * passes `fresh` only for events that arrived with a flag.
 */
export function isListened(flag: TicketListeners | undefined, kind: 'rules' | 'webhooks', event: string, fresh: boolean): boolean {
  if (!flag || !fresh) return true;
  return flag[kind].includes(event);
}
