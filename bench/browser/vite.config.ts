// Vite config of the browser benchmark page (bench/browser/index.html). The runner
// (bench/browser/run.ts, `npm run bench:browser`) and test/browser/bench-page.test.ts start
// it programmatically; to use the page in your own browser:
//   npx vite -c bench/browser/vite.config.ts     (then open the printed http://127.0.0.1 URL)
// sigmoid-core is imported from source (WGSL through `?raw`), so no build is needed first.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { defineBuildInfo } from '../build-info.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  define: defineBuildInfo(repo),
  root,
  // Its own dependency cache: another Vite server of this checkout (the playground) must not
  // re-optimise it mid-run ("504 Outdated Optimize Dep").
  cacheDir: `${repo}node_modules/.vite-bench-browser`,
  // Pre-bundle the CommonJS-flavoured TF.js packages up front (a dependency discovered
  // mid-run would reload the page); jax-js is plain ESM with its own lazily imported
  // webgpu chunk, served as is.
  optimizeDeps: {
    noDiscovery: true,
    exclude: ['@jax-js/jax'],
    include: [
      '@tensorflow/tfjs-core', '@tensorflow/tfjs-core/dist/register_all_gradients', '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm',
      'ml-matrix', // the library's own dependency (Nyström's eigendecomposition): its ESM entry wraps CommonJS
    ],
  },
  // WebGPU needs a secure context: 127.0.0.1 is one.
  server: { host: '127.0.0.1', port: 0, strictPort: false, fs: { allow: [repo] } },
  clearScreen: false,
});
