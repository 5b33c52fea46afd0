import { computed, ref, type Ref, type WritableComputedRef } from 'vue';
import { errorText } from '@/stores/toast';

// The state behind a ConfirmDialog: `ask(target)` opens it for one thing (a version to restore,
// an article to delete), `confirm()` runs the action on it and closes the dialog when it worked;
// when the server refuses, its message stays in the dialog (`error`) and the dialog stays open.
export function useConfirmAction<T>(action: (target: T) => Promise<void>): {
  target: Ref<T | null>;
  open: WritableComputedRef<boolean>;
  busy: Ref<boolean>;
  error: Ref<string | null>;
  ask: (target: T) => void;
  confirm: () => Promise<void>;
} {
  const target = ref(null) as Ref<T | null>;
  const open = computed({ get: () => target.value !== null, set: (v) => void (v || (target.value = null)) });
  const busy = ref(false);
  const error = ref<string | null>(null);

  function ask(value: T) {
    target.value = value;
    error.value = null;
  }

  async function confirm() {
    const value = target.value;
    if (value === null) return;
    busy.value = true;
    error.value = null;
    try {
      await action(value);
      target.value = null;
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
    }
  }

  return { target, open, busy, error, ask, confirm };
}
