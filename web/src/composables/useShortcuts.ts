import { onBeforeUnmount, onMounted } from 'vue';

// Single-key shortcuts (j, k, x, ?, …) for a page. They never fire while the user types in a
// field, an editor or a dialog's input, nor with Ctrl/Alt/Meta held (browser shortcuts).

export type ShortcutMap = Record<string, (e: KeyboardEvent) => void>;

export function isTypingTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== 'function') return false;
  if (el.isContentEditable) return true;
  return el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], [role="textbox"], [role="combobox"]') !== null;
}

export function useShortcuts(map: ShortcutMap, options: { enabled?: () => boolean } = {}) {
  const handler = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (isTypingTarget(e.target)) return;
    if (options.enabled && !options.enabled()) return;
    // A modal dialog (other than the shortcut help) takes the keys.
    if (document.querySelector('.v-overlay--active .v-dialog, .v-overlay--active[role="dialog"]') && e.key !== 'Escape') return;
    const fn = map[e.key];
    if (!fn) return;
    e.preventDefault();
    fn(e);
  };
  onMounted(() => window.addEventListener('keydown', handler));
  onBeforeUnmount(() => window.removeEventListener('keydown', handler));
}
