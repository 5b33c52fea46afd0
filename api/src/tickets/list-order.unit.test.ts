import { describe, expect, it } from 'vitest';
import { HttpError } from '../http/errors';
import { encodeCursor, keysetOrder } from './list-order';

describe('ticket list keyset orders', () => {
  it('orders by the key then the id, in one direction, with rows without a due date last', () => {
    expect(keysetOrder('-createdAt', undefined).orderBy).toBe('t.created_at desc, t.id desc');
    expect(keysetOrder('priority', undefined).orderBy).toMatch(/^\(case t\.priority .* end\) asc, t\.id asc$/);
    expect(keysetOrder('dueAt', undefined).orderBy).toBe('least(t.first_response_due_at, t.resolution_due_at) asc nulls last, t.id asc');
    expect(keysetOrder('-dueAt', undefined).orderBy).toBe('least(t.first_response_due_at, t.resolution_due_at) desc nulls last, t.id desc');
  });

  it('continues after the cursor, including into rows without a key', () => {
    const t = '2026-01-02T03:04:05.123456Z';
    expect(keysetOrder('-updatedAt', encodeCursor('-updatedAt', t, 7)).after).toEqual({ sql: '(t.updated_at, t.id) < (?::timestamptz, ?)', params: [t, 7] });
    expect(keysetOrder('dueAt', encodeCursor('dueAt', t, 7)).after!.sql).toBe(
      '((least(t.first_response_due_at, t.resolution_due_at), t.id) > (?::timestamptz, ?) or least(t.first_response_due_at, t.resolution_due_at) is null)',
    );
    expect(keysetOrder('-dueAt', encodeCursor('-dueAt', null, 7)).after).toEqual({ sql: 'least(t.first_response_due_at, t.resolution_due_at) is null and t.id < ?', params: [7] });
    expect(keysetOrder('priority', encodeCursor('priority', 2, 7)).after!.params).toEqual([2, 7]);
  });

  it('refuses cursors it did not issue or issued for another order', () => {
    const refused = (sort: Parameters<typeof keysetOrder>[0], cursor: string) => {
      try {
        keysetOrder(sort, cursor);
      } catch (err) {
        return err instanceof HttpError && err.status === 422 ? err.fields![0]!.message : 'other error';
      }
      return 'accepted';
    };
    expect(refused('updatedAt', encodeCursor('priority', 1, 3))).toMatch(/sort=priority/);
    expect(refused('updatedAt', encodeCursor('updatedAt', null, 3))).toBe('Not a cursor returned by this API'); // only dueAt has rows without a key
    expect(refused('updatedAt', encodeCursor('updatedAt', '2026-01-02T03:04:05Z', 3))).toBe('Not a cursor returned by this API');
    expect(refused('priority', encodeCursor('priority', 4, 3))).toBe('Not a cursor returned by this API');
    expect(refused('priority', encodeCursor('priority', 1, 0))).toBe('Not a cursor returned by this API');
    expect(refused('priority', 'not base64 json')).toBe('Not a cursor returned by this API');
    expect(refused('priority', Buffer.from('{"a":1}').toString('base64url'))).toBe('Not a cursor returned by this API');
    expect(refused('priority', encodeCursor('priority', 1, 3))).toBe('accepted');
  });

  it('refuses time keys that name no real instant in 1970..9999, and ids beyond int4', () => {
    const refused = (key: string, id = 3) => {
      try {
        keysetOrder('-createdAt', encodeCursor('-createdAt', key, id));
        return false;
      } catch (err) {
        return err instanceof HttpError && err.status === 422 && err.fields![0]!.path === 'query.cursor';
      }
    };
    for (const key of [
      '0000-01-01T00:00:00.000000Z',
      '1969-12-31T23:59:59.999999Z',
      '2026-02-30T00:00:00.000000Z',
      '2026-13-01T00:00:00.000000Z',
      '2026-01-01T24:00:00.000000Z',
      '2026-01-01T23:60:00.000000Z',
      '10000-01-01T00:00:00.000000Z',
    ])
      expect(refused(key), key).toBe(true);
    expect(refused('2026-01-01T00:00:00.000000Z', 2_147_483_648)).toBe(true);
    for (const key of ['1970-01-01T00:00:00.000000Z', '2024-02-29T23:59:59.999999Z', '9999-12-31T23:59:59.999999Z']) expect(refused(key), key).toBe(false);
    expect(refused('2026-01-01T00:00:00.000000Z', 2_147_483_647)).toBe(false);
  });
});
