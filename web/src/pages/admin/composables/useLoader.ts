import { onMounted, ref, type Ref } from 'vue';

// Loading state of one screen's data: `loading`, the error (shown with a retry) and `loaded`
// (so an empty state is not shown before the first answer).
export function useLoader<T>(fetcher: () => Promise<T>, initial: T): { data: Ref<T>; loading: Ref<boolean>; error: Ref<unknown>; loaded: Ref<boolean>; reload: () => Promise<void> } {
  const data = ref(initial) as Ref<T>;
  const loading = ref(false);
  const error = ref<unknown>(null);
  const loaded = ref(false);
  async function reload() {
    loading.value = true;
    error.value = null;
    try {
      data.value = await fetcher();
      loaded.value = true;
    } catch (err) {
      error.value = err;
    } finally {
      loading.value = false;
    }
  }
  onMounted(reload);
  return { data, loading, error, loaded, reload };
}
