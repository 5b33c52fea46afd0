import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { checkWebhookUrl, type WebhookLookup } from '@mehrdesk/usecases/webhooks/ssrf';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signPayload } from '@mehrdesk/usecases/webhooks/signing';

export const USER_AGENT = 'Mehrdesk-Webhooks/1.0';
/** At most this many bytes of the response body are read and kept. */
export const MAX_EXCERPT_BYTES = 4096;

export interface DeliveryRequest {
  url: string;
  secret: string;
  deliveryId: string;
  event: string;
  /** Exact JSON body; signed and sent byte for byte. */
  body: string;
  /** Budget for DNS + connect + TLS + response headers (and reading the excerpt). */
  timeoutMs: number;
  allowPrivate: boolean;
  /** Signing timestamp, unix seconds. */
  nowSec: number;
  lookup?: WebhookLookup;
}

export interface DeliveryOutcome {
  outcome: 'success' | 'retryable' | 'permanent' | 'refused';
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

/** How a response status is treated. */
export function classifyStatus(status: number): { outcome: DeliveryOutcome['outcome']; error: string | null } {
  if (status >= 200 && status < 300) return { outcome: 'success', error: null };
  if (status >= 300 && status < 400) {
    return { outcome: 'permanent', error: `receiver responded with HTTP ${status}; redirects are not followed` };
  }
  if (status === 408 || status === 425 || status === 429 || (status >= 500 && status < 600)) {
    return { outcome: 'retryable', error: `receiver responded with HTTP ${status}` };
  }
  if (status === 410) return { outcome: 'permanent', error: 'receiver responded with HTTP 410 (endpoint gone)' };
  return { outcome: 'permanent', error: `receiver responded with HTTP ${status}` };
}

/** Drop a trailing incomplete UTF-8 sequence left by truncating at a byte limit. */
function trimIncompleteUtf8(buf: Buffer): Buffer {
  const end = buf.length;
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const b = buf[i] ?? 0;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return end - i < need ? buf.subarray(0, i) : buf;
  }
  return buf;
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

class DeliveryTimeout extends Error {}

/**
 * POST one signed webhook. Never throws: every failure is folded into the outcome.
 *
 * The URL is checked against the SSRF policy first and the connection goes to the address
 * the check pinned (the Host header and TLS server name stay those of the URL). Redirects are
 * never followed. At most {@link MAX_EXCERPT_BYTES} of the response are read.
 */
export async function deliverWebhook(req: DeliveryRequest): Promise<DeliveryOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const result = (outcome: DeliveryOutcome['outcome'], statusCode: number | null, responseExcerpt: string | null, error: string | null): DeliveryOutcome => ({
    outcome,
    statusCode,
    latencyMs: elapsed(),
    responseExcerpt,
    error,
  });
  const timeoutError = `timed out after ${req.timeoutMs} ms`;

  // One budget for everything: resolving, connecting, the response and reading the excerpt.
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new DeliveryTimeout(timeoutError));
    }, req.timeoutMs);
  });
  deadline.catch(() => undefined); // observed below; avoid an unhandled rejection

  try {
    const check = await Promise.race([checkWebhookUrl(req.url, { allowPrivate: req.allowPrivate, lookup: req.lookup }), deadline]);
    if (!check.ok) return result(check.retryable ? 'retryable' : 'refused', null, null, check.reason);
    return await post(req, check.url, check.address, check.family, abort.signal, timeoutError, result);
  } catch (err) {
    if (err instanceof DeliveryTimeout) return result('retryable', null, null, timeoutError);
    return result('retryable', null, null, describeError(err));
  } finally {
    clearTimeout(timer);
  }
}

type MakeResult = (outcome: DeliveryOutcome['outcome'], statusCode: number | null, responseExcerpt: string | null, error: string | null) => DeliveryOutcome;

function post(req: DeliveryRequest, url: URL, address: string, family: 4 | 6, signal: AbortSignal, timeoutError: string, result: MakeResult) {
  return new Promise<DeliveryOutcome>((resolve) => {
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const https = url.protocol === 'https:';
    const headers: OutgoingHttpHeaders = {
      Host: url.host,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(req.body, 'utf8'),
      'User-Agent': USER_AGENT,
      [SIGNATURE_HEADER]: signPayload(req.secret, req.body, req.nowSec),
      [DELIVERY_HEADER]: req.deliveryId,
      [EVENT_HEADER]: req.event,
    };
    // Connect to the pinned address whatever the hostname resolves to now.
    const pinned: LookupFunction = (_host, options, callback) => {
      if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const options = {
      method: 'POST',
      protocol: url.protocol,
      host: hostname,
      port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers,
      lookup: pinned,
      family,
      agent: false as const,
      signal,
      ...(https && isIP(hostname) === 0 ? { servername: hostname } : {}),
    };

    let settled = false;
    const finish = (outcome: DeliveryOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };

    // Once the status line has arrived, the outcome is known even if the body breaks off.
    let finishWithResponse: (() => void) | null = null;

    const onResponse = (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const raw = Buffer.concat(chunks, size).subarray(0, MAX_EXCERPT_BYTES);
        const text = trimIncompleteUtf8(raw).toString('utf8');
        const { outcome, error } = classifyStatus(status);
        finish(result(outcome, status, text, error));
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_EXCERPT_BYTES) done();
      });
      finishWithResponse = done;
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    };

    const r = (https ? httpsRequest : httpRequest)(options, onResponse);
    // Before a response, an abort means the deadline passed; after one, `done` reports it.
    r.on('error', (err) => {
      if (finishWithResponse) finishWithResponse();
      else finish(result('retryable', null, null, signal.aborted ? timeoutError : describeError(err)));
    });
    r.end(req.body, 'utf8');
  });
}
