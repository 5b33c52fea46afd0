import { createI18n } from 'vue-i18n';
import en from './locales/en';
import fa from './locales/fa';
import type { PortalLocale } from './api/types';
import { INTL_TAGS, RTL_LOCALE } from '@/utils/intl';

// The portal's own small catalogue (not the console's): English is the source, Persian mirrors
// its keys (locales.unit.test.ts fails on a key missing in either).

export const PORTAL_LOCALES: readonly PortalLocale[] = ['en', 'fa'];
export const RTL: Readonly<Record<PortalLocale, boolean>> = RTL_LOCALE;
/** Intl locales: Persian with the Persian (Jalali) calendar and Persian digits. */
export const INTL: Readonly<Record<PortalLocale, string>> = INTL_TAGS;

export const isPortalLocale = (v: unknown): v is PortalLocale => v === 'en' || v === 'fa';

export function createPortalI18n() {
  return createI18n({
    legacy: false,
    locale: 'en' as PortalLocale,
    fallbackLocale: 'en',
    messages: { en, fa },
    missingWarn: import.meta.env.DEV,
    fallbackWarn: import.meta.env.DEV,
  });
}

export type PortalI18n = ReturnType<typeof createPortalI18n>;
