/**
 * Business-hours calendar arithmetic for SLA deadlines.
 *
 * Pure and deterministic so Temporal workflow code can call it: no I/O, no clock, no
 * randomness, no Node built-ins and no date library (zone offsets come from Intl, time-zone.ts).
 *
 * Model: a calendar is a set of weekly wall-clock shifts in one IANA time zone, minus
 * holidays. Every call turns that into concrete open intervals (epoch-ms, half-open
 * `[start, end)`) day by day, starting one local day before the instant of interest so
 * an overnight shift from the previous day is seen, merges touching intervals and walks
 * them. All durations are real elapsed milliseconds, so DST days are shorter/longer.
 *
 * Wall-clock → instant rules (only matter on DST transition days):
 * - a wall time inside a DST gap maps to the first valid instant after the gap (the
 *   transition itself), so a 02:30 shift start on spring-forward day starts at 03:00;
 * - a wall time that occurs twice (fall back) maps to its earlier occurrence.
 */
import { timeZone, type TimeZone } from './time-zone';

/** ISO weekday, as luxon's `DateTime.weekday`: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * A weekly opening period in the calendar's local wall-clock time ('HH:mm', 00:00–23:59).
 * `end <= start` means the shift runs overnight and ends on the next day;
 * `start === end` (e.g. '00:00'–'00:00') is a 24-hour shift. A shift belongs to the day
 * it starts on (for holidays and for overlap checks).
 */
export interface WeeklyShift {
  weekday: Weekday;
  start: string;
  end: string;
}

/**
 * A local date ('YYYY-MM-DD') on which every shift that STARTS that day is cancelled
 * (including the after-midnight part of an overnight shift; a shift that started the day
 * before is not affected). `recurringYearly` repeats it on the same month/day every year
 * (the year in `date` is then ignored; a recurring Feb 29 only applies in leap years).
 */
export interface Holiday {
  date: string;
  recurringYearly?: boolean;
  name?: string;
}

/**
 * `alwaysOpen: true` ignores `shifts` (open 24 hours every day) but still honours
 * `holidays`: a 24x7 desk can still close on New Year's Day (from local 00:00 to 00:00).
 */
export interface CalendarSpec {
  timeZone: string;
  alwaysOpen?: boolean;
  shifts: WeeklyShift[];
  holidays: Holiday[];
}

/** 24x7 in UTC with no holidays: the calendar to use when no business hours apply. */
export const ALWAYS_OPEN: CalendarSpec = freezeCalendar({
  timeZone: 'UTC',
  alwaysOpen: true,
  shifts: [],
  holidays: [],
});

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1_440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
/** How far ahead addBusinessMs/nextOpening may scan before declaring the calendar unusable. */
const MAX_SCAN_DAYS = 3 * 366;
/**
 * Cap on one merged interval. Touching intervals are continuous open time, so splitting a
 * long run into touching chunks changes no result; the cap stops a 24x7 calendar from
 * being scanned years ahead just to find where its first interval ends.
 */
const MAX_MERGED_SPAN_MS = 7 * DAY_MS;
const WEEKDAY_LABELS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

// ---------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------

/** Human-readable problems with `cal`; an empty array means the calendar is usable. */
export function validateCalendar(cal: CalendarSpec): string[] {
  return [...validateTimeZone(cal.timeZone), ...validateShifts(cal), ...validateHolidays(cal.holidays)];
}

/** Whether the desk is open at `atMs` (intervals are half-open: open at opening, closed at closing). */
export function isOpenAt(cal: CalendarSpec, atMs: number): boolean {
  requireFinite('atMs', atMs);
  const compiled = compileCalendar(cal);
  const day = localDayOf(compiled.zone, atMs);
  const cursor = new OpenIntervalCursor(compiled, day - 1, day + 1);
  for (let iv = cursor.next(); iv !== null && iv.start <= atMs; iv = cursor.next()) {
    if (atMs < iv.end) return true;
  }
  return false;
}

