// Builds the SVC benchmark (bench/svc.ts and the library it imports, WGSL included) into one
// file, bench/dist/svc.js, for `npm run bench:svc`. `webgpu` (Dawn's native module) stays
// external. Separate from bench/vite.config.ts so the two builds never empty each other's
// output (this one does not empty bench/dist).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = resolve(import.meta.dirname, '..');

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    ssr: resolve(root, 'bench/svc.ts'),
    outDir: resolve(root, 'bench/dist'),
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    reportCompressedSize: false,
    rolldownOptions: {
      external: ['webgpu'],
      output: { entryFileNames: 'svc.js', codeSplitting: false },
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
