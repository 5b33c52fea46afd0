import { http } from './http';
import type { LoginResponse, PortalConfig, PortalLocale, User } from './types';

// Customer accounts: sign-up with e-mail verification, sign-in, password reset and the magic
// links of ticket e-mails (api/src/portal/accounts*.ts), and everyone's own profile (/auth/me).

export const accountsApi = {
  config: () => http.get<PortalConfig>('/api/v1/portal/config'),
  signup: (body: { name: string; email: string; password: string; locale: PortalLocale }) => http.post<{ status: string }>('/api/v1/portal/signup', body),
  verify: (token: string) => http.post<LoginResponse>('/api/v1/portal/verify', { token }),
  resendVerification: (email: string) => http.post<void>('/api/v1/portal/verify/resend', { email }),
  forgotPassword: (email: string) => http.post<void>('/api/v1/portal/password/forgot', { email }),
  resetPassword: (token: string, password: string) => http.post<LoginResponse>('/api/v1/portal/password/reset', { token, password }),
  magic: (token: string) => http.post<LoginResponse & { ticketId: number }>('/api/v1/portal/magic', { token }),
  login: (email: string, password: string) => http.post<LoginResponse>('/api/v1/auth/login', { email, password }),
  logout: () => http.post<void>('/api/v1/auth/logout'),
  me: () => http.get<User>('/api/v1/auth/me'),
  updateMe: (patch: { name?: string; locale?: PortalLocale }) => http.patch<User>('/api/v1/auth/me', patch),
  changePassword: (currentPassword: string, newPassword: string) => http.post<void>('/api/v1/auth/me/password', { currentPassword, newPassword }),
};
