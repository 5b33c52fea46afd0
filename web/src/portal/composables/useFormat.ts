import { computed } from 'vue';
import type { PortalLocale } from '../api/types';
import { INTL } from '../i18n';
import { formatBytes as formatBytesIn } from '@/utils/intl';
import { useLocaleStore } from '../stores/locale';

// Dates, numbers and sizes in the portal's language with Intl alone (no date library): in
// Persian, dates are in the Persian (Jalali) calendar with Persian digits.

const cache = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  let f = cache.get(key);
  if (!f) cache.set(key, (f = make()));
  return f as T;
}

const DATE: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'long', day: 'numeric' };
const DATETIME: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };

export function formatDate(value: string | Date, locale: PortalLocale, withTime = false): string {
  const options = withTime ? DATETIME : DATE;
  return cached(`d|${locale}|${withTime}`, () => new Intl.DateTimeFormat(INTL[locale], options)).format(new Date(value));
}

export function formatNumber(n: number, locale: PortalLocale): string {
  return cached(`n|${locale}`, () => new Intl.NumberFormat(INTL[locale])).format(n);
}

export function formatBytes(bytes: number, locale: PortalLocale): string {
  return formatBytesIn(bytes, locale, (tag, options) => cached(`b|${tag}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(tag, options)));
}

export function useFormat() {
  const store = useLocaleStore();
  const locale = computed(() => store.locale);
  return {
    date: (value: string | Date) => formatDate(value, locale.value),
    dateTime: (value: string | Date) => formatDate(value, locale.value, true),
    number: (n: number) => formatNumber(n, locale.value),
    bytes: (n: number) => formatBytes(n, locale.value),
  };
}
