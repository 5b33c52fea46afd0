import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { i18n } from './plugins/i18n';
import { createAppVuetify } from './plugins/vuetify';
import { createAppRouter } from './router';
import { useLocaleStore } from './stores/locale';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(i18n);
// The locale store sets vue-i18n's locale and <html lang dir> before anything renders.
useLocaleStore(pinia);
app.use(createAppVuetify());
const router = createAppRouter();
app.use(router);
// Fetch the first page's code now, while the navigation guard checks the session, instead of
// after it: the chunk download and the /auth/me round trip overlap rather than add up.
// (Dynamic imports are cached, so the router's own later call costs nothing.)
for (const record of router.resolve(location.pathname + location.search).matched) {
  const component = record.components?.default;
  // A lazy route component is a zero-argument loader (a functional component takes props).
  if (typeof component === 'function' && component.length === 0) void (component as () => Promise<unknown>)().catch(() => {});
}
void router.isReady().then(() => app.mount('#app'));
