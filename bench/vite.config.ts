// Builds the Node benchmark (bench/node.ts and the library it imports, WGSL included) into
// one file, bench/dist/node.js, for `npm run bench` (BENCH_ENTRY=gram-20k: bench/dist/gram-20k.js). `webgpu` (Dawn's native module) stays
// external; the bundle also runs from .gpu/ on a GPU host (see ../shared/gpu/pack.sh).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = resolve(import.meta.dirname, '..');
// BENCH_ENTRY picks the script: node (the runner, default) or gram-20k (bench/gram-20k.ts).
const entry = process.env.BENCH_ENTRY ?? 'node';

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
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
