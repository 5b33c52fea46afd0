import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN, addBusinessMs, businessMsBetween, isOpenAt, nextOpening, validateCalendar, type CalendarSpec, type Holiday, type WeeklyShift, type Weekday } from './business-hours';

// ---------------------------------------------------------------------------------------
// Helpers: expectations are written as ISO strings with the calendar's own UTC offset so a
// reader can check them against a wall calendar.
// ---------------------------------------------------------------------------------------

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Epoch ms of an ISO string that must carry an explicit offset. */
function ms(iso: string): number {
  if (!/(Z|[+-]\d\d:\d\d)$/.test(iso)) throw new Error(`test bug: ${iso} has no offset`);
  const value = Date.parse(iso);
  if (Number.isNaN(value)) throw new Error(`test bug: unparsable ${iso}`);
  return value;
}

/** Renders an instant in the calendar's zone, e.g. '2026-03-09T10:00:00+01:00'. */
function local(cal: CalendarSpec, at: number): string {
  return DateTime.fromMillis(at, { zone: cal.timeZone }).toISO({ suppressMilliseconds: true })!;
}

function add(cal: CalendarSpec, startIso: string, durationMs: number): string {
  return local(cal, addBusinessMs(cal, ms(startIso), durationMs));
}

function between(cal: CalendarSpec, fromIso: string, toIso: string): number {
  return businessMsBetween(cal, ms(fromIso), ms(toIso));
}

function openAt(cal: CalendarSpec, iso: string): boolean {
  return isOpenAt(cal, ms(iso));
}

function next(cal: CalendarSpec, iso: string): string {
  return local(cal, nextOpening(cal, ms(iso)));
}

function shifts(weekdays: Weekday[], start: string, end: string): WeeklyShift[] {
  return weekdays.map((weekday) => ({ weekday, start, end }));
}

const MON_FRI: Weekday[] = [1, 2, 3, 4, 5];
const EVERY_DAY: Weekday[] = [1, 2, 3, 4, 5, 6, 7];

function calendar(timeZone: string, weekly: WeeklyShift[], holidays: Holiday[] = []): CalendarSpec {
  return { timeZone, shifts: weekly, holidays };
}

/** Mon–Fri 09:00–17:00 Europe/Berlin (CET = +01:00, CEST = +02:00). */
const BERLIN = calendar('Europe/Berlin', shifts(MON_FRI, '09:00', '17:00'));

/** Sat–Wed 08:00–16:00, Thu 08:00–12:00, Fri closed; Iran has kept +03:30 all year since 2022. */
const TEHRAN_SHIFTS: WeeklyShift[] = [...shifts([6, 7, 1, 2, 3], '08:00', '16:00'), { weekday: 4, start: '08:00', end: '12:00' }];
const NOWRUZ_2027: Holiday[] = ['2027-03-21', '2027-03-22', '2027-03-23', '2027-03-24'].map((date) => ({
  date,
  name: 'Nowruz',
}));
const TEHRAN = calendar('Asia/Tehran', TEHRAN_SHIFTS, NOWRUZ_2027);

// ---------------------------------------------------------------------------------------

describe('Mon–Fri 09:00–17:00 Europe/Berlin (week of Mon 2026-03-02)', () => {
  it('adds within the same day when starting inside hours', () => {
    expect(add(BERLIN, '2026-03-03T10:00:00+01:00', 3 * HOUR)).toBe('2026-03-03T13:00:00+01:00');
  });

  it('carries the remainder into the next business day', () => {
    expect(add(BERLIN, '2026-03-03T15:00:00+01:00', 4 * HOUR)).toBe('2026-03-04T11:00:00+01:00');
  });

  it('starts counting at opening when starting before hours', () => {
    expect(add(BERLIN, '2026-03-03T07:30:00+01:00', 1 * HOUR)).toBe('2026-03-03T10:00:00+01:00');
  });

  it('starts counting next morning when starting after hours', () => {
    expect(add(BERLIN, '2026-03-03T18:00:00+01:00', 1 * HOUR)).toBe('2026-03-04T10:00:00+01:00');
  });

  it('Friday 16:00 + 2h → Monday 10:00', () => {
    expect(add(BERLIN, '2026-03-06T16:00:00+01:00', 2 * HOUR)).toBe('2026-03-09T10:00:00+01:00');
    expect(between(BERLIN, '2026-03-06T16:00:00+01:00', '2026-03-09T10:00:00+01:00')).toBe(2 * HOUR);
  });

  it('treats the closing instant as closed but returns it when a duration ends exactly there', () => {
    expect(openAt(BERLIN, '2026-03-03T17:00:00+01:00')).toBe(false);
    expect(isOpenAt(BERLIN, ms('2026-03-03T17:00:00+01:00') - 1)).toBe(true);
    expect(add(BERLIN, '2026-03-03T16:00:00+01:00', 1 * HOUR)).toBe('2026-03-03T17:00:00+01:00');
    expect(add(BERLIN, '2026-03-03T17:00:00+01:00', 1 * HOUR)).toBe('2026-03-04T10:00:00+01:00');
    expect(add(BERLIN, '2026-03-06T09:00:00+01:00', 8 * HOUR)).toBe('2026-03-06T17:00:00+01:00');
    expect(next(BERLIN, '2026-03-03T17:00:00+01:00')).toBe('2026-03-04T09:00:00+01:00');
  });

  it('treats the opening instant as open', () => {
    expect(openAt(BERLIN, '2026-03-03T09:00:00+01:00')).toBe(true);
    expect(isOpenAt(BERLIN, ms('2026-03-03T09:00:00+01:00') - 1)).toBe(false);
    expect(add(BERLIN, '2026-03-03T09:00:00+01:00', 8 * HOUR)).toBe('2026-03-03T17:00:00+01:00');
    expect(add(BERLIN, '2026-03-03T09:00:00+01:00', 1)).toBe('2026-03-03T09:00:00.001+01:00');
    expect(next(BERLIN, '2026-03-03T09:00:00+01:00')).toBe('2026-03-03T09:00:00+01:00');
  });

  it('nextOpening skips the weekend and returns open instants unchanged', () => {
    expect(next(BERLIN, '2026-03-06T17:00:00+01:00')).toBe('2026-03-09T09:00:00+01:00');
    expect(next(BERLIN, '2026-03-08T12:00:00+01:00')).toBe('2026-03-09T09:00:00+01:00');
    expect(next(BERLIN, '2026-03-05T12:34:56+01:00')).toBe('2026-03-05T12:34:56+01:00');
  });

  it('counts 40h in a whole week and nothing at the weekend', () => {
    expect(between(BERLIN, '2026-03-02T00:00:00+01:00', '2026-03-09T00:00:00+01:00')).toBe(40 * HOUR);
    expect(between(BERLIN, '2026-03-06T17:00:00+01:00', '2026-03-09T09:00:00+01:00')).toBe(0);
    expect(openAt(BERLIN, '2026-03-07T12:00:00+01:00')).toBe(false);
  });

  it('crosses the spring-forward weekend (Fri +01:00 → Mon +02:00)', () => {
    expect(add(BERLIN, '2026-03-27T16:00:00+01:00', 2 * HOUR)).toBe('2026-03-30T10:00:00+02:00');
  });

  it('handles instants before 1970 (negative epoch ms)', () => {
    // 1969-12-31 was a Wednesday.
    expect(add(BERLIN, '1969-12-31T16:00:00+01:00', 2 * HOUR)).toBe('1970-01-01T10:00:00+01:00');
  });
});

