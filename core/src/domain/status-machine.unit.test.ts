import { describe, expect, it } from 'vitest';
import { STATUSES, type TicketStatus } from './enums';
import { FINISHED_STATUSES, IllegalTransitionError, OPEN_STATUSES, PAUSED_STATUSES, TERMINAL_STATUSES, allowedTransitions, assertTransition, canTransition } from './status-machine';

// The expected status graph, written out independently of the implementation.
// Rows: from; columns: to, in STATUSES order. 1 = allowed, 0 = refused.
const COLUMNS = ['new', 'open', 'pending', 'on_hold', 'resolved', 'closed', 'cancelled'] as const;
//                                  new open pend hold reso clos canc
const EXPECTED: Record<TicketStatus, readonly (0 | 1)[]> = {
  new: /*       */ [0, 1, 1, 1, 1, 0, 1],
  open: /*      */ [0, 0, 1, 1, 1, 0, 1],
  pending: /*   */ [0, 1, 0, 1, 1, 0, 1],
  on_hold: /*   */ [0, 1, 1, 0, 1, 0, 1],
  resolved: /*  */ [0, 1, 0, 0, 0, 1, 0],
  closed: /*    */ [0, 0, 0, 0, 0, 0, 0],
  cancelled: /* */ [0, 0, 0, 0, 0, 0, 0],
};

const PAIRS = COLUMNS.flatMap((from) => COLUMNS.map((to, i) => ({ from, to, allowed: EXPECTED[from][i] === 1 })));

describe('transition table', () => {
  it('the expected matrix covers every status exactly once, in both dimensions', () => {
    expect([...COLUMNS]).toEqual([...STATUSES]);
    expect(Object.keys(EXPECTED).sort()).toEqual([...STATUSES].sort());
    expect(PAIRS).toHaveLength(49);
  });

  it.each(PAIRS)('$from → $to allowed=$allowed', ({ from, to, allowed }) => {
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertTransition(from, to)).not.toThrow();
    } else {
      expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
    }
  });

  it.each(COLUMNS)('allowedTransitions(%s) lists exactly the allowed targets, in status order', (from) => {
    const expected = COLUMNS.filter((_, i) => EXPECTED[from][i] === 1);
    expect([...allowedTransitions(from)]).toEqual(expected);
  });

  it('no status may transition to itself', () => {
    for (const s of STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  it('nothing can go back to new', () => {
    for (const s of STATUSES) expect(canTransition(s, 'new')).toBe(false);
  });

  it('only resolved can be closed', () => {
    expect(STATUSES.filter((s) => canTransition(s, 'closed'))).toEqual(['resolved']);
  });
});

describe('IllegalTransitionError', () => {
  function caught(from: TicketStatus, to: TicketStatus): IllegalTransitionError {
    try {
      assertTransition(from, to);
    } catch (e) {
      expect(e).toBeInstanceOf(IllegalTransitionError);
      return e as IllegalTransitionError;
    }
    throw new Error(`expected ${from} → ${to} to be refused`);
  }

  it.each(PAIRS.filter((p) => !p.allowed && p.from !== p.to))('$from → $to names both states', ({ from, to }) => {
    const e = caught(from, to);
    expect(e.name).toBe('IllegalTransitionError');
    expect(e.from).toBe(from);
    expect(e.to).toBe(to);
    expect(e.message).toContain(`from ${from} to ${to}`);
    expect(e).toBeInstanceOf(Error);
  });

  it('lists the allowed targets when there are some', () => {
    expect(caught('resolved', 'pending').message).toBe('Cannot change status from resolved to pending (allowed from resolved: open, closed)');
    expect(caught('open', 'closed').message).toBe('Cannot change status from open to closed (allowed from open: pending, on_hold, resolved, cancelled)');
  });

  it.each(TERMINAL_STATUSES.map((from) => ({ from })))('says $from is final', ({ from }) => {
    expect(caught(from, 'open').message).toBe(`Cannot change status from ${from} to open (${from} is final)`);
  });

  it.each(COLUMNS)('"already %s" when from === to', (s) => {
    const e = caught(s, s);
    expect(e.message).toBe(`Ticket is already ${s}`);
    expect(e.from).toBe(s);
    expect(e.to).toBe(s);
  });
});

describe('status groups', () => {
  it('terminal statuses are exactly the ones with no way out', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['cancelled', 'closed']);
    const noWayOut = STATUSES.filter((s) => allowedTransitions(s).length === 0);
    expect([...noWayOut].sort()).toEqual([...TERMINAL_STATUSES].sort());
  });

  it('paused, finished and open groups', () => {
    expect([...PAUSED_STATUSES].sort()).toEqual(['on_hold', 'pending']);
    expect([...FINISHED_STATUSES].sort()).toEqual(['cancelled', 'closed', 'resolved']);
    expect([...OPEN_STATUSES].sort()).toEqual(['new', 'on_hold', 'open', 'pending']);
  });

  it('every status is either open or finished, never both', () => {
    for (const s of STATUSES) {
      expect(OPEN_STATUSES.includes(s) !== FINISHED_STATUSES.includes(s), s).toBe(true);
    }
  });

  it('every open status can be resolved and cancelled; finished ones cannot be cancelled', () => {
    for (const s of OPEN_STATUSES) {
      expect(canTransition(s, 'resolved'), s).toBe(true);
      expect(canTransition(s, 'cancelled'), s).toBe(true);
    }
    for (const s of FINISHED_STATUSES) expect(canTransition(s, 'cancelled'), s).toBe(false);
  });
});
