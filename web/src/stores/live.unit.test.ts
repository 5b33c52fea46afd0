import { describe, expect, it } from 'vitest';
import { setToken } from '@/api/client';
import { freshPinia } from '@/test/helpers';
import { useLiveStore } from './live';

function sseResponse(body: string, hang = false) {
  const enc = new TextEncoder();
  return new Response(
    new ReadableStream({
      start(c) {
        c.enqueue(enc.encode(body));
        if (!hang) c.close();
      },
    }),
    { status: 200, headers: { 'content-type': 'text/event-stream' } },
  );
}

describe('live store', () => {
  it('dispatches parsed events to subscribers by type, and unsubscribes', () => {
    freshPinia();
    const live = useLiveStore();
    const seen: unknown[] = [];
    const off = live.on('ticket.updated', (e) => seen.push(e));
    live.dispatch({ event: 'ticket.updated', data: '{"ticketId":1,"version":2,"fields":["status"]}', id: null });
    live.dispatch({ event: 'message.added', data: '{"ticketId":1}', id: null });
    live.dispatch({ event: 'ticket.updated', data: 'not json', id: null });
    off();
    live.dispatch({ event: 'ticket.updated', data: '{"ticketId":2,"version":3,"fields":[]}', id: null });
    expect(seen).toEqual([{ ticketId: 1, version: 2, fields: ['status'] }]);
  });

  it('runs the refetch callbacks when the server says events may have been missed (resync)', () => {
    freshPinia();
    const live = useLiveStore();
    let refetches = 0;
    const off = live.onReconnect(() => refetches++);
    live.dispatch({ event: 'ready', data: '{}', id: null });
    live.dispatch({ event: 'resync', data: '{"reason":"reconnected"}', id: '9' });
    off();
    live.dispatch({ event: 'resync', data: '{}', id: '10' });
    expect(refetches).toBe(1);
  });

  it('connects with the bearer token, and after a reconnection asks subscribers to refetch', async () => {
    freshPinia();
    setToken('mdk_live');
    const live = useLiveStore();
    const got: number[] = [];
    let refetches = 0;
    live.on('notification', (e) => got.push(e.id));
    live.onReconnect(() => refetches++);
    const auth: (string | null)[] = [];
    let n = 0;
    let resolveDone: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    live.start({
      fetch: (async (_u: RequestInfo | URL, init?: RequestInit) => {
        auth.push((init?.headers as Record<string, string>).authorization ?? null);
        n++;
        if (n === 1) return sseResponse('event: notification\ndata: {"userId":1,"id":10,"ticketId":2,"event":"ticket_assigned"}\n\n');
        setTimeout(() => resolveDone(), 0);
        return sseResponse('event: notification\ndata: {"userId":1,"id":11,"ticketId":2,"event":"agent_reply"}\n\n', true);
      }) as typeof fetch,
      sleep: async () => undefined,
    });
    await done;
    await new Promise((r) => setTimeout(r, 10));
    expect(live.status).toBe('open');
    expect(got).toEqual([10, 11]);
    expect(refetches).toBe(1);
    expect(live.reconnects).toBe(1);
    expect(auth).toEqual(['Bearer mdk_live', 'Bearer mdk_live']);
    live.stop();
    expect(live.status).toBe('idle');
    setToken(null);
  });
});
