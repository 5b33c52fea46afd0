import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createPortalI18n } from './i18n';
import { createPortalRouter } from './router';
import { bindI18n, useLocaleStore } from './stores/locale';
import { readPortalState, useKbStore } from './stores/kb';
import { useSessionStore } from './stores/session';
import './styles.css';

// The customer portal: its own entry (portal.html), router, stores and catalogue, nothing of the
// agent console. Public article pages arrive rendered by the server (api/src/portal/ssr.ts) with
// the article as JSON in the page; the app mounts over that markup and starts from the same data.

const app = createApp(App);
const pinia = createPinia();
const i18n = createPortalI18n();
app.use(pinia);
app.use(i18n);
bindI18n(i18n.global);
// The locale store sets vue-i18n's locale and <html lang dir> before anything renders.
useLocaleStore(pinia);
useKbStore(pinia).setInitialState(readPortalState());
const router = createPortalRouter();
app.use(router);
// Who is signed in decides the header's links; a failure here only leaves them as for a guest.
void useSessionStore(pinia)
  .restore()
  .catch(() => {});
void router.isReady().then(() => app.mount('#app'));
