import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createRouter, createMemoryHistory, type Router } from 'vue-router';
import { render, type RenderOptions } from '@testing-library/vue';
import { vi } from 'vitest';
import type { Component } from 'vue';
import { i18n } from '@/plugins/i18n';
import { createAppVuetify } from '@/plugins/vuetify';
import { useLocaleStore } from '@/stores/locale';

// Test helpers for the console: a fake API (fetch stub answering by method and path) and a
// render() with the app's plugins (Pinia, vue-i18n, Vuetify, a memory router).

export interface FakeCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

type Answer = { status?: number; body?: unknown } | ((call: FakeCall) => { status?: number; body?: unknown } | Promise<{ status?: number; body?: unknown }>);

/** Stub globalThis.fetch with answers keyed by "METHOD /path" (no query); unknown routes are 404. */
export function fakeApi(routes: Record<string, Answer>) {
  const calls: FakeCall[] = [];
  const fetchStub = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url);
    const text = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text();
    const call: FakeCall = { method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body: text ? JSON.parse(text) : undefined };
    calls.push(call);
    const answer = routes[`${req.method} ${url.pathname}`];
    const result = typeof answer === 'function' ? await answer(call) : (answer ?? { status: 404, body: { error: { code: 'not_found', message: `Route ${req.method} ${url.pathname} not found` } } });
    const status = result.status ?? 200;
    return new Response(result.body === undefined || status === 204 ? null : JSON.stringify(result.body), { status, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetchStub);
  return { calls, fetch: fetchStub };
}

export function freshPinia(): Pinia {
  const pinia = createPinia();
  setActivePinia(pinia);
  return pinia;
}

export function renderWithApp(component: Component, options: RenderOptions<unknown> & { pinia?: Pinia; router?: Router } = {}) {
  const pinia = options.pinia ?? freshPinia();
  useLocaleStore(pinia);
  const router =
    options.router ??
    createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', name: 'home', component: { template: '<div />' } },
        { path: '/login', name: 'login', component: { template: '<div />' } },
        { path: '/inbox/:view?', name: 'inbox', component: { template: '<div />' } },
        { path: '/tickets/:id', name: 'ticket', component: { template: '<div />' } },
      ],
    });
  const vuetify = createAppVuetify();
  return {
    router,
    pinia,
    ...render(component, { ...options, global: { plugins: [pinia, i18n, vuetify, router], ...(options.global ?? {}) } }),
  };
}

export const ticketFixture = (over: Partial<import('@/api/types').Ticket> = {}): import('@/api/types').Ticket => ({
  id: 1,
  number: 'TKT-2026-000001',
  subject: 'VPN down',
  bodyHtml: '<p>Cannot connect</p>',
  status: 'open',
  priority: 'normal',
  source: 'portal',
  requester: { id: 9, name: 'Cyrus Customer', email: 'customer@example.test' },
  organizationId: null,
  categoryId: null,
  groupId: 1,
  assigneeId: null,
  tags: [],
  slaState: 'ok',
  firstResponseDueAt: '2026-05-01T10:00:00.000Z',
  resolutionDueAt: '2026-05-02T10:00:00.000Z',
  createdAt: '2026-05-01T08:00:00.000Z',
  updatedAt: '2026-05-01T08:00:00.000Z',
  firstRespondedAt: null,
  resolvedAt: null,
  closedAt: null,
  satisfaction: null,
  version: 1,
  workflowId: 'ticket-1',
  links: { temporalUi: 'http://127.0.0.1:8233/namespaces/default/workflows/ticket-1' },
  ...over,
});
