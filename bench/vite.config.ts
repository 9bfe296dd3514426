// Builds the Node benchmark (bench/node.ts and the library it imports, WGSL included) into
// one file, bench/dist/node.js, for `npm run bench`. `webgpu` (Dawn's native module) stays
// external; the bundle also runs from .gpu/ on a GPU host (see ../shared/gpu/pack.sh).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = resolve(import.meta.dirname, '..');

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    ssr: resolve(root, 'bench/node.ts'),
    outDir: resolve(root, 'bench/dist'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    reportCompressedSize: false,
    rolldownOptions: {
      external: ['webgpu'],
      output: { entryFileNames: 'node.js', codeSplitting: false },
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
