// Vite config of the in-browser training playground (examples/web/index.html):
//   npm run dev        (= vite -c examples/web/vite.config.ts; open the printed http://127.0.0.1 URL)
// The page imports the library from source (../../src/index.js: Vite compiles the TypeScript
// and the `?raw` WGSL imports) and reads data/digits.csv through a `?raw` import, so the
// repository root must be servable. test/browser/playground.test.ts starts this config
// programmatically (tools/browser.ts serve()).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  // Pre-bundle uPlot and ml-matrix (the library's CommonJS-wrapped dependency) up front and
  // discover nothing later: a late dependency scan would
  // reload the page in the middle of a training run.
  optimizeDeps: { noDiscovery: true, include: ['uplot', 'ml-matrix'] },
  // WebGPU needs a secure context: 127.0.0.1 is one.
  // Under vitest (playground.test.ts) nothing is watched: an edit to src/ while a test runs
  // would otherwise reload the page mid-training.
  server: { host: '127.0.0.1', fs: { allow: [repo] }, ...(process.env.VITEST ? { hmr: false, watch: null } : {}) },
  clearScreen: false,
});