describe('Tehran: Sat–Wed 08:00–16:00, Thu 08:00–12:00, Fri closed (+03:30, no DST)', () => {
  it('closes Thursday at noon and all of Friday', () => {
    expect(openAt(TEHRAN, '2027-03-18T11:59:00+03:30')).toBe(true);
    expect(openAt(TEHRAN, '2027-03-18T12:00:00+03:30')).toBe(false);
    expect(openAt(TEHRAN, '2027-03-19T10:00:00+03:30')).toBe(false);
    expect(openAt(TEHRAN, '2027-03-20T08:00:00+03:30')).toBe(true);
  });

  it('Thursday 11:00 + 2h → Saturday 09:00', () => {
    expect(add(TEHRAN, '2027-03-18T11:00:00+03:30', 2 * HOUR)).toBe('2027-03-20T09:00:00+03:30');
  });

  it('skips Nowruz 2027-03-21..24: Saturday 15:00 + 2h → Thursday 09:00', () => {
    expect(add(TEHRAN, '2027-03-20T15:00:00+03:30', 2 * HOUR)).toBe('2027-03-25T09:00:00+03:30');
    expect(openAt(TEHRAN, '2027-03-22T10:00:00+03:30')).toBe(false);
    // Sat 8h + (Sun–Wed holidays) + Thu 4h; Fri closed.
    expect(between(TEHRAN, '2027-03-20T08:00:00+03:30', '2027-03-27T08:00:00+03:30')).toBe(12 * HOUR);
  });

  it('Thursday after Nowruz 11:00 + 3h → Saturday 10:00', () => {
    expect(add(TEHRAN, '2027-03-25T11:00:00+03:30', 3 * HOUR)).toBe('2027-03-27T10:00:00+03:30');
  });

  it('keeps +03:30 in summer (Tue 2026-06-02 10:00 + 8h → Wed 10:00)', () => {
    expect(add(TEHRAN, '2026-06-02T10:00:00+03:30', 8 * HOUR)).toBe('2026-06-03T10:00:00+03:30');
  });
});

