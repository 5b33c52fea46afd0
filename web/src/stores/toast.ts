import { defineStore } from 'pinia';
import { ref } from 'vue';
import { isApiError } from '@/api/client';
import { t } from '@/plugins/i18n';

// Short messages at the bottom of the screen (Vuetify's snackbar queue). Errors carry the
// server's own message, so nothing fails silently and the cause is visible.

export interface Toast {
  id: number;
  text: string;
  color: 'success' | 'error' | 'info' | 'warning';
  timeout: number;
}

let next = 1;

/** The user-facing text of any error: the API's message, or a translated fallback. */
export function errorText(err: unknown): string {
  if (isApiError(err)) {
    if (err.code === 'network') return t('common.errors.network');
    if (err.status === 503 && !err.message) return t('common.errors.unavailable');
    return err.message;
  }
  return t('common.errors.generic', { message: err instanceof Error ? err.message : String(err) });
}

export const useToastStore = defineStore('toast', () => {
  const queue = ref<Toast[]>([]);

  function push(text: string, color: Toast['color'] = 'info', timeout = 4000) {
    queue.value.push({ id: next++, text, color, timeout });
  }

  return {
    queue,
    success: (text: string) => push(text, 'success'),
    info: (text: string) => push(text, 'info'),
    warning: (text: string) => push(text, 'warning', 7000),
    error: (err: unknown) => push(errorText(err), 'error', 8000),
  };
});
