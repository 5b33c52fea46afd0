import { describe, expect, it } from 'vitest';
import { instant, isRealUtcTimestamp } from './instant';

describe('instants from clients', () => {
  it('accepts real date-times with Z or an offset whose instant lies in UTC years 1970..9999', () => {
    for (const s of ['1970-01-01T00:00:00Z', '2024-02-29T12:00:00+03:30', '2026-03-01T08:00:00.123456Z', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59+14:00', '1970-01-01T03:30:00+03:30'])
      expect(instant.safeParse(s).success, s).toBe(true);
  });

  it('refuses impossible dates and instants outside the range, with one message each', () => {
    for (const s of [
      '0000-01-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '1970-01-01T00:00:00+00:01',
      '9999-12-31T23:59:59-14:00',
      '10000-01-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01',
      'yesterday',
    ]) {
      const r = instant.safeParse(s);
      expect(r.success, s).toBe(false);
      expect(r.error!.issues, s).toHaveLength(1);
    }
  });

  it('checks UTC timestamps read back from cursors by their round trip through Date', () => {
    expect(isRealUtcTimestamp('2026-01-02T03:04:05.123456Z')).toBe(true);
    expect(isRealUtcTimestamp('2026-01-02T03:04:05Z')).toBe(true);
    for (const s of ['2026-02-30T00:00:00.000000Z', '2026-01-01T24:00:00Z', '0000-01-01T00:00:00Z', '+010000-01-01T00:00:00Z', '2026-01-01T00:00:00+01:00', ''])
      expect(isRealUtcTimestamp(s), s).toBe(false);
  });
});
