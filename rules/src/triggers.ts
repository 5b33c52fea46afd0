import { RULE_TRIGGERS } from '@mehrdesk/core/domain';

// The events a rule can react to (the list itself is the domain's: webhooks report the same events). Kept in its own module (re-exported by ./schema) so the fact
// catalogue can use it without an import cycle.
export const TRIGGERS = RULE_TRIGGERS;
export type Trigger = (typeof TRIGGERS)[number];

/** Triggers that carry an SLA clock (`context.sla`). */
export const SLA_TRIGGERS = ['sla.warning', 'sla.breached'] as const satisfies readonly Trigger[];

export function isTrigger(value: unknown): value is Trigger {
  return typeof value === 'string' && (TRIGGERS as readonly string[]).includes(value);
}
