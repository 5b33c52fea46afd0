import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_BASE, BLOCK_LEVELS, dayNumber, filterTokenGroups, MAX_BLOCKS, tokenTsQuery, windowOf } from './tokens';

describe('filter and visibility tokens', () => {
  it('leave the groups of an agent to the row check (too common to narrow the index scan)', () => {
    expect(filterTokenGroups({ kind: 'staff', role: 'agent', userId: 7, groupIds: [4, 5] }, {})).toEqual([]);
  });
  it('narrow a customer to their tickets and public articles, the public to public articles, admins not at all', () => {
    expect(filterTokenGroups({ kind: 'customer', userId: 9 }, undefined)).toEqual([['~r.9', '~pub']]);
    expect(filterTokenGroups({ kind: 'public' }, undefined)).toEqual([['~pub']]);
    expect(filterTokenGroups({ kind: 'staff', role: 'admin', userId: 1, groupIds: [] }, undefined)).toEqual([]);
  });
  it('add one OR-group per filter; ids and tags stay SQL conditions only', () => {
    const groups = filterTokenGroups(
      { kind: 'staff', role: 'supervisor', userId: 1, groupIds: [] },
      {
        types: ['ticket'],
        status: ['open', 'pending'],
        priority: ['high'],
        groupId: [3],
        categoryId: [8],
        kbCategoryId: [2],
        lang: ['fa'],
        ids: [1, 2],
        tag: ['vip'],
      },
    );
    expect(groups).toEqual([['~k.ticket'], ['~s.open', '~s.pending'], ['~p.high'], ['~g.3'], ['~c.8'], ['~kc.2'], ['~l.fa']]);
    expect(tokenTsQuery(groups.slice(0, 2), windowOf(20_789, 20_789))).toBe(`('~k.ticket') & ('~s.open' | '~s.pending') & ('~b0_20789')`);
    expect(tokenTsQuery([], null)).toBeNull();
  });
  it('cannot be broken out of by a quote in a value', () => {
    expect(tokenTsQuery([[`~s.o'pen\\`]], null)).toBe(`('~s.open')`);
  });
});

describe('recency windows', () => {
  it('numbers days from 1970-01-01 in UTC', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('2026-12-02')).toBe(20_789);
    expect(dayNumber('1969-12-31')).toBe(-1);
    expect(() => dayNumber('2026-02-30x')).toThrow(/Not a date/);
  });

  it('covers a single day with its own day token', () => {
    expect(windowOf(20_789, 20_789)).toEqual({ tokens: ['~b0_20789'], from: 20_789, to: 20_789 });
  });

  it('takes the finest block size that needs at most three blocks', () => {
    // 20,399…20,425: 27 days; 8-day blocks would take five, 16-day blocks 1,274…1,276 three.
    const w = windowOf(20_399, 20_425)!;
    expect(w.tokens).toEqual(['~b4_1274', '~b4_1275', '~b4_1276']);
    expect(tokenTsQuery([], w)).toBe(`('~b4_1274' | '~b4_1275' | '~b4_1276')`);
  });

  it('gives up (whole index) beyond three of the largest blocks', () => {
    expect(windowOf(0, 3 * BLOCK_BASE ** 12)).toBeNull();
    expect(windowOf(0, 3 * BLOCK_BASE ** 12 - 1)).not.toBeNull();
  });

  it('always covers first…last with at most three aligned blocks of one size', () => {
    fc.assert(
      fc.property(fc.integer({ min: -50_000, max: 60_000 }), fc.integer({ min: 0, max: 20_000 }), (first, span) => {
        const w = windowOf(first, first + span);
        if (!w) return;
        expect(w.tokens.length).toBeLessThanOrEqual(MAX_BLOCKS);
        expect(w.from).toBeLessThanOrEqual(first);
        expect(w.to).toBeGreaterThanOrEqual(first + span);
        const [k] = w.tokens[0]!.slice(2).split('_').map(Number);
        const size = BLOCK_BASE ** k!;
        // Aligned blocks, consecutive, and no coarser than needed: one size finer takes more than three.
        expect(w.from % size === 0 || (w.from < 0 && -w.from % size === 0)).toBe(true);
        expect(w.to - w.from + 1).toBe(w.tokens.length * size);
        if (k! > 0) {
          const finer = size / BLOCK_BASE;
          expect(Math.floor((first + span) / finer) - Math.floor(first / finer) + 1).toBeGreaterThan(MAX_BLOCKS);
        }
      }),
    );
  });

  it('has as many levels as search_tokens() writes (0…12)', () => {
    expect(BLOCK_LEVELS).toBe(13);
  });

  it('refuses a reversed or fractional window', () => {
    expect(() => windowOf(5, 4)).toThrow(/Bad window/);
    expect(() => windowOf(1.5, 4)).toThrow(/Bad window/);
  });
});
