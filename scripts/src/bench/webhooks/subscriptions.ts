import http from 'node:http';
import type { MikroORM } from '@mehrdesk/core/db';
import { request } from '../lib/load';
import type { WebhookReceiver } from './receiver';

// A round's subscriptions to ticket.created, made and removed through the API of the code under
// test. Subscriptions are rows in the one database every round shares and each fires for every
// ticket, so a round measures only once the earlier rounds' ones are gone.

const EVENT = 'ticket.created';

async function call(base: URL, token: string, method: string, path: string, body?: unknown) {
  const agent = new http.Agent({ keepAlive: false });
  try {
    return await request(agent, base, method, path, { token, body });
  } finally {
    agent.destroy();
  }
}

/** `count` subscriptions, each to its own receiver path `/hook/<prefix>-<i>` with its secret registered there. */
export async function subscribe(base: URL, token: string, receiver: WebhookReceiver, prefix: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const hookPath = `/hook/${prefix}-${i}`;
    const r = await call(base, token, 'POST', '/api/v1/webhooks', { name: `bench ${prefix} receiver ${i}`, url: receiver.url(hookPath), events: [EVENT] });
    if (r.status !== 201) throw new Error(`subscribing failed: ${r.status} ${r.body}`);
    const sub = JSON.parse(r.body) as { id: number; secret: string };
    receiver.addSecret(hookPath, sub.secret);
    ids.push(sub.id);
  }
  return ids;
}

/** Ids of the subscriptions that would get a delivery for the next ticket (same condition as enqueueWebhooks). */
export async function listening(orm: MikroORM): Promise<number[]> {
  const rows = await orm.em.fork().execute<{ id: number }[]>('select id from webhook_subscriptions where active and deleted_at is null and ? = any(events) order by id', [EVENT]);
  return rows.map((r) => r.id);
}

/** DELETE /api/v1/webhooks/:id (soft delete: deleted_at set, active false; the delivery log stays). */
export async function unsubscribe(base: URL, token: string, ids: number[]): Promise<void> {
  for (const id of ids) {
    const r = await call(base, token, 'DELETE', `/api/v1/webhooks/${id}`);
    if (r.status !== 204 && r.status !== 404) throw new Error(`deleting subscription ${id} failed: ${r.status} ${r.body}`);
  }
}

/**
 * Deletes every listening subscription that is not one of `own` (an earlier round's, if its
 * clean-up did not run) and checks that exactly `own` listen now. Returns the ids deleted.
 */
export async function keepOnly(orm: MikroORM, base: URL, token: string, own: number[]): Promise<number[]> {
  const mine = new Set(own);
  const strays = (await listening(orm)).filter((id) => !mine.has(id));
  await unsubscribe(base, token, strays);
  const now = await listening(orm);
  if (now.length !== own.length || now.some((id) => !mine.has(id))) throw new Error(`subscriptions listening to ${EVENT}: ${now.join(', ')}; expected only ${own.join(', ')}`);
  return strays;
}
