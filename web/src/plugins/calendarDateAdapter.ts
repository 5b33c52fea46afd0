import { VuetifyDateAdapter } from 'vuetify/date/adapters/vuetify';
import * as jalali from 'date-fns-jalali';

// Vuetify's date pickers (VDateInput, VDatePicker) count days, months and years through a date
// adapter. Vuetify's own adapter does Gregorian arithmetic; its labels come from Intl, which for
// `fa-IR` already writes the Persian (Jalali) calendar. This adapter keeps the Gregorian
// behaviour for English and, while the UI is Persian, does the calendar arithmetic with
// date-fns-jalali, so the month grid, month and year pickers and typed dates are Jalali too.
// Values stay plain JS Dates either way: only their presentation changes.

const isPersian = (locale: string | undefined) => typeof locale === 'string' && locale.startsWith('fa');

/** Saturday, as in Iran. */
const PERSIAN_WEEK_START = 6;

export class CalendarDateAdapter extends VuetifyDateAdapter {
  private get jalali(): boolean {
    return isPersian(this.locale as string | undefined);
  }

  override date(value?: unknown): Date | null {
    // Typed Persian dates: 1405/01/15, ۱۴۰۵/۰۱/۱۵ or 1405-1-15.
    if (this.jalali && typeof value === 'string') {
      const latin = toLatinDigits(value.trim());
      const m = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(latin);
      if (m) {
        const [year, month, day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
        const parsed = jalali.newDate(year, month, day);
        // 1405/13/40 does not exist: newDate would roll it over into another date.
        return jalali.getYear(parsed) === year && jalali.getMonth(parsed) === month && jalali.getDate(parsed) === day ? parsed : null;
      }
    }
    return super.date(value);
  }

  override format(date: Date, formatString: string): string {
    if (this.jalali) {
      const digits = new Intl.NumberFormat(this.locale as string);
      if (formatString === 'dayOfMonth') return digits.format(jalali.getDate(date));
      if (formatString === 'keyboardDate') return new Intl.DateTimeFormat(this.locale as string, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
      if (formatString === 'normalDate') return new Intl.DateTimeFormat(this.locale as string, { day: 'numeric', month: 'long' }).format(date);
    }
    return super.format(date, formatString);
  }

  override getYear(date: Date): number {
    return this.jalali ? jalali.getYear(date) : super.getYear(date);
  }
  override getMonth(date: Date): number {
    return this.jalali ? jalali.getMonth(date) : super.getMonth(date);
  }
  override getDate(date: Date): number {
    return this.jalali ? jalali.getDate(date) : super.getDate(date);
  }
  override setYear(date: Date, year: number): Date {
    return this.jalali ? jalali.setYear(date, year) : super.setYear(date, year);
  }
  override setMonth(date: Date, month: number): Date {
    return this.jalali ? jalali.setMonth(date, month) : super.setMonth(date, month);
  }
  override setDate(date: Date, day: number): Date {
    return this.jalali ? jalali.setDate(date, day) : super.setDate(date, day);
  }
  override startOfMonth(date: Date): Date {
    return this.jalali ? jalali.startOfMonth(date) : super.startOfMonth(date);
  }
  override endOfMonth(date: Date): Date {
    return this.jalali ? jalali.endOfMonth(date) : super.endOfMonth(date);
  }
  override startOfYear(date: Date): Date {
    return this.jalali ? jalali.startOfYear(date) : super.startOfYear(date);
  }
  override endOfYear(date: Date): Date {
    return this.jalali ? jalali.endOfYear(date) : super.endOfYear(date);
  }
  override addMonths(date: Date, amount: number): Date {
    return this.jalali ? jalali.addMonths(date, amount) : super.addMonths(date, amount);
  }
  override getNextMonth(date: Date): Date {
    return this.jalali ? jalali.startOfMonth(jalali.addMonths(date, 1)) : super.getNextMonth(date);
  }
  override getPreviousMonth(date: Date): Date {
    return this.jalali ? jalali.startOfMonth(jalali.addMonths(date, -1)) : super.getPreviousMonth(date);
  }
  override isSameMonth(date: Date, comparing: Date): boolean {
    return this.jalali ? jalali.isSameMonth(date, comparing) : super.isSameMonth(date, comparing);
  }
  override isSameYear(date: Date, comparing: Date): boolean {
    return this.jalali ? jalali.isSameYear(date, comparing) : super.isSameYear(date, comparing);
  }
  override getWeekArray(date: Date, firstDayOfWeek?: number | string): Date[][] {
    if (!this.jalali) return super.getWeekArray(date, firstDayOfWeek);
    const weekStartsOn = (firstDayOfWeek === undefined ? PERSIAN_WEEK_START : Number(firstDayOfWeek) % 7) as 0 | 1 | 2 | 3 | 4 | 5 | 6;
    const first = jalali.startOfWeek(jalali.startOfMonth(date), { weekStartsOn });
    const last = jalali.endOfWeek(jalali.endOfMonth(date), { weekStartsOn });
    const weeks: Date[][] = [];
    for (let day = first; day <= last; day = jalali.addDays(day, 1)) {
      if (weeks.length === 0 || weeks.at(-1)!.length === 7) weeks.push([]);
      weeks.at(-1)!.push(day);
    }
    return weeks;
  }
  override startOfWeek(date: Date, firstDayOfWeek?: number | string): Date {
    if (!this.jalali || firstDayOfWeek !== undefined) return super.startOfWeek(date, firstDayOfWeek);
    return jalali.startOfWeek(date, { weekStartsOn: PERSIAN_WEEK_START });
  }
  override endOfWeek(date: Date): Date {
    return this.jalali ? jalali.endOfWeek(date, { weekStartsOn: PERSIAN_WEEK_START }) : super.endOfWeek(date);
  }
  override getWeekdays(firstDayOfWeek?: number | string, weekdayFormat?: 'long' | 'short' | 'narrow'): string[] {
    return super.getWeekdays(firstDayOfWeek ?? (this.jalali ? PERSIAN_WEEK_START : undefined), weekdayFormat);
  }
}

const PERSIAN_DIGITS = '۰۱۲۳۴۵۶۷۸۹';
const ARABIC_DIGITS = '٠١٢٣٤٥٦٧٨٩';

export function toLatinDigits(s: string): string {
  return s.replace(/[۰-۹٠-٩]/g, (d) => String(Math.max(PERSIAN_DIGITS.indexOf(d), ARABIC_DIGITS.indexOf(d))));
}
