import { INTL_TAGS, RTL_LOCALE } from '@/utils/intl';
import { en as vuetifyEn, fa as vuetifyFa } from 'vuetify/locale';
import enCommon from './en/common';
import enInbox from './en/inbox';
import enTicket from './en/ticket';
import enAdmin from './en/admin';
import enSearch from './en/search';
import enKb from './en/kb';
import faCommon from './fa/common';
import faInbox from './fa/inbox';
import faTicket from './fa/ticket';
import faAdmin from './fa/admin';
import faSearch from './fa/search';
import faKb from './fa/kb';

// Every message of the console by locale. English is the source; Persian mirrors its keys
// (locales.unit.test.ts fails on a key missing in either). Vuetify's own strings ride along
// under `$vuetify`, read through its vue-i18n adapter, so its components switch language too.

export const LOCALES = ['en', 'fa'] as const;
export type AppLocale = (typeof LOCALES)[number];

export const RTL_LOCALES: Readonly<Record<AppLocale, boolean>> = RTL_LOCALE;

/** The Intl locale of each UI locale: Persian with the Persian (Jalali) calendar and digits. */
export const INTL_LOCALES: Readonly<Record<AppLocale, string>> = INTL_TAGS;

export const messages = {
  en: { common: enCommon, inbox: enInbox, ticket: enTicket, admin: enAdmin, search: enSearch, kb: enKb, $vuetify: vuetifyEn },
  fa: { common: faCommon, inbox: faInbox, ticket: faTicket, admin: faAdmin, search: faSearch, kb: faKb, $vuetify: vuetifyFa },
};

export type MessageSchema = (typeof messages)['en'];

export function isAppLocale(value: unknown): value is AppLocale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
