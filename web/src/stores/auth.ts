import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, ApiError, apiErrorFrom, getToken, onUnauthorized, setToken, unwrap } from '@/api/client';
import type { components } from '@/api/schema';
import type { User } from '@/api/types';
import { useLocaleStore } from './locale';

// Who is signed in. The bearer token lives in the API client's session (localStorage), so a
// reload stays signed in; the user is fetched from /auth/me once per page load. A 401 on any
// request that carried the token (expired, revoked) signs the tab out.
//
// Signing in may take a second step: with two-factor sign-in on, the password answers a session
// at stage `mfa` (it can only send the code); a user whose role requires two-factor sign-in and
// has none set up gets stage `enrol` (it can only set it up). Such a pending session is kept in
// memory only (`pending`), never in the client's session or localStorage: it is not a signed-in
// tab, the router guards see no token, and a reload starts the sign-in again. Its token is sent
// explicitly on the few calls it may make. Once the second step is done the same token becomes
// the tab's session.

const STAFF_ROLES: readonly User['role'][] = ['admin', 'supervisor', 'agent'];

export type LoginStage = components['schemas']['LoginResponse']['stage'];
export type MfaStatus = components['schemas']['MfaStatus'];
export type MfaSetup = components['schemas']['MfaSetup'];

export interface PendingSignIn {
  token: string;
  stage: Exclude<LoginStage, 'full'>;
  user: User;
  expiresAt: string;
}

/**
 * A sign-in refused for now (429: `login_delayed`, `account_locked`, `rate_limited`), with the
 * seconds to wait from the answer's Retry-After.
 */
export class SignInThrottled extends ApiError {
  constructor(
    base: ApiError,
    readonly retryAfterSeconds: number,
  ) {
    super(base.status, base.code, base.message, base.fields);
    this.name = 'SignInThrottled';
  }
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Like unwrap(), but a 429 becomes a SignInThrottled carrying Retry-After. */
async function signInCall<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (err) {
    return unwrap(Promise.reject(err as Error));
  }
  if (result.response.status === 429) {
    const seconds = Number(result.response.headers.get('retry-after'));
    throw new SignInThrottled(apiErrorFrom(429, result.error), Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 1);
  }
  return unwrap(Promise.resolve(result));
}

export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(getToken());
  const user = ref<User | null>(null);
  /** A sign-in waiting for its second step (memory only; see above). */
  const pending = ref<PendingSignIn | null>(null);
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
    pending.value = null;
  }

  /** The tab's session from now on. */
  function signedIn(t: string, u: User) {
    setToken(t);
    token.value = t;
    pending.value = null;
    expired.value = false;
    adopt(u);
  }

  /** The pending session's token, for the calls it may make (none when the tab is signed in). */
  const pendingHeaders = () => (pending.value ? { authorization: `Bearer ${pending.value.token}` } : undefined);

  /** Whether the pending sign-in is past its expiry (by this machine's clock). */
  const pendingExpired = () => pending.value !== null && Date.parse(pending.value.expiresAt) <= Date.now();

  /**
   * Password step. `full`: signed in. Otherwise the sign-in waits in `pending` for the code
   * (`mfa`) or the set-up (`enrol`); a session remembered from before is forgotten either way.
   */
  async function login(email: string, password: string): Promise<LoginStage> {
    const res = await signInCall(api.POST('/api/v1/auth/login', { body: { email, password } }));
    if (res.stage === 'full') {
      signedIn(res.token, res.user);
      return 'full';
    }
    clear();
    expired.value = false;
    pending.value = { token: res.token, stage: res.stage, user: res.user, expiresAt: res.expiresAt };
    return res.stage;
  }

  /** Second step: the authenticator's 6-digit code or a recovery code; then signed in. */
  async function verifyMfa(code: string): Promise<User> {
    if (!pending.value || pending.value.stage !== 'mfa') throw new ApiError(401, 'unauthorized', 'No sign-in is waiting for a code');
    const res = await signInCall(api.POST('/api/v1/auth/mfa/verify', { body: { code }, headers: pendingHeaders() }));
    signedIn(res.token, res.user);
    return res.user;
  }

  /** Your two-factor status (also while enrolling). */
  async function mfaStatus(): Promise<MfaStatus> {
    return unwrap(api.GET('/api/v1/auth/mfa', { headers: pendingHeaders() }));
  }

  /** A new secret for the authenticator app (not in force until mfaEnable()). */
  async function mfaSetup(): Promise<MfaSetup> {
    return unwrap(api.POST('/api/v1/auth/mfa/setup', { headers: pendingHeaders() }));
  }

  /**
   * Turn two-factor sign-in on with a first code; answers the recovery codes (shown once). The
   * server ends every other session; an enrolling sign-in becomes the tab's session.
   */
  async function mfaEnable(code: string): Promise<string[]> {
    const enrolling = pending.value?.stage === 'enrol' ? pending.value : null;
    const res = await unwrap(api.POST('/api/v1/auth/mfa/enable', { body: { code }, headers: pendingHeaders() }));
    if (enrolling) signedIn(enrolling.token, enrolling.user);
    return res.recoveryCodes;
  }

  async function mfaDisable(password: string, code: string): Promise<void> {
    await unwrap(api.POST('/api/v1/auth/mfa/disable', { body: { password, code } }));
  }

  async function newRecoveryCodes(password: string): Promise<string[]> {
    return (await unwrap(api.POST('/api/v1/auth/mfa/recovery-codes', { body: { password } }))).recoveryCodes;
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
    const headers = pendingHeaders();
    try {
      if (token.value || headers) await unwrap(api.POST('/api/v1/auth/logout', { headers }));
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

  return {
    token,
    user,
    pending,
    expired,
    isAuthenticated,
    isStaff,
    isAdmin,
    login,
    verifyMfa,
    pendingExpired,
    mfaStatus,
    mfaSetup,
    mfaEnable,
    mfaDisable,
    newRecoveryCodes,
    restore,
    logout,
    clear,
    updateProfile,
    changePassword,
  };
});
