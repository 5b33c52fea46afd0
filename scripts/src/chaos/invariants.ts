import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MikroORM } from '@mehrdesk/core/db';
import { pgArray } from '@mehrdesk/core/db';
import { listMail } from '../mail-catcher-client';
import type { WebhookReceiver } from '../bench/webhooks/receiver';
import { call } from './http';
import type { OpRecord } from './load';

// The invariants the fault-injection suite checks after the load stopped and the system had
// time to settle, against what the clients were told (2xx ids, SMTP 250 Message-IDs), the
// database, the mail catcher and the webhook receiver.

export interface Violation {
  id: string;
  detail: string;
}

export interface InvariantResult {
  name: string;
  /** How many things were checked (requests, mails, due SLA events, ...). */
  checked: number;
  violations: Violation[];
  notes: string[];
}

export interface SlaExpectation {
  firstResponseSeconds: number;
  resolutionSeconds: number;
  warningFraction: number;
}

export interface CheckContext {
  orm: MikroORM;
  ops: OpRecord[];
  sla: SlaExpectation;
  mailUrl: string;
  receiver: WebhookReceiver;
  subscriptionId: number;
  base: URL;
  /** Token of a staff member who may write on every ticket (the replyability check). */
  staffToken: string;
  log: (m: string) => void;
  /** Run id in the subjects of the load's tickets (counts tickets created for requests that got no 2xx). */
  runId: string;
}

const okOps = (ops: OpRecord[], ...kinds: OpRecord['kind'][]) => ops.filter((o) => o.ok && kinds.includes(o.kind));

async function q<T>(orm: MikroORM, sql: string, params: unknown[] = []): Promise<T[]> {
  return orm.em.fork().execute<T[]>(sql, params);
}

/** Every ticket the run made: 2xx creations and tickets made from accepted mail. */
export async function runTickets(ctx: Pick<CheckContext, 'orm' | 'ops'>): Promise<{ api: number[]; sla: number[]; mail: number[] }> {
  const api = okOps(ctx.ops, 'create').map((o) => o.ticketId!);
  const sla = okOps(ctx.ops, 'sla').map((o) => o.ticketId!);
  const mailIds = okOps(ctx.ops, 'mail', 'mail-reply').map((o) => o.mailId!);
  const rows = mailIds.length
    ? await q<{ ticket_id: number }>(ctx.orm, `select ticket_id from inbound_emails where message_id = any(?::text[]) and status = 'ticket_created' and ticket_id is not null`, [pgArray(mailIds)])
    : [];
  return { api, sla, mail: rows.map((r) => r.ticket_id) };
}

export interface SettleState {
  slaDue: number;
  slaFired: number;
  mailUnprocessed: number;
  webhooksPending: number;
  webhooksUnseen: number;
  emailsUnsent: number;
}

/** What is still outstanding; the system has settled when all are 0. */
export async function settleState(ctx: CheckContext): Promise<SettleState> {
  const now = Date.now();
  const sla = okOps(ctx.ops, 'sla');
  const due = sla.filter((o) => o.createdAt! + ctx.sla.resolutionSeconds * 1000 < now).map((o) => o.ticketId!);
  const fired = due.length
    ? ((await q<{ n: number }>(ctx.orm, `select count(*)::int as n from sla_events where ticket_id = any(?::int[]) and type in ('warning', 'breach')`, [pgArray(due)]))[0]?.n ?? 0)
    : 0;
  const mailIds = okOps(ctx.ops, 'mail', 'mail-reply').map((o) => o.mailId!);
  const [mail] = mailIds.length
    ? await q<{ n: number }>(ctx.orm, `select count(*)::int as n from inbound_emails where message_id = any(?::text[]) and status in ('received', 'failed')`, [pgArray(mailIds)])
    : [{ n: 0 }];
  const deliveries = await q<{ id: string; status: string }>(ctx.orm, 'select id, status from webhook_deliveries where subscription_id = ?', [ctx.subscriptionId]);
  const t = await runTickets(ctx);
  const all = [...t.api, ...t.sla, ...t.mail];
  const [emails] = all.length ? await q<{ n: number }>(ctx.orm, `select count(*)::int as n from email_log where ticket_id = any(?::int[]) and status = 'sending'`, [pgArray(all)]) : [{ n: 0 }];
  return {
    slaDue: due.length * 4,
    slaFired: fired,
    mailUnprocessed: mail?.n ?? 0,
    webhooksPending: deliveries.filter((d) => d.status === 'pending').length,
    webhooksUnseen: deliveries.filter((d) => !ctx.receiver.arrivals.has(d.id)).length,
    emailsUnsent: emails?.n ?? 0,
  };
}