/** Business time elapsed in `[fromMs, toMs)`; 0 if `toMs <= fromMs`. Never throws for closed calendars. */
export function businessMsBetween(cal: CalendarSpec, fromMs: number, toMs: number): number {
  requireFinite('fromMs', fromMs);
  requireFinite('toMs', toMs);
  const compiled = compileCalendar(cal);
  if (toMs <= fromMs) return 0;
  // The scan stops at `toMs`'s local day, so an empty calendar just yields 0.
  const cursor = new OpenIntervalCursor(compiled, localDayOf(compiled.zone, fromMs) - 1, localDayOf(compiled.zone, toMs) + 1);
  let total = 0;
  for (let iv = cursor.next(); iv !== null && iv.start < toMs; iv = cursor.next()) {
    total += Math.max(0, Math.min(iv.end, toMs) - Math.max(iv.start, fromMs));
  }
  return total;
}

/**
 * The instant at which `durationMs` of business time has elapsed after `startMs`.
 * `durationMs === 0` returns `startMs` unchanged (even when closed). A positive duration
 * that ends exactly at a closing time returns that closing instant, not the next opening.
 * Throws RangeError for negative/non-finite input and Error when ~3 years of calendar do
 * not contain enough open time (e.g. every shift is a holiday).
 */
export function addBusinessMs(cal: CalendarSpec, startMs: number, durationMs: number): number {
  requireFinite('startMs', startMs);
  requireFinite('durationMs', durationMs);
  if (durationMs < 0) throw new RangeError(`durationMs must not be negative (got ${durationMs})`);
  const compiled = compileCalendar(cal);
  if (durationMs === 0) return startMs;
  const firstDay = localDayOf(compiled.zone, startMs) - 1;
  const cursor = new OpenIntervalCursor(compiled, firstDay, firstDay + MAX_SCAN_DAYS);
  let remaining = durationMs;
  for (let iv = cursor.next(); iv !== null; iv = cursor.next()) {
    if (iv.end <= startMs) continue;
    const from = Math.max(iv.start, startMs);
    // `<=` so a duration that exactly fills the interval ends at its closing instant.
    if (remaining <= iv.end - from) return from + remaining;
    remaining -= iv.end - from;
  }
  throw scanLimitError('addBusinessMs', cal, startMs);
}

/** `atMs` itself if the desk is open then, otherwise the next instant it opens. */
export function nextOpening(cal: CalendarSpec, atMs: number): number {
  requireFinite('atMs', atMs);
  const compiled = compileCalendar(cal);
  const firstDay = localDayOf(compiled.zone, atMs) - 1;
  const cursor = new OpenIntervalCursor(compiled, firstDay, firstDay + MAX_SCAN_DAYS);
  for (let iv = cursor.next(); iv !== null; iv = cursor.next()) {
    if (iv.end > atMs) return Math.max(iv.start, atMs);
  }
  throw scanLimitError('nextOpening', cal, atMs);
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

function validateTimeZone(zoneName: unknown): string[] {
  // Zones are cached per name, so this is cheap on the hot path.
  if (typeof zoneName === 'string' && zoneName !== '' && timeZone(zoneName) !== null) return [];
  return [`timeZone ${JSON.stringify(zoneName)} is not a known IANA time zone`];
}

function validateShifts(cal: CalendarSpec): string[] {
  if (!Array.isArray(cal.shifts)) return ['shifts must be an array'];
  if (cal.shifts.length === 0 && cal.alwaysOpen !== true) {
    return ['no shifts defined and alwaysOpen is not set: the calendar would never be open'];
  }
  const problems: string[] = [];
  const parsed: { index: number; weekStart: number; weekEnd: number }[] = [];
  cal.shifts.forEach((shift, index) => {
    const own = validateShift(shift, index);
    problems.push(...own);
    if (own.length === 0) {
      const span = shiftSpan(shift);
      const weekStart = (shift.weekday - 1) * MINUTES_PER_DAY + span.startMin;
      parsed.push({ index, weekStart, weekEnd: weekStart + span.endMin - span.startMin });
    }
  });
  return [...problems, ...findOverlaps(cal.shifts, parsed)];
}

function validateShift(shift: WeeklyShift, index: number): string[] {
  const label = describeShift(shift, index);
  const problems: string[] = [];
  if (!Number.isInteger(shift.weekday) || shift.weekday < 1 || shift.weekday > 7) {
    problems.push(`${label}: weekday must be an ISO weekday 1 (Mon) … 7 (Sun)`);
  }
  for (const key of ['start', 'end'] as const) {
    if (parseHHmm(shift[key]) === null) {
      problems.push(`${label}: ${key} ${JSON.stringify(shift[key])} is not a valid HH:mm time (00:00–23:59)`);
    }
  }
  return problems;
}

/** Overlap is checked on the weekly circle (shifted ±1 week) so Sun→Mon overnight shifts count. */
function findOverlaps(shifts: WeeklyShift[], parsed: { index: number; weekStart: number; weekEnd: number }[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const a = parsed[i]!;
      const b = parsed[j]!;
      const overlaps = [-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK].some((wrap) => a.weekStart < b.weekEnd + wrap && b.weekStart + wrap < a.weekEnd);
      if (overlaps) {
        problems.push(`${describeShift(shifts[b.index]!, b.index)} overlaps ${describeShift(shifts[a.index]!, a.index)}`);
      }
    }
  }
  return problems;
}