describe('DST transitions', () => {
  const nyNights = calendar('America/New_York', shifts(EVERY_DAY, '00:00', '08:00'));
  const ny24h: CalendarSpec = { timeZone: 'America/New_York', alwaysOpen: true, shifts: [], holidays: [] };
  const berlinNights = calendar('Europe/Berlin', shifts(EVERY_DAY, '00:00', '08:00'));
  const berlin24h: CalendarSpec = { timeZone: 'Europe/Berlin', alwaysOpen: true, shifts: [], holidays: [] };

  describe('America/New_York spring forward 2026-03-08 (02:00 EST → 03:00 EDT)', () => {
    it('a 00:00–08:00 shift lasts 7 real hours', () => {
      expect(between(nyNights, '2026-03-08T00:00:00-05:00', '2026-03-08T12:00:00-04:00')).toBe(7 * HOUR);
      expect(add(nyNights, '2026-03-08T00:00:00-05:00', 7 * HOUR)).toBe('2026-03-08T08:00:00-04:00');
      expect(add(nyNights, '2026-03-08T00:00:00-05:00', 8 * HOUR)).toBe('2026-03-09T01:00:00-04:00');
      expect(openAt(nyNights, '2026-03-08T01:59:00-05:00')).toBe(true);
      expect(openAt(nyNights, '2026-03-08T03:00:00-04:00')).toBe(true);
    });

    it('a 24h calendar has a 23-hour day', () => {
      expect(between(ny24h, '2026-03-08T00:00:00-05:00', '2026-03-09T00:00:00-04:00')).toBe(23 * HOUR);
      expect(add(ny24h, '2026-03-08T00:00:00-05:00', 24 * HOUR)).toBe('2026-03-09T01:00:00-04:00');
    });

    it('a shift starting inside the gap (02:30) starts at the first valid instant, 03:00 EDT', () => {
      const cal = calendar('America/New_York', [{ weekday: 7, start: '02:30', end: '06:00' }]);
      expect(next(cal, '2026-03-08T01:00:00-05:00')).toBe('2026-03-08T03:00:00-04:00');
      expect(openAt(cal, '2026-03-08T03:00:00-04:00')).toBe(true);
      expect(between(cal, '2026-03-08T00:00:00-05:00', '2026-03-09T00:00:00-04:00')).toBe(3 * HOUR);
      // An ordinary Sunday has the full 3.5 hours.
      expect(between(cal, '2026-03-01T00:00:00-05:00', '2026-03-02T00:00:00-05:00')).toBe(3.5 * HOUR);
    });

    it('a shift ending inside the gap (02:30) ends at the transition', () => {
      const cal = calendar('America/New_York', [{ weekday: 7, start: '00:00', end: '02:30' }]);
      expect(add(cal, '2026-03-08T00:00:00-05:00', 2 * HOUR)).toBe('2026-03-08T03:00:00-04:00');
      expect(between(cal, '2026-03-08T00:00:00-05:00', '2026-03-09T00:00:00-04:00')).toBe(2 * HOUR);
    });

    it('a shift lying entirely inside the gap contributes nothing that day', () => {
      const cal = calendar('America/New_York', [{ weekday: 7, start: '02:00', end: '02:45' }]);
      expect(between(cal, '2026-03-08T00:00:00-05:00', '2026-03-09T00:00:00-04:00')).toBe(0);
      expect(next(cal, '2026-03-08T00:00:00-05:00')).toBe('2026-03-15T02:00:00-04:00');
    });
  });

  describe('America/New_York fall back 2026-11-01 (02:00 EDT → 01:00 EST)', () => {
    it('a 00:00–08:00 shift lasts 9 real hours, including both 01:xx hours', () => {
      expect(between(nyNights, '2026-11-01T00:00:00-04:00', '2026-11-01T12:00:00-05:00')).toBe(9 * HOUR);
      expect(add(nyNights, '2026-11-01T00:00:00-04:00', 9 * HOUR)).toBe('2026-11-01T08:00:00-05:00');
      expect(openAt(nyNights, '2026-11-01T01:30:00-04:00')).toBe(true);
      expect(openAt(nyNights, '2026-11-01T01:30:00-05:00')).toBe(true);
    });

    it('a 24h calendar has a 25-hour day', () => {
      expect(between(ny24h, '2026-11-01T00:00:00-04:00', '2026-11-02T00:00:00-05:00')).toBe(25 * HOUR);
      expect(add(ny24h, '2026-11-01T00:00:00-04:00', 24 * HOUR)).toBe('2026-11-01T23:00:00-05:00');
    });

    it('an ambiguous wall time (01:30) means its earlier occurrence', () => {
      const cal = calendar('America/New_York', [{ weekday: 7, start: '01:30', end: '05:00' }]);
      expect(next(cal, '2026-11-01T00:00:00-04:00')).toBe('2026-11-01T01:30:00-04:00');
      expect(between(cal, '2026-11-01T00:00:00-04:00', '2026-11-02T00:00:00-05:00')).toBe(4.5 * HOUR);
    });
  });

  describe('Europe/Berlin', () => {
    it('2026-03-29 (spring forward): 00:00–08:00 is 7h, the day is 23h', () => {
      expect(between(berlinNights, '2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00')).toBe(7 * HOUR);
      expect(add(berlinNights, '2026-03-29T00:00:00+01:00', 7 * HOUR)).toBe('2026-03-29T08:00:00+02:00');
      expect(between(berlin24h, '2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00')).toBe(23 * HOUR);
      expect(add(berlin24h, '2026-03-29T00:00:00+01:00', 24 * HOUR)).toBe('2026-03-30T01:00:00+02:00');
    });

    it('2026-10-25 (fall back): 00:00–08:00 is 9h, the day is 25h', () => {
      expect(between(berlinNights, '2026-10-25T00:00:00+02:00', '2026-10-26T00:00:00+01:00')).toBe(9 * HOUR);
      expect(add(berlinNights, '2026-10-25T00:00:00+02:00', 9 * HOUR)).toBe('2026-10-25T08:00:00+01:00');
      expect(between(berlin24h, '2026-10-25T00:00:00+02:00', '2026-10-26T00:00:00+01:00')).toBe(25 * HOUR);
      expect(add(berlin24h, '2026-10-25T00:00:00+02:00', 24 * HOUR)).toBe('2026-10-25T23:00:00+01:00');
    });

    it('an overnight Sat 22:00–06:00 shift is 7h / 9h across the transitions', () => {
      const cal = calendar('Europe/Berlin', [{ weekday: 6, start: '22:00', end: '06:00' }]);
      expect(add(cal, '2026-03-28T22:00:00+01:00', 7 * HOUR)).toBe('2026-03-29T06:00:00+02:00');
      expect(between(cal, '2026-03-28T00:00:00+01:00', '2026-03-30T00:00:00+02:00')).toBe(7 * HOUR);
      expect(add(cal, '2026-10-24T22:00:00+02:00', 9 * HOUR)).toBe('2026-10-25T06:00:00+01:00');
      expect(between(cal, '2026-10-24T00:00:00+02:00', '2026-10-26T00:00:00+01:00')).toBe(9 * HOUR);
    });
  });
});

