import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const rendererDir = path.dirname(fileURLToPath(import.meta.url));

/**
 * The renderer is one static bundle served two ways: from file:// inside Electron and
 * from the loopback server in a browser. Hence a relative base, and everything
 * (icons, styles, scripts) bundled: the CSP forbids remote content and inline scripts.
 */
export default defineConfig({
  root: rendererDir,
  base: './',
  plugins: [svelte()],
  resolve: {
    alias: { shared: path.resolve(rendererDir, '..', 'shared') },
  },
  build: {
    outDir: path.resolve(rendererDir, '..', 'dist', 'renderer'),
    emptyOutDir: true,
    // Electron 38 and a current Chromium: no need to transpile for old browsers.
    target: 'chrome120',
    sourcemap: true,
    // One CSS file beside the script (no injected <style> tags to whitelist).
    cssCodeSplit: false,
  },
  server: { port: 5173, strictPort: false },
});
