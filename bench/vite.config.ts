// Builds a Node benchmark script (bench/<entry>.ts and the library it imports, WGSL
// included) into one file, bench/dist/<entry>.js: node (`npm run bench`), peers-node
// (`npm run bench:peers`, `npm run bench:gpu-bundle`), gram-20k (`npm run bench:gram-20k`)
// or svc (`npm run bench:svc`). `webgpu` (Dawn's native module)
// stays external; the bundle also runs from .gpu/ on a GPU host (see ../shared/gpu/pack.sh).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { defineBuildInfo } from './build-info.js';

const root = resolve(import.meta.dirname, '..');
// BENCH_ENTRY picks the script: node (the runner, default), peers-node, gram-20k or svc.
const entry = process.env.BENCH_ENTRY ?? 'node';

export default defineConfig({
  define: {
    ...defineBuildInfo(root),
    // CommonJS globals that bundled Emscripten code (TF.js's wasm backend) reads in Node: this
    // bundle is an ES module, which has neither.
    __dirname: 'import.meta.dirname',
    __filename: 'import.meta.filename',
  },
  root,
  logLevel: 'warn',
  // Files imported with ?url (TF.js's .wasm binaries, bench/peers/tfjs.ts) are written to
  // bench/dist/assets/ and found there from the bundle, as file: URLs, wherever it runs.
  experimental: {
    renderBuiltUrl: (filename, { ssr }) => (ssr ? { runtime: `new URL(${JSON.stringify(`./${filename}`)}, import.meta.url).href` } : undefined),
  },
  build: {
    ssrEmitAssets: true,
    ssr: resolve(root, `bench/${entry}.ts`),
    outDir: resolve(root, 'bench/dist'),
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    reportCompressedSize: false,
    rolldownOptions: {
      external: ['webgpu'],
      output: { entryFileNames: `${entry}.js`, codeSplitting: false },
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
