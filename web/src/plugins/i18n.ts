import { createI18n } from 'vue-i18n';
import { messages, type AppLocale } from '@/locales';

// One vue-i18n instance (composition mode), shared by the components (useI18n / $t), the stores
// (i18n.global.t) and Vuetify's locale adapter. The locale store sets its locale.
export const i18n = createI18n({
  legacy: false,
  locale: 'en' as AppLocale,
  fallbackLocale: 'en',
  messages,
  missingWarn: import.meta.env.DEV,
  fallbackWarn: import.meta.env.DEV,
});

export const t = i18n.global.t;
