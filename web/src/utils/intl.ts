// The UI languages' Intl settings, shared by the console and the portal (which must not load
// the console's code): Persian uses the Persian (Jalali) calendar and Persian digits.

export type UiLocale = 'en' | 'fa';

export const INTL_TAGS: Readonly<Record<UiLocale, string>> = { en: 'en-US', fa: 'fa-IR-u-ca-persian-nu-arabext' };
export const RTL_LOCALE: Readonly<Record<UiLocale, boolean>> = { en: false, fa: true };

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;

/** A size such as "1.5 MB" (binary steps), in the locale's digits; `numberFormat` may cache formatters. */
export function formatBytes(bytes: number, locale: UiLocale, numberFormat = (tag: string, o: Intl.NumberFormatOptions) => new Intl.NumberFormat(tag, o)): string {
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return numberFormat(INTL_TAGS[locale], { style: 'unit', unit: BYTE_UNITS[i], unitDisplay: 'short', maximumFractionDigits: i === 0 ? 0 : 1 }).format(v);
}

/** One browser keeps one language for the console and the portal. */
const STORAGE_KEY = 'mehrdesk.locale';

export const isUiLocale = (v: unknown): v is UiLocale => v === 'en' || v === 'fa';

/** The language chosen on this device, if any. */
export function storedLocale(): UiLocale | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isUiLocale(v) ? v : null;
  } catch {
    return null;
  }
}

/** Remember the choice on this device (silently not, where storage is unavailable). */
export function rememberLocale(value: UiLocale): void {
  try {
    localStorage.setItem(STORAGE_KEY, value);
  } catch {
    /* not remembered when storage is unavailable */
  }
}

/** Persian when the browser prefers it, else English. */
export function browserLocale(): UiLocale {
  const langs = globalThis.navigator?.languages ?? [];
  return langs.some((l) => l.toLowerCase().startsWith('fa')) ? 'fa' : 'en';
}

/** `<html lang dir>` for the language (the locale stores are their only writers). */
export function applyToDocument(value: UiLocale): void {
  const html = globalThis.document?.documentElement;
  if (!html) return;
  html.lang = value;
  html.dir = RTL_LOCALE[value] ? 'rtl' : 'ltr';
}
