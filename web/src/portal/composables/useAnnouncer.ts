import { ref } from 'vue';

// One polite live region for the whole portal (App.vue renders it): pages announce what changed
// without moving focus (a reply arrived, a file finished uploading, the list was filtered).
// Errors are announced by the alerts themselves (role="alert").

const message = ref('');
let clear: ReturnType<typeof setTimeout> | undefined;

export function announce(text: string): void {
  // Re-announcing the same text needs a change: empty it first.
  message.value = '';
  clearTimeout(clear);
  setTimeout(() => {
    message.value = text;
    clear = setTimeout(() => (message.value = ''), 5000);
  }, 50);
}

export function useAnnouncement() {
  return message;
}
