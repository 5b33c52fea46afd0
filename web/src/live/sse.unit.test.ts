import { describe, expect, it } from 'vitest';
import { backoffDelay, connectSse, SseParser, type SseEvent } from './sse';

function parse(chunks: string[]) {
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e));
  for (const c of chunks) p.feed(c);
  return { events, parser: p };
}

describe('SseParser', () => {
  it('reads event, data and id fields; a blank line dispatches', () => {
    const { events } = parse(['event: ticket.updated\nid: 41\ndata: {"ticketId":1}\n\n']);
    expect(events).toEqual([{ event: 'ticket.updated', data: '{"ticketId":1}', id: '41' }]);
  });

  it('joins multi-line data, ignores comments, and defaults the type to "message"', () => {
    const { events } = parse([': keep-alive\n\ndata: line one\ndata: line two\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'line one\nline two', id: null }]);
  });

  it('handles events split anywhere across chunks, CRLF and CR line ends', () => {
    const { events } = parse(['event: presen', 'ce\r', '\ndata: {"a"', ':1}\r\n\r', '\nevent: x\rdata: y\r\r']);
    expect(events).toEqual([
      { event: 'presence', data: '{"a":1}', id: null },
      { event: 'x', data: 'y', id: null },
    ]);
  });

  it('keeps the last id across events and reads retry advice; an event without data is not dispatched', () => {
    const { events, parser } = parse(['id: 7\nretry: 2500\n\nevent: a\ndata: 1\n\n', 'event: b\n\n']);
    expect(events).toEqual([{ event: 'a', data: '1', id: '7' }]);
    expect(parser.lastEventId).toBe('7');
    expect(parser.retryMs).toBe(2500);
  });

  it('strips only one leading space of a value, and a field without colon has an empty value', () => {
    const { events } = parse(['data:  two spaces\ndata\n\n']);
    expect(events[0]!.data).toBe(' two spaces\n');
  });
});

function streamOf(chunks: string[], opts: { hang?: boolean } = {}): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(enc.encode(c));
      if (!opts.hang) controller.close();
    },
  });
}

describe('connectSse', () => {
  it('reconnects with growing backoff after the stream ends or fails, sending the last event id', async () => {
    const requests: { headers: Record<string, string> }[] = [];
    const sleeps: number[] = [];
    const events: SseEvent[] = [];
    const opened: boolean[] = [];
    let n = 0;
    let conn: ReturnType<typeof connectSse> | null = null;
    const fakeFetch = async (_url: RequestInfo | URL, init?: RequestInit) => {
      requests.push({ headers: { ...(init?.headers as Record<string, string>) } });
      n++;
      if (n === 1) return new Response(streamOf(['id: 5\nevent: ticket.created\ndata: {"ticketId":3}\n\n']), { status: 200 });
      if (n === 2) throw new TypeError('network down');
      if (n === 3) return new Response('oops', { status: 502 });
      conn!.stop();
      return new Response(streamOf(['event: sla.changed\ndata: {"ticketId":3}\n\n']), { status: 200 });
    };
    conn = connectSse({
      url: '/api/v1/events',
      headers: () => ({ authorization: 'Bearer t' }),
      onEvent: (e) => events.push(e),
      onOpen: ({ reconnected }) => opened.push(reconnected),
      fetch: fakeFetch as typeof fetch,
      baseMs: 100,
      maxMs: 1000,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await conn.closed;
    expect(events.map((e) => e.event)).toEqual(['ticket.created', 'sla.changed']);
    expect(opened).toEqual([false, true]);
    // After the first connection (which reset the backoff): 1st, 2nd, 3rd retry.
    expect(sleeps).toEqual([90, 180, 360]);
    expect(requests[0]!.headers.authorization).toBe('Bearer t');
    expect(requests[0]!.headers['last-event-id']).toBeUndefined();
    expect(requests[1]!.headers['last-event-id']).toBe('5');
  });

  it('stops for good on 401', async () => {
    let fatal: number | null = null;
    let calls = 0;
    const conn = connectSse({
      url: '/x',
      headers: () => ({}),
      onEvent: () => undefined,
      onFatal: ({ status }) => (fatal = status),
      fetch: (async () => {
        calls++;
        return new Response(null, { status: 401 });
      }) as typeof fetch,
      sleep: async () => undefined,
    });
    await conn.closed;
    expect(fatal).toBe(401);
    expect(calls).toBe(1);
  });

  it('backoff doubles up to the cap, with jitter below 20 %', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 1000, 30_000, () => 1))).toEqual([1000, 2000, 4000, 8000, 30_000]);
    expect(backoffDelay(0, 1000, 30_000, () => 0)).toBe(800);
  });
});
