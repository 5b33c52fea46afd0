import { afterEach, describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { setToken } from '@/api/client';
import { fakeApi, renderPortal } from '../test/render';
import type { KbArticle } from '../api/types';

// The portal's pages through the real router and stores (fetch answered by a fake API): labelled
// controls, focus on the heading after a navigation, right to left in Persian, the server's
// article used without a fetch, the sign-in guard, unverified addresses, one-click survey links,
// link problems and the "this solved my problem" deflection.

const customer = { id: 5, email: 'c@x.test', name: 'Cyrus', role: 'customer', locale: 'en', organizationId: null, groupIds: [] };
const kb = {
  'GET /api/v1/public/kb/categories': { body: { items: [{ id: 1, parentId: null, position: 0, name: 'Network', articleCount: 2, children: [] }] } },
  'GET /api/v1/public/kb/articles': {
    body: {
      items: [
        { id: 9, articleId: 3, lang: 'en', title: 'Reset the router', slug: 'reset-the-router', excerpt: 'Hold it', publishedAt: null, updatedAt: '2026-01-01T00:00:00Z', categoryId: 1, tags: [] },
      ],
      total: 1,
    },
  },
};
const article: KbArticle = {
  id: 9,
  articleId: 3,
  lang: 'en',
  title: 'Reset the router',
  slug: 'reset-the-router',
  bodyHtml: '<p>Hold the button</p><img src="x" onerror="alert(1)">',
  publishedAt: null,
  updatedAt: '2026-01-01T00:00:00Z',
  categoryId: 1,
  tags: [],
  alternates: { en: 'reset-the-router', fa: 'بازنشانی-مسیریاب' },
};
// The session token lives in the API client's module, beyond localStorage: forget it between tests.
afterEach(() => setToken(null));

const signedIn = () => {
  setToken('tok');
  return { 'GET /api/v1/auth/me': { body: customer } };
};

describe('help center', () => {
  it('shows categories and articles; after a navigation focus moves to the new page heading', async () => {
    fakeApi({ ...kb, 'GET /api/v1/public/kb/articles/en/reset-the-router': { body: article } });
    const { router } = await renderPortal('/');
    expect(await screen.findByRole('link', { name: 'Network' })).toBeInstanceOf(HTMLElement);
    expect(screen.getByRole('searchbox', { name: 'Search the knowledge base' })).toBeInstanceOf(HTMLElement);
    await userEvent.click(await screen.findByRole('link', { name: 'Reset the router' }));
    await waitFor(() => expect(router.currentRoute.value.name).toBe('article'));
    const heading = await screen.findByRole('heading', { level: 1, name: 'Reset the router' });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    // (The allow-list itself is checked in Chromium: DOMPurify under happy-dom sees only the first node.)
    expect(screen.getByTestId('kb-article-body').innerHTML).toContain('Hold the button');
    expect(screen.getByRole('link', { name: 'Read this article in Persian' })).toBeInstanceOf(HTMLElement);
  });

  it('starts from the server-rendered article without fetching it; choosing Persian goes right to left, to its translation', async () => {
    const api = fakeApi({
      ...kb,
      [`GET /api/v1/public/kb/articles/fa/${encodeURIComponent('بازنشانی-مسیریاب')}`]: {
        body: { ...article, id: 10, lang: 'fa', title: 'بازنشانی مسیریاب', slug: 'بازنشانی-مسیریاب', bodyHtml: '<p>دکمه را نگه دارید</p>' },
      },
    });
    const { router } = await renderPortal('/kb/en/reset-the-router', { state: { kind: 'article', article } });
    expect(await screen.findByRole('heading', { level: 1, name: 'Reset the router' })).toBeInstanceOf(HTMLElement);
    expect(api.calls.filter((c) => c.path.startsWith('/api/v1/public/kb/articles/'))).toHaveLength(0);
    await userEvent.click(screen.getByTestId('locale-switch'));
    await waitFor(() => expect(document.documentElement.dir).toBe('rtl'));
    expect(document.documentElement.lang).toBe('fa');
    await waitFor(() => expect(router.currentRoute.value.params.lang).toBe('fa'));
    expect(await screen.findByRole('heading', { level: 1, name: 'بازنشانی مسیریاب' })).toBeInstanceOf(HTMLElement);
    expect(screen.getByRole('link', { name: 'پایگاه دانش' })).toBeInstanceOf(HTMLElement);
  });

  it('shows the not-found page for an article the server said is missing', async () => {
    const api = fakeApi(kb);
    await renderPortal('/kb/en/gone', { state: { kind: 'articleMissing', lang: 'en', slug: 'gone' } });
    expect(await screen.findByRole('heading', { level: 1, name: 'Article not found' })).toBeInstanceOf(HTMLElement);
    expect(api.calls.filter((c) => c.path.includes('/articles/en/gone'))).toHaveLength(0);
  });
});

describe('accounts', () => {
  it('sends a visitor to sign in before their requests, and back afterwards', async () => {
    fakeApi({
      ...kb,
      'POST /api/v1/auth/login': { body: { token: 'tok', expiresAt: '2030-01-01T00:00:00Z', user: customer } },
      'GET /api/v1/tickets': { body: { items: [], nextCursor: null } },
    });
    const { router } = await renderPortal('/tickets');
    expect(router.currentRoute.value.name).toBe('signin');
    await userEvent.type(screen.getByLabelText('E-mail'), 'c@x.test');
    await userEvent.type(screen.getByLabelText('Password'), 'secret-123');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/tickets'));
    expect(await screen.findByTestId('tickets-empty')).toBeInstanceOf(HTMLElement);
  });

  it('offers to resend the confirmation when the address is not verified yet', async () => {
    const api = fakeApi({
      ...kb,
      'POST /api/v1/auth/login': { status: 403, body: { error: { code: 'email_unverified', message: 'Confirm your address' } } },
      'POST /api/v1/portal/verify/resend': { status: 202, body: { status: 'accepted' } },
    });
    await renderPortal('/signin');
    await userEvent.type(screen.getByLabelText('E-mail'), 'new@x.test');
    await userEvent.type(screen.getByLabelText('Password'), 'secret-123');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert', {}, { timeout: 2000 })).textContent).toContain('Confirm your e-mail address first');
    await userEvent.click(screen.getByRole('button', { name: 'Send the confirmation e-mail again' }));
    expect(await screen.findByText(/a new confirmation link is on its way/)).toBeInstanceOf(HTMLElement);
    expect(api.calls.find((c) => c.path === '/api/v1/portal/verify/resend')?.body).toEqual({ email: 'new@x.test' });
  });

  it('puts the server’s field messages next to their fields on sign-up', async () => {
    fakeApi({
      ...kb,
      'GET /api/v1/portal/config': { body: { signup: 'domains', signupDomains: ['example.com'] } },
      'POST /api/v1/portal/signup': { status: 422, body: { error: { code: 'email_domain_not_allowed', message: 'No', fields: [{ path: 'body.email', message: 'Use an address at example.com' }] } } },
    });
    await renderPortal('/signup');
    expect(await screen.findByText('Only addresses at example.com')).toBeInstanceOf(HTMLElement);
    await userEvent.type(screen.getByLabelText('Name'), 'Nasrin');
    await userEvent.type(screen.getByLabelText('E-mail'), 'n@other.test');
    await userEvent.type(screen.getByLabelText('Password'), 'long-enough-1');
    await userEvent.click(screen.getByRole('button', { name: 'Sign up' }));
    const email = screen.getByLabelText('E-mail');
    await waitFor(() => expect(email.getAttribute('aria-invalid')).toBe('true'));
    const described = email
      .getAttribute('aria-describedby')!
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain('Sign-up is open to some e-mail domains only; use your work address.');
  });

  it('explains an expired verification link and what to do', async () => {
    fakeApi({ ...kb, 'POST /api/v1/portal/verify': { status: 410, body: { error: { code: 'link_expired', message: 'expired' } } } });
    const { router } = await renderPortal('/verify?token=abc');
    expect(await screen.findByText('This link has expired.')).toBeInstanceOf(HTMLElement);
    expect(screen.getByRole('link', { name: 'Sign up again' })).toBeInstanceOf(HTMLElement);
    // The token left the address bar.
    await waitFor(() => expect(router.currentRoute.value.query.token).toBeUndefined());
  });

  it('a magic link signs in and opens its ticket', async () => {
    fakeApi({
      ...kb,
      'POST /api/v1/portal/magic': { body: { token: 'tok2', expiresAt: '2030-01-01T00:00:00Z', user: customer, ticketId: 42 } },
      'GET /api/v1/auth/me': { body: customer },
      'GET /api/v1/tickets/42': { body: { id: 42, number: 'TKT-1', subject: 'VPN down', status: 'open', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' } },
      'GET /api/v1/tickets/42/messages': { body: { items: [] } },
      'GET /api/v1/events': { status: 403 },
    });
    const { router } = await renderPortal('/magic?token=xyz');
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/tickets/42'));
    expect(await screen.findByRole('heading', { level: 1, name: 'VPN down' })).toBeInstanceOf(HTMLElement);
  });
});

describe('new request', () => {
  it('suggests articles as the subject is typed; "This solved my problem" records a deflection instead of a ticket', async () => {
    const api = fakeApi({
      ...kb,
      ...signedIn(),
      'GET /api/v1/portal/ticket-categories': { status: 403, body: { error: { code: 'forbidden', message: 'no' } } },
      'GET /api/v1/uploads/limits': { body: { maxFileBytes: 10_485_760, maxFilesPerMessage: 5, allowedTypes: [], pendingHours: 24 } },
      'GET /api/v1/public/kb/search': {
        body: {
          backend: 'postgres',
          total: 1,
          exhaustive: true,
          hits: [
            {
              id: 9,
              title: 'Reset the router',
              type: 'article',
              score: 1,
              highlights: { title: '<mark>Router</mark> reset' },
              article: { articleId: 3, kbCategoryId: 1, lang: 'en', slug: 'reset-the-router', status: 'published', visibility: 'public' },
            },
          ],
        },
      },
      'POST /api/v1/portal/deflections': { status: 201 },
    });
    await renderPortal('/tickets/new');
    await userEvent.type(await screen.findByLabelText('Subject'), 'router');
    const solved = await screen.findByRole('button', { name: /^This solved my problem\W+Reset the router$/ }, { timeout: 2000 });
    expect(screen.getByTestId('suggestion-9').querySelector('a')?.getAttribute('href')).toBe('/portal/kb/en/reset-the-router');
    expect(api.calls.find((c) => c.path === '/api/v1/public/kb/search')?.query.get('source')).toBe('suggest');
    // Without permission to list categories, the field is left out.
    expect(screen.queryByLabelText('Category')).toBeNull();
    expect(screen.getByText('Up to 5 files, 10 MB each')).toBeInstanceOf(HTMLElement);
    await userEvent.click(solved);
    expect(await screen.findByText(/answered your question, so no request was sent/)).toBeInstanceOf(HTMLElement);
    expect(api.calls.find((c) => c.path === '/api/v1/portal/deflections')?.body).toEqual({ articleId: 9, subject: 'router', description: '' });
    expect(api.calls.some((c) => c.method === 'POST' && c.path === '/api/v1/tickets')).toBe(false);
  });

  it('names the missing fields instead of sending an empty request', async () => {
    const api = fakeApi({
      ...kb,
      ...signedIn(),
      'GET /api/v1/portal/ticket-categories': { body: { items: [{ id: 2, name: 'Billing' }] } },
      'GET /api/v1/uploads/limits': { body: { maxFileBytes: 1024, maxFilesPerMessage: 2, allowedTypes: [], pendingHours: 24 } },
    });
    await renderPortal('/tickets/new');
    expect(await screen.findByLabelText('Category')).toBeInstanceOf(HTMLElement);
    await userEvent.click(screen.getByRole('button', { name: 'Send request' }));
    expect(screen.getByLabelText('Subject').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getAllByText('Required').length).toBe(2);
    expect(api.calls.some((c) => c.method === 'POST')).toBe(false);
  });
});

describe('survey link', () => {
  it('casts the rating from the link once, by script, and lets the customer change it and comment', async () => {
    const survey = { ticketNumber: 'TKT-2026-000042', subject: 'VPN down', scale: 'binary', state: 'rated', rating: 'good', comment: null };
    const api = fakeApi({
      ...kb,
      'POST /api/v1/public/surveys/tok123': (c) => ({ body: { ...survey, ...(c.body as object) } }),
      'GET /api/v1/public/surveys/tok123': { body: survey },
    });
    const { router } = await renderPortal('/survey?token=tok123&rating=good');
    expect(await screen.findByTestId('survey-saved')).toBeInstanceOf(HTMLElement);
    expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(api.calls[api.calls.length - 1]!.body).toEqual({ rating: 'good' });
    await waitFor(() => expect(router.currentRoute.value.query.rating).toBeUndefined());
    expect((screen.getByRole('radio', { name: 'Good' }) as HTMLInputElement).checked).toBe(true);
    await userEvent.click(screen.getByRole('radio', { name: 'Bad' }));
    await userEvent.type(screen.getByLabelText('Comment (optional)'), 'Took too long');
    await userEvent.click(screen.getByRole('button', { name: 'Update rating' }));
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(2));
    expect(api.calls.filter((c) => c.method === 'POST')[1]!.body).toEqual({ rating: 'bad', comment: 'Took too long' });
  });

  it('says when the survey is closed', async () => {
    fakeApi({ ...kb, 'POST /api/v1/public/surveys/old': { status: 409, body: { error: { code: 'survey_closed', message: 'closed' } } } });
    await renderPortal('/survey?token=old&rating=3');
    expect(await screen.findByText(/This survey is closed/)).toBeInstanceOf(HTMLElement);
  });
});
