import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, unwrap } from '@/api/client';
import type { Calendar, Category, Group, ReferenceKind, RuleCatalogue, SlaPolicy, WebhookSubscription } from '../types';

// The records admin screens pick from (groups, categories, SLA policies, calendars, webhook
// subscriptions) and the rule catalogue, each loaded once per visit and reloaded after an
// admin screen changes them. Users are searched on the server instead (there may be many).

export interface Option {
  value: number | string;
  title: string;
  subtitle?: string;
}

type ListKind = 'groups' | 'categories' | 'policies' | 'calendars' | 'webhooks';

export const useAdminReferences = defineStore('adminReferences', () => {
  const groups = ref<Group[]>([]);
  const categories = ref<Category[]>([]);
  const policies = ref<SlaPolicy[]>([]);
  const calendars = ref<Calendar[]>([]);
  const webhooks = ref<WebhookSubscription[]>([]);
  const catalogue = ref<RuleCatalogue | null>(null);
  const loaded = new Map<string, Promise<void>>();

  const loaders: Record<ListKind | 'catalogue', () => Promise<void>> = {
    groups: async () => void (groups.value = (await unwrap(api.GET('/api/v1/groups'))).items),
    categories: async () => void (categories.value = (await unwrap(api.GET('/api/v1/categories'))).items),
    policies: async () => void (policies.value = (await unwrap(api.GET('/api/v1/sla-policies'))).items),
    calendars: async () => void (calendars.value = (await unwrap(api.GET('/api/v1/calendars'))).items),
    webhooks: async () => void (webhooks.value = (await unwrap(api.GET('/api/v1/webhooks'))).items),
    catalogue: async () => void (catalogue.value = await unwrap(api.GET('/api/v1/rules/catalogue'))),
  };

  /** Load once; concurrent callers share the request; a failure is not remembered. */
  function ensure(kind: ListKind | 'catalogue'): Promise<void> {
    let p = loaded.get(kind);
    if (!p) {
      p = loaders[kind]().catch((err: unknown) => {
        loaded.delete(kind);
        throw err;
      });
      loaded.set(kind, p);
    }
    return p;
  }

  /** Reload after a change (the next ensure() sees fresh data). */
  function invalidate(kind: ListKind | 'catalogue'): Promise<void> {
    loaded.delete(kind);
    return ensure(kind);
  }

  /** The list a reference kind picks from; users and organizations are not lists here. */
  function listKind(kind: ReferenceKind): ListKind | null {
    return kind === 'group' ? 'groups' : kind === 'category' ? 'categories' : kind === 'webhook_subscription' ? 'webhooks' : null;
  }

  function options(kind: ReferenceKind | 'policy' | 'calendar'): Option[] {
    switch (kind) {
      case 'group':
        return groups.value.map((g) => ({ value: g.id, title: g.name }));
      case 'category':
        return categories.value.map((c) => ({ value: c.id, title: c.name }));
      case 'webhook_subscription':
        return webhooks.value.map((w) => ({ value: w.id, title: w.name, subtitle: w.url }));
      case 'email_template':
        return (catalogue.value?.emailTemplates ?? []).map((name) => ({ value: name, title: name }));
      case 'policy':
        return policies.value.map((p) => ({ value: p.id, title: p.name }));
      case 'calendar':
        return calendars.value.map((c) => ({ value: c.id, title: c.name }));
      default:
        return [];
    }
  }

  return { groups, categories, policies, calendars, webhooks, catalogue, ensure, invalidate, listKind, options };
});
