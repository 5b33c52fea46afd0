import { beforeEach, describe, expect, it } from 'vitest';
import { screen } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import { defineComponent, h } from 'vue';
import { useRtl } from 'vuetify';
import { VApp } from 'vuetify/components/VApp';
import { i18n } from '@/plugins/i18n';
import LocaleSwitch from '@/components/LocaleSwitch.vue';
import { freshPinia, renderWithApp } from '@/test/helpers';
import { useLocaleStore } from './locale';

describe('locale store', () => {
  beforeEach(() => {
    document.documentElement.lang = '';
    document.documentElement.dir = '';
  });

  it('starts in English, left to right, and owns <html lang dir>', () => {
    freshPinia();
    const store = useLocaleStore();
    expect(store.locale).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    expect(document.documentElement.dir).toBe('ltr');
    expect(i18n.global.locale.value).toBe('en');
  });

  it('switching to fa sets dir="rtl", lang="fa", the messages and remembers the choice', async () => {
    freshPinia();
    const store = useLocaleStore();
    store.setLocale('fa');
    await Promise.resolve();
    expect(document.documentElement.dir).toBe('rtl');
    expect(document.documentElement.lang).toBe('fa');
    expect(store.isRtl).toBe(true);
    expect(i18n.global.t('common.nav.inbox')).toBe('صندوق ورودی');
    expect(localStorage.getItem('mehrdesk.locale')).toBe('fa');

    // A new tab (new store) starts in the remembered language.
    freshPinia();
    expect(useLocaleStore().locale).toBe('fa');
    store.setLocale('en');
  });

  it("adopts the signed-in user's locale only when nothing was chosen on this device", async () => {
    freshPinia();
    const store = useLocaleStore();
    store.adoptUserLocale('fa');
    expect(store.locale).toBe('fa');
    store.setLocale('en');
    store.adoptUserLocale('fa');
    expect(store.locale).toBe('en');
  });

  it('the app-bar switch turns the whole UI, Vuetify included, right to left', async () => {
    const Probe = defineComponent({
      setup() {
        const { isRtl } = useRtl();
        return () => h('output', { 'data-testid': 'vuetify-rtl' }, String(isRtl.value));
      },
    });
    renderWithApp(defineComponent({ setup: () => () => h(VApp, () => [h(LocaleSwitch), h(Probe)]) }));
    expect(screen.getByTestId('vuetify-rtl').textContent).toBe('false');
    await userEvent.click(screen.getByRole('button', { name: 'Switch language' }));
    await userEvent.click(await screen.findByRole('menuitemradio', { name: 'فارسی' }));
    expect(document.documentElement.dir).toBe('rtl');
    expect(screen.getByTestId('vuetify-rtl').textContent).toBe('true');
    expect(screen.getAllByRole('button', { name: 'تغییر زبان' })).toHaveLength(1);
    useLocaleStore().setLocale('en');
  });
});
