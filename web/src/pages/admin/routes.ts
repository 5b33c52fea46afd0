import type { RouteRecordRaw } from 'vue-router';
import {
  mdiAccountKey,
  mdiAccountKeyOutline,
  mdiKeyChain,
  mdiShieldLockOutline,
  mdiPaperclip,
  mdiAccountMultiple,
  mdiAlertOctagonOutline,
  mdiShieldSearch,
  mdiChartBar,
  mdiClockOutline,
  mdiEmailAlertOutline,
  mdiEmailArrowLeftOutline,
  mdiEmoticonHappyOutline,
  mdiStarHalfFull,
  mdiEmailEditOutline,
  mdiRobotOutline,
  mdiShapeOutline,
  mdiTagMultiple,
  mdiTimerOutline,
  mdiWebhook,
} from '@mdi/js';

// The admin screens' routes, mounted under /admin for admins (router.ts). Each entry with
// `meta.navLabel` (an i18n key such as 'admin.nav.rules') and `meta.navIcon` (an @mdi/js path)
// is listed in the navigation drawer's "Administration" section. `meta.roles` narrows who may
// open a route (default: admin only). Every screen is its own chunk.
const id = (r: { params: Record<string, unknown> }) => ({ id: Number(r.params.id) });

export const adminRoutes: RouteRecordRaw[] = [
  { path: '', name: 'admin', redirect: { name: 'admin-rules' } },
  {
    path: 'rules',
    name: 'admin-rules',
    component: () => import('./rules/RulesPage.vue'),
    meta: { title: 'admin.nav.rules', navLabel: 'admin.nav.rules', navIcon: mdiRobotOutline },
  },
  { path: 'rules/new', name: 'admin-rule-new', component: () => import('./rules/RuleEditorPage.vue'), props: { id: null }, meta: { title: 'admin.rules.newTitle' } },
  { path: 'rules/:id(\\d+)', name: 'admin-rule', component: () => import('./rules/RuleEditorPage.vue'), props: id, meta: { title: 'admin.nav.rules' } },
  {
    path: 'sla-policies',
    name: 'admin-sla-policies',
    component: () => import('./sla/SlaPoliciesPage.vue'),
    meta: { title: 'admin.nav.slaPolicies', navLabel: 'admin.nav.slaPolicies', navIcon: mdiTimerOutline },
  },
  {
    path: 'calendars',
    name: 'admin-calendars',
    component: () => import('./sla/CalendarsPage.vue'),
    meta: { title: 'admin.nav.calendars', navLabel: 'admin.nav.calendars', navIcon: mdiClockOutline },
  },
  {
    path: 'groups',
    name: 'admin-groups',
    component: () => import('./groups/GroupsPage.vue'),
    meta: { title: 'admin.nav.groups', navLabel: 'admin.nav.groups', navIcon: mdiAccountMultiple },
  },
  {
    path: 'users',
    name: 'admin-users',
    component: () => import('./users/UsersPage.vue'),
    meta: { title: 'admin.nav.users', navLabel: 'admin.nav.users', navIcon: mdiAccountKey },
  },
  {
    path: 'security-settings',
    name: 'admin-security-settings',
    component: () => import('./security-settings/SecuritySettingsPage.vue'),
    meta: { title: 'admin.nav.securitySettings', navLabel: 'admin.nav.securitySettings', navIcon: mdiShieldLockOutline },
  },
  {
    path: 'api-keys',
    name: 'admin-api-keys',
    component: () => import('./api-keys/ApiKeysPage.vue'),
    meta: { title: 'admin.nav.apiKeys', navLabel: 'admin.nav.apiKeys', navIcon: mdiKeyChain },
  },
  {
    path: 'categories',
    name: 'admin-categories',
    component: () => import('./categories/CategoriesPage.vue'),
    meta: { title: 'admin.nav.categories', navLabel: 'admin.nav.categories', navIcon: mdiShapeOutline },
  },
  {
    path: 'tags',
    name: 'admin-tags',
    component: () => import('./tags/TagsPage.vue'),
    meta: { title: 'admin.nav.tags', navLabel: 'admin.nav.tags', navIcon: mdiTagMultiple },
  },
  {
    path: 'email-templates',
    name: 'admin-email-templates',
    component: () => import('./email-templates/EmailTemplatesPage.vue'),
    meta: { title: 'admin.nav.emailTemplates', navLabel: 'admin.nav.emailTemplates', navIcon: mdiEmailEditOutline },
  },
  {
    path: 'webhooks',
    name: 'admin-webhooks',
    component: () => import('./webhooks/WebhooksPage.vue'),
    meta: { title: 'admin.nav.webhooks', navLabel: 'admin.nav.webhooks', navIcon: mdiWebhook },
  },
  {
    path: 'inbound-mail',
    name: 'admin-inbound-mail',
    component: () => import('./inbound-mail/InboundMailPage.vue'),
    meta: { title: 'admin.nav.inboundMail', navLabel: 'admin.nav.inboundMail', navIcon: mdiEmailAlertOutline },
  },
  {
    path: 'inbound-settings',
    name: 'admin-inbound-settings',
    component: () => import('./inbound-settings/InboundSettingsPage.vue'),
    meta: { title: 'admin.nav.inboundSettings', navLabel: 'admin.nav.inboundSettings', navIcon: mdiEmailArrowLeftOutline },
  },
  {
    path: 'upload-settings',
    name: 'admin-upload-settings',
    component: () => import('./upload-settings/UploadSettingsPage.vue'),
    meta: { title: 'admin.nav.uploadSettings', navLabel: 'admin.nav.uploadSettings', navIcon: mdiPaperclip },
  },
  {
    path: 'portal-settings',
    name: 'admin-portal-settings',
    component: () => import('./portal-settings/PortalSettingsPage.vue'),
    meta: { title: 'admin.nav.portalSettings', navLabel: 'admin.nav.portalSettings', navIcon: mdiAccountKeyOutline },
  },
  {
    path: 'portal-insights',
    name: 'admin-portal-insights',
    component: () => import('./portal-insights/PortalInsightsPage.vue'),
    meta: { title: 'admin.nav.portalInsights', navLabel: 'admin.nav.portalInsights', navIcon: mdiChartBar },
  },
  {
    path: 'surveys',
    name: 'admin-surveys',
    component: () => import('./surveys/SurveySettingsPage.vue'),
    meta: { title: 'admin.nav.surveys', navLabel: 'admin.nav.surveys', navIcon: mdiStarHalfFull },
  },
  {
    path: 'csat',
    name: 'admin-csat',
    component: () => import('./csat/CsatPage.vue'),
    meta: { title: 'admin.nav.csat', navLabel: 'admin.nav.csat', navIcon: mdiEmoticonHappyOutline },
  },
  {
    path: 'activity-failures',
    name: 'admin-activity-failures',
    component: () => import('./activity-failures/ActivityFailuresPage.vue'),
    meta: { title: 'admin.nav.activityFailures', navLabel: 'admin.nav.activityFailures', navIcon: mdiAlertOctagonOutline },
  },
  {
    path: 'audit-log',
    name: 'admin-audit-log',
    component: () => import('./audit-log/AuditLogPage.vue'),
    meta: { title: 'admin.auditLog.nav', navLabel: 'admin.auditLog.nav', navIcon: mdiShieldSearch },
  },
];
