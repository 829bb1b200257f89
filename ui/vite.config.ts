import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

export default defineConfig({
  // svelteTesting: Vitest resolves Svelte's browser build and cleans up after each test.
  plugins: [svelte(), svelteTesting()],
  // Tauri serves dist/ itself; keep the dev server on a fixed port for tauri.conf.json's devUrl.
  server: { port: 5173, strictPort: true },
  clearScreen: false,
  build: {
    target: 'safari16',
    outDir: 'dist',
    emptyOutDir: true,
    // One CSS file and no inline scripts: the CSP allows scripts and styles from the app only.
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
  },
});
