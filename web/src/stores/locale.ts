import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { i18n } from '@/plugins/i18n';
import { INTL_LOCALES, RTL_LOCALES, isAppLocale, type AppLocale } from '@/locales';

// The UI language. This store owns <html lang dir>: nothing else writes them. The choice is
// remembered in localStorage; without one, the signed-in user's locale (from the API) or the
// browser's language decides.

const STORAGE_KEY = 'mehrdesk.locale';

function stored(): AppLocale | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isAppLocale(v) ? v : null;
  } catch {
    return null;
  }
}

function fromBrowser(): AppLocale {
  const langs = globalThis.navigator?.languages ?? [];
  return langs.some((l) => l.toLowerCase().startsWith('fa')) ? 'fa' : 'en';
}

export const useLocaleStore = defineStore('locale', () => {
  const chosen = ref<AppLocale | null>(stored());
  const locale = ref<AppLocale>(chosen.value ?? fromBrowser());
  const dir = computed<'rtl' | 'ltr'>(() => (RTL_LOCALES[locale.value] ? 'rtl' : 'ltr'));
  const isRtl = computed(() => dir.value === 'rtl');
  const intlLocale = computed(() => INTL_LOCALES[locale.value]);

  function apply(value: AppLocale) {
    i18n.global.locale.value = value;
    const html = globalThis.document?.documentElement;
    if (html) {
      html.lang = value;
      html.dir = RTL_LOCALES[value] ? 'rtl' : 'ltr';
    }
  }
  watch(locale, apply, { immediate: true });

  /** The user's explicit choice: applied and remembered. */
  function setLocale(value: AppLocale) {
    chosen.value = value;
    locale.value = value;
    try {
      localStorage.setItem(STORAGE_KEY, value);
    } catch {
      /* not remembered when storage is unavailable */
    }
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