function validateHolidays(holidays: Holiday[]): string[] {
  if (!Array.isArray(holidays)) return ['holidays must be an array'];
  const problems: string[] = [];
  holidays.forEach((holiday, index) => {
    if (parseIsoDate(holiday.date) === null) {
      const name = holiday.name === undefined ? '' : ` ${JSON.stringify(holiday.name)}`;
      problems.push(`holiday #${index + 1}${name}: date ${JSON.stringify(holiday.date)} is not a real calendar date in YYYY-MM-DD form`);
    }
  });
  return problems;
}

function describeShift(shift: WeeklyShift, index: number): string {
  const day = WEEKDAY_LABELS[shift.weekday] ?? `weekday ${String(shift.weekday)}`;
  return `shift #${index + 1} (${day} ${String(shift.start)}-${String(shift.end)})`;
}

// ---------------------------------------------------------------------------------------
// Compilation: spec → lookup tables used by the interval cursor
// ---------------------------------------------------------------------------------------

/** Minutes after the local midnight of the shift's own day; `endMin` is in (startMin, startMin + 1440]. */
interface ShiftSpan {
  startMin: number;
  endMin: number;
}

interface CompiledCalendar {
  zone: TimeZone;
  /** Index 1..7 (ISO weekday); each list sorted by start. */
  spansByWeekday: ShiftSpan[][];
  /** Epoch-day numbers (local dates) of one-off holidays. */
  holidayDays: Set<number>;
  /** month * 100 + day of yearly holidays. */
  holidayMonthDays: Set<number>;
}

const FULL_DAY: ShiftSpan = { startMin: 0, endMin: MINUTES_PER_DAY };

/** Recompiled on every call (cheap) so a caller mutating its spec can never see stale data. */
function compileCalendar(cal: CalendarSpec): CompiledCalendar {
  const problems = validateCalendar(cal);
  if (problems.length > 0) throw new Error(`Invalid business-hours calendar: ${problems.join('; ')}`);
  const spansByWeekday: ShiftSpan[][] = [[], [], [], [], [], [], [], []];
  for (const shift of cal.alwaysOpen === true ? [] : cal.shifts) {
    spansByWeekday[shift.weekday]!.push(shiftSpan(shift));
  }
  for (let weekday = 1; weekday <= 7; weekday++) {
    if (cal.alwaysOpen === true) spansByWeekday[weekday]!.push(FULL_DAY);
    spansByWeekday[weekday]!.sort((a, b) => a.startMin - b.startMin);
  }
  const holidayDays = new Set<number>();
  const holidayMonthDays = new Set<number>();
  for (const holiday of cal.holidays) {
    const date = parseIsoDate(holiday.date)!; // validated above
    if (holiday.recurringYearly === true) holidayMonthDays.add(date.month * 100 + date.day);
    else holidayDays.add(date.epochDay);
  }
  return { zone: timeZone(cal.timeZone)!, spansByWeekday, holidayDays, holidayMonthDays };
}

