import { beforeEach, describe, expect, it } from 'vitest';
import { setToken } from '@/api/client';
import { fakeApi, freshPinia, ticketFixture } from '@/test/helpers';
import { useAuthStore } from './auth';
import { buildTicketQuery, emptyFilters, useInboxStore, viewPreset } from './inbox';
import { useLiveStore } from './live';

const page = (ids: number[], nextCursor: string | null) => ({ items: ids.map((id) => ticketFixture({ id, number: `TKT-2026-${String(id).padStart(6, '0')}`, version: 1 })), nextCursor });

describe('inbox filters → GET /tickets query', () => {
  it('maps every filter onto its parameter and leaves empty ones out', () => {
    const q = buildTicketQuery(
      {
        ...emptyFilters(),
        status: ['open', 'pending'],
        priority: ['urgent'],
        slaState: ['warning', 'breached'],
        groupId: 3,
        assignee: 'me',
        tag: 'vpn',
        requester: { id: 9, name: 'Cyrus' },
        createdFrom: '2026-05-01',
        createdTo: '2026-05-03',
        q: '  printer ',
      },
      '-priority',
      { limit: 50, cursor: 'abc' },
    );
    expect(q).toEqual({
      limit: 50,
      status: ['open', 'pending'],
      priority: ['urgent'],
      slaState: ['warning', 'breached'],
      groupId: '3',
      assigneeId: 'me',
      tag: 'vpn',
      requesterId: '9',
      createdFrom: new Date('2026-05-01T00:00:00').toISOString(),
      createdTo: new Date('2026-05-03T23:59:59.999').toISOString(),
      q: 'printer',
      sort: '-priority',
      cursor: 'abc',
    });
    expect(buildTicketQuery(emptyFilters(), '-updatedAt')).toEqual({ limit: 100, sort: '-updatedAt' });
    expect(buildTicketQuery({ ...emptyFilters(), assignee: 'none' }, 'dueAt').assigneeId).toBe('none');
    expect(buildTicketQuery({ ...emptyFilters(), assignee: 12 }, 'dueAt').assigneeId).toBe('12');
  });

  it('each view is a preset of filters and sort', () => {
    const now = Date.parse('2026-05-02T12:00:00Z');
    expect(buildTicketQuery(viewPreset('mine', now).filters, viewPreset('mine').sort)).toMatchObject({ assigneeId: 'me', status: ['new', 'open', 'pending', 'on_hold'], sort: 'dueAt' });
    expect(buildTicketQuery(viewPreset('unassigned', now).filters, 'dueAt')).toMatchObject({ assigneeId: 'none' });
    expect(buildTicketQuery(viewPreset('atRisk', now).filters, 'dueAt')).toMatchObject({ slaState: ['warning', 'breached'] });
    expect(buildTicketQuery(viewPreset('pending', now).filters, '-updatedAt')).toMatchObject({ status: ['pending'] });
    expect(buildTicketQuery(viewPreset('recent', now).filters, viewPreset('recent').sort)).toMatchObject({ updatedFrom: '2026-05-01T12:00:00.000Z', sort: '-updatedAt' });
  });
});

