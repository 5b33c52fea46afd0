import { onScopeDispose, ref } from 'vue';

// A clock that ticks (default once a second) while the component using it is mounted, for
// countdowns and relative times; one timer per component, stopped with it.
export function useNow(intervalMs = 1000) {
  const now = ref(Date.now());
  const timer = setInterval(() => (now.value = Date.now()), intervalMs);
  onScopeDispose(() => clearInterval(timer));
  return now;
}