describe('overnight shift Fri 22:00–06:00 (Europe/Berlin, Fri 2026-03-06)', () => {
  const FRI_NIGHT: WeeklyShift = { weekday: 5, start: '22:00', end: '06:00' };
  const plain = calendar('Europe/Berlin', [FRI_NIGHT]);

  it('is open from Friday 22:00 until Saturday 06:00', () => {
    expect(openAt(plain, '2026-03-06T21:59:00+01:00')).toBe(false);
    expect(openAt(plain, '2026-03-06T22:00:00+01:00')).toBe(true);
    expect(openAt(plain, '2026-03-07T03:00:00+01:00')).toBe(true);
    expect(openAt(plain, '2026-03-07T06:00:00+01:00')).toBe(false);
    expect(between(plain, '2026-03-06T20:00:00+01:00', '2026-03-07T12:00:00+01:00')).toBe(8 * HOUR);
  });

  it('8h ends at Saturday 06:00; 9h continues next Friday 23:00', () => {
    expect(add(plain, '2026-03-06T20:00:00+01:00', 8 * HOUR)).toBe('2026-03-07T06:00:00+01:00');
    expect(add(plain, '2026-03-06T20:00:00+01:00', 9 * HOUR)).toBe('2026-03-13T23:00:00+01:00');
    expect(next(plain, '2026-03-07T07:00:00+01:00')).toBe('2026-03-13T22:00:00+01:00');
  });

  it('starting in the Saturday-morning part counts the rest of the shift that began Friday', () => {
    expect(add(plain, '2026-03-07T05:00:00+01:00', 2 * HOUR)).toBe('2026-03-13T23:00:00+01:00');
    expect(next(plain, '2026-03-07T05:00:00+01:00')).toBe('2026-03-07T05:00:00+01:00');
  });

  it('a Friday holiday cancels the whole shift including Saturday morning', () => {
    const cal = calendar('Europe/Berlin', [FRI_NIGHT], [{ date: '2026-03-06' }]);
    expect(openAt(cal, '2026-03-06T23:00:00+01:00')).toBe(false);
    expect(openAt(cal, '2026-03-07T03:00:00+01:00')).toBe(false);
    expect(between(cal, '2026-03-06T20:00:00+01:00', '2026-03-07T12:00:00+01:00')).toBe(0);
    expect(add(cal, '2026-03-06T20:00:00+01:00', 1 * HOUR)).toBe('2026-03-13T23:00:00+01:00');
  });

  it('a Saturday holiday does not affect the shift that started Friday', () => {
    const cal = calendar('Europe/Berlin', [FRI_NIGHT], [{ date: '2026-03-07' }]);
    expect(openAt(cal, '2026-03-07T03:00:00+01:00')).toBe(true);
    expect(add(cal, '2026-03-06T20:00:00+01:00', 8 * HOUR)).toBe('2026-03-07T06:00:00+01:00');
  });

  it('meeting a Saturday 06:00–10:00 shift is continuous open time', () => {
    const cal = calendar('Europe/Berlin', [FRI_NIGHT, { weekday: 6, start: '06:00', end: '10:00' }]);
    expect(validateCalendar(cal)).toEqual([]);
    expect(openAt(cal, '2026-03-07T06:00:00+01:00')).toBe(true);
    expect(next(cal, '2026-03-07T06:00:00+01:00')).toBe('2026-03-07T06:00:00+01:00');
    expect(add(cal, '2026-03-06T22:00:00+01:00', 12 * HOUR)).toBe('2026-03-07T10:00:00+01:00');
    // A Saturday holiday removes only the Saturday shift.
    const satOff = { ...cal, holidays: [{ date: '2026-03-07' }] };
    expect(add(satOff, '2026-03-06T22:00:00+01:00', 9 * HOUR)).toBe('2026-03-13T23:00:00+01:00');
  });

  it('a Sunday 22:00–06:00 shift wraps into Monday', () => {
    const cal = calendar('Europe/Berlin', [{ weekday: 7, start: '22:00', end: '06:00' }]);
    expect(openAt(cal, '2026-03-09T02:00:00+01:00')).toBe(true);
    expect(add(cal, '2026-03-08T12:00:00+01:00', 8 * HOUR)).toBe('2026-03-09T06:00:00+01:00');
  });
});

describe('adjacent shifts', () => {
  const split = calendar('Europe/Berlin', [...shifts(MON_FRI, '09:00', '12:00'), ...shifts(MON_FRI, '12:00', '17:00')]);

  it('behave exactly like one continuous shift', () => {
    expect(validateCalendar(split)).toEqual([]);
    expect(openAt(split, '2026-03-03T12:00:00+01:00')).toBe(true);
    expect(add(split, '2026-03-03T11:00:00+01:00', 2 * HOUR)).toBe('2026-03-03T13:00:00+01:00');
    expect(add(split, '2026-03-03T09:00:00+01:00', 3 * HOUR)).toBe('2026-03-03T12:00:00+01:00');
    expect(add(split, '2026-03-06T16:00:00+01:00', 2 * HOUR)).toBe('2026-03-09T10:00:00+01:00');
    expect(between(split, '2026-03-02T00:00:00+01:00', '2026-03-09T00:00:00+01:00')).toBe(40 * HOUR);
  });

  it('a 24h shift every day equals alwaysOpen', () => {
    const allDay = calendar('Europe/Berlin', shifts(EVERY_DAY, '00:00', '00:00'));
    expect(validateCalendar(allDay)).toEqual([]);
    expect(add(allDay, '2026-03-27T12:00:00+01:00', 72 * HOUR)).toBe('2026-03-30T13:00:00+02:00');
    expect(between(allDay, '2026-03-02T00:00:00+01:00', '2026-03-09T00:00:00+01:00')).toBe(7 * DAY);
  });
});

describe('holidays', () => {
  const christmas: Holiday = { date: '2020-12-25', recurringYearly: true, name: 'Christmas' };
  const withChristmas = calendar('Europe/Berlin', shifts(MON_FRI, '09:00', '17:00'), [christmas]);

  it('a recurring Dec 25 applies in every year', () => {
    // 2026-12-25 is a Friday.
    expect(openAt(withChristmas, '2026-12-25T10:00:00+01:00')).toBe(false);
    expect(add(withChristmas, '2026-12-24T16:00:00+01:00', 2 * HOUR)).toBe('2026-12-28T10:00:00+01:00');
    // 2025-12-25 is a Thursday.
    expect(add(withChristmas, '2025-12-24T16:00:00+01:00', 2 * HOUR)).toBe('2025-12-26T10:00:00+01:00');
    expect(openAt(withChristmas, '2026-12-24T10:00:00+01:00')).toBe(true);
  });

  it('a one-off holiday in the middle of a multi-day span is skipped', () => {
    // Ascension Day, Thu 2026-05-14.
    const cal = calendar('Europe/Berlin', shifts(MON_FRI, '09:00', '17:00'), [{ date: '2026-05-14' }]);
    // Mon–Wed 24h + Fri 8h + next Mon 8h = 40h.
    expect(add(cal, '2026-05-11T09:00:00+02:00', 40 * HOUR)).toBe('2026-05-18T17:00:00+02:00');
    expect(between(cal, '2026-05-11T09:00:00+02:00', '2026-05-18T17:00:00+02:00')).toBe(40 * HOUR);
    expect(add(cal, '2026-05-13T16:00:00+02:00', 2 * HOUR)).toBe('2026-05-15T10:00:00+02:00');
  });

  it('a one-off holiday does not recur the next year', () => {
    const cal = calendar('Europe/Berlin', shifts(MON_FRI, '09:00', '17:00'), [{ date: '2026-05-14' }]);
    expect(openAt(cal, '2027-05-14T10:00:00+02:00')).toBe(true); // a Friday
  });

  it('a recurring Feb 29 only applies in leap years', () => {
    const cal = calendar('Europe/Berlin', shifts(MON_FRI, '09:00', '17:00'), [{ date: '2024-02-29', recurringYearly: true, name: 'Leap day' }]);
    expect(openAt(cal, '2028-02-29T10:00:00+01:00')).toBe(false); // Tuesday
    expect(openAt(cal, '2028-02-28T10:00:00+01:00')).toBe(true);
    expect(openAt(cal, '2027-03-01T10:00:00+01:00')).toBe(true); // Monday
  });

  it('consecutive holidays across a weekend', () => {
    const cal = calendar('Europe/Berlin', shifts(MON_FRI, '09:00', '17:00'), [
      { date: '2026-04-03', name: 'Good Friday' },
      { date: '2026-04-06', name: 'Easter Monday' },
    ]);
    expect(add(cal, '2026-04-02T16:00:00+02:00', 2 * HOUR)).toBe('2026-04-07T10:00:00+02:00');
  });
});

