import type { RouteRecordRaw } from 'vue-router';

// The knowledge base's screens, for every staff member (kb.read; the pages offer editing to
// admins and supervisors only, kb.write). Under /admin/kb, so that /kb/<lang>/<slug> stays
// free for the customer portal's public article pages.
export const kbRoutes: RouteRecordRaw[] = [
  { path: 'admin/kb', name: 'kb', component: () => import('./KbPage.vue'), meta: { title: 'kb.title' } },
  { path: 'admin/kb/articles/new', name: 'kb-article-new', component: () => import('./KbArticlePage.vue'), props: { id: null }, meta: { title: 'kb.editor.newTitle' } },
  {
    path: 'admin/kb/articles/:id(\\d+)',
    name: 'kb-article',
    component: () => import('./KbArticlePage.vue'),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: 'kb.editor.title' },
  },
];
