// IANA time-zone offsets from the platform's Intl (the same tz database luxon reads), so the
// business-hours maths needs no date library: this module is all the workflow sandbox loads
// for time zones, once per workflow, instead of luxon. time-zone.unit.test.ts checks it against
// luxon on random zones and instants.

export interface TimeZone {
  name: string;
  /** Minutes east of UTC in force at the instant (as luxon's `IANAZone.offset`). */
  offset(atMs: number): number;
}

const zones = new Map<string, TimeZone | null>();

/** The zone named `name`, or null when the platform does not know it. Cached per name. */
export function timeZone(name: string): TimeZone | null {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = build(name);
    zones.set(name, zone);
  }
  return zone;
}

function build(name: string): TimeZone | null {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return null;
  }
  const canonical = name;
  return {
    name: canonical,
    offset(atMs) {
      const f: Record<string, number> = {};
      let bc = false;
      for (const p of format.formatToParts(atMs)) {
        if (p.type === 'era') bc = p.value.startsWith('B');
        else if (p.type !== 'literal') f[p.type] = Number(p.value);
      }
      const year = bc ? 1 - f.year! : f.year!;
      // The wall clock read as if it were UTC, minus the instant (to the second) = the offset.
      const wall = new Date(0);
      wall.setUTCFullYear(year, f.month! - 1, f.day!);
      wall.setUTCHours(f.hour === 24 ? 0 : f.hour!, f.minute!, f.second!, 0);
      const whole = atMs - (((atMs % 1000) + 1000) % 1000);
      return (wall.getTime() - whole) / 60_000;
    },
  };
}
