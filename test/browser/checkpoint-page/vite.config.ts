// Vite config of the browser checkpoint page (test/browser/checkpoint-page/index.html):
// checkpoint-page.test.ts starts it programmatically; to watch it in your own browser:
//   npx vite -c test/browser/checkpoint-page/vite.config.ts   (open the printed http://127.0.0.1 URL)
// The page imports the library from source (../../../src/index.js).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));

export default defineConfig({
  root,
  // ml-matrix's ESM entry wraps CommonJS: pre-bundle it up front and discover nothing later
  // (a late dependency scan would reload the page mid-run).
  optimizeDeps: { noDiscovery: true, include: ['ml-matrix'] },
  // 127.0.0.1 is a secure context (OPFS and WebGPU need one). Under vitest nothing is watched.
  server: { host: '127.0.0.1', fs: { allow: [repo] }, ...(process.env.VITEST ? { hmr: false, watch: null } : {}) },
  clearScreen: false,
});
