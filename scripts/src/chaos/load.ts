import http from 'node:http';
import nodemailer from 'nodemailer';
import { call, outcomeOf, type Answer } from './http';
import type { Rng } from './rng';

// The steady mixed load of the fault-injection suite, open loop: operations are issued at fixed
// rates whatever the system answers (a client that waited for answers would stop loading the
// system exactly when a fault makes it slow, hiding pile-ups). Each kind of operation has its
// rate; every outcome is recorded with what the client was told (ids of 2xx answers, the
// Message-ID of every mail the inbound SMTP listener accepted with 250).

export type OpKind = 'create' | 'reply' | 'status' | 'sla' | 'mail' | 'mail-reply' | 'probe';

export interface OpRecord {
  kind: OpKind;
  /** Date.now() when issued. */
  at: number;
  ms: number;
  /** HTTP status, SMTP code class ('250', '451', ...) or network error. */
  outcome: string;
  ok: boolean;
  ticketId?: number;
  messageId?: number;
  /** Ticket version the API returned (status changes). */
  version?: number;
  status?: string;
  /** SMTP: the Message-ID of the mail. */
  mailId?: string;
  /** SLA tickets: createdAt the API returned (ms). */
  createdAt?: number;
}

export interface Rates {
  create: number;
  reply: number;
  status: number;
  sla: number;
  mail: number;
  'mail-reply': number;
  /** GET /readyz: needs a pooled PostgreSQL connection but not the tickets table. */
  probe: number;
}

export interface LoadContext {
  base: URL;
  customerToken: string;
  slaCustomerToken: string;
  agentToken: string;
  categoryId: number;
  inboundPort: number;
  runId: string;
  rng: Rng;
  rates: Rates;
  /** Client timeout for HTTP and SMTP. */
  timeoutMs: number;
}

export interface InflightSample {
  at: number;
  http: number;
  smtp: number;
}

