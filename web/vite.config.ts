import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import vuetify from 'vite-plugin-vuetify';

// The console: `npx vite` serves it with /api proxied to a running API (`./mehrdesk start`,
// or MEHRDESK_API=http://host:port); `npx vite build` writes web/dist, which the API serves.
// Every page is a lazy route, so each gets its own chunk; TipTap is imported only by the
// ticket page's reply editor and so lands in that chunk alone.
export default defineConfig({
  plugins: [vue(), vuetify({ autoImport: true })],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: process.env.MEHRDESK_API ?? 'http://127.0.0.1:3000', changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    chunkSizeWarningLimit: 700,
  },
});
