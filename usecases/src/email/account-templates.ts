import type { Locale } from '@mehrdesk/core/domain';
import type { AccountEmailKind } from '@mehrdesk/workflows/account-email';
import { wrapEmail, type RenderedEmail } from './templates';

// The account e-mails (sign-up verification, password reset, invitation, "you already have an
// account", "your account is locked") in English and Persian, laid out like the ticket e-mails. `hours` is how long the link works.

interface AccountVars {
  name: string;
  link: string;
  hours: number;
  /** account_locked: the lock's length, the failed attempts and where the last one came from. */
  lock?: { minutes: number; failures: number; clientAddress: string };
}

const noLock = { minutes: 0, failures: 0, clientAddress: '' };

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
  account_locked: (v) => {
    const lock = v.lock ?? noLock;
    return {
      subject: 'Your support account is locked for a while',
      lines: [
        `Hello ${v.name},`,
        `After ${lock.failures} wrong passwords in a row (the last from ${lock.clientAddress}), sign-in to your account is locked for ${lock.minutes} minutes. Nobody signed in: the lock stops whoever is guessing.`,
        'If it was you, wait and try again, or reset your password from the sign-in page. If it was not you, reset your password now and consider turning on two-factor sign-in.',
      ],
      label: 'Go to the sign-in page',
    };
  },
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
  account_locked: (v) => {
    const lock = v.lock ?? noLock;
    return {
      subject: 'ورود به حساب پشتیبانی شما مدتی قفل شد',
      lines: [
        `${v.name} گرامی،`,
        `پس از ${lock.failures} بار گذرواژهٔ نادرست پشت سر هم (آخرین بار از ${lock.clientAddress})، ورود به حساب شما ${lock.minutes} دقیقه قفل شد. کسی وارد نشده است؛ این قفل جلوی حدس زدن گذرواژه را می‌گیرد.`,
        'اگر خودتان بوده‌اید، کمی صبر کنید و دوباره بکوشید، یا از صفحهٔ ورود گذرواژه را بازنشانی کنید. اگر شما نبوده‌اید، همین حالا گذرواژه را بازنشانی کنید و ورود دومرحله‌ای را روشن کنید.',
      ],
      label: 'رفتن به صفحهٔ ورود',
    };
  },
};

export function renderAccountEmail(kind: AccountEmailKind, locale: Locale, vars: AccountVars): RenderedEmail {
  const { subject, lines, label } = (locale === 'fa' ? fa : en)[kind](vars);
  return wrapEmail(locale, subject, lines, vars.link, label);
}
