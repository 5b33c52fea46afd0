import { defineStore } from 'pinia';
import { ref } from 'vue';
import { getToken } from '@/api/client';
import { connectSse, type SseConnection, type SseEvent } from '@/live/sse';

// The tab's one live connection: GET /api/v1/events as server-sent events, read with fetch so it
// can carry the bearer token. Stores and pages subscribe by event type; after a reconnection,
// and when the server says `resync`, every `onReconnect` callback runs, so whatever is on
// screen is fetched again (events missed while disconnected are not replayed).

export type PresenceState = 'viewing' | 'typing' | 'left';

export interface LiveEvents {
  'ticket.created': { ticketId: number; number?: string; status?: string; priority?: string; actor?: unknown };
  'ticket.updated': { ticketId: number; version: number; fields: string[]; values?: Record<string, unknown>; truncated?: boolean; actor?: LiveActor };
  'message.added': { ticketId: number; messageId: number; kind: string; authorId?: number | null };
  'sla.changed': { ticketId: number; state: string; firstResponseDueAt?: string | null; resolutionDueAt?: string | null };
  notification: { userId: number; id: number; ticketId: number | null; event: string };
  presence: { ticketId: number; userId: number; name: string; state: PresenceState; expiresAt: string | null };
}

export interface LiveActor {
  type: string;
  id: number | null;
  ruleId?: number;
}

export type LiveEventType = keyof LiveEvents;
type Handler<K extends LiveEventType> = (data: LiveEvents[K]) => void;

export type LiveStatus = 'idle' | 'connecting' | 'open' | 'retrying';

const EVENTS_URL = '/api/v1/events';

export const useLiveStore = defineStore('live', () => {
  const status = ref<LiveStatus>('idle');
  const retryInMs = ref<number | null>(null);
  const lastEventAt = ref<number | null>(null);
  const reconnects = ref(0);
  const handlers = new Map<string, Set<(data: unknown) => void>>();
  const reconnectHandlers = new Set<() => void>();
  let connection: SseConnection | null = null;

  function on<K extends LiveEventType>(type: K, handler: Handler<K>): () => void {
    let set = handlers.get(type);
    if (!set) handlers.set(type, (set = new Set()));
    set.add(handler as (data: unknown) => void);
    return () => set.delete(handler as (data: unknown) => void);
  }

  function onReconnect(handler: () => void): () => void {
    reconnectHandlers.add(handler);
    return () => reconnectHandlers.delete(handler);
  }

  function refetchAll() {
    for (const h of [...reconnectHandlers]) h();
  }

  /** Hand one parsed stream event to its subscribers (malformed JSON is ignored). */
  function dispatch(e: SseEvent) {
    lastEventAt.value = Date.now();
    // Stream control: `resync` = events may have been missed (refetch what is shown);
    // `end` = the server is closing this stream (it is reopened with backoff).
    if (e.event === 'resync') {
      refetchAll();
      return;
    }
    const set = handlers.get(e.event);
    if (!set || set.size === 0) return;
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    for (const h of [...set]) {
      try {
        h(data);
      } catch (err) {
        console.error(`live handler for ${e.event} failed`, err);
      }
    }
  }

  function start(options: { fetch?: typeof fetch; baseMs?: number; maxMs?: number; sleep?: (ms: number, s: AbortSignal) => Promise<void> } = {}) {
    if (connection) return;
    status.value = 'connecting';
    connection = connectSse({
      url: EVENTS_URL,
      headers: (): Record<string, string> => {
        const token = getToken();
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      onEvent: dispatch,
      onOpen: ({ reconnected }) => {
        status.value = 'open';
        retryInMs.value = null;
        if (reconnected) {
          reconnects.value++;
          refetchAll();
        }
      },
      onRetry: ({ retryInMs: ms }) => {
        status.value = 'retrying';
        retryInMs.value = ms;
      },
      onFatal: () => {
        status.value = 'idle';
        connection = null;
      },
      ...options,
    });
  }

  function stop() {
    connection?.stop();
    connection = null;
    status.value = 'idle';
    retryInMs.value = null;
  }

  return { status, retryInMs, lastEventAt, reconnects, on, onReconnect, dispatch, start, stop };
});
