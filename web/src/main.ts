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
void router.isReady().then(() => app.mount('#app'));
