import type { EntityManager } from '@mikro-orm/postgresql';
import type { TicketListeners } from '../domain';
import type { ConfigCache } from './config-cache';

// Which ticket events anything listens to: triggers with an enabled rule, events with an active
// webhook subscription. A ticket's workflow is told this (a versioned flag in its start input
// and in every change the API sends it) and skips the rule and webhook activities of events
// nobody listens to. The version (table ticket_listeners, bumped by a trigger on every change to
// rules or subscriptions) lets a workflow keep the newest flag whatever order replicas reach it in.

/** The rows that count as listening: the worker's rule evaluation and webhook fan-out select with the same conditions. */
export const LISTENING_RULE = 'enabled and deleted_at is null';
export const LISTENING_SUBSCRIPTION = 'active and deleted_at is null';

export function loadTicketListeners(em: EntityManager, cache?: ConfigCache | null): Promise<TicketListeners> {
  const load = async () => {
    const [row] = await em.execute<{ version: string | number; rules: string[] | null; webhooks: string[] | null }[]>(
      `select (select version from ticket_listeners where id = 1) as version,
              (select array_agg(distinct trigger order by trigger) from rules where ${LISTENING_RULE}) as rules,
              (select array_agg(distinct e order by e) from webhook_subscriptions, unnest(events) e where ${LISTENING_SUBSCRIPTION}) as webhooks`,
    );
    return { version: Number(row?.version ?? 0), rules: row?.rules ?? [], webhooks: row?.webhooks ?? [] };
  };
  return cache ? cache.get('ticket-listeners', load) : load();
}
