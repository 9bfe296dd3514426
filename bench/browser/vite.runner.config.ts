// Builds the browser benchmark's Node runner (bench/browser/run.ts with tools/browser.ts)
// into bench/dist/browser/run.js for `npm run bench:browser`. Vite and puppeteer stay
// external (node_modules): the runner starts the page's own Vite server and Chromium.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = resolve(import.meta.dirname, '../..');

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    ssr: resolve(root, 'bench/browser/run.ts'),
    outDir: resolve(root, 'bench/dist/browser'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    reportCompressedSize: false,
    rolldownOptions: { output: { entryFileNames: 'run.js', codeSplitting: false } },
  },
});
