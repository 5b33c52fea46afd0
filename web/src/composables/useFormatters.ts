import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import { useLocaleStore } from '@/stores/locale';
import { INTL_LOCALES, type AppLocale } from '@/locales';
import { formatBytes as formatBytesIn } from '@/utils/intl';

// Dates, numbers, sizes and durations in the UI language: in Persian, dates are in the Persian
// (Jalali) calendar and every number uses Persian digits. Formatting is Intl's
// (`fa-IR-u-ca-persian-nu-arabext`), which ships with the browser; calendar arithmetic for the
// date pickers is date-fns-jalali's (plugins/calendarDateAdapter.ts). The pure functions below
// take the locale; useFormatters() binds them to the current one.

type DateStyle = 'date' | 'datetime' | 'time' | 'short';

const DATE_OPTIONS: Record<DateStyle, Intl.DateTimeFormatOptions> = {
  date: { year: 'numeric', month: 'long', day: 'numeric' },
  datetime: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' },
  time: { hour: '2-digit', minute: '2-digit' },
  short: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' },
};

const toDate = (value: string | number | Date) => (value instanceof Date ? value : new Date(value));

// Building an Intl formatter costs far more than using one (an inbox page formats hundreds of
// dates), so each locale + options pair is built once.
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>();
function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>(kind: string, locale: string, options: object, make: () => T): T {
  const key = `${kind}|${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = make()));
  return f as T;
}
const dateFormat = (locale: string, options: Intl.DateTimeFormatOptions) => cached('date', locale, options, () => new Intl.DateTimeFormat(locale, options));
const numberFormat = (locale: string, options: Intl.NumberFormatOptions) => cached('number', locale, options, () => new Intl.NumberFormat(locale, options));

export function formatDate(value: string | number | Date, locale: AppLocale, style: DateStyle = 'datetime'): string {
  return dateFormat(INTL_LOCALES[locale], DATE_OPTIONS[style]).format(toDate(value));
}

/** A compact numeric date: 1405/01/15 in fa (Jalali, Persian digits), 2026-04-04 in en. */
export function formatNumericDate(value: string | number | Date, locale: AppLocale): string {
  const d = toDate(value);
  if (locale === 'fa') return dateFormat(INTL_LOCALES.fa, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Localised digits; `text` (when given) has its ASCII digits replaced instead. */
export function formatNumber(n: number, locale: AppLocale, text?: string): string {
  const fmt = numberFormat(INTL_LOCALES[locale], { useGrouping: text === undefined });
  if (text !== undefined) return text.replace(/\d/g, (d) => fmt.format(Number(d)));
  return fmt.format(n);
}

export function formatBytes(bytes: number, locale: AppLocale): string {
  return formatBytesIn(bytes, locale, numberFormat);
}

const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "3 hours ago", "in 5 minutes", "۳ ساعت پیش". */
export function formatRelative(value: string | number | Date, now: number, locale: AppLocale): string {
  const seconds = Math.round((toDate(value).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const rtf = cached('relative', INTL_LOCALES[locale], { numeric: 'auto' }, () => new Intl.RelativeTimeFormat(INTL_LOCALES[locale], { numeric: 'auto' }));
  if (abs < 45) return rtf.format(0, 'second');
  for (const [unit, size] of RELATIVE_UNITS) {
    if (abs >= size || unit === 'second') return rtf.format(Math.round(seconds / size), unit);
  }
  return rtf.format(seconds, 'second');
}

/** Parts of a duration for the countdown messages (days+hours, hours+minutes, minutes, seconds). */
export function durationParts(totalSeconds: number): { key: 'durationDays' | 'durationHours' | 'durationMinutes' | 'durationSeconds'; values: Record<string, number> } {
  const s = Math.max(0, Math.floor(Math.abs(totalSeconds)));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return { key: 'durationDays', values: { d, h } };
  if (h > 0) return { key: 'durationHours', values: { h, m } };
  if (m > 0) return { key: 'durationMinutes', values: { m } };
  return { key: 'durationSeconds', values: { s } };
}

export function useFormatters() {
  const store = useLocaleStore();
  const { t } = useI18n();
  const locale = computed(() => store.locale);
  return {
    locale,
    date: (value: string | number | Date, style: DateStyle = 'datetime') => formatDate(value, locale.value, style),
    numericDate: (value: string | number | Date) => formatNumericDate(value, locale.value),
    number: (n: number) => formatNumber(n, locale.value),
    /** A count that may be a lower bound (a search stops counting at its limit): `1,000+`. */
    count: (n: number, exact = true) => `${formatNumber(n, locale.value)}${exact ? '' : '+'}`,
    bytes: (n: number) => formatBytes(n, locale.value),
    relative: (value: string | number | Date, now = Date.now()) => formatRelative(value, now, locale.value),
    duration: (seconds: number) => {
      const { key, values } = durationParts(seconds);
      const localized = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, formatNumber(v, locale.value)]));
      return t(`common.time.${key}`, localized);
    },
  };
}