describe('pauses spanning weekends', () => {
  /** What an SLA timer does: consume until the pause, then resume with the remainder. */
  function deadlineWithPause(cal: CalendarSpec, start: number, target: number, pauseAt: number, resumeAt: number) {
    const consumed = businessMsBetween(cal, start, pauseAt);
    return addBusinessMs(cal, resumeAt, target - consumed);
  }

  it('paused business hours are not consumed (pause Fri 13:00, resume Mon 11:00)', () => {
    const start = ms('2026-03-05T10:00:00+01:00'); // Thu
    const target = 16 * HOUR;
    const unpaused = addBusinessMs(BERLIN, start, target);
    expect(local(BERLIN, unpaused)).toBe('2026-03-09T10:00:00+01:00');

    const pauseAt = ms('2026-03-06T13:00:00+01:00');
    const resumeAt = ms('2026-03-09T11:00:00+01:00');
    expect(businessMsBetween(BERLIN, start, pauseAt)).toBe(11 * HOUR);
    const paused = deadlineWithPause(BERLIN, start, target, pauseAt, resumeAt);
    expect(local(BERLIN, paused)).toBe('2026-03-09T16:00:00+01:00');

    // The deadline moves by exactly the business time the pause covered (Fri 13–17 + Mon 9–11).
    const pausedBusiness = businessMsBetween(BERLIN, pauseAt, resumeAt);
    expect(pausedBusiness).toBe(6 * HOUR);
    expect(businessMsBetween(BERLIN, unpaused, paused)).toBe(pausedBusiness);
    expect(businessMsBetween(BERLIN, start, paused)).toBe(target + pausedBusiness);
  });

  it('a pause lying entirely in closed time moves nothing; resuming Monday before opening', () => {
    const start = ms('2026-03-05T10:00:00+01:00');
    const target = 16 * HOUR;
    const pauseAt = ms('2026-03-06T17:30:00+01:00'); // Fri after closing
    const resumeAt = ms('2026-03-09T08:00:00+01:00'); // Mon before opening
    const paused = deadlineWithPause(BERLIN, start, target, pauseAt, resumeAt);
    expect(local(BERLIN, paused)).toBe('2026-03-09T10:00:00+01:00');
  });

  it('a pause from Friday 16:00 into Saturday covers one business hour', () => {
    const start = ms('2026-03-05T10:00:00+01:00');
    const target = 16 * HOUR;
    const pauseAt = ms('2026-03-06T16:00:00+01:00');
    const resumeAt = ms('2026-03-07T12:00:00+01:00');
    const paused = deadlineWithPause(BERLIN, start, target, pauseAt, resumeAt);
    expect(local(BERLIN, paused)).toBe('2026-03-09T11:00:00+01:00');
    expect(businessMsBetween(BERLIN, ms('2026-03-09T10:00:00+01:00'), paused)).toBe(businessMsBetween(BERLIN, pauseAt, resumeAt));
  });

  it('a pause across the DST weekend (Fri 15:00 +01:00 → Mon 10:00 +02:00)', () => {
    const start = ms('2026-03-26T09:00:00+01:00'); // Thu
    const target = 12 * HOUR;
    const unpaused = addBusinessMs(BERLIN, start, target);
    expect(local(BERLIN, unpaused)).toBe('2026-03-27T13:00:00+01:00');
    const pauseAt = ms('2026-03-27T11:00:00+01:00');
    const resumeAt = ms('2026-03-30T10:00:00+02:00');
    const paused = deadlineWithPause(BERLIN, start, target, pauseAt, resumeAt);
    // Consumed 10h; 2h left from Mon 10:00.
    expect(local(BERLIN, paused)).toBe('2026-03-30T12:00:00+02:00');
    expect(businessMsBetween(BERLIN, unpaused, paused)).toBe(businessMsBetween(BERLIN, pauseAt, resumeAt));
  });
});

