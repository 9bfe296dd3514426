// Vite config of the browser op-check page (test/browser/index.html). browser.test.ts
// starts it programmatically; to watch the page in your own browser after `npm run build`:
//   npx vite -c test/browser/vite.config.ts     (then open the printed http://127.0.0.1 URL)
// `sigmoid-core` resolves to the BUILT library, so the page tests what users get.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  resolve: { alias: { 'sigmoid-core': `${repo}dist/index.js` } },
  // Nothing to pre-bundle: a dependency scan could otherwise reload the page mid-run.
  optimizeDeps: { noDiscovery: true, include: [] },
  // WebGPU needs a secure context: 127.0.0.1 is one.
  server: { host: '127.0.0.1', port: 0, strictPort: false, fs: { allow: [repo] } },
  clearScreen: false,
});
