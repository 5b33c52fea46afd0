import { nextTick, onMounted, watch, type MaybeRefOrGetter, toValue } from 'vue';
import { useI18n } from 'vue-i18n';

// Every portal page names itself: the document title follows the page heading (and the language),
// and after a navigation focus moves to the page's <h1> (tabindex -1), so keyboard and screen
// reader users start at the new content instead of the link they followed.

export function usePageTitle(title: MaybeRefOrGetter<string | null | undefined>) {
  const { t } = useI18n();
  const apply = () => {
    const own = toValue(title);
    document.title = own ? t('app.titleOf', { page: own }) : t('app.name');
  };
  onMounted(apply);
  watch(() => [toValue(title), t('app.name')], apply);
}

/** Move focus to the page heading (the router calls this after each navigation but the first). */
export async function focusPageHeading(): Promise<void> {
  await nextTick();
  const h1 = document.querySelector<HTMLElement>('main h1');
  if (!h1) return;
  if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
  h1.focus({ preventScroll: false });
}
