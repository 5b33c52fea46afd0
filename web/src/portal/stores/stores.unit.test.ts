import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { fakeApi } from '@/test/helpers';
import { setToken } from '@/api/client';
import { createPortalI18n } from '../i18n';
import { bindI18n, useLocaleStore } from './locale';
import { useSessionStore } from './session';
import { readPortalState, useKbStore } from './kb';
import type { KbArticle } from '../api/types';

// The portal's stores: the language owns <html lang dir> and is remembered (and saved to the
// account when signed in); the server-rendered article is used once, without a fetch.

const i18n = createPortalI18n();
beforeEach(() => {
  setActivePinia(createPinia());
  bindI18n(i18n.global);
  setToken(null);
  document.documentElement.lang = '';
  document.documentElement.dir = '';
});

const article = (over: Partial<KbArticle> = {}): KbArticle => ({
  id: 7,
  articleId: 3,
  lang: 'en',
  title: 'Reset the router',
  slug: 'reset-the-router',
  bodyHtml: '<p>Hold the button</p>',
  publishedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  categoryId: null,
  tags: [],
  alternates: { en: 'reset-the-router' },
  ...over,
});

describe('locale store', () => {
  it('switching to Persian sets <html lang="fa" dir="rtl">, the catalogue, and remembers the choice', async () => {
    const locale = useLocaleStore();
    locale.setLocale('fa');
    await Promise.resolve();
    expect(document.documentElement.dir).toBe('rtl');
    expect(document.documentElement.lang).toBe('fa');
    expect(i18n.global.locale.value).toBe('fa');
    expect(localStorage.getItem('mehrdesk.locale')).toBe('fa');
    // A new page load starts from the remembered choice.
    setActivePinia(createPinia());
    expect(useLocaleStore().locale).toBe('fa');
  });

  it('the account language applies only when nothing was chosen on this device', async () => {
    const locale = useLocaleStore();
    locale.adoptAccountLocale('fa');
    expect(locale.locale).toBe('fa');
    locale.setLocale('en');
    locale.adoptAccountLocale('fa');
    expect(locale.locale).toBe('en');
  });
});

describe('session store', () => {
  it('a signed-in customer choosing a language saves it to the account', async () => {
    const api = fakeApi({
      'POST /api/v1/auth/login': {
        body: { token: 'tok', expiresAt: '2030-01-01T00:00:00Z', user: { id: 5, email: 'c@x.test', name: 'C', role: 'customer', locale: 'en', organizationId: null, groupIds: [] } },
      },
      'PATCH /api/v1/auth/me': (c) => ({ body: { id: 5, email: 'c@x.test', name: 'C', role: 'customer', locale: (c.body as { locale: string }).locale, organizationId: null, groupIds: [] } }),
    });
    const session = useSessionStore();
    await session.login('c@x.test', 'secret-123');
    await session.chooseLocale('fa');
    const patch = api.calls.find((c) => c.method === 'PATCH');
    expect(patch?.body).toEqual({ locale: 'fa' });
    expect(patch?.headers.get('authorization')).toBe('Bearer tok');
    expect(session.user?.locale).toBe('fa');
    expect(useLocaleStore().locale).toBe('fa');
  });

  it('a 401 on a request that carried the token signs the tab out and says the session ended', async () => {
    fakeApi({
      'GET /api/v1/auth/me': { status: 401, body: { error: { code: 'unauthorized', message: 'Authentication required' } } },
      'GET /api/v1/tickets': { status: 401, body: { error: { code: 'unauthorized', message: 'expired' } } },
    });
    setToken('old');
    const session = useSessionStore();
    expect(session.signedIn).toBe(true);
    const { ticketsApi } = await import('../api/tickets');
    await expect(ticketsApi.list({})).rejects.toMatchObject({ status: 401 });
    expect(session.signedIn).toBe(false);
    expect(session.expired).toBe(true);
  });
});

describe('kb store', () => {
  it('hands the server-rendered article over once, then fetches', async () => {
    const api = fakeApi({ 'GET /api/v1/public/kb/articles/en/reset-the-router': { body: article({ title: 'Fetched' }) } });
    const kb = useKbStore();
    kb.setInitialState({ kind: 'article', article: article() });
    expect((await kb.article('en', 'reset-the-router'))?.title).toBe('Reset the router');
    expect(api.calls).toHaveLength(0);
    expect((await kb.article('en', 'reset-the-router'))?.title).toBe('Fetched');
    expect(api.calls).toHaveLength(1);
  });

  it('knows a missing article from the server without asking again, and reads 404 as missing', async () => {
    const api = fakeApi({});
    const kb = useKbStore();
    kb.setInitialState({ kind: 'articleMissing', lang: 'en', slug: 'gone' });
    expect(await kb.article('en', 'gone')).toBeNull();
    expect(api.calls).toHaveLength(0);
    expect(await kb.article('en', 'gone')).toBeNull();
    expect(api.calls).toHaveLength(1);
  });

  it('reads the page state block, and ignores one that is not JSON or not its shape', () => {
    const doc = document.implementation.createHTMLDocument('x');
    doc.body.innerHTML = `<script type="application/json" id="portal-state">${JSON.stringify({ kind: 'article', article: article() })}</script>`;
    expect(readPortalState(doc)).toMatchObject({ kind: 'article', article: { slug: 'reset-the-router' } });
    doc.body.innerHTML = '<script type="application/json" id="portal-state">{not json</script>';
    expect(readPortalState(doc)).toBeNull();
    doc.body.innerHTML = '<script type="application/json" id="portal-state">{"kind":"other"}</script>';
    expect(readPortalState(doc)).toBeNull();
  });
});