describe('alwaysOpen', () => {
  it('ALWAYS_OPEN is 24x7 UTC: business time equals wall time', () => {
    const t = ms('2026-03-07T12:00:00Z');
    expect(validateCalendar(ALWAYS_OPEN)).toEqual([]);
    expect(addBusinessMs(ALWAYS_OPEN, t, 5 * HOUR)).toBe(t + 5 * HOUR);
    expect(addBusinessMs(ALWAYS_OPEN, t, 400 * DAY)).toBe(t + 400 * DAY);
    expect(businessMsBetween(ALWAYS_OPEN, t, t + 3 * DAY + 7)).toBe(3 * DAY + 7);
    expect(isOpenAt(ALWAYS_OPEN, t)).toBe(true);
    expect(nextOpening(ALWAYS_OPEN, t)).toBe(t);
    expect(addBusinessMs(ALWAYS_OPEN, -1000, 500)).toBe(-500);
  });

  it('ALWAYS_OPEN is frozen so no caller can change it for everyone', () => {
    expect(Object.isFrozen(ALWAYS_OPEN)).toBe(true);
    expect(Object.isFrozen(ALWAYS_OPEN.shifts)).toBe(true);
    expect(Object.isFrozen(ALWAYS_OPEN.holidays)).toBe(true);
  });

  it('ignores shifts', () => {
    const cal: CalendarSpec = { ...BERLIN, alwaysOpen: true };
    expect(openAt(cal, '2026-03-08T03:00:00+01:00')).toBe(true); // Sunday night
    expect(add(cal, '2026-03-06T16:00:00+01:00', 2 * HOUR)).toBe('2026-03-06T18:00:00+01:00');
  });

  it('still honours holidays (closed local 00:00–24:00 on New Year)', () => {
    const cal: CalendarSpec = {
      timeZone: 'Europe/Berlin',
      alwaysOpen: true,
      shifts: [],
      holidays: [{ date: '2000-01-01', recurringYearly: true, name: 'New Year' }],
    };
    expect(openAt(cal, '2026-12-31T23:59:59+01:00')).toBe(true);
    expect(openAt(cal, '2027-01-01T00:00:00+01:00')).toBe(false);
    expect(openAt(cal, '2027-01-01T23:59:59+01:00')).toBe(false);
    expect(openAt(cal, '2027-01-02T00:00:00+01:00')).toBe(true);
    expect(add(cal, '2026-12-31T23:00:00+01:00', 2 * HOUR)).toBe('2027-01-02T01:00:00+01:00');
    expect(next(cal, '2027-01-01T12:00:00+01:00')).toBe('2027-01-02T00:00:00+01:00');
    expect(between(cal, '2026-12-31T00:00:00+01:00', '2027-01-03T00:00:00+01:00')).toBe(2 * DAY);
  });
});

describe('validateCalendar', () => {
  it('accepts the calendars used in these tests', () => {
    for (const cal of [BERLIN, TEHRAN, ALWAYS_OPEN]) expect(validateCalendar(cal)).toEqual([]);
  });

  it('rejects an unknown IANA zone', () => {
    const problems = validateCalendar({ ...BERLIN, timeZone: 'Mars/Olympus_Mons' });
    expect(problems).toEqual(['timeZone "Mars/Olympus_Mons" is not a known IANA time zone']);
    expect(validateCalendar({ ...BERLIN, timeZone: '' })).toHaveLength(1);
  });

  it('rejects malformed HH:mm, naming the shift', () => {
    const cal = calendar('Europe/Berlin', [
      { weekday: 1, start: '09:00', end: '17:00' },
      { weekday: 2, start: '9:00', end: '17:00' },
      { weekday: 3, start: '09:00', end: '24:00' },
      { weekday: 4, start: '12:60', end: 'noon' },
    ]);
    expect(validateCalendar(cal)).toEqual([
      'shift #2 (Tue 9:00-17:00): start "9:00" is not a valid HH:mm time (00:00–23:59)',
      'shift #3 (Wed 09:00-24:00): end "24:00" is not a valid HH:mm time (00:00–23:59)',
      'shift #4 (Thu 12:60-noon): start "12:60" is not a valid HH:mm time (00:00–23:59)',
      'shift #4 (Thu 12:60-noon): end "noon" is not a valid HH:mm time (00:00–23:59)',
    ]);
  });

  it('rejects a weekday outside 1..7', () => {
    const cal = calendar('Europe/Berlin', [{ weekday: 8 as Weekday, start: '09:00', end: '17:00' }]);
    expect(validateCalendar(cal)).toEqual(['shift #1 (weekday 8 09:00-17:00): weekday must be an ISO weekday 1 (Mon) … 7 (Sun)']);
  });

  it('rejects overlapping shifts on the same day', () => {
    const cal = calendar('Europe/Berlin', [
      { weekday: 1, start: '09:00', end: '12:00' },
      { weekday: 1, start: '11:00', end: '13:00' },
    ]);
    expect(validateCalendar(cal)).toEqual(['shift #2 (Mon 11:00-13:00) overlaps shift #1 (Mon 09:00-12:00)']);
  });

  it('rejects an overnight shift overlapping the next morning', () => {
    const cal = calendar('Europe/Berlin', [
      { weekday: 5, start: '22:00', end: '06:00' },
      { weekday: 6, start: '05:00', end: '09:00' },
    ]);
    expect(validateCalendar(cal)).toEqual(['shift #2 (Sat 05:00-09:00) overlaps shift #1 (Fri 22:00-06:00)']);
  });

  it('rejects a Sunday overnight shift overlapping Monday (week wrap)', () => {
    const cal = calendar('Europe/Berlin', [
      { weekday: 1, start: '05:00', end: '09:00' },
      { weekday: 7, start: '22:00', end: '06:00' },
    ]);
    expect(validateCalendar(cal)).toEqual(['shift #2 (Sun 22:00-06:00) overlaps shift #1 (Mon 05:00-09:00)']);
  });

  it('rejects duplicate 24h shifts and a 24h shift overlapping the next day', () => {
    const dup = calendar('Europe/Berlin', [
      { weekday: 2, start: '00:00', end: '00:00' },
      { weekday: 2, start: '00:00', end: '00:00' },
    ]);
    expect(validateCalendar(dup)).toEqual(['shift #2 (Tue 00:00-00:00) overlaps shift #1 (Tue 00:00-00:00)']);
    const spill = calendar('Europe/Berlin', [
      { weekday: 2, start: '08:00', end: '08:00' },
      { weekday: 3, start: '07:00', end: '09:00' },
    ]);
    expect(validateCalendar(spill)).toEqual(['shift #2 (Wed 07:00-09:00) overlaps shift #1 (Tue 08:00-08:00)']);
  });

  it('rejects bad holiday dates, naming the holiday', () => {
    const cal = calendar('Europe/Berlin', shifts(MON_FRI, '09:00', '17:00'), [
      { date: '2026-12-25', name: 'Christmas' },
      { date: '2026-02-30', name: 'Imaginary' },
      { date: '2026-2-3' },
      { date: '2025-02-29', recurringYearly: true, name: 'Leap day' },
    ]);
    expect(validateCalendar(cal)).toEqual([
      'holiday #2 "Imaginary": date "2026-02-30" is not a real calendar date in YYYY-MM-DD form',
      'holiday #3: date "2026-2-3" is not a real calendar date in YYYY-MM-DD form',
      'holiday #4 "Leap day": date "2025-02-29" is not a real calendar date in YYYY-MM-DD form',
    ]);
  });

  it('rejects a calendar with no shifts unless alwaysOpen', () => {
    expect(validateCalendar(calendar('Europe/Berlin', []))).toEqual(['no shifts defined and alwaysOpen is not set: the calendar would never be open']);
    expect(validateCalendar({ timeZone: 'Europe/Berlin', alwaysOpen: true, shifts: [], holidays: [] })).toEqual([]);
  });

  it('reports several problems at once', () => {
    const cal = calendar('Nowhere/Land', [{ weekday: 1, start: 'x', end: '10:00' }], [{ date: 'tomorrow' }]);
    expect(validateCalendar(cal)).toHaveLength(3);
  });

  it('every operation throws on an invalid calendar', () => {
    const bad = { ...BERLIN, timeZone: 'Mars/Olympus_Mons' };
    const t = ms('2026-03-03T10:00:00+01:00');
    const message = /Invalid business-hours calendar: timeZone "Mars\/Olympus_Mons"/;
    expect(() => isOpenAt(bad, t)).toThrow(message);
    expect(() => businessMsBetween(bad, t, t + HOUR)).toThrow(message);
    expect(() => addBusinessMs(bad, t, HOUR)).toThrow(message);
    expect(() => nextOpening(bad, t)).toThrow(message);
  });
});

