// The events a rule can react to. Kept in its own module (re-exported by ./schema) so the fact
// catalogue can use it without an import cycle.
export const TRIGGERS = [
  'ticket.created',
  'ticket.updated',
  'message.received',
  'sla.warning',
  'sla.breached',
  'survey.received',
  'schedule',
] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Triggers that carry an SLA clock (`context.sla`). */
export const SLA_TRIGGERS = ['sla.warning', 'sla.breached'] as const satisfies readonly Trigger[];

export function isTrigger(value: unknown): value is Trigger {
  return typeof value === 'string' && (TRIGGERS as readonly string[]).includes(value);
}
