import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import vuetify from 'vite-plugin-vuetify';

// Three projects: `unit` is pure logic (no services); `integration` needs the stack that
// `./mehrdesk test` starts (PostgreSQL, Temporal dev server, SMTP catcher) and reads its
// addresses from the environment the launcher exports; `web` runs the console's component and
// store tests (web/src/**/*.unit.test.ts) in happy-dom with the Vue and Vuetify plugins.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.unit.test.ts'],
          exclude: ['**/node_modules/**', '.tools/**', '.data/**', 'web/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '.tools/**', '.data/**'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        plugins: [vue(), vuetify({ autoImport: true })],
        resolve: { alias: { '@': fileURLToPath(new URL('./web/src', import.meta.url)) } },
        test: {
          name: 'web',
          include: ['web/src/**/*.unit.test.ts'],
          environment: 'happy-dom',
          setupFiles: ['web/src/test/setup.ts'],
          // Vuetify's components import their CSS: let Vite handle them.
          server: { deps: { inline: ['vuetify'] } },
        },
      },
    ],
  },
});
