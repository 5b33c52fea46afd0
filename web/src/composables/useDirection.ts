import { computed } from 'vue';
import { mdiArrowLeft, mdiArrowRight, mdiChevronLeft, mdiChevronRight, mdiOpenInNew } from '@mdi/js';
import { useLocaleStore } from '@/stores/locale';

// The one place that knows about writing direction. Components ask for "back"/"forward"
// icons instead of left/right ones, and use logical CSS properties (margin-inline-start,
// padding-inline-end, inset-inline-start) everywhere else.
export function useDirection() {
  const locale = useLocaleStore();
  const isRtl = computed(() => locale.isRtl);
  const icons = computed(() => ({
    /** Points toward the start of the line: "back", "previous". */
    back: isRtl.value ? mdiArrowRight : mdiArrowLeft,
    /** Points toward the end of the line: "forward", "next". */
    forward: isRtl.value ? mdiArrowLeft : mdiArrowRight,
    previous: isRtl.value ? mdiChevronRight : mdiChevronLeft,
    next: isRtl.value ? mdiChevronLeft : mdiChevronRight,
    /** Not directional (the arrow points up and out in both directions). */
    external: mdiOpenInNew,
  }));
  return { dir: computed(() => locale.dir), isRtl, icons };
}