/** Only call on validated shifts. end <= start rolls into the next day (start === end → 24h). */
function shiftSpan(shift: WeeklyShift): ShiftSpan {
  const startMin = parseHHmm(shift.start)!;
  const end = parseHHmm(shift.end)!;
  return { startMin, endMin: end > startMin ? end : end + MINUTES_PER_DAY };
}

function parseHHmm(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  return match === null ? null : Number(match[1]) * 60 + Number(match[2]);
}

function parseIsoDate(value: unknown): { month: number; day: number; epochDay: number } | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  // Date.UTC silently rolls 2026-02-30 into March; a round trip rejects such dates.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return null;
  }
  return { month, day, epochDay: ms / DAY_MS };
}

function isHoliday(cal: CompiledCalendar, epochDay: number): boolean {
  if (cal.holidayDays.has(epochDay)) return true;
  if (cal.holidayMonthDays.size === 0) return false;
  const date = new Date(epochDay * DAY_MS);
  return cal.holidayMonthDays.has((date.getUTCMonth() + 1) * 100 + date.getUTCDate());
}

/** ISO weekday of an epoch day (1970-01-01 was a Thursday). */
function isoWeekday(epochDay: number): Weekday {
  return (((((epochDay + 3) % 7) + 7) % 7) + 1) as Weekday;
}

// ---------------------------------------------------------------------------------------
// Interval generation
// ---------------------------------------------------------------------------------------

interface Interval {
  start: number;
  end: number;
}

/**
 * Yields the calendar's open intervals in time order for shifts starting on local days
 * `firstDay..lastDay` (epoch-day numbers), merging touching ones (adjacent shifts,
 * overnight shift meeting the next day's shift). Raw intervals are non-overlapping and
 * sorted because validated shifts do not overlap in wall-clock time and the wall → instant
 * mapping is monotonic.
 */
class OpenIntervalCursor {
  private nextDay: number;
  private readonly raw: Interval[] = [];
  private rawIndex = 0;

  constructor(
    private readonly cal: CompiledCalendar,
    firstDay: number,
    private readonly lastDay: number,
  ) {
    this.nextDay = firstDay;
  }

  /** The next merged interval, or null once the day window is exhausted. */
  next(): Interval | null {
    const first = this.takeRaw();
    if (first === null) return null;
    const merged = { start: first.start, end: first.end };
    for (;;) {
      if (merged.end - merged.start >= MAX_MERGED_SPAN_MS) return merged;
      const following = this.peekRaw();
      if (following === null || following.start > merged.end) return merged;
      this.rawIndex++;
      merged.end = Math.max(merged.end, following.end);
    }
  }

  private takeRaw(): Interval | null {
    const iv = this.peekRaw();
    if (iv !== null) this.rawIndex++;
    return iv;
  }

  /** Generates further days until a raw interval is available or the window ends. */
  private peekRaw(): Interval | null {
    while (this.rawIndex >= this.raw.length) {
      if (this.nextDay > this.lastDay) return null;
      this.raw.length = 0;
      this.rawIndex = 0;
      this.generateDay(this.nextDay++);
    }
    return this.raw[this.rawIndex]!;
  }

  private generateDay(epochDay: number): void {
    if (isHoliday(this.cal, epochDay)) return;
    const midnightWall = epochDay * DAY_MS;
    for (const span of this.cal.spansByWeekday[isoWeekday(epochDay)]!) {
      const start = wallToInstant(this.cal.zone, midnightWall + span.startMin * MINUTE_MS);
      const end = wallToInstant(this.cal.zone, midnightWall + span.endMin * MINUTE_MS);
      // A shift lying entirely inside a DST gap has no real duration.
      if (end > start) this.raw.push({ start, end });
    }
  }
}

// ---------------------------------------------------------------------------------------
// Time-zone arithmetic. "Wall ms" = local wall-clock fields encoded as if they were UTC.
// ---------------------------------------------------------------------------------------

/**
 * Memo of zone offsets sampled at 00:00 UTC of each epoch day. Asking Intl for an offset
 * costs microseconds, and almost every day has the same offset as its neighbours, so
 * sampling once per day and only resolving precisely near a change keeps 10k deadline
 * computations cheap. Memoising a pure function keeps results deterministic; the size
 * cap bounds memory in long-lived workers.
 */
