import { describe, expect, it } from 'vitest';
import { CalendarDateAdapter, toLatinDigits } from '@/plugins/calendarDateAdapter';
import { durationParts, formatBytes, formatDate, formatNumber, formatNumericDate, formatRelative } from './useFormatters';

// 2026-03-21 is Nowruz: 1 Farvardin 1405 in the Persian (Jalali) calendar.
const NOWRUZ = new Date('2026-03-21T12:00:00Z');

describe('formatters', () => {
  it('writes Persian dates in the Jalali calendar with Persian digits', () => {
    const fa = formatDate(NOWRUZ, 'fa', 'date');
    expect(fa).toContain('فروردین');
    expect(fa).toContain('۱۴۰۵');
    expect(fa).not.toMatch(/[0-9]/);
    expect(formatNumericDate(NOWRUZ, 'fa')).toBe('۱۴۰۵/۰۱/۰۱');
    expect(formatDate(NOWRUZ, 'en', 'date')).toBe('March 21, 2026');
    expect(formatNumericDate(NOWRUZ, 'en')).toBe('2026-03-21');
  });

  it('writes numbers and sizes with the locale digits', () => {
    expect(formatNumber(1234, 'fa')).toBe('۱٬۲۳۴');
    expect(formatNumber(1234, 'en')).toBe('1,234');
    expect(formatBytes(2048, 'en')).toBe('2 kB');
    expect(toLatinDigits(formatBytes(1536, 'fa'))).toContain('1.5'.replace('.', '٫'));
  });

  it('writes relative times in the UI language', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    expect(formatRelative('2026-05-01T09:00:00Z', now, 'en')).toBe('3 hours ago');
    expect(formatRelative('2026-05-01T12:20:00Z', now, 'en')).toBe('in 20 minutes');
    expect(formatRelative('2026-05-01T11:59:50Z', now, 'en')).toBe('now');
    expect(formatRelative('2026-05-01T09:00:00Z', now, 'fa')).toBe('۳ ساعت پیش');
  });

  it('splits durations for the countdown', () => {
    expect(durationParts(2 * 86400 + 3 * 3600 + 59)).toEqual({ key: 'durationDays', values: { d: 2, h: 3 } });
    expect(durationParts(3 * 3600 + 5 * 60)).toEqual({ key: 'durationHours', values: { h: 3, m: 5 } });
    expect(durationParts(-125)).toEqual({ key: 'durationMinutes', values: { m: 2 } });
    expect(durationParts(9)).toEqual({ key: 'durationSeconds', values: { s: 9 } });
  });
});

describe('date pickers in Persian count Jalali months', () => {
  it('gives Jalali years, months and days and a month grid starting on Saturday', () => {
    const fa = new CalendarDateAdapter({ locale: 'fa-IR' });
    expect(fa.getYear(NOWRUZ)).toBe(1405);
    expect(fa.getMonth(NOWRUZ)).toBe(0);
    expect(fa.getDate(NOWRUZ)).toBe(1);
    expect(fa.format(NOWRUZ, 'dayOfMonth')).toBe('۱');
    expect(fa.format(NOWRUZ, 'keyboardDate')).toBe('۱۴۰۵/۰۱/۰۱');
    const weeks = fa.getWeekArray(NOWRUZ);
    expect(weeks.every((w) => w.length === 7)).toBe(true);
    expect(weeks[0]![0]!.getDay()).toBe(6);
    // Farvardin has 31 days.
    expect(weeks.flat().filter((d) => fa.getMonth(d) === 0)).toHaveLength(31);
    expect(fa.date('۱۴۰۵/۰۱/۰۱')!.toDateString()).toBe(new Date(2026, 2, 21).toDateString());

    const en = new CalendarDateAdapter({ locale: 'en-US' });
    expect(en.getYear(NOWRUZ)).toBe(2026);
    expect(en.getMonth(NOWRUZ)).toBe(2);
  });
});
