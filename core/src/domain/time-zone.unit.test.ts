import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { timeZone } from './time-zone';

// The workflow sandbox computes zone offsets from Intl directly; luxon (which the rest of the
// code uses) is the reference they must agree with.
const ZONES = [
  'UTC',
  'Asia/Tehran',
  'Europe/Berlin',
  'America/New_York',
  'America/Santiago',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Asia/Kathmandu',
  'Africa/Casablanca',
  'Pacific/Apia',
  'America/St_Johns',
  'Europe/Dublin',
];

describe('time zone offsets', () => {
  it('equal luxon for any zone and instant between 1900 and 2200', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }), (name, at) => {
        expect(timeZone(name)!.offset(at)).toBe(IANAZone.create(name).offset(at));
      }),
      { numRuns: 3000 },
    );
  });

  it('equal luxon around daylight-saving transitions, to the millisecond', () => {
    // Berlin, 2026-03-29 01:00 UTC (spring forward) and 2026-10-25 01:00 UTC (fall back).
    for (const t of [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1)])
      for (const d of [-1001, -1000, -999, -1, 0, 1, 999, 1000])
        expect(timeZone('Europe/Berlin')!.offset(t + d), `${new Date(t + d).toISOString()}`).toBe(IANAZone.create('Europe/Berlin').offset(t + d));
  });

  it('knows the zones luxon knows, and no others', () => {
    for (const name of [...ZONES, 'asia/tehran', 'Mars/Olympus', '', 'UTC+3', 'Etc/GMT-14']) expect(timeZone(name) !== null, name).toBe(IANAZone.isValidZone(name));
  });
});
