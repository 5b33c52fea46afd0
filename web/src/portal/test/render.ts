import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory } from 'vue-router';
import { render } from '@testing-library/vue';
import App from '../App.vue';
import { createPortalI18n } from '../i18n';
import { createPortalRouter } from '../router';
import { bindI18n, useLocaleStore } from '../stores/locale';
import { useKbStore } from '../stores/kb';
import type { PortalState } from '../api/types';

export { fakeApi } from '@/test/helpers';

// Render the whole portal (App, router, stores, catalogue) at a path, as main.ts does, with a
// memory history: component tests go through the real routes, guards and focus handling.

export async function renderPortal(path: string, opts: { state?: PortalState } = {}) {
  const pinia = createPinia();
  setActivePinia(pinia);
  const i18n = createPortalI18n();
  bindI18n(i18n.global);
  const locale = useLocaleStore(pinia);
  if (opts.state) useKbStore(pinia).setInitialState(opts.state);
  const router = createPortalRouter(createMemoryHistory());
  await router.push(path);
  await router.isReady();
  const view = render(App, { global: { plugins: [pinia, i18n, router] } });
  return { ...view, router, pinia, locale };
}