export class Load {
  readonly ops: OpRecord[] = [];
  readonly inflightSamples: InflightSample[] = [];
  private inflightHttp = 0;
  private inflightSmtp = 0;
  private timer: NodeJS.Timeout | null = null;
  private sampler: NodeJS.Timeout | null = null;
  private readonly pending = new Set<Promise<void>>();
  private readonly credit: Record<OpKind, number> = { create: 0, reply: 0, status: 0, sla: 0, mail: 0, 'mail-reply': 0, probe: 0 };
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 5000 });
  /** Tickets created through the API (not SLA tickets): targets of replies and status changes. */
  readonly tickets: number[] = [];
  private mailSeq = 0;
  /** Accepted new-ticket mails: [sender, Message-ID, subject, acceptedAt]. */
  private readonly mails: { from: string; id: string; subject: string; at: number }[] = [];
  private last = 0;

  constructor(private readonly ctx: LoadContext) {}

  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), 100);
    this.sampler = setInterval(() => this.inflightSamples.push({ at: Date.now(), http: this.inflightHttp, smtp: this.inflightSmtp }), 1000);
  }

  /** Stop issuing; resolves once everything in flight answered (or timed out). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.sampler) clearInterval(this.sampler);
    this.timer = this.sampler = null;
    await Promise.all([...this.pending]);
    this.agent.destroy();
  }

  inflight(): { http: number; smtp: number } {
    return { http: this.inflightHttp, smtp: this.inflightSmtp };
  }

  private tick(): void {
    const now = performance.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    for (const kind of Object.keys(this.credit) as OpKind[]) {
      this.credit[kind] += this.ctx.rates[kind] * dt;
      while (this.credit[kind] >= 1) {
        this.credit[kind] -= 1;
        this.fire(kind);
      }
    }
  }

  private fire(kind: OpKind): void {
    const isMail = kind === 'mail' || kind === 'mail-reply';
    if (isMail) this.inflightSmtp++;
    else this.inflightHttp++;
    const p = this.run(kind)
      .then((r) => {
        if (r) this.ops.push(r);
      })
      .finally(() => {
        if (isMail) this.inflightSmtp--;
        else this.inflightHttp--;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  private http(method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<Answer> {
    return call(this.agent, this.ctx.base, method, path, { token, body, headers, timeoutMs: this.ctx.timeoutMs });
  }

  private async run(kind: OpKind): Promise<OpRecord | null> {
    const { rng, runId } = this.ctx;
    const at = Date.now();
    const rec = (a: Answer, extra: Partial<OpRecord> = {}): OpRecord => ({ kind, at, ms: a.ms, outcome: outcomeOf(a), ok: a.status >= 200 && a.status < 300, ...extra });
    switch (kind) {
      case 'probe':
        return rec(await call(this.agent, this.ctx.base, 'GET', '/readyz', { timeoutMs: this.ctx.timeoutMs }));
      case 'create':
      case 'sla': {
        const n = rng.int(1e9);
        const a = await this.http(
          'POST',
          '/api/v1/tickets',
          kind === 'sla' ? this.ctx.slaCustomerToken : this.ctx.customerToken,
          {
            subject: `${kind === 'sla' ? 'SLA' : 'Load'} ticket ${runId}-${n}`,
            body: '<p>chaos load</p>',
            priority: kind === 'sla' ? 'urgent' : 'normal',
            categoryId: this.ctx.categoryId,
          },
          { 'Idempotency-Key': `chaos-${runId}-${kind}-${n}` },
        );
        const b = a.body as { id?: number; createdAt?: string } | null;
        const r = rec(a, a.status >= 200 && a.status < 300 ? { ticketId: b?.id, createdAt: Date.parse(b?.createdAt ?? '') } : {});
        if (r.ok && kind === 'create' && r.ticketId) this.tickets.push(r.ticketId);
        return r;
      }
      case 'reply': {
        const ticketId = rng.pick(this.tickets);
        if (ticketId === undefined) return null;
        const a = await this.http(
          'POST',
          `/api/v1/tickets/${ticketId}/messages`,
          this.ctx.agentToken,
          { body: `<p>reply ${rng.int(1e9)}</p>` },
          {
            'Idempotency-Key': `chaos-${runId}-reply-${rng.int(1e12)}`,
          },
        );
        return rec(a, { ticketId, ...(a.status >= 200 && a.status < 300 ? { messageId: (a.body as { id?: number }).id } : {}) });
      }
      case 'status': {
        const ticketId = rng.pick(this.tickets);
        if (ticketId === undefined) return null;
        const status = rng.next() < 0.5 ? 'pending' : 'open';
        const a = await this.http('POST', `/api/v1/tickets/${ticketId}/status`, this.ctx.agentToken, { status });
        const b = a.body as { version?: number; status?: string } | null;
        return rec(a, { ticketId, ...(a.status >= 200 && a.status < 300 ? { version: b?.version, status: b?.status } : { status }) });
      }
      case 'mail':
      case 'mail-reply': {
        let from: string;
        let subject: string;
        let headers: Record<string, string> = {};
        const id = `<chaos-${runId}-${++this.mailSeq}@chaos.test>`;
        const original = kind === 'mail-reply' ? rng.pick(this.mails.filter((m) => m.at < Date.now() - 20_000)) : undefined;
        if (kind === 'mail-reply' && !original) return null;
        if (original) {
          from = original.from;
          subject = `Re: ${original.subject}`;
          headers = { 'In-Reply-To': original.id, References: original.id };
        } else {
          from = `chaos-${runId}-${this.mailSeq}@customer.test`;
          subject = `Mail ticket ${runId}-${this.mailSeq}`;
        }
        const transport = nodemailer.createTransport({
          host: '127.0.0.1',
          port: this.ctx.inboundPort,
          secure: false,
          ignoreTLS: true,
          connectionTimeout: this.ctx.timeoutMs,
          greetingTimeout: this.ctx.timeoutMs,
          socketTimeout: this.ctx.timeoutMs,
        });
        const t0 = performance.now();
        try {
          const info = await transport.sendMail({ from, to: 'support@mehrdesk.local', subject, text: 'chaos mail', messageId: id, headers });
          const code = /^(\d{3})/.exec(info.response ?? '')?.[1] ?? '250';
          if (kind === 'mail') this.mails.push({ from, id, subject, at: Date.now() });
          return { kind, at, ms: performance.now() - t0, outcome: code, ok: code === '250', mailId: id };
        } catch (err) {
          const e = err as { responseCode?: number; code?: string; message?: string };
          return { kind, at, ms: performance.now() - t0, outcome: e.responseCode ? String(e.responseCode) : (e.code ?? e.message ?? 'error'), ok: false, mailId: id };
        } finally {
          transport.close();
        }
      }
    }
  }
}
