import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { accountsApi } from '../api/accounts';
import { getToken, onUnauthorized, setToken } from '../api/http';
import type { LoginResponse, PortalLocale, User } from '../api/types';
import { useLocaleStore } from './locale';

// Who is signed in to the portal. The token is the portal's own (api/http.ts); the user is
// loaded from /auth/me once per page load. Sign-in, a verified sign-up, a password reset and a
// magic link all end in the same login answer, adopted here. A 401 on any request that carried
// the token (expired, revoked) signs the tab out and says so on the sign-in page.

export const useSessionStore = defineStore('portal-session', () => {
  const token = ref<string | null>(getToken());
  const user = ref<User | null>(null);
  const expired = ref(false);
  const signedIn = computed(() => token.value !== null);

  function adoptUser(u: User) {
    user.value = u;
    useLocaleStore().adoptAccountLocale(u.locale);
  }

  /** Take over a login answer (sign-in, verification, reset, magic link). */
  function adopt(res: LoginResponse): User {
    setToken(res.token);
    token.value = res.token;
    expired.value = false;
    adoptUser(res.user);
    return res.user;
  }

  function clear() {
    setToken(null);
    token.value = null;
    user.value = null;
  }

  async function login(email: string, password: string): Promise<User> {
    return adopt(await accountsApi.login(email, password));
  }

  let restoring: Promise<boolean> | null = null;
  /** Load the customer behind a remembered token; false (and signed out) when it is no longer valid. */
  function restore(): Promise<boolean> {
    if (!token.value) return Promise.resolve(false);
    if (user.value) return Promise.resolve(true);
    // The start-up and the first navigation guard ask at once: one request answers both.
    restoring ??= accountsApi
      .me()
      .then((u) => {
        adoptUser(u);
        return true;
      })
      .catch((err: unknown) => {
        if ((err as { status?: number }).status !== 401) throw err;
        clear();
        return false;
      })
      .finally(() => (restoring = null));
    return restoring;
  }

  async function logout(): Promise<void> {
    try {
      if (token.value) await accountsApi.logout();
    } catch {
      /* forgotten locally either way */
    } finally {
      expired.value = false;
      clear();
    }
  }

  async function updateProfile(patch: { name?: string; locale?: PortalLocale }): Promise<User> {
    const u = await accountsApi.updateMe(patch);
    user.value = u;
    return u;
  }

  /** The language switch: applied at once, remembered, and saved to the account when signed in. */
  async function chooseLocale(value: PortalLocale): Promise<void> {
    useLocaleStore().setLocale(value);
    if (user.value && user.value.locale !== value) await updateProfile({ locale: value }).catch(() => {});
  }

  onUnauthorized(() => {
    if (token.value) {
      expired.value = true;
      clear();
    }
  });

  return { token, user, expired, signedIn, adopt, login, restore, logout, clear, updateProfile, chooseLocale };
});
