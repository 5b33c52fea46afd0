import { beforeEach, describe, expect, it } from 'vitest';
import { setToken } from '@/api/client';
import { fakeApi, freshPinia } from '@/test/helpers';
import type { Rule } from '../types';
import { useRulesStore } from './rules';

// The rules list store: the order and enabled flags follow the API; a change shows at once and
// is put back when the API refuses it, with the server's error passed on.

const rule = (id: number, over: Partial<Rule> = {}): Rule => ({
  id,
  name: `Rule ${id}`,
  description: null,
  trigger: 'ticket.created',
  position: id * 10,
  enabled: true,
  version: 1,
  definition: {},
  counters: { runs: 0, matches: 0, lastMatchedAt: null },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('rules store', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
  });

  it('loads the rules in evaluation order', async () => {
    fakeApi({ 'GET /api/v1/rules': { body: { items: [rule(2), rule(1)] } } });
    const store = useRulesStore();
    await store.load();
    expect(store.items.map((r) => r.id)).toEqual([2, 1]);
    expect(store.loaded).toBe(true);
  });

  it('keeps the error of a failed load for the page to show', async () => {
    fakeApi({ 'GET /api/v1/rules': { status: 503, body: { error: { code: 'unavailable', message: 'Temporal is down' } } } });
    const store = useRulesStore();
    await expect(store.load()).rejects.toThrow('Temporal is down');
    expect((store.error as Error).message).toBe('Temporal is down');
  });

  it('toggles a rule at once and keeps what the API answers', async () => {
    const api = fakeApi({
      'GET /api/v1/rules': { body: { items: [rule(1)] } },
      'PATCH /api/v1/rules/1': (call) => ({ body: rule(1, { enabled: (call.body as { enabled: boolean }).enabled, updatedAt: '2026-02-02T00:00:00.000Z' }) }),
    });
    const store = useRulesStore();
    await store.load();
    const pending = store.setEnabled(1, false);
    expect(store.items[0]!.enabled).toBe(false);
    expect(store.busy.has(1)).toBe(true);
    await pending;
    expect(api.calls.at(-1)).toMatchObject({ method: 'PATCH', path: '/api/v1/rules/1', body: { enabled: false } });
    expect(store.items[0]).toMatchObject({ enabled: false, updatedAt: '2026-02-02T00:00:00.000Z' });
    expect(store.busy.size).toBe(0);
  });

  it('puts the switch back when the API refuses', async () => {
    fakeApi({
      'GET /api/v1/rules': { body: { items: [rule(1)] } },
      'PATCH /api/v1/rules/1': { status: 403, body: { error: { code: 'forbidden', message: 'Role agent may not admin.manage' } } },
    });
    const store = useRulesStore();
    await store.load();
    await expect(store.setEnabled(1, false)).rejects.toThrow('Role agent may not admin.manage');
    expect(store.items[0]!.enabled).toBe(true);
  });

  it('reorders by sending every id once, and restores the order when refused', async () => {
    let refuse = false;
    const api = fakeApi({
      'GET /api/v1/rules': { body: { items: [rule(1), rule(2), rule(3)] } },
      'POST /api/v1/rules/reorder': (call) => {
        if (refuse) return { status: 400, body: { error: { code: 'bad_request', message: 'ids must list every rule exactly once', fields: [{ path: 'body.ids', message: 'Missing: 4' }] } } };
        const ids = (call.body as { ids: number[] }).ids;
        return { body: { items: ids.map((id, i) => rule(id, { position: (i + 1) * 10 })) } };
      },
    });
    const store = useRulesStore();
    await store.load();
    await store.move(2, 0);
    expect(api.calls.at(-1)!.body).toEqual({ ids: [3, 1, 2] });
    expect(store.items.map((r) => [r.id, r.position])).toEqual([
      [3, 10],
      [1, 20],
      [2, 30],
    ]);
    refuse = true;
    await expect(store.move(0, 2)).rejects.toThrow('ids must list every rule exactly once');
    expect(store.items.map((r) => r.id)).toEqual([3, 1, 2]);
    // Out-of-range moves do nothing.
    const calls = api.calls.length;
    await store.move(0, 7);
    expect(api.calls.length).toBe(calls);
  });

  it('removes a deleted rule from the list', async () => {
    fakeApi({ 'GET /api/v1/rules': { body: { items: [rule(1), rule(2)] } }, 'DELETE /api/v1/rules/1': { status: 204 } });
    const store = useRulesStore();
    await store.load();
    await store.remove(1);
    expect(store.items.map((r) => r.id)).toEqual([2]);
  });
});