describe('scan limit', () => {
  /** Mondays only, and every Monday from 2026 to 2030 is a holiday. */
  function mondaysAllHolidays(): CalendarSpec {
    const holidays: Holiday[] = [];
    for (let d = DateTime.fromISO('2026-01-05', { zone: 'UTC' }); d.year <= 2030; d = d.plus({ weeks: 1 })) {
      holidays.push({ date: d.toISODate()! });
    }
    return calendar('Europe/Berlin', [{ weekday: 1, start: '09:00', end: '17:00' }], holidays);
  }

  it('addBusinessMs and nextOpening throw a clear error after ~3 years', () => {
    const cal = mondaysAllHolidays();
    const t = ms('2026-01-01T00:00:00+01:00');
    expect(() => addBusinessMs(cal, t, HOUR)).toThrow(/addBusinessMs: scanned 1098 days \(~3 years\)/);
    expect(() => nextOpening(cal, t)).toThrow(/nextOpening: scanned 1098 days \(~3 years\).*holidays/);
  });

  it('businessMsBetween and isOpenAt just report closed time', () => {
    const cal = mondaysAllHolidays();
    expect(between(cal, '2026-01-01T00:00:00+01:00', '2027-01-01T00:00:00+01:00')).toBe(0);
    expect(openAt(cal, '2026-01-05T10:00:00+01:00')).toBe(false);
  });

  it('long durations that do fit within the window work (2000h ≈ 250 working days)', () => {
    const start = ms('2026-01-05T09:00:00+01:00');
    const end = addBusinessMs(BERLIN, start, 2000 * HOUR);
    expect(local(BERLIN, end)).toBe('2026-12-18T17:00:00+01:00');
    expect(businessMsBetween(BERLIN, start, end)).toBe(2000 * HOUR);
  });
});

