import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { applyToDocument, browserLocale, rememberLocale, storedLocale } from '@/utils/intl';
import { i18n } from '@/plugins/i18n';
import { INTL_LOCALES, RTL_LOCALES, isAppLocale, type AppLocale } from '@/locales';

// The UI language. This store owns <html lang dir>: nothing else writes them. The choice is
// remembered in localStorage; without one, the signed-in user's locale (from the API) or the
// browser's language decides.

export const useLocaleStore = defineStore('locale', () => {
  const chosen = ref<AppLocale | null>(storedLocale());
  const locale = ref<AppLocale>(chosen.value ?? browserLocale());
  const dir = computed<'rtl' | 'ltr'>(() => (RTL_LOCALES[locale.value] ? 'rtl' : 'ltr'));
  const isRtl = computed(() => dir.value === 'rtl');
  const intlLocale = computed(() => INTL_LOCALES[locale.value]);

  function apply(value: AppLocale) {
    i18n.global.locale.value = value;
    applyToDocument(value);
  }
  watch(locale, apply, { immediate: true });

  /** The user's explicit choice: applied and remembered. */
  function setLocale(value: AppLocale) {
    chosen.value = value;
    locale.value = value;
    rememberLocale(value);
  }

  /** The signed-in user's locale from the API applies unless the user chose one on this device. */
  function adoptUserLocale(value: string | null | undefined) {
    if (chosen.value === null && isAppLocale(value)) locale.value = value;
  }

  function toggle() {
    setLocale(locale.value === 'fa' ? 'en' : 'fa');
  }

  return { locale, dir, isRtl, intlLocale, setLocale, adoptUserLocale, toggle };
});
