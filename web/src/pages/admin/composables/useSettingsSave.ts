import { ref } from 'vue';
import { useToastStore } from '@/stores/toast';

/**
 * Saving a settings screen: one save at a time, the values the server answers with applied,
 * a toast on success, and a refusal handed to `refused` (which returns true once it showed it
 * by its field; otherwise it becomes an error toast).
 */
export function useSettingsSave<T>(opts: { put: () => Promise<T>; apply: (saved: T) => void; savedText: () => string; before?: () => void; refused?: (err: unknown) => boolean }) {
  const toast = useToastStore();
  const saving = ref(false);
  async function save() {
    if (saving.value) return;
    saving.value = true;
    opts.before?.();
    try {
      opts.apply(await opts.put());
      toast.success(opts.savedText());
    } catch (err) {
      if (!opts.refused?.(err)) toast.error(err);
    } finally {
      saving.value = false;
    }
  }
  return { saving, save };
}