/** Polls settleState until nothing is outstanding (and every SLA ticket's last due instant passed) or the deadline. */
export async function waitSettled(ctx: CheckContext, timeoutMs: number): Promise<{ settled: boolean; ms: number; last: SettleState | null }> {
  const t0 = Date.now();
  const lastDue = Math.max(0, ...okOps(ctx.ops, 'sla').map((o) => o.createdAt! + ctx.sla.resolutionSeconds * 1000));
  let last: SettleState | null = null;
  let lastLog = 0;
  while (Date.now() - t0 < timeoutMs) {
    try {
      last = await settleState(ctx);
      const done = Date.now() > lastDue + 2000 && last.slaFired >= last.slaDue && last.mailUnprocessed === 0 && last.webhooksPending === 0 && last.webhooksUnseen === 0 && last.emailsUnsent === 0;
      if (done) return { settled: true, ms: Date.now() - t0, last };
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        ctx.log(`[chaos] settling: ${JSON.stringify(last)}`);
      }
    } catch (err) {
      ctx.log(`[chaos] settle check failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    await sleep(2000);
  }
  return { settled: false, ms: Date.now() - t0, last };
}

async function persisted(ctx: CheckContext): Promise<InvariantResult> {
  const res: InvariantResult = { name: 'Every 2xx is persisted', checked: 0, violations: [], notes: [] };
  const creates = okOps(ctx.ops, 'create', 'sla');
  const replies = okOps(ctx.ops, 'reply');
  const statuses = okOps(ctx.ops, 'status');
  res.checked = creates.length + replies.length + statuses.length;
  const ids = creates.map((o) => o.ticketId!);
  const found = new Set((await q<{ id: number }>(ctx.orm, 'select id from tickets where id = any(?::int[])', [pgArray(ids)])).map((r) => r.id));
  for (const o of creates) if (!found.has(o.ticketId!)) res.violations.push({ id: `ticket ${o.ticketId}`, detail: `POST /tickets answered ${o.outcome} at ${new Date(o.at).toISOString()}; no row` });
  const msgs = new Map(
    (await q<{ id: number; ticket_id: number }>(ctx.orm, 'select id, ticket_id from messages where id = any(?::int[])', [pgArray(replies.map((o) => o.messageId!))])).map((r) => [r.id, r.ticket_id]),
  );
  for (const o of replies)
    if (msgs.get(o.messageId!) !== o.ticketId) res.violations.push({ id: `message ${o.messageId}`, detail: `reply on ticket ${o.ticketId} answered ${o.outcome}; no such message row` });
  const versions = new Map(
    (await q<{ id: number; version: number }>(ctx.orm, 'select id, version from tickets where id = any(?::int[])', [pgArray([...new Set(statuses.map((o) => o.ticketId!))])])).map((r) => [
      r.id,
      r.version,
    ]),
  );
  for (const o of statuses)
    if ((versions.get(o.ticketId!) ?? -1) < (o.version ?? 0))
      res.violations.push({ id: `ticket ${o.ticketId}`, detail: `status change answered version ${o.version}; the row holds ${versions.get(o.ticketId!)}` });
  res.notes.push(`${creates.length} tickets (${okOps(ctx.ops, 'sla').length} of them SLA tickets), ${replies.length} replies, ${statuses.length} status changes answered 2xx`);
  const [made] = await q<{ n: number }>(ctx.orm, `select count(*)::int as n from tickets where subject like ? or subject like ?`, [`Load ticket ${ctx.runId}-%`, `SLA ticket ${ctx.runId}-%`]);
  const failedCreates = ctx.ops.filter((o) => !o.ok && (o.kind === 'create' || o.kind === 'sla')).length;
  res.notes.push(
    `${failedCreates} creations got no 2xx; ${(made?.n ?? 0) - creates.length} tickets exist for them anyway (work done after the client gave up; a retry with the same Idempotency-Key gets the same ticket)`,
  );
  return res;
}

async function mailBecameTickets(ctx: CheckContext): Promise<InvariantResult> {
  const res: InvariantResult = { name: 'Every SMTP 250 becomes a ticket or reply', checked: 0, violations: [], notes: [] };
  const accepted = okOps(ctx.ops, 'mail', 'mail-reply');
  res.checked = accepted.length;
  const rows = await q<{ message_id: string; status: string; ticket_id: number | null; reason: string | null; n: number }>(
    ctx.orm,
    `select e.message_id, e.status, e.ticket_id, e.reason,
            (select count(*)::int from messages m where m.email_message_id = e.message_id) as n
       from inbound_emails e where e.message_id = any(?::text[])`,
    [pgArray(accepted.map((o) => o.mailId!))],
  );
  const byId = new Map<string, typeof rows>();
  for (const r of rows) byId.set(r.message_id, [...(byId.get(r.message_id) ?? []), r]);
  let asTicket = 0;
  let asReply = 0;
  for (const o of accepted) {
    const rs = byId.get(o.mailId!) ?? [];
    const done = rs.filter((r) => (r.status === 'ticket_created' || r.status === 'replied') && r.ticket_id !== null);
    if (done.length === 0) {
      res.violations.push({ id: o.mailId!, detail: rs.length ? `inbound row ${rs.map((r) => `${r.status}${r.reason ? ` (${r.reason.slice(0, 160)})` : ''}`).join(', ')}` : 'no inbound row' });
      continue;
    }
    if (done.length > 1 || (rs[0]?.n ?? 0) > 1) res.violations.push({ id: o.mailId!, detail: `processed ${done.length} times, ${rs[0]?.n} messages` });
    if (done[0]!.status === 'ticket_created') asTicket++;
    else asReply++;
  }
  const refusedButStored = ctx.ops.filter((o) => !o.ok && (o.kind === 'mail' || o.kind === 'mail-reply'));
  const stored = refusedButStored.length
    ? await q<{ n: number }>(ctx.orm, `select count(*)::int as n from inbound_emails where message_id = any(?::text[])`, [pgArray(refusedButStored.map((o) => o.mailId!))])
    : [{ n: 0 }];
  res.notes.push(`${asTicket} became tickets, ${asReply} replies`);
  res.notes.push(`${refusedButStored.length} mails were not accepted (no 250; a sender would retry); ${stored[0]?.n ?? 0} of them were stored anyway (a retry would duplicate them)`);
  return res;
}

async function slaOnce(ctx: CheckContext): Promise<InvariantResult> {
  const res: InvariantResult = { name: 'Every due SLA warning/breach fires exactly once', checked: 0, violations: [], notes: [] };
  const sla = okOps(ctx.ops, 'sla');
  const now = Date.now();
  const rows = await q<{ ticket_id: number; clock: string; type: string; actual_at: Date }>(
    ctx.orm,
    `select ticket_id, clock, type, actual_at from sla_events where ticket_id = any(?::int[]) and type in ('warning', 'breach')`,
    [pgArray(sla.map((o) => o.ticketId!))],
  );
  const key = (t: number, clock: string, type: string) => `${t}:${clock}:${type}`;
  const got = new Map<string, Date[]>();
  for (const r of rows) got.set(key(r.ticket_id, r.clock, r.type), [...(got.get(key(r.ticket_id, r.clock, r.type)) ?? []), r.actual_at]);
  const lateness: number[] = [];
  for (const o of sla) {
    for (const [clock, seconds] of [
      ['first_response', ctx.sla.firstResponseSeconds],
      ['resolution', ctx.sla.resolutionSeconds],
    ] as const) {
      for (const [type, fraction] of [
        ['warning', ctx.sla.warningFraction],
        ['breach', 1],
      ] as const) {
        const dueAt = o.createdAt! + Math.floor(seconds * 1000 * fraction);
        if (dueAt > now) continue;
        res.checked++;
        const fired = got.get(key(o.ticketId!, clock, type)) ?? [];
        if (fired.length !== 1) res.violations.push({ id: `ticket ${o.ticketId} ${clock} ${type}`, detail: `due ${new Date(dueAt).toISOString()}, fired ${fired.length} times` });
        for (const at of fired) lateness.push(new Date(at).getTime() - dueAt);
      }
    }
  }
  lateness.sort((a, b) => a - b);
  const pct = (p: number) => (lateness.length ? lateness[Math.min(lateness.length - 1, Math.floor((p / 100) * lateness.length))]! : NaN);
  res.notes.push(
    `${sla.length} SLA tickets; lateness of the recorded instant after the due instant: p50 ${Math.round(pct(50))} ms, p95 ${Math.round(pct(95))} ms, max ${Math.round(lateness.at(-1) ?? NaN)} ms`,
  );
  // The escalation e-mails (notify_supervisor on warning and breach): one per event.
  const mails = await q<{ ticket_id: number; template: string; n: number }>(
    ctx.orm,
    `select ticket_id, template, count(*)::int as n from email_log where ticket_id = any(?::int[]) and template in ('sla_warning', 'sla_breach') group by 1, 2`,
    [pgArray(sla.map((o) => o.ticketId!))],
  );
  const wrongMail = mails.filter((m) => m.n !== 2);
  for (const m of wrongMail) res.violations.push({ id: `ticket ${m.ticket_id} ${m.template}`, detail: `${m.n} e-mail rows for 2 events` });
  return res;
}

async function noDuplicateMail(ctx: CheckContext, tickets: number[]): Promise<InvariantResult[]> {
  const res: InvariantResult = { name: 'No e-mail sent twice for one event', checked: 0, violations: [], notes: [] };
  const log = await q<{ id: number; ticket_id: number; template: string; to_address: string; message_id: string; status: string; idempotency_key: string }>(
    ctx.orm,
    'select id, ticket_id, template, to_address, message_id, status, idempotency_key from email_log where ticket_id = any(?::int[])',
    [pgArray(tickets)],
  );
  const caught = await listMail(ctx.mailUrl);
  const perId = new Map<string, number>();
  for (const m of caught) if (m.messageId) perId.set(m.messageId, (perId.get(m.messageId) ?? 0) + 1);
  res.checked = log.length;
  const unsent: string[] = [];
  const lost: string[] = [];
  let unconfirmedDelivered = 0;
  for (const row of log) {
    const n = perId.get(row.message_id) ?? 0;
    if (n > 1) res.violations.push({ id: row.message_id, detail: `${row.template} to ${row.to_address} (ticket ${row.ticket_id}, key ${row.idempotency_key}) arrived ${n} times` });
    if (row.status === 'unconfirmed') {
      // Handed to SMTP, then the process died before it recorded the outcome: never resent (at most once).
      if (n === 0) lost.push(`${row.idempotency_key} (unconfirmed, not in the catcher)`);
      else unconfirmedDelivered++;
    } else if (row.status !== 'sent') unsent.push(`${row.idempotency_key} (${row.status})`);
    else if (n === 0) lost.push(`${row.idempotency_key} (sent, not in the catcher)`);
  }
  // One event, two e-mail rows (different keys): creation mails are once per ticket and recipient.
  const created = new Map<string, number>();
  for (const row of log) if (row.template === 'ticket_created') created.set(`${row.ticket_id}:${row.to_address}`, (created.get(`${row.ticket_id}:${row.to_address}`) ?? 0) + 1);
  for (const [k, n] of created) if (n > 1) res.violations.push({ id: `ticket ${k}`, detail: `ticket_created recorded ${n} times` });
  const unconfirmed = log.filter((r) => r.status === 'unconfirmed').length;
  res.notes.push(
    `${log.length} e-mails recorded for the run's tickets; ${caught.length} in the catcher; ${unconfirmed} 'unconfirmed' (the sender died during the SMTP hand-off; ${unconfirmedDelivered} of them did reach the catcher); ${unsent.length} not sent; ${lost.length} never reached the catcher`,
  );
  // Not sending twice is bought with at most once in the hand-off window: a lost or unsent e-mail is reported, as a separate kind.
  const delivered: InvariantResult = { name: 'Every recorded e-mail reaches the SMTP server (none lost)', checked: log.length, violations: [], notes: [] };
  for (const u of unsent) delivered.violations.push({ id: 'not sent', detail: u });
  for (const l of lost) delivered.violations.push({ id: 'lost', detail: l });
  delivered.notes.push(`${unconfirmed} handed off while the worker or PostgreSQL died (status unconfirmed), ${unconfirmedDelivered} of them arrived`);
  return [res, delivered];
}

async function webhooksDelivered(ctx: CheckContext, tickets: number[]): Promise<InvariantResult> {
  const res: InvariantResult = { name: 'Every webhook event delivered at least once with a stable id', checked: 0, violations: [], notes: [] };
  const deliveries = await q<{ id: string; ticket_id: number; event_type: string; status: string; attempts: number; last_error: string | null }>(
    ctx.orm,
    'select id, ticket_id, event_type, status, attempts, last_error from webhook_deliveries where subscription_id = ?',
    [ctx.subscriptionId],
  );
  res.checked = deliveries.length;
  for (const d of deliveries)
    if (!ctx.receiver.arrivals.has(d.id))
      res.violations.push({
        id: d.id,
        detail: `${d.event_type} of ticket ${d.ticket_id}: never arrived (status ${d.status}, ${d.attempts} attempts${d.last_error ? `, ${d.last_error.slice(0, 120)}` : ''})`,
      });
  const created = new Map<number, number>();
  for (const d of deliveries) if (d.event_type === 'ticket.created') created.set(d.ticket_id, (created.get(d.ticket_id) ?? 0) + 1);
  for (const t of tickets) {
    const n = created.get(t) ?? 0;
    if (n !== 1) res.violations.push({ id: `ticket ${t}`, detail: `${n} ticket.created deliveries (expected 1)` });
  }
  // SLA events: one delivery per recorded warning/breach.
  const sla = okOps(ctx.ops, 'sla').map((o) => o.ticketId!);
  const events = await q<{ ticket_id: number; type: string; n: number }>(
    ctx.orm,
    `select ticket_id, type, count(*)::int as n from sla_events where ticket_id = any(?::int[]) and type in ('warning', 'breach') group by 1, 2`,
    [pgArray(sla)],
  );
  const hooks = new Map<string, number>();
  for (const d of deliveries)
    if (d.event_type === 'sla.warning' || d.event_type === 'sla.breached') hooks.set(`${d.ticket_id}:${d.event_type}`, (hooks.get(`${d.ticket_id}:${d.event_type}`) ?? 0) + 1);
  for (const e of events) {
    const k = `${e.ticket_id}:${e.type === 'warning' ? 'sla.warning' : 'sla.breached'}`;
    if ((hooks.get(k) ?? 0) !== e.n) res.violations.push({ id: `ticket ${e.ticket_id} ${e.type}`, detail: `${e.n} SLA events, ${hooks.get(k) ?? 0} deliveries` });
  }
  const dupIds = [...ctx.receiver.duplicateIds.values()].reduce((a, b) => a + b - 1, 0);
  const byEvent = new Map<string, number>();
  for (const d of deliveries) byEvent.set(d.event_type, (byEvent.get(d.event_type) ?? 0) + 1);
  res.notes.push(`deliveries by event: ${[...byEvent].map(([e, n]) => `${e} ${n}`).join(', ')}`);
  res.notes.push(
    `receiver: ${ctx.receiver.counts.distinct} distinct ids, ${ctx.receiver.counts.accepted} requests accepted, ${dupIds} repeated arrivals of an id already received (allowed: at least once)`,
  );
  return res;
}

async function replyable(ctx: CheckContext, tickets: number[], timeoutMs: number): Promise<InvariantResult> {
  const res: InvariantResult = { name: 'No ticket left unable to accept a reply', checked: tickets.length, violations: [], notes: [] };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const queue = [...tickets];
  const latencies: number[] = [];
  let retried = 0;
  const worker = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      const deadline = Date.now() + timeoutMs;
      const key = `chaos-final-${t}`;
      let last = '';
      for (;;) {
        const a = await call(agent, ctx.base, 'POST', `/api/v1/tickets/${t}/messages`, {
          token: ctx.staffToken,
          body: { body: '<p>final check</p>', internal: true },
          headers: { 'Idempotency-Key': key },
          timeoutMs: 30_000,
        });
        last = a.status ? `${a.status} ${JSON.stringify(a.body).slice(0, 200)}` : (a.error ?? 'error');
        if (a.status === 201 || a.status === 200) {
          latencies.push(a.ms);
          break;
        }
        // A workflow task in failed state (e.g. nondeterminism on replay) does not heal by waiting.
        const stuck = a.status === 503 && last.includes('Workflow Task in failed state');
        if (stuck || Date.now() > deadline || (a.status >= 400 && a.status < 500 && a.status !== 429 && a.status !== 408)) {
          res.violations.push({ id: `ticket ${t}`, detail: `reply refused: ${last}` });
          break;
        }
        retried++;
        await sleep(1000);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  res.notes.push(`${tickets.length} tickets given an internal note; p50 ${Math.round(latencies[Math.floor(latencies.length / 2)] ?? NaN)} ms; ${retried} retries after a 5xx/timeout`);
  return res;
}

export async function checkInvariants(ctx: CheckContext, opts: { replyTimeoutMs: number }): Promise<InvariantResult[]> {
  const t = await runTickets(ctx);
  const all = [...t.api, ...t.sla, ...t.mail];
  const results: InvariantResult[] = [];
  results.push(await persisted(ctx));
  results.push(await mailBecameTickets(ctx));
  results.push(await slaOnce(ctx));
  results.push(...(await noDuplicateMail(ctx, all)));
  results.push(await webhooksDelivered(ctx, all));
  results.push(await replyable(ctx, all, opts.replyTimeoutMs));
  return results;
}
