import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, unwrap, type ApiError } from '@/api/client';
import type { Notification, NotificationPreference } from '@/api/types';
import { useAuthStore } from './auth';
import { useLiveStore } from './live';

// The notification centre: my notifications (newest first, paged), the unread count on the
// bell, mark read; live `notification` events for me bring the new one in at once.

export const useNotificationsStore = defineStore('notifications', () => {
  const items = ref<Notification[]>([]);
  const unreadCount = ref(0);
  const nextCursor = ref<string | null>(null);
  const onlyUnread = ref(false);
  const loading = ref(false);
  const loadingMore = ref(false);
  const loadedOnce = ref(false);
  const error = ref<ApiError | null>(null);
  const preferences = ref<NotificationPreference[]>([]);
  let offs: (() => void)[] = [];
  let generation = 0;

  const hasMore = computed(() => nextCursor.value !== null);

  async function load(): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const r = await unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: 25, ...(onlyUnread.value ? { unread: 'true' as const } : {}) } } }));
      if (gen !== generation) return;
      items.value = r.items;
      unreadCount.value = r.unreadCount;
      nextCursor.value = r.nextCursor;
      loadedOnce.value = true;
    } catch (err) {
      if (gen === generation) error.value = err as ApiError;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value) return;
    loadingMore.value = true;
    try {
      const r = await unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: 25, cursor: nextCursor.value, ...(onlyUnread.value ? { unread: 'true' as const } : {}) } } }));
      const seen = new Set(items.value.map((n) => n.id));
      items.value = [...items.value, ...r.items.filter((n) => !seen.has(n.id))];
      unreadCount.value = r.unreadCount;
      nextCursor.value = r.nextCursor;
    } finally {
      loadingMore.value = false;
    }
  }

  function setOnlyUnread(value: boolean) {
    onlyUnread.value = value;
    return load();
  }

  async function markRead(ids: number[]): Promise<void> {
    const r = await unwrap(api.POST('/api/v1/notifications/read', { body: { ids } }));
    const now = new Date().toISOString();
    items.value = items.value.map((n) => (ids.includes(n.id) && !n.readAt ? { ...n, readAt: now } : n));
    unreadCount.value = r.unreadCount;
  }

  async function markAllRead(): Promise<void> {
    const r = await unwrap(api.POST('/api/v1/notifications/read', { body: { all: true } }));
    const now = new Date().toISOString();
    items.value = items.value.map((n) => (n.readAt ? n : { ...n, readAt: now }));
    unreadCount.value = r.unreadCount;
  }

  async function loadPreferences(): Promise<void> {
    preferences.value = (await unwrap(api.GET('/api/v1/me/notification-preferences'))).preferences;
  }

  async function savePreferences(next: NotificationPreference[]): Promise<void> {
    preferences.value = (await unwrap(api.PUT('/api/v1/me/notification-preferences', { body: { preferences: next } }))).preferences;
  }

  /** Follow live events: a notification for me reloads the first page (and so the count). */
  function attachLive() {
    if (offs.length) return;
    const live = useLiveStore();
    offs = [
      live.on('notification', (e) => {
        if (e.userId !== useAuthStore().user?.id) return;
        unreadCount.value++;
        void load();
      }),
      live.onReconnect(() => void load()),
    ];
  }

  function reset() {
    offs.forEach((off) => off());
    offs = [];
    items.value = [];
    unreadCount.value = 0;
    nextCursor.value = null;
    loadedOnce.value = false;
  }

  return {
    items,
    unreadCount,
    nextCursor,
    onlyUnread,
    loading,
    loadingMore,
    loadedOnce,
    error,
    preferences,
    hasMore,
    load,
    loadMore,
    setOnlyUnread,
    markRead,
    markAllRead,
    loadPreferences,
    savePreferences,
    attachLive,
    reset,
  };
});
