// Builds the runnable examples (examples/<name>/main.ts and the library they import, WGSL
// included) into examples/dist/<name>.js for Node: `npm run example:<name>`. `webgpu`
// (Dawn's native module) stays external, as in the library and the benchmark builds.
import { readdirSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = resolve(import.meta.dirname, '..');
const here = resolve(root, 'examples');

/** Every examples/<name>/main.ts. */
const entries = Object.fromEntries(
  readdirSync(here, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(resolve(here, d.name, 'main.ts')))
    .map((d) => [d.name, resolve(here, d.name, 'main.ts')]),
);

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    reportCompressedSize: false,
    rolldownOptions: {
      input: entries,
      external: ['webgpu', /^node:/],
      output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
