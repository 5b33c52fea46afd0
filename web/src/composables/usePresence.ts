import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue';
import { useTicketStore } from '@/stores/ticket';

// My presence on the open ticket, for the others' collision warning: "viewing" now and every
// 10 s while the page is open, "typing" while I compose (at most every 3 s; back to viewing
// after 6 s without a keystroke), "left" when I leave the page or close the tab.

export const HEARTBEAT_MS = 10_000;
const TYPING_THROTTLE_MS = 3_000;
const TYPING_IDLE_MS = 6_000;

export function usePresence(ticketId: Ref<number>) {
  const store = useTicketStore();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let typing = false;
  let lastTypingSent = 0;

  const beat = () => void store.announce(typing ? 'typing' : 'viewing');

  function startBeats() {
    clearInterval(heartbeat);
    beat();
    heartbeat = setInterval(beat, HEARTBEAT_MS);
  }

  /** Call on every keystroke in the reply editor. */
  function typed() {
    clearTimeout(idle);
    idle = setTimeout(() => {
      typing = false;
      beat();
    }, TYPING_IDLE_MS);
    const now = Date.now();
    if (!typing || now - lastTypingSent > TYPING_THROTTLE_MS) {
      typing = true;
      lastTypingSent = now;
      void store.announce('typing');
    }
  }

  /** The reply went out: back to viewing at once. */
  function stoppedTyping() {
    clearTimeout(idle);
    if (!typing) return;
    typing = false;
    beat();
  }

  function leave() {
    clearInterval(heartbeat);
    clearTimeout(idle);
    typing = false;
    void store.announce('left', { keepalive: true });
  }

  const onPageHide = () => leave();
  const onVisible = () => {
    if (document.visibilityState === 'visible' && store.ticketId !== null) startBeats();
  };

  // The store's ticket switches when the route's id does: leave the old one, join the new one.
  watch(
    () => store.ticketId,
    (id, old) => {
      if (old != null && id !== old) clearInterval(heartbeat);
      if (id != null && id === ticketId.value) startBeats();
    },
  );

  onMounted(() => {
    window.addEventListener('pagehide', onPageHide);
    document.addEventListener('visibilitychange', onVisible);
  });
  onBeforeUnmount(() => {
    window.removeEventListener('pagehide', onPageHide);
    document.removeEventListener('visibilitychange', onVisible);
    leave();
  });

  return { typed, stoppedTyping, leave };
}
