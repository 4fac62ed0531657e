// Builds the analyst pages into dist/, which `liaison serve` serves at / (web_root).
// Everything is bundled: nothing is fetched from another origin at run time, and no
// inline script is emitted (the server's Content-Security-Policy forbids it).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
  },
});
