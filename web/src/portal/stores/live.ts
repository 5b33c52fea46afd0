import { defineStore } from 'pinia';
import { ref } from 'vue';
import { connectSse, type SseConnection, type SseEvent } from '@/live/sse';
import { authHeaders } from '../api/http';

// The signed-in customer's live connection (GET /api/v1/events, server-sent events read with
// fetch so it carries the bearer token). The API sends a customer only what they may see: their
// tickets' changes and public messages, never internal notes. Pages subscribe to the events of
// the ticket they show; after a reconnection or a `resync`, `onResync` callbacks refetch.

export interface PortalLiveEvents {
  'ticket.updated': { ticketId: number; version: number; fields: string[]; values?: Record<string, unknown> };
  'message.added': { ticketId: number; messageId: number; kind: string };
}
type EventType = keyof PortalLiveEvents;

export const useLiveStore = defineStore('portal-live', () => {
  const status = ref<'idle' | 'connecting' | 'open' | 'retrying'>('idle');
  const handlers = new Map<string, Set<(data: unknown) => void>>();
  const resyncHandlers = new Set<() => void>();
  let connection: SseConnection | null = null;

  function on<K extends EventType>(type: K, handler: (data: PortalLiveEvents[K]) => void): () => void {
    let set = handlers.get(type);
    if (!set) handlers.set(type, (set = new Set()));
    set.add(handler as (data: unknown) => void);
    return () => set.delete(handler as (data: unknown) => void);
  }

  function onResync(handler: () => void): () => void {
    resyncHandlers.add(handler);
    return () => resyncHandlers.delete(handler);
  }

  const resync = () => [...resyncHandlers].forEach((h) => h());

  function dispatch(e: SseEvent) {
    if (e.event === 'resync') return resync();
    const set = handlers.get(e.event);
    if (!set?.size) return;
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    for (const h of [...set]) h(data);
  }

  function start() {
    if (connection) return;
    status.value = 'connecting';
    connection = connectSse({
      url: '/api/v1/events',
      headers: authHeaders,
      onEvent: dispatch,
      onOpen: ({ reconnected }) => {
        status.value = 'open';
        if (reconnected) resync();
      },
      onRetry: () => {
        status.value = 'retrying';
      },
      onFatal: () => {
        status.value = 'idle';
        connection = null;
      },
    });
  }

  function stop() {
    connection?.stop();
    connection = null;
    status.value = 'idle';
  }

  return { status, on, onResync, dispatch, start, stop };
});