const dailyOffsetMemo = new Map<string, Map<number, number>>();
const MAX_MEMO_DAYS_PER_ZONE = 20_000;

function sampledOffset(zone: TimeZone, epochDay: number): number {
  let perZone = dailyOffsetMemo.get(zone.name);
  if (perZone === undefined) dailyOffsetMemo.set(zone.name, (perZone = new Map()));
  let offset = perZone.get(epochDay);
  if (offset === undefined) {
    if (perZone.size >= MAX_MEMO_DAYS_PER_ZONE) perZone.clear();
    offset = zone.offset(epochDay * DAY_MS);
    perZone.set(epochDay, offset);
  }
  return offset;
}

/** The zone's offset (minutes) in force at an instant. */
function offsetAt(zone: TimeZone, atMs: number): number {
  const day = Math.floor(atMs / DAY_MS);
  const before = sampledOffset(zone, day);
  // Assumes a zone never changes offset and back within one day (true of all tzdata).
  return before === sampledOffset(zone, day + 1) ? before : zone.offset(atMs);
}

/** The local calendar day (epoch-day number) containing an instant. */
function localDayOf(zone: TimeZone, atMs: number): number {
  return Math.floor((atMs + offsetAt(zone, atMs) * MINUTE_MS) / DAY_MS);
}

/**
 * Instant at which the zone's clocks show `wallMs`. Offsets are at most ±14 h, so the
 * instant lies within the sampled window [day-1, day+2]; if the offset is the same at
 * both ends there is no transition nearby and one subtraction suffices.
 */
function wallToInstant(zone: TimeZone, wallMs: number): number {
  const day = Math.floor(wallMs / DAY_MS);
  const before = sampledOffset(zone, day - 1);
  const after = sampledOffset(zone, day + 2);
  if (before === after) return wallMs - before * MINUTE_MS;
  return wallToInstantNearTransition(zone, wallMs, before, after);
}

/** Resolves overlap (earlier occurrence) and gap (first valid instant after it). */
function wallToInstantNearTransition(zone: TimeZone, wallMs: number, before: number, after: number): number {
  const viaBefore = wallMs - before * MINUTE_MS;
  const viaAfter = wallMs - after * MINUTE_MS;
  const beforeValid = zone.offset(viaBefore) === before;
  const afterValid = zone.offset(viaAfter) === after;
  if (beforeValid && afterValid) return Math.min(viaBefore, viaAfter);
  if (beforeValid) return viaBefore;
  if (afterValid) return viaAfter;
  // Neither reading exists: the wall time is in a gap, which ends at the transition.
  return findTransition(zone, Math.min(viaBefore, viaAfter), Math.max(viaBefore, viaAfter));
}

/** First instant in (lowMs, highMs] whose offset differs from the offset at lowMs (binary search). */
function findTransition(zone: TimeZone, lowMs: number, highMs: number): number {
  const initial = zone.offset(lowMs);
  let low = lowMs;
  let high = highMs;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (zone.offset(mid) === initial) low = mid;
    else high = mid;
  }
  return high;
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

function requireFinite(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number of epoch milliseconds (got ${String(value)})`);
  }
}

/** The calendar has too little open time within the scan horizon (~3 years) to place the instant. */
export class BeyondCalendarHorizon extends Error {
  override name = 'BeyondCalendarHorizon';
}

function scanLimitError(fn: string, cal: CalendarSpec, fromMs: number): Error {
  return new BeyondCalendarHorizon(
    `${fn}: scanned ${MAX_SCAN_DAYS} days (~3 years) after ${new Date(fromMs).toISOString()} ` +
      `without finding enough open time in calendar (timeZone ${cal.timeZone}); ` +
      'check that its shifts are not all cancelled by holidays',
  );
}

function freezeCalendar(cal: CalendarSpec): CalendarSpec {
  Object.freeze(cal.shifts);
  Object.freeze(cal.holidays);
  return Object.freeze(cal);
}