describe('zero and negative inputs', () => {
  const closed = '2026-03-07T12:00:00+01:00'; // Saturday

  it('durationMs 0 returns startMs unchanged, even when closed', () => {
    expect(add(BERLIN, closed, 0)).toBe(closed);
    expect(add(BERLIN, '2026-03-03T10:00:00+01:00', 0)).toBe('2026-03-03T10:00:00+01:00');
  });

  it('negative or non-finite durations throw RangeError', () => {
    const t = ms(closed);
    expect(() => addBusinessMs(BERLIN, t, -1)).toThrow(RangeError);
    expect(() => addBusinessMs(BERLIN, t, -1)).toThrow(/durationMs must not be negative \(got -1\)/);
    expect(() => addBusinessMs(BERLIN, t, Number.NaN)).toThrow(RangeError);
    expect(() => addBusinessMs(BERLIN, t, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('non-finite instants throw RangeError', () => {
    expect(() => addBusinessMs(BERLIN, Number.NaN, HOUR)).toThrow(RangeError);
    expect(() => isOpenAt(BERLIN, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => nextOpening(BERLIN, Number.NaN)).toThrow(RangeError);
    expect(() => businessMsBetween(BERLIN, 0, Number.NaN)).toThrow(RangeError);
  });

  it('businessMsBetween is 0 for empty or reversed ranges', () => {
    const t = ms('2026-03-03T10:00:00+01:00');
    expect(businessMsBetween(BERLIN, t, t)).toBe(0);
    expect(businessMsBetween(BERLIN, t + HOUR, t)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------
// Properties, with a seeded PRNG so failures reproduce.
// ---------------------------------------------------------------------------------------

/** mulberry32: tiny deterministic PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROPERTY_CALENDARS: Record<string, CalendarSpec> = {
  berlinWithHolidays: calendar('Europe/Berlin', shifts(MON_FRI, '09:00', '17:00'), [
    { date: '2000-12-25', recurringYearly: true },
    { date: '2000-12-26', recurringYearly: true },
    { date: '2026-05-14' },
  ]),
  tehran: TEHRAN,
  nyNights: calendar('America/New_York', shifts(EVERY_DAY, '00:00', '08:00')),
  nyGapShift: calendar('America/New_York', [
    { weekday: 7, start: '02:30', end: '06:00' },
    { weekday: 3, start: '13:15', end: '13:45' },
  ]),
  berlinOvernight: calendar(
    'Europe/Berlin',
    [
      { weekday: 5, start: '22:00', end: '06:00' },
      { weekday: 6, start: '06:00', end: '10:00' },
      { weekday: 6, start: '22:00', end: '06:00' },
      ...shifts([1, 2, 3], '08:30', '12:00'),
      ...shifts([1, 2, 3], '13:00', '17:30'),
    ],
    [{ date: '2026-10-23' }, { date: '2027-03-27' }],
  ),
  sydney24x7: {
    timeZone: 'Australia/Sydney',
    alwaysOpen: true,
    shifts: [],
    holidays: [{ date: '2000-01-26', recurringYearly: true }],
  },
};

describe('properties (seeded random)', () => {
  const from = ms('2026-01-01T00:00:00Z');
  const span = 2 * 365 * DAY;

  for (const [name, cal] of Object.entries(PROPERTY_CALENDARS)) {
    it(`${name}: between(s, add(s, d)) === d, result open-or-closing, monotonic in d`, () => {
      const random = prng(0xc0ffee ^ name.length);
      const failures: string[] = [];
      for (let i = 0; i < 400; i++) {
        const s = from + Math.floor(random() * span);
        const roll = random();
        const d = roll < 0.1 ? 0 : roll < 0.4 ? Math.ceil(random() * 60) * HOUR : Math.floor(random() * 120 * HOUR);
        const r = addBusinessMs(cal, s, d);
        const context = `s=${new Date(s).toISOString()} d=${d} r=${new Date(r).toISOString()}`;
        if (businessMsBetween(cal, s, r) !== d) failures.push(`between != d: ${context}`);
        if (r < s + d) failures.push(`business time exceeded wall time: ${context}`);
        if (d > 0 && !isOpenAt(cal, r - 1)) failures.push(`result not open or at closing: ${context}`);
        if (d > 0 && r <= nextOpening(cal, s)) failures.push(`result before next opening: ${context}`);
        const d2 = d + Math.floor(random() * 10 * HOUR);
        if (addBusinessMs(cal, s, d2) < r) failures.push(`not monotonic (d2=${d2}): ${context}`);
        const o = nextOpening(cal, s);
        if (!isOpenAt(cal, o) || businessMsBetween(cal, s, o) !== 0) failures.push(`bad nextOpening: ${context}`);
      }
      expect(failures).toEqual([]);
    });
  }
});

/**
 * Independent oracle: decide "open?" for one instant straight from luxon's local time,
 * shift by shift, with no interval arithmetic. Sampling every quarter hour is exact
 * because every boundary here (shifts, DST transitions, zone offsets) is on a quarter hour.
 */
function oracleOpen(cal: CalendarSpec, at: number): boolean {
  const t = DateTime.fromMillis(at, { zone: cal.timeZone });
  const minute = t.hour * 60 + t.minute;
  const today = t.toISODate()!;
  const yesterday = new Date(Date.UTC(t.year, t.month - 1, t.day - 1)).toISOString().slice(0, 10);
  const yesterdayWeekday = t.weekday === 1 ? 7 : t.weekday - 1;
  const isHoliday = (date: string) => cal.holidays.some((h) => (h.recurringYearly === true ? h.date.slice(5) === date.slice(5) : h.date === date));
  if (cal.alwaysOpen === true) return !isHoliday(today);
  const toMin = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  return cal.shifts.some((shift) => {
    const start = toMin(shift.start);
    const end = toMin(shift.end);
    if (end > start) return shift.weekday === t.weekday && !isHoliday(today) && minute >= start && minute < end;
    const startedToday = shift.weekday === t.weekday && !isHoliday(today) && minute >= start;
    const startedYesterday = shift.weekday === yesterdayWeekday && !isHoliday(yesterday) && minute < end;
    return startedToday || startedYesterday;
  });
}

describe('agrees with a quarter-hour-sampling oracle', () => {
  const windows: [string, string][] = [
    ['2026-03-05T00:00:00Z', '2026-03-11T00:00:00Z'], // US spring forward
    ['2026-03-26T00:00:00Z', '2026-04-01T00:00:00Z'], // EU spring forward
    ['2026-10-21T00:00:00Z', '2026-10-27T00:00:00Z'], // EU fall back + Friday holiday
    ['2026-10-29T00:00:00Z', '2026-11-04T00:00:00Z'], // US fall back
    ['2026-12-22T00:00:00Z', '2026-12-29T00:00:00Z'], // Christmas
    ['2027-03-18T00:00:00Z', '2027-03-29T00:00:00Z'], // Nowruz + EU/AU transitions
  ];

  for (const [name, cal] of Object.entries(PROPERTY_CALENDARS)) {
    it(`${name}`, () => {
      const failures: string[] = [];
      for (const [fromIso, toIso] of windows) {
        const from = ms(fromIso);
        const to = ms(toIso);
        const step = 15 * MIN;
        let oracleTotal = 0;
        for (let at = from; at < to; at += step) {
          const expected = oracleOpen(cal, at);
          if (expected) oracleTotal += step;
          if (isOpenAt(cal, at) !== expected) failures.push(`isOpenAt(${local(cal, at)}) should be ${expected}`);
        }
        const total = businessMsBetween(cal, from, to);
        if (total !== oracleTotal) failures.push(`${fromIso}..${toIso}: ${total} != oracle ${oracleTotal}`);
      }
      expect(failures).toEqual([]);
    });
  }
});

describe('throughput', () => {
  it('10,000 addBusinessMs(8h) calls over a weekday calendar stay correct', () => {
    const random = prng(42);
    const base = ms('2026-01-01T00:00:00+01:00');
    const results: { start: number; end: number }[] = [];
    for (let i = 0; i < 10_000; i++) {
      const start = base + Math.floor(random() * 365 * DAY);
      results.push({ start, end: addBusinessMs(BERLIN, start, 8 * HOUR) });
    }
    for (let i = 0; i < results.length; i += 500) {
      const { start, end } = results[i]!;
      expect(businessMsBetween(BERLIN, start, end)).toBe(8 * HOUR);
      expect(isOpenAt(BERLIN, end - 1)).toBe(true);
    }
    // One fixed instant in the same run: Friday 16:00 + 8h → Monday 17:00.
    expect(add(BERLIN, '2026-03-06T16:00:00+01:00', 8 * HOUR)).toBe('2026-03-09T16:00:00+01:00');
  });
});
