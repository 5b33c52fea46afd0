import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '@mehrdesk/usecases/webhooks/signing';
import { webhookWorkflowId } from '@mehrdesk/workflows/contracts';
import { waitForMail } from '@mehrdesk/scripts/mail-catcher-client';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

// Webhooks against a real local HTTP receiver (loopback allowed in this harness's config; the
// SSRF guard itself is unit-tested in worker/src/webhooks). Retries are fast here: 200 ms first
// delay, 4 attempts, 1 s timeout, a subscription disabled after 2 failed deliveries in a row.

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver whose answers are scripted per request: a status code or 'hang'. */
async function receiver(script: (n: number) => number | 'hang') {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      const answer = script(got.length);
      if (answer === 'hang') return; // never answers: the sender's timeout must fire
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(`answer ${answer}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

let h: Harness;
let admin: string, customer: string;
const receivers: { close(): Promise<unknown> }[] = [];
const subs: number[] = [];

beforeAll(async () => {
  h = await startHarness({ env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_INITIAL_MS: '200', WEBHOOK_MAX_ATTEMPTS: '4', WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_DISABLE_AFTER: '2' } });
  [admin, customer] = (await Promise.all([h.login(h.fx.users.admin.email), h.login(h.fx.users.customer.email)])) as [string, string];
});
afterAll(async () => {
  for (const id of subs) await h.call(admin, 'DELETE', `/api/v1/webhooks/${id}`);
  for (const r of receivers) await r.close();
  await h?.close();
});

async function subscribe(url: string, events: string[]) {
  const r = await h.call(admin, 'POST', '/api/v1/webhooks', { name: `hook ${subs.length} ${h.fx.suffix}`, url, events });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  subs.push(r.body.id);
  return r.body as { id: number; secret: string };
}

const ticket = async (subject: string) => (await h.call(customer, 'POST', '/api/v1/tickets', { subject, body: 'x', categoryId: h.fx.categoryId })).body;
const deliveries = async (subId: number) => (await h.call(admin, 'GET', `/api/v1/webhooks/${subId}/deliveries`)).body.items as any[];

describe('webhooks', () => {
  it('refuses URLs that are not plain http(s)', async () => {
    for (const url of ['ftp://example.com/x', 'http://user:secret@example.com/x', 'javascript:alert(1)']) {
      const r = await h.call(admin, 'POST', '/api/v1/webhooks', { name: 'bad', url, events: ['ticket.created'] });
      expect(r.status, url).toBe(400);
      expect(r.body.error.fields[0].path).toBe('body.url');
    }
    expect((await h.call(customer, 'GET', '/api/v1/webhooks')).status).toBe(403);
  });

  it('delivers signed events with a stable delivery id and logs the attempt', async () => {
    const rx = await receiver(() => 204);
    receivers.push(rx);
    const sub = await subscribe(rx.url, ['ticket.created']);
    expect(sub.secret).toMatch(/^whsec_/);
    expect((await h.call(admin, 'GET', `/api/v1/webhooks/${sub.id}`)).body.secret).toBeUndefined();
    const t = await ticket('hook me');
    await eventually(async () => rx.got.length >= 1, 'delivery');
    const req = rx.got[0]!;
    const payload = JSON.parse(req.body);
    expect(payload).toMatchObject({ event: 'ticket.created', ticket: { id: t.id, number: t.number, status: 'new' } });
    expect(req.headers['mehrdesk-delivery']).toBe(payload.id);
    expect(req.headers['mehrdesk-event']).toBe('ticket.created');
    expect(verifySignature(sub.secret, String(req.headers['mehrdesk-signature']), req.body, { nowSec: Math.floor(Date.now() / 1000) })).toEqual({ ok: true });
    expect(verifySignature('whsec_wrong', String(req.headers['mehrdesk-signature']), req.body, { nowSec: Math.floor(Date.now() / 1000) }).ok).toBe(false);
    const [d] = await eventually(async () => ((await deliveries(sub.id))[0]?.status === 'succeeded' ? deliveries(sub.id) : null), 'delivery logged');
    expect(d).toMatchObject({ id: payload.id, ticketId: t.id, attempts: 1, lastStatusCode: 204 });
    // A receiver that answers at once costs the delivery one workflow task: the first try ran in it, as a local activity.
    const history = (await h.temporal.workflow.getHandle(webhookWorkflowId(d.id)).fetchHistory()).events ?? [];
    expect(history.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    expect(history.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    await h.call(admin, 'PATCH', `/api/v1/webhooks/${sub.id}`, { active: false });
  });

  it('retries after 5xx and timeouts, and the receiver can de-duplicate by delivery id; redelivery reuses the id', async () => {
    const rx = await receiver((n) => (n === 1 ? 500 : n === 2 ? 'hang' : 200));
    receivers.push(rx);
    const sub = await subscribe(rx.url, ['ticket.created']);
    await ticket('flaky receiver');
    const [d] = await eventually(async () => ((await deliveries(sub.id))[0]?.status === 'succeeded' ? deliveries(sub.id) : null), 'delivered after retries', 30_000);
    expect(d.attempts).toBe(3);
    const detail = (await h.call(admin, 'GET', `/api/v1/webhooks/deliveries/${d.id}`)).body;
    expect(detail.log.map((a: any) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [1, 'retryable', 500],
      [2, 'retryable', null],
      [3, 'success', 200],
    ]);
    expect(detail.log[0].responseExcerpt).toBe('answer 500');
    expect(detail.log[1].error).toMatch(/timed out/);
    expect(rx.got.map((g) => g.headers['mehrdesk-delivery'])).toEqual([d.id, d.id, d.id]);
    // The first try in the workflow task, the two others as one retried activity.
    const history = (await h.temporal.workflow.getHandle(webhookWorkflowId(d.id)).fetchHistory()).events ?? [];
    expect(history.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(1);
    expect(history.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt).toBe(2);
    const effects = new Set(rx.got.map((g) => g.headers['mehrdesk-delivery'])); // the receiver's de-duplication
    expect(effects.size).toBe(1);

    const again = await h.call(admin, 'POST', `/api/v1/webhooks/deliveries/${d.id}/redeliver`);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    await eventually(async () => rx.got.length === 4, 'redelivery received');
    expect(rx.got[3]!.headers['mehrdesk-delivery']).toBe(d.id);
    const after = await eventually(async () => {
      const x = (await h.call(admin, 'GET', `/api/v1/webhooks/deliveries/${d.id}`)).body;
      return x.status === 'succeeded' && x.log.length === 4 ? x : null;
    }, 'redelivery logged');
    expect(after.log[3]).toMatchObject({ run: 1, attempt: 1, outcome: 'success' });
    await h.call(admin, 'PATCH', `/api/v1/webhooks/${sub.id}`, { active: false });
  });

  it('disables a subscription that keeps failing and tells the admins', async () => {
    const rx = await receiver(() => 404);
    receivers.push(rx);
    const sub = await subscribe(rx.url, ['ticket.created']);
    await ticket('nobody home 1');
    await eventually(async () => (await deliveries(sub.id)).some((d) => d.status === 'failed'), 'first permanent failure');
    await ticket('nobody home 2');
    const off = await eventually(async () => {
      const s = (await h.call(admin, 'GET', `/api/v1/webhooks/${sub.id}`)).body;
      return s.active === false ? s : null;
    }, 'subscription disabled');
    expect(off.disabledReason).toMatch(/2 failed deliveries/);
    expect(rx.got).toHaveLength(2); // 404 is permanent: no retries
    await waitForMail(h.mailUrl, (m) => m.subject.includes(`hook`) && m.subject.includes('was disabled') && m.to.some((x) => x.includes(h.fx.users.admin.email)));
    const redeliver = await h.call(admin, 'POST', `/api/v1/webhooks/deliveries/${(await deliveries(sub.id))[0].id}/redeliver`);
    expect(redeliver.status).toBe(409);
    const on = await h.call(admin, 'PATCH', `/api/v1/webhooks/${sub.id}`, { active: true });
    expect(on.body).toMatchObject({ active: true, consecutiveFailures: 0, disabledReason: null });
    await h.call(admin, 'PATCH', `/api/v1/webhooks/${sub.id}`, { active: false });
  });

  it('is called by a rule action', async () => {
    const rx = await receiver(() => 200);
    receivers.push(rx);
    const sub = await subscribe(rx.url, ['rule.action']);
    const rule = await h.call(admin, 'POST', '/api/v1/rules', {
      name: `notify CRM ${h.fx.suffix}`,
      definition: {
        trigger: 'ticket.created',
        conditions: {
          all: [
            { fact: 'ticket.categoryId', operator: 'equal', value: h.fx.categoryId },
            { fact: 'ticket.subject', operator: 'textContains', value: 'crm' },
          ],
        },
        actions: [{ type: 'call_webhook', params: { subscriptionId: sub.id } }],
      },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    try {
      const t = await ticket('please sync to CRM');
      await eventually(async () => rx.got.length >= 1, 'rule-triggered delivery');
      expect(JSON.parse(rx.got[0]!.body)).toMatchObject({ event: 'rule.action', rule: { id: rule.body.id, name: rule.body.name }, ticket: { id: t.id } });
    } finally {
      await h.call(admin, 'DELETE', `/api/v1/rules/${rule.body.id}`);
    }
  });

  it('starts the deliveries of one event together, outside the ticket workflow, once each', async () => {
    const rxs = await Promise.all([0, 1, 2].map(() => receiver(() => 200)));
    receivers.push(...rxs);
    const ids = [];
    for (const rx of rxs) ids.push((await subscribe(rx.url, ['ticket.updated'])).id);
    const t = await ticket('fan-out');
    const changed = await h.call(admin, 'POST', `/api/v1/tickets/${t.id}/priority`, { priority: 'high' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    await eventually(async () => rxs.every((rx) => rx.got.length >= 1), 'one delivery per subscription');
    const bodies = rxs.map((rx) => JSON.parse(rx.got[0]!.body));
    expect(bodies.map((b) => b.event)).toEqual(['ticket.updated', 'ticket.updated', 'ticket.updated']);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(3);
    // The ticket's own history holds no child workflows: its work does not grow with the subscribers.
    const history = await h.temporal.workflow.getHandle(`ticket-${t.id}`).fetchHistory();
    expect(history.events?.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
    for (const id of ids) await h.call(admin, 'PATCH', `/api/v1/webhooks/${id}`, { active: false });
    await new Promise((r) => setTimeout(r, 500));
    expect(rxs.map((rx) => rx.got.length)).toEqual([1, 1, 1]);
  });
});
