// Server-sent events over fetch: EventSource cannot send an Authorization header, so the
// console reads the stream itself. SseParser implements the text/event-stream format (WHATWG
// HTML §9.2.6): `event:`, `data:` (joined by newlines), `id:`, `retry:`, comments, CR/LF/CRLF
// line ends, chunks split anywhere. connectSse keeps one connection open, reconnecting with
// exponential backoff (and the last event id) until stopped.

export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private sawCr = false;
  /** The last `id:` seen (kept across events, as EventSource does). */
  lastEventId: string | null = null;
  /** The server's `retry:` advice in ms, if any. */
  retryMs: number | null = null;

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  feed(chunk: string): void {
    let text = chunk;
    // A CRLF split across chunks: the LF belongs to the CR already handled.
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i));
      if (c === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else this.sawCr = true;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: an event without its terminating blank line is dropped (per spec). */
  reset(): void {
    this.buffer = '';
    this.data = [];
    this.eventType = '';
    this.sawCr = false;
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    const data = this.data;
    const type = this.eventType;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return;
    this.onEvent({ event: type || 'message', data: data.join('\n'), id: this.lastEventId });
  }
}

export interface SseOptions {
  url: string;
  /** Read at every (re)connection, so a new token is used after signing in again. */
  headers: () => Record<string, string>;
  onEvent: (e: SseEvent) => void;
  /** Each successful connection; `reconnected` is false only for the first. */
  onOpen?: (info: { reconnected: boolean }) => void;
  /** A connection failed or ended; the next attempt follows in `retryInMs`. */
  onRetry?: (info: { retryInMs: number; error: unknown; status: number | null }) => void;
  /** The server refused for good (401/403): no more attempts. */
  onFatal?: (info: { status: number }) => void;
  fetch?: typeof fetch;
  /** Backoff: min(maxMs, baseMs * 2^attempt), with up to 20 % jitter. */
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface SseConnection {
  stop(): void;
  readonly closed: Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(exp * (0.8 + 0.2 * random()));
}

/** Keep an event stream open until stop(); every failure is retried with backoff. */
export function connectSse(opts: SseOptions): SseConnection {
  const abort = new AbortController();
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const sleep = opts.sleep ?? defaultSleep;
  const baseMs = opts.baseMs ?? 1000;
  const maxMs = opts.maxMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const parser = new SseParser(opts.onEvent);

  async function run(): Promise<void> {
    let attempt = 0;
    let opened = false;
    while (!abort.signal.aborted) {
      let status: number | null = null;
      let error: unknown = null;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers() };
        if (parser.lastEventId !== null) headers['last-event-id'] = parser.lastEventId;
        const res = await doFetch(opts.url, { headers, signal: abort.signal, cache: 'no-store' });
        status = res.status;
        if (res.status === 401 || res.status === 403) {
          opts.onFatal?.({ status: res.status });
          return;
        }
        if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
        opts.onOpen?.({ reconnected: opened });
        opened = true;
        attempt = 0;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
        }
        error = new Error('event stream ended');
      } catch (err) {
        error = err;
      }
      parser.reset();
      if (abort.signal.aborted) return;
      const retryInMs = Math.max(parser.retryMs ?? 0, backoffDelay(attempt, baseMs, maxMs, random));
      attempt++;
      opts.onRetry?.({ retryInMs, error, status });
      await sleep(retryInMs, abort.signal);
    }
  }

  const closed = run();
  return {
    stop: () => abort.abort(),
    closed,
  };
}
