import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { applyToDocument, browserLocale, rememberLocale, storedLocale } from '@/utils/intl';
import type { PortalLocale } from '../api/types';
import { INTL, RTL, isPortalLocale } from '../i18n';

// The portal's language. This store owns <html lang dir>: nothing else writes them. The choice
// is remembered in localStorage (the console's key, so one browser keeps one language); without
// one, the signed-in customer's language or the browser's decides. A signed-in customer's choice
// is also saved to the account (session store), so their e-mails follow it.

/** The part of vue-i18n's composer the store drives. */
interface LocaleTarget {
  locale: { value: string };
}
let composer: LocaleTarget | null = null;
/** main.ts hands over vue-i18n's composer once, before the store is first used. */
export function bindI18n(c: LocaleTarget): void {
  composer = c;
}

export const useLocaleStore = defineStore('portal-locale', () => {
  const chosen = ref<PortalLocale | null>(storedLocale());
  const locale = ref<PortalLocale>(chosen.value ?? browserLocale());
  const dir = computed<'rtl' | 'ltr'>(() => (RTL[locale.value] ? 'rtl' : 'ltr'));
  const intl = computed(() => INTL[locale.value]);

  function apply(value: PortalLocale) {
    if (composer) composer.locale.value = value;
    applyToDocument(value);
  }
  watch(locale, apply, { immediate: true });

  /** The visitor's explicit choice: applied and remembered on this device. */
  function setLocale(value: PortalLocale) {
    chosen.value = value;
    locale.value = value;
    rememberLocale(value);
  }

  /** The account's language applies unless the visitor chose one on this device. */
  function adoptAccountLocale(value: unknown) {
    if (chosen.value === null && isPortalLocale(value)) locale.value = value;
  }

  return { locale, dir, intl, chosen, setLocale, adoptAccountLocale };
});
