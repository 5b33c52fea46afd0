import 'vuetify/styles';
import { createVuetify } from 'vuetify';
import { createVueI18nAdapter } from 'vuetify/locale/adapters/vue-i18n';
import { aliases, mdi } from 'vuetify/iconsets/mdi-svg';
import { useI18n } from 'vue-i18n';
import { i18n } from './i18n';
import { CalendarDateAdapter } from './calendarDateAdapter';

// Vuetify reads its locale (and so its direction: fa is right-to-left) from vue-i18n through
// its adapter, and its own component strings from the `$vuetify` messages (locales/index.ts).
// Components are imported per use by vite-plugin-vuetify; icons are @mdi/js SVG paths.
export function createAppVuetify() {
  return createVuetify({
    locale: {
      // vue-i18n's instance is typed by our message schema; the adapter takes any schema.
      adapter: createVueI18nAdapter({ i18n: i18n as never, useI18n }),
      rtl: { fa: true, en: false },
    },
    date: { adapter: CalendarDateAdapter },
    icons: { defaultSet: 'mdi', aliases, sets: { mdi } },
    theme: {
      defaultTheme: 'mehrdesk',
      themes: {
        mehrdesk: {
          dark: false,
          colors: {
            primary: '#1867c0',
            secondary: '#5c6b7a',
            // The SLA colours: amber at warning, red at breach.
            warning: '#b26a00',
            error: '#c62828',
            success: '#2e7d32',
            info: '#0277bd',
            'internal-note': '#fff4d6',
          },
        },
      },
    },
    defaults: {
      VTextField: { variant: 'outlined', density: 'comfortable' },
      VSelect: { variant: 'outlined', density: 'comfortable' },
      VAutocomplete: { variant: 'outlined', density: 'comfortable' },
      VCombobox: { variant: 'outlined', density: 'comfortable' },
      VDateInput: { variant: 'outlined', density: 'comfortable' },
      VBtn: { variant: 'flat' },
    },
  });
}
