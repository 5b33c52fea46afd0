import { createRouter, createWebHistory, type RouteLocationRaw, type RouteRecordRaw } from 'vue-router';
import type { User } from '@/api/types';
import { adminRoutes } from '@/pages/admin/routes';
import { kbRoutes } from '@/pages/kb/routes';
import { useAuthStore } from '@/stores/auth';

// Every page is loaded on first visit (its own chunk). Routes are for signed-in staff unless
// marked public; `meta.roles` narrows a route (and its children) to some roles.

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    roles?: User['role'][];
    /** i18n key of the page title (document.title). */
    title?: string;
    navLabel?: string;
    navIcon?: string;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/pages/login/LoginPage.vue'), meta: { public: true, title: 'common.auth.title' } },
  {
    path: '/',
    component: () => import('@/layouts/AppShell.vue'),
    children: [
      { path: '', redirect: { name: 'inbox' } },
      { path: 'inbox/:view?', name: 'inbox', component: () => import('@/pages/inbox/InboxPage.vue'), meta: { title: 'inbox.title' } },
      { path: 'tickets/:id(\\d+)', name: 'ticket', component: () => import('@/pages/ticket/TicketPage.vue'), props: (r) => ({ id: Number(r.params.id) }) },
      { path: 'notifications', name: 'notifications', component: () => import('@/pages/notifications/NotificationsPage.vue'), meta: { title: 'common.notifications.title' } },
      {
        path: 'settings/profile',
        name: 'profile',
        component: () => import('@/pages/settings/ProfilePage.vue'),
        meta: { title: 'common.profile.title' },
      },
      {
        path: 'settings/security',
        name: 'security',
        component: () => import('@/pages/settings/SecurityPage.vue'),
        meta: { title: 'common.security.title' },
      },
      {
        path: 'settings/notifications',
        name: 'notification-settings',
        component: () => import('@/pages/settings/NotificationSettingsPage.vue'),
        meta: { title: 'common.notifications.settings.title' },
      },
      { path: 'search', name: 'search', component: () => import('@/pages/search/SearchPage.vue'), meta: { title: 'search.title' } },
      ...kbRoutes,
      ...(adminRoutes.length ? [{ path: 'admin', meta: { roles: ['admin'] as User['role'][] }, children: adminRoutes }] : []),
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('@/pages/NotFoundPage.vue'), meta: { title: 'common.app.notFoundTitle' } },
    ],
  },
];

export function createAppRouter() {
  const router = createRouter({ history: createWebHistory(), routes });

  router.beforeEach(async (to): Promise<boolean | RouteLocationRaw> => {
    const auth = useAuthStore();
    if (to.meta.public) return true;
    if (!auth.isAuthenticated) return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
    let signedIn: boolean;
    try {
      signedIn = await auth.restore();
    } catch {
      // The API is unreachable: show the page; it reports the error itself.
      return true;
    }
    if (!signedIn) return { name: 'login', query: { redirect: to.fullPath } };
    if (!auth.isStaff) {
      await auth.logout();
      return { name: 'login', query: { reason: 'customer' } };
    }
    const role = auth.user!.role;
    for (const record of to.matched) {
      const roles = record.meta.roles;
      if (roles && !roles.includes(role)) return { name: 'not-found', params: { pathMatch: to.path.slice(1).split('/') } };
    }
    return true;
  });

  return router;
}
