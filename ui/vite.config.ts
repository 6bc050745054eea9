/** Builds the page of `advx ui` (plain TypeScript, no framework) into dist/ui of the package. */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // tfjs (core, layers, converter, webgl, webgpu, wasm glue) is one ~3 MB chunk: expected for this page.
    chunkSizeWarningLimit: 5000,
  },
});
