import { createRouter, createWebHistory, type RouteRecordRaw, type Router, type RouterHistory } from 'vue-router';
import { useSessionStore } from './stores/session';
import { focusPageHeading } from './composables/usePage';
import KbHomePage from './pages/KbHomePage.vue';

// The portal's routes under /portal/. The help-center home is the first route and ships in the
// entry chunk; every other page is its own lazy chunk. Pages marked `auth` need a signed-in
// customer (otherwise: the sign-in page, coming back afterwards); `guest` pages (sign-in,
// sign-up…) send a signed-in customer to their tickets.

declare module 'vue-router' {
  interface RouteMeta {
    auth?: boolean;
    guest?: boolean;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: KbHomePage },
  { path: '/search', name: 'search', component: () => import('./pages/KbSearchPage.vue') },
  { path: '/kb/category/:id(\\d+)', name: 'category', component: () => import('./pages/KbCategoryPage.vue'), props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/kb/:lang(en|fa)/:slug', name: 'article', component: () => import('./pages/KbArticlePage.vue'), props: true },
  { path: '/signin', name: 'signin', component: () => import('./pages/SignInPage.vue'), meta: { guest: true } },
  { path: '/signup', name: 'signup', component: () => import('./pages/SignUpPage.vue'), meta: { guest: true } },
  { path: '/forgot', name: 'forgot', component: () => import('./pages/ForgotPasswordPage.vue'), meta: { guest: true } },
  { path: '/verify', name: 'verify', component: () => import('./pages/LinkPage.vue'), props: { kind: 'verify' } },
  { path: '/magic', name: 'magic', component: () => import('./pages/LinkPage.vue'), props: { kind: 'magic' } },
  { path: '/reset', name: 'reset', component: () => import('./pages/ResetPasswordPage.vue') },
  { path: '/tickets', name: 'tickets', component: () => import('./pages/TicketsPage.vue'), meta: { auth: true } },
  { path: '/tickets/new', name: 'newTicket', component: () => import('./pages/NewTicketPage.vue'), meta: { auth: true } },
  { path: '/tickets/:id(\\d+)', name: 'ticket', component: () => import('./pages/TicketPage.vue'), meta: { auth: true }, props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/survey', name: 'survey', component: () => import('./pages/SurveyPage.vue') },
  { path: '/profile', name: 'profile', component: () => import('./pages/ProfilePage.vue'), meta: { auth: true } },
  { path: '/:pathMatch(.*)*', name: 'notFound', component: () => import('./pages/NotFoundPage.vue') },
];

export function createPortalRouter(history: RouterHistory = createWebHistory('/portal/')): Router {
  const router = createRouter({
    history,
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  });

  router.beforeEach(async (to) => {
    if (!to.meta.auth && !to.meta.guest) return true;
    const session = useSessionStore();
    const signedIn = await session.restore().catch(() => session.signedIn);
    if (to.meta.auth && !signedIn) return { name: 'signin', query: { redirect: to.fullPath } };
    if (to.meta.guest && signedIn) return { name: 'tickets' };
    return true;
  });

  let first = true;
  router.afterEach((_to, _from, failure) => {
    if (failure) return;
    // The first page keeps the browser's own focus start; later ones move focus to their heading.
    if (first) first = false;
    else void focusPageHeading();
  });
  return router;
}
