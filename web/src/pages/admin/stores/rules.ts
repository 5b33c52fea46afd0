import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, unwrap } from '@/api/client';
import type { Rule } from '../types';

// The automation rules list: evaluation order, enable/disable and reorder. Toggling and
// reordering show the change at once and put it back when the API refuses it (the caller
// shows the server's message); the list then matches the server again.

export const useRulesStore = defineStore('adminRules', () => {
  const items = ref<Rule[]>([]);
  const loading = ref(false);
  const error = ref<unknown>(null);
  /** Ids being toggled or reordered (their controls are busy). */
  const busy = ref<Set<number>>(new Set());
  const loaded = ref(false);

  const byId = computed(() => new Map(items.value.map((r) => [r.id, r])));

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      items.value = (await unwrap(api.GET('/api/v1/rules', { params: { query: {} } }))).items;
      loaded.value = true;
    } catch (err) {
      error.value = err;
      throw err;
    } finally {
      loading.value = false;
    }
  }

  function replace(rule: Rule) {
    const i = items.value.findIndex((r) => r.id === rule.id);
    if (i === -1) items.value.push(rule);
    else items.value.splice(i, 1, rule);
  }

  async function setEnabled(id: number, enabled: boolean): Promise<void> {
    const rule = byId.value.get(id);
    if (!rule || busy.value.has(id)) return;
    const before = rule.enabled;
    rule.enabled = enabled;
    busy.value.add(id);
    try {
      replace(await unwrap(api.PATCH('/api/v1/rules/{id}', { params: { path: { id: String(id) } }, body: { enabled } })));
    } catch (err) {
      rule.enabled = before;
      throw err;
    } finally {
      busy.value.delete(id);
    }
  }

  /** Move the rule at `from` to `to` and save the whole order (the API wants every id once). */
  async function move(from: number, to: number): Promise<void> {
    if (from === to || from < 0 || to < 0 || from >= items.value.length || to >= items.value.length) return;
    const before = [...items.value];
    const next = [...items.value];
    const [moved] = next.splice(from, 1);
    next.splice(to, 0, moved!);
    await saveOrder(next, before);
  }

  /** Save an order the list already shows (drag and drop reorders `items` itself). */
  async function saveOrder(next: Rule[] = items.value, before: Rule[] = [...items.value]): Promise<void> {
    items.value = next;
    const ids = next.map((r) => r.id);
    ids.forEach((id) => busy.value.add(id));
    try {
      items.value = (await unwrap(api.POST('/api/v1/rules/reorder', { body: { ids } }))).items;
    } catch (err) {
      items.value = before;
      throw err;
    } finally {
      ids.forEach((id) => busy.value.delete(id));
    }
  }

  async function remove(id: number): Promise<void> {
    await unwrap(api.DELETE('/api/v1/rules/{id}', { params: { path: { id: String(id) } } }));
    items.value = items.value.filter((r) => r.id !== id);
  }

  return { items, loading, loaded, error, busy, byId, load, replace, setEnabled, move, saveOrder, remove };
});