describe('inbox store', () => {
  beforeEach(() => {
    setToken('mdk_t');
    freshPinia();
  });

  it('loads the first page with the view query, then pages on with the cursor (no duplicates)', async () => {
    const api$ = fakeApi({
      'GET /api/v1/tickets': (call) => (call.query.get('cursor') === 'c2' ? { body: page([3, 4], null) } : { body: page([1, 2, 3], 'c2') }),
    });
    const inbox = useInboxStore();
    await inbox.selectView('allOpen');
    expect(inbox.items.map((t) => t.id)).toEqual([1, 2, 3]);
    expect(inbox.hasMore).toBe(true);
    const first = api$.calls[0]!.query;
    expect(first.getAll('status')).toEqual(['new', 'open', 'pending', 'on_hold']);
    expect(first.get('sort')).toBe('-updatedAt');
    expect(first.get('limit')).toBe('100');
    expect(first.get('cursor')).toBeNull();

    await inbox.loadMore();
    expect(api$.calls[1]!.query.get('cursor')).toBe('c2');
    expect(inbox.items.map((t) => t.id)).toEqual([1, 2, 3, 4]);
    expect(inbox.hasMore).toBe(false);
    await inbox.loadMore();
    expect(api$.calls).toHaveLength(2);
  });

  it('changing a filter reloads from the first page', async () => {
    const api$ = fakeApi({ 'GET /api/v1/tickets': { body: page([1], 'next') } });
    const inbox = useInboxStore();
    await inbox.selectView('mine');
    await inbox.setFilters({ priority: ['urgent', 'high'], tag: 'vpn' });
    const q = api$.calls[1]!.query;
    expect(q.getAll('priority')).toEqual(['urgent', 'high']);
    expect(q.get('tag')).toBe('vpn');
    expect(q.get('assigneeId')).toBe('me');
    expect(q.get('cursor')).toBeNull();
    await inbox.setSort('-createdAt');
    expect(api$.calls[2]!.query.get('sort')).toBe('-createdAt');
  });

  it('drops list parameters an older API refuses as unknown, and retries', async () => {
    const api$ = fakeApi({
      'GET /api/v1/tickets': (call) =>
        call.query.has('sort')
          ? { status: 400, body: { error: { code: 'bad_request', message: 'Invalid query', fields: [{ path: 'query.sort', message: 'Unknown field' }] } } }
          : { body: page([1], null) },
    });
    const inbox = useInboxStore();
    await inbox.selectView('allOpen');
    expect(inbox.error).toBeNull();
    expect(inbox.items).toHaveLength(1);
    expect(api$.calls).toHaveLength(2);
    await inbox.refresh();
    expect(api$.calls).toHaveLength(3);
    expect(api$.calls[2]!.query.has('sort')).toBe(false);
  });

  it('shows the server error of a failed load', async () => {
    fakeApi({ 'GET /api/v1/tickets': { status: 503, body: { error: { code: 'unavailable', message: 'PostgreSQL is unreachable' } } } });
    const inbox = useInboxStore();
    await inbox.selectView('mine');
    expect(inbox.error?.message).toBe('PostgreSQL is unreachable');
  });

  it('patches rows from live ticket.updated values, and inserts the new tickets the server says match', async () => {
    fakeApi({
      'GET /api/v1/tickets': (call) => {
        if (!call.query.has('ids')) return { body: page([5, 4], null) };
        // The server applies the view's filters: #6 is open, #7 resolved (not in "all open").
        const asked = call.query.get('ids')!.split(',').map(Number);
        expect(call.query.getAll('status')).toEqual(['new', 'open', 'pending', 'on_hold']);
        return { body: { items: asked.filter((id) => id === 6).map((id) => ticketFixture({ id, status: 'new', updatedAt: '2026-05-03T00:00:00.000Z' })), nextCursor: null } };
      },
    });
    useAuthStore().user = { id: 1, email: 'a@x', name: 'A', role: 'agent', locale: 'en', organizationId: null, groupIds: [1] };
    const inbox = useInboxStore();
    await inbox.selectView('allOpen');
    inbox.attachLive();
    const live = useLiveStore();
    live.dispatch({
      event: 'ticket.updated',
      data: JSON.stringify({ ticketId: 4, version: 2, fields: ['priority', 'updatedAt'], values: { priority: 'urgent', updatedAt: '2026-05-02T00:00:00.000Z' } }),
      id: null,
    });
    expect(inbox.items.find((t) => t.id === 4)).toMatchObject({ priority: 'urgent', version: 2 });
    live.dispatch({ event: 'ticket.created', data: JSON.stringify({ ticketId: 6 }), id: null });
    live.dispatch({ event: 'ticket.created', data: JSON.stringify({ ticketId: 7 }), id: null });
    await inbox.flushLive();
    // #6 is open and newest by updatedAt: first; #7 is resolved: not in "all open".
    expect(inbox.items.map((t) => t.id)).toEqual([6, 5, 4]);
    inbox.detachLive();
  });

  it('with a search active too, asks the server which live tickets match (one batch)', async () => {
    const api$ = fakeApi({
      'GET /api/v1/tickets': (call) => {
        if (!call.query.has('ids')) return { body: page([5, 4], null) };
        // The server says: of 6, 7 and 8 only 8 matches "printer" (say, in a customer's reply).
        const asked = call.query.get('ids')!.split(',').map(Number);
        return { body: { items: asked.filter((id) => id === 8).map((id) => ticketFixture({ id, subject: 'Nothing about it here', updatedAt: '2026-05-03T00:00:00.000Z' })), nextCursor: null } };
      },
      'GET /api/v1/tickets/5': { body: ticketFixture({ id: 5, version: 3, priority: 'high' }) },
    });
    useAuthStore().user = { id: 1, email: 'a@x', name: 'A', role: 'agent', locale: 'en', organizationId: null, groupIds: [1] };
    const inbox = useInboxStore();
    await inbox.selectView('allOpen');
    await inbox.setFilters({ q: 'printer' });
    inbox.attachLive();
    const live = useLiveStore();
    for (const id of [6, 7, 8]) live.dispatch({ event: 'ticket.created', data: JSON.stringify({ ticketId: id }), id: null });
    live.dispatch({ event: 'ticket.updated', data: JSON.stringify({ ticketId: 5, version: 3, fields: ['priority'], truncated: true }), id: null });
    await inbox.flushLive();
    const asks = api$.calls.filter((c) => c.path === '/api/v1/tickets' && c.query.has('ids'));
    expect(asks).toHaveLength(1);
    expect(asks[0]!.query.get('ids')).toBe('6,7,8');
    expect(asks[0]!.query.get('q')).toBe('printer');
    expect(asks[0]!.query.getAll('status')).toEqual(['new', 'open', 'pending', 'on_hold']);
    // No single-ticket fetch for tickets not in the list; the loaded one is refreshed.
    expect(api$.calls.filter((c) => /^\/api\/v1\/tickets\/\d+$/.test(c.path)).map((c) => c.path)).toEqual(['/api/v1/tickets/5']);
    expect(inbox.items.map((t) => t.id)).toEqual([8, 5, 4]);
    expect(inbox.items.find((t) => t.id === 5)?.priority).toBe('high');
    inbox.detachLive();
  });

  it('when the server cannot say whether live tickets match the search, offers a reload instead of guessing', async () => {
    fakeApi({
      'GET /api/v1/tickets': (call) => (call.query.has('ids') ? { status: 503, body: { error: { code: 'unavailable', message: 'search backend down' } } } : { body: page([5], null) }),
    });
    const inbox = useInboxStore();
    await inbox.selectView('allOpen', { q: 'printer' });
    inbox.attachLive();
    useLiveStore().dispatch({ event: 'ticket.created', data: JSON.stringify({ ticketId: 6 }), id: null });
    await inbox.flushLive();
    expect(inbox.items.map((t) => t.id)).toEqual([5]);
    expect(inbox.newSinceLoad).toBe(1);
    inbox.detachLive();
  });
});
