import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifySignature } from '@mehrdesk/usecases/webhooks/signing';

// The webhook receiver of the benchmark: a plain node:http server in the benchmark process that
// answers 200 at once, verifies every request's HMAC signature with the subscription's secret,
// and keeps the first arrival of each delivery id (later arrivals are duplicates). It can be
// "down": answering 503 to everything (the sender retries) or not listening at all
// (connections refused).

export type ReceiverMode = 'up' | '503' | 'refuse';

export interface Arrival {
  deliveryId: string;
  /** Date.now() when the request body was complete. */
  at: number;
  ticketId: number;
  /** payload.occurredAt: when the delivery row was recorded (enqueueWebhooks). */
  occurredAt: number;
  /** payload.ticket.createdAt: the event itself. */
  ticketCreatedAt: number;
}

export interface ReceiverCounts {
  requests: number;
  accepted: number;
  answered503: number;
  badSignature: number;
  malformed: number;
  /** Accepted requests for a delivery id that had been accepted before. */
  duplicates: number;
  distinct: number;
}

const DELIVERY = DELIVERY_HEADER.toLowerCase();
const SIGNATURE = SIGNATURE_HEADER.toLowerCase();

export class WebhookReceiver {
  private server: http.Server;
  private port = 0;
  private mode: ReceiverMode = 'up';
  private readonly secrets = new Map<string, string>();
  /** First accepted arrival per delivery id. */
  readonly arrivals = new Map<string, Arrival>();
  /** Ids accepted more than once, with how many times. */
  readonly duplicateIds = new Map<string, number>();
  /** Delivery ids seen while answering 503 (attempts the sender made during the outage). */
  readonly refusedAttempts = new Map<string, number>();
  readonly counts: ReceiverCounts = { requests: 0, accepted: 0, answered503: 0, badSignature: 0, malformed: 0, duplicates: 0, distinct: 0 };

  constructor() {
    this.server = this.createServer();
  }

  private createServer(): http.Server {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        this.counts.requests++;
        const id = String(req.headers[DELIVERY] ?? '');
        if (this.mode !== 'up') {
          this.counts.answered503++;
          this.refusedAttempts.set(id, (this.refusedAttempts.get(id) ?? 0) + 1);
          res.writeHead(503, { 'content-type': 'text/plain' }).end('down for the benchmark');
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = this.accept(req.url ?? '', id, String(req.headers[SIGNATURE] ?? ''), body, at);
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'rejected');
      });
    });
    server.keepAliveTimeout = 5000;
    return server;
  }

  private accept(path: string, id: string, signature: string, body: string, at: number): number {
    const secret = this.secrets.get(path);
    if (!secret || !id) {
      this.counts.malformed++;
      return 400;
    }
    if (!verifySignature(secret, signature, body, { nowSec: Math.floor(at / 1000) }).ok) {
      this.counts.badSignature++;
      return 401;
    }
    let payload: { id?: string; occurredAt?: string; ticket?: { id?: number; createdAt?: string } };
    try {
      payload = JSON.parse(body) as typeof payload;
    } catch {
      this.counts.malformed++;
      return 400;
    }
    this.counts.accepted++;
    if (this.arrivals.has(id)) {
      this.counts.duplicates++;
      this.duplicateIds.set(id, (this.duplicateIds.get(id) ?? 1) + 1);
      return 200; // a receiver de-duplicates by id and still answers 200
    }
    this.counts.distinct++;
    this.arrivals.set(id, {
      deliveryId: id,
      at,
      ticketId: Number(payload.ticket?.id ?? NaN),
      occurredAt: Date.parse(payload.occurredAt ?? ''),
      ticketCreatedAt: Date.parse(payload.ticket?.createdAt ?? ''),
    });
    return 200;
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** URL path → secret of the subscription delivering there. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  addSecret(path: string, secret: string): void {
    this.secrets.set(path, secret);
  }

  /** Switch between answering, answering 503 and refusing connections (the port is kept and bound again). */
  async setMode(mode: ReceiverMode): Promise<void> {
    if (mode === this.mode) return;
    if (this.mode === 'refuse') {
      this.server = this.createServer();
      this.mode = mode;
      await this.listen(this.port);
      return;
    }
    this.mode = mode;
    if (mode === 'refuse') await this.stop();
  }

  currentMode(): ReceiverMode {
    return this.mode;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
