import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, getToken, onUnauthorized, setToken, unwrap } from '@/api/client';
import type { User } from '@/api/types';
import { useLocaleStore } from './locale';

// Who is signed in. The bearer token lives in the API client's session (localStorage), so a
// reload stays signed in; the user is fetched from /auth/me once per page load. A 401 on any
// request that carried the token (expired, revoked) signs the tab out.

const STAFF_ROLES: readonly User['role'][] = ['admin', 'supervisor', 'agent'];

export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(getToken());
  const user = ref<User | null>(null);
  /** Set when the session ended by itself (not by signing out), to tell the user on the login page. */
  const expired = ref(false);

  const isAuthenticated = computed(() => token.value !== null);
  const isStaff = computed(() => user.value !== null && STAFF_ROLES.includes(user.value.role));
  const isAdmin = computed(() => user.value?.role === 'admin');

  function adopt(u: User) {
    user.value = u;
    useLocaleStore().adoptUserLocale(u.locale);
  }

  function clear() {
    setToken(null);
    token.value = null;
    user.value = null;
  }

  async function login(email: string, password: string): Promise<User> {
    const res = await unwrap(api.POST('/api/v1/auth/login', { body: { email, password } }));
    setToken(res.token);
    token.value = res.token;
    expired.value = false;
    adopt(res.user);
    return res.user;
  }

  /** Load the user behind a remembered token; false (and signed out) when it is no longer valid. */
  async function restore(): Promise<boolean> {
    if (!token.value) return false;
    if (user.value) return true;
    try {
      adopt(await unwrap(api.GET('/api/v1/auth/me')));
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 401) {
        clear();
        return false;
      }
      throw err;
    }
  }

  async function logout(): Promise<void> {
    try {
      if (token.value) await unwrap(api.POST('/api/v1/auth/logout'));
    } catch {
      /* the token is forgotten locally either way */
    } finally {
      expired.value = false;
      clear();
    }
  }

  /** Your own name or language, saved to the account (e-mails follow the language). */
  async function updateProfile(patch: { name?: string; locale?: User['locale'] }): Promise<User> {
    const u = await unwrap(api.PATCH('/api/v1/auth/me', { body: patch }));
    user.value = u;
    return u;
  }

  /** Change your own password; the server signs out every other session of the account. */
  async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await unwrap(api.POST('/api/v1/auth/me/password', { body: { currentPassword, newPassword } }));
  }

  onUnauthorized(() => {
    if (token.value) {
      expired.value = true;
      clear();
    }
  });

  return { token, user, expired, isAuthenticated, isStaff, isAdmin, login, restore, logout, clear, updateProfile, changePassword };
});
