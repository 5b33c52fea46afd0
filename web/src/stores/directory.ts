import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, isApiError, unwrap } from '@/api/client';
import type { DirectoryUser } from '@/api/types';
import { useAuthStore } from './auth';

// Names for the ids in tickets (groups, agents) and the options of the pickers, from
// GET /groups and GET /users (staff roles). Should the server refuse (an older API: 404, or a
// role without access: 403), the pickers offer what is known (me, unassigned, my groups) and
// ids are shown as "#id".

export const useDirectoryStore = defineStore('directory', () => {
  const groups = ref<{ id: number; name: string }[]>([]);
  const agents = ref<DirectoryUser[]>([]);
  const groupsAvailable = ref<boolean | null>(null);
  const agentsAvailable = ref<boolean | null>(null);
  let loading: Promise<void> | null = null;

  const groupName = (id: number | null | undefined) => (id == null ? null : (groups.value.find((g) => g.id === id)?.name ?? `#${id}`));
  const agentName = (id: number | null | undefined) => {
    if (id == null) return null;
    const me = useAuthStore().user;
    if (me && me.id === id) return me.name;
    return agents.value.find((a) => a.id === id)?.name ?? `#${id}`;
  };

  /** My groups first (the ones I work in), then the rest. */
  const groupOptions = computed(() => {
    const mine = new Set(useAuthStore().user?.groupIds ?? []);
    const known = groups.value.length ? groups.value : [...mine].map((id) => ({ id, name: `#${id}` }));
    return [...known].sort((a, b) => Number(mine.has(b.id)) - Number(mine.has(a.id)) || a.name.localeCompare(b.name));
  });

  const agentOptions = computed<Pick<DirectoryUser, 'id' | 'name' | 'email' | 'role'>[]>(() => {
    const me = useAuthStore().user;
    const list: Pick<DirectoryUser, 'id' | 'name' | 'email' | 'role'>[] = [...agents.value];
    if (me && me.role !== 'customer' && !list.some((a) => a.id === me.id)) list.unshift({ id: me.id, name: me.name, email: me.email, role: me.role });
    return list.sort((a, b) => a.name.localeCompare(b.name));
  });

  async function fetchList<T>(call: () => Promise<{ items: T[] }>): Promise<{ items: T[]; available: boolean }> {
    try {
      return { items: (await call()).items, available: true };
    } catch (err) {
      if (isApiError(err) && (err.status === 404 || err.status === 403)) return { items: [], available: false };
      throw err;
    }
  }

  async function load(force = false): Promise<void> {
    if (loading && !force) return loading;
    loading = (async () => {
      const staff = (role: 'agent' | 'supervisor' | 'admin') => unwrap(api.GET('/api/v1/users', { params: { query: { role, active: 'true', limit: 200 } } }));
      const [g, a] = await Promise.allSettled([
        fetchList(async () => ({ items: (await unwrap(api.GET('/api/v1/groups'))).items.map((x) => ({ id: x.id, name: x.name })) })),
        fetchList(async () => ({ items: (await Promise.all([staff('agent'), staff('supervisor'), staff('admin')])).flatMap((r) => r.items) })),
      ]);
      if (g.status === 'fulfilled') {
        groups.value = g.value.items;
        groupsAvailable.value = g.value.available;
      } else groupsAvailable.value = false;
      if (a.status === 'fulfilled') {
        agents.value = a.value.items;
        agentsAvailable.value = a.value.available;
      } else agentsAvailable.value = false;
    })();
    return loading;
  }

  return { groups, agents, groupsAvailable, agentsAvailable, groupName, agentName, groupOptions, agentOptions, load };
});
