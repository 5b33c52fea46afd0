import type { Locale } from '@mehrdesk/core/domain';
import type { AccountEmailKind } from '@mehrdesk/workflows/account-email';
import { wrapEmail, type RenderedEmail } from './templates';

// The account e-mails (sign-up verification, password reset, invitation, "you already have an account")
// in English and Persian, laid out like the ticket e-mails. `hours` is how long the link works.

interface AccountVars {
  name: string;
  link: string;
  hours: number;
}

type Strings = { subject: string; lines: string[]; label: string };

const en: Record<AccountEmailKind, (v: AccountVars) => Strings> = {
  verify: (v) => ({
    subject: 'Confirm your e-mail address',
    lines: [
      `Hello ${v.name},`,
      `Follow the link below to confirm this address and finish creating your support account. The link works for ${v.hours} hours and only once.`,
      'If you did not sign up, ignore this e-mail: no account is created.',
    ],
    label: 'Confirm my address',
  }),
  reset: (v) => ({
    subject: 'Reset your password',
    lines: [
      `Hello ${v.name},`,
      `Someone asked to reset the password of your support account. Follow the link below to choose a new one; it works for ${v.hours} hours and only once.`,
      'If it was not you, ignore this e-mail: your password stays as it is.',
    ],
    label: 'Choose a new password',
  }),
  invite: (v) => ({
    subject: 'You are invited to our support portal',
    lines: [
      `Hello ${v.name},`,
      `An account has been made for you on our support portal, where you can follow your requests and open new ones. Follow the link below to choose your password; it works for ${v.hours} hours and only once.`,
    ],
    label: 'Choose my password',
  }),
  account_exists: (v) => ({
    subject: 'You already have a support account',
    lines: [
      `Hello ${v.name},`,
      'Someone tried to sign up with this address, which already has an account. Sign in with it instead; if you forgot the password, reset it from the sign-in page.',
      'If it was not you, ignore this e-mail.',
    ],
    label: 'Sign in',
  }),
};

const fa: Record<AccountEmailKind, (v: AccountVars) => Strings> = {
  verify: (v) => ({
    subject: 'نشانی ایمیل خود را تأیید کنید',
    lines: [
      `${v.name} گرامی،`,
      `برای تأیید این نشانی و ساختن حساب پشتیبانی، پیوند زیر را باز کنید. این پیوند ${v.hours} ساعت و تنها یک بار کار می‌کند.`,
      'اگر شما ثبت‌نام نکرده‌اید، این ایمیل را نادیده بگیرید؛ حسابی ساخته نمی‌شود.',
    ],
    label: 'تأیید نشانی من',
  }),
  reset: (v) => ({
    subject: 'بازنشانی گذرواژه',
    lines: [
      `${v.name} گرامی،`,
      `درخواستی برای بازنشانی گذرواژهٔ حساب پشتیبانی شما رسیده است. برای گذاشتن گذرواژهٔ تازه پیوند زیر را باز کنید؛ این پیوند ${v.hours} ساعت و تنها یک بار کار می‌کند.`,
      'اگر شما درخواست نکرده‌اید، این ایمیل را نادیده بگیرید؛ گذرواژهٔ شما تغییر نمی‌کند.',
    ],
    label: 'گذاشتن گذرواژهٔ تازه',
  }),
  invite: (v) => ({
    subject: 'دعوت به پورتال پشتیبانی',
    lines: [
      `${v.name} گرامی،`,
      `برای شما در پورتال پشتیبانی حسابی ساخته شده است تا درخواست‌هایتان را پیگیری کنید و درخواست تازه بفرستید. برای گذاشتن گذرواژه پیوند زیر را باز کنید؛ این پیوند ${v.hours} ساعت و تنها یک بار کار می‌کند.`,
    ],
    label: 'گذاشتن گذرواژه',
  }),
  account_exists: (v) => ({
    subject: 'شما پیش‌تر حساب پشتیبانی دارید',
    lines: [
      `${v.name} گرامی،`,
      'کسی با این نشانی ثبت‌نام کرد، ولی این نشانی پیش‌تر حساب دارد. با همان حساب وارد شوید؛ اگر گذرواژه را فراموش کرده‌اید، از صفحهٔ ورود آن را بازنشانی کنید.',
      'اگر شما نبوده‌اید، این ایمیل را نادیده بگیرید.',
    ],
    label: 'ورود',
  }),
};

export function renderAccountEmail(kind: AccountEmailKind, locale: Locale, vars: AccountVars): RenderedEmail {
  const { subject, lines, label } = (locale === 'fa' ? fa : en)[kind](vars);
  return wrapEmail(locale, subject, lines, vars.link, label);
}
