import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, isApiError, unwrap, type ApiError } from '@/api/client';

import type { Macro, Message, PresenceEntry, Sla, Ticket, TimelineEvent } from '@/api/types';
import { useAuthStore } from './auth';
import { useLiveStore, type PresenceState } from './live';
import { useInboxStore } from './inbox';

// The open ticket: the ticket itself, its conversation, timeline, SLA clocks, the requester's
// other tickets and who else is on it. Changes go out with the version read (a stale one is
// refused with 409: the ticket is reloaded and the caller told); live events for this ticket
// reload the part that changed.

export type TicketPatch = Partial<Pick<Ticket, 'status' | 'priority' | 'groupId' | 'assigneeId' | 'tags'>>;

export interface Colleague {
  userId: number;
  name: string;
  state: Exclude<PresenceState, 'left'>;
  /** Client clock (ms) after which the entry is stale unless renewed. */
  until: number;
}

/** How long a presence entry counts without renewal (agents renew every 10 s). */
export const PRESENCE_TTL_MS = 30_000;

const path = (id: number) => ({ path: { id: String(id) } });

export class StaleVersionError extends Error {
  constructor(override readonly cause: ApiError) {
    super(cause.message);
    this.name = 'StaleVersionError';
  }
}

export const useTicketStore = defineStore('ticket', () => {
  const ticketId = ref<number | null>(null);
  const ticket = ref<Ticket | null>(null);
  const messages = ref<Message[]>([]);
  const timeline = ref<TimelineEvent[]>([]);
  const sla = ref<Sla | null>(null);
  /** Client clock when `sla` was read, to count down from the server's view. */
  const slaReadAt = ref(0);
  const slaError = ref<ApiError | null>(null);
  const previous = ref<Ticket[]>([]);
  const colleagues = ref<Colleague[]>([]);
  const macros = ref<Macro[]>([]);
  const macrosAvailable = ref<boolean | null>(null);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  const saving = ref(false);

  let offs: (() => void)[] = [];

  const activeColleagues = computed(() => (now: number) => colleagues.value.filter((c) => c.until > now));

  async function loadTicket(id: number) {
    const t = await unwrap(api.GET('/api/v1/tickets/{id}', { params: path(id) }));
    if (ticketId.value !== id) return;
    ticket.value = t;
    useInboxStore().upsert([t]);
  }
  async function loadMessages(id: number) {
    const r = await unwrap(api.GET('/api/v1/tickets/{id}/messages', { params: path(id) }));
    if (ticketId.value === id) messages.value = r.items;
  }
  async function loadTimeline(id: number) {
    const r = await unwrap(api.GET('/api/v1/tickets/{id}/timeline', { params: path(id) }));
    if (ticketId.value === id) timeline.value = r.items;
  }
  async function loadSla(id: number) {
    try {
      const r = await unwrap(api.GET('/api/v1/tickets/{id}/sla', { params: path(id) }));
      if (ticketId.value !== id) return;
      sla.value = r;
      slaReadAt.value = Date.now();
      slaError.value = null;
    } catch (err) {
      if (ticketId.value === id) slaError.value = err as ApiError;
    }
  }
  async function loadPrevious(id: number, requesterId: number) {
    const r = await unwrap(api.GET('/api/v1/tickets', { params: { query: { requesterId: String(requesterId), limit: 11 } } }));
    if (ticketId.value === id) previous.value = r.items.filter((t) => t.id !== id).slice(0, 10);
  }
  async function loadPresence(id: number) {
    try {
      const r = await unwrap(api.GET('/api/v1/tickets/{id}/presence', { params: path(id) }));
      if (ticketId.value !== id) return;
      for (const p of r.items) seePresence(p);
    } catch (err) {
      if (!(isApiError(err) && err.status === 404)) throw err;
    }
  }
  async function loadMacros() {
    try {
      macros.value = (await unwrap(api.GET('/api/v1/macros'))).items;
      macrosAvailable.value = true;
    } catch (err) {
      if (isApiError(err) && (err.status === 404 || err.status === 403)) macrosAvailable.value = false;
      else throw err;
    }
  }

  function seePresence(p: Pick<PresenceEntry, 'userId' | 'name'> & { state: PresenceState; expiresAt: string | null }) {
    const { userId, name } = p;
    if (userId === useAuthStore().user?.id) return;
    const rest = colleagues.value.filter((c) => c.userId !== userId);
    if (p.state === 'left') {
      colleagues.value = rest;
      return;
    }
    const expires = p.expiresAt ? Date.parse(p.expiresAt) : NaN;
    const until = Number.isFinite(expires) ? Math.max(expires, Date.now() + 1000) : Date.now() + PRESENCE_TTL_MS;
    colleagues.value = [...rest, { userId, name, state: p.state, until }];
  }

  /** Everything about ticket `id`; live events for it keep it current until close(). */
  async function open(id: number): Promise<void> {
    close();
    ticketId.value = id;
    loading.value = true;
    error.value = null;
    try {
      await loadTicket(id);
      const t = ticket.value!;
      const side = [loadMessages(id), loadTimeline(id), loadSla(id), loadPrevious(id, t.requester.id), loadPresence(id)];
      const results = await Promise.allSettled(side);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (err) {
      if (ticketId.value === id) error.value = err as ApiError;
    } finally {
      if (ticketId.value === id) loading.value = false;
    }
    attach(id);
  }

  function attach(id: number) {
    const live = useLiveStore();
    const mine =
      <T extends { ticketId: number }>(fn: (e: T) => void) =>
      (e: T) => {
        if (e.ticketId === id && ticketId.value === id) fn(e);
      };
    offs = [
      live.on(
        'ticket.updated',
        mine((e) => {
          // A rating changes no version (it is not the workflow's field): it names itself instead.
          if (ticket.value && e.version <= ticket.value.version && !e.fields.includes('satisfaction')) return;
          void loadTicket(id).catch(() => undefined);
          void loadTimeline(id).catch(() => undefined);
          if (e.fields.some((f) => ['status', 'priority', 'slaState', 'firstResponseDueAt', 'resolutionDueAt', 'firstRespondedAt'].includes(f))) void loadSla(id);
        }),
      ),
      live.on(
        'message.added',
        mine(() => {
          void loadMessages(id).catch(() => undefined);
          void loadTimeline(id).catch(() => undefined);
        }),
      ),
      live.on(
        'sla.changed',
        mine(() => {
          void loadSla(id);
          void loadTicket(id).catch(() => undefined);
        }),
      ),
      live.on(
        'presence',
        mine((e) => seePresence(e)),
      ),
      live.onReconnect(() => {
        if (ticketId.value !== id) return;
        void loadTicket(id).catch(() => undefined);
        void loadMessages(id).catch(() => undefined);
        void loadTimeline(id).catch(() => undefined);
        void loadSla(id);
        colleagues.value = [];
        void loadPresence(id).catch(() => undefined);
      }),
    ];
  }

  function close() {
    offs.forEach((off) => off());
    offs = [];
    ticketId.value = null;
    ticket.value = null;
    messages.value = [];
    timeline.value = [];
    sla.value = null;
    slaError.value = null;
    previous.value = [];
    colleagues.value = [];
    error.value = null;
  }

  /**
   * Change fields with optimistic locking. A stale version reloads the ticket and throws
   * StaleVersionError; other refusals (illegal transition, unknown agent) throw the ApiError.
   */
  async function update(patch: TicketPatch): Promise<Ticket> {
    const t = ticket.value;
    if (!t) throw new Error('no ticket open');
    saving.value = true;
    try {
      const updated = await unwrap(api.PATCH('/api/v1/tickets/{id}', { params: path(t.id), body: { version: t.version, ...patch } }));
      if (ticketId.value === t.id) {
        ticket.value = updated;
        void loadTimeline(t.id).catch(() => undefined);
        void loadSla(t.id);
      }
      useInboxStore().upsert([updated]);
      return updated;
    } catch (err) {
      if (isApiError(err) && err.status === 409 && err.code === 'version_conflict') {
        await loadTicket(t.id).catch(() => undefined);
        throw new StaleVersionError(err);
      }
      throw err;
    } finally {
      saving.value = false;
    }
  }

  async function reply(body: string, internal: boolean, attachmentIds: number[] = []): Promise<Message> {
    const t = ticket.value;
    if (!t) throw new Error('no ticket open');
    const message = await unwrap(
      api.POST('/api/v1/tickets/{id}/messages', {
        params: path(t.id),
        body: { body, internal, ...(attachmentIds.length ? { attachmentIds } : {}) },
        headers: { 'idempotency-key': crypto.randomUUID() },
      }),
    );
    if (ticketId.value === t.id) {
      if (!messages.value.some((m) => m.id === message.id)) messages.value = [...messages.value, message];
      void loadTicket(t.id).catch(() => undefined);
      void loadTimeline(t.id).catch(() => undefined);
      void loadSla(t.id);
    }
    return message;
  }

  async function applyMacro(macroId: number): Promise<void> {
    const t = ticket.value;
    if (!t) throw new Error('no ticket open');
    try {
      const r = await unwrap(api.POST('/api/v1/tickets/{id}/macros/{macroId}/apply', { params: { path: { id: String(t.id), macroId: String(macroId) } }, body: { version: t.version } }));
      if (ticketId.value === t.id) ticket.value = r.ticket;
      useInboxStore().upsert([r.ticket]);
    } catch (err) {
      if (isApiError(err) && err.status === 409 && err.code === 'version_conflict') {
        await loadTicket(t.id).catch(() => undefined);
        throw new StaleVersionError(err);
      }
      throw err;
    }
    await Promise.allSettled([loadMessages(t.id), loadTimeline(t.id), loadSla(t.id)]);
  }

  /**
   * Review inbound mail held because its sender is not on the ticket: publish it as the
   * sender's reply (optionally making them a participant) or dismiss it.
   */
  async function reviewHeld(messageId: number, action: 'publish' | 'publishAndAdd' | 'dismiss'): Promise<Message> {
    const t = ticket.value;
    if (!t) throw new Error('no ticket open');
    const params = { path: { id: String(t.id), messageId: String(messageId) } };
    const result =
      action === 'dismiss'
        ? await unwrap(api.POST('/api/v1/tickets/{id}/messages/{messageId}/dismiss', { params }))
        : await unwrap(api.POST('/api/v1/tickets/{id}/messages/{messageId}/publish', { params, body: { addParticipant: action === 'publishAndAdd' } }));
    if (ticketId.value === t.id) await Promise.allSettled([loadMessages(t.id), loadTicket(t.id), loadTimeline(t.id), loadSla(t.id)]);
    return result;
  }

  /** Tell the others what I am doing on this ticket (viewing, typing, left). */
  async function announce(state: PresenceState, options: { keepalive?: boolean } = {}): Promise<void> {
    const id = ticketId.value;
    if (id === null) return;
    try {
      await unwrap(api.POST('/api/v1/tickets/{id}/presence', { params: path(id), body: { state }, keepalive: options.keepalive }));
    } catch {
      /* presence is best effort: a failed beat is renewed by the next one */
    }
  }

  return {
    ticketId,
    ticket,
    messages,
    timeline,
    sla,
    slaReadAt,
    slaError,
    previous,
    colleagues,
    activeColleagues,
    macros,
    macrosAvailable,
    loading,
    error,
    saving,
    open,
    close,
    update,
    reply,
    reviewHeld,
    applyMacro,
    announce,
    loadMacros,
    loadSla,
    seePresence,
  };
});
