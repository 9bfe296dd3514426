// Library build: Vite library mode, ESM only, two entries —
//   src/index.ts    → dist/index.js   (the library; imported by Node and by browser pages)
//   src/cli/main.ts → dist/cli.js     (the `sigmoid-core` command, with a shebang)
// Code both use goes in dist/chunks/, once. `webgpu` (Dawn for Node, loaded by a runtime
// dynamic import) and node:* built-ins stay external; everything else is bundled, so dist/
// runs in a page with no bundler. ml-matrix (Nyström's eigendecomposition) is imported
// dynamically and lands in a chunk of its own, loaded only when a Nyström map is fit. Type
// declarations go to dist/types/ through `tsc -p tsconfig.build.json`, run alongside the
// bundle so `npm run build` makes both.
import { execFile } from 'node:child_process';
import { chmod, rm } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import pkg from './package.json' with { type: 'json' };

const root = import.meta.dirname;
const CLI_SHEBANG = '#!/usr/bin/env node';
// ml-matrix is MIT-licensed: its notice travels with the chunk that holds it.
const ML_MATRIX_NOTICE = '/*! ml-matrix | The MIT License (MIT) | Copyright (c) 2014 Michaël Zasso | https://github.com/mljs/matrix */';

export default defineConfig({
  define: {
    __SIGMOID_CORE_VERSION__: JSON.stringify(pkg.version),
  },
  build: {
    target: ['es2022', 'node20'],
    outDir: 'dist',
    emptyOutDir: false, // cleaned by declarations() before tsc starts writing dist/types
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: { index: resolve(root, 'src/index.ts'), cli: resolve(root, 'src/cli/main.ts') },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    rolldownOptions: {
      external: ['webgpu', /^node:/, ...builtinModules],
      output: {
        chunkFileNames: 'chunks/[name]-[hash].js',
        banner: (chunk) =>
          chunk.isEntry && chunk.name === 'cli' ? CLI_SHEBANG : chunk.moduleIds.some((id) => id.includes('/node_modules/ml-matrix/')) ? ML_MATRIX_NOTICE : '',
      },
    },
  },
  plugins: [executableCli(), declarations()],
});

/** Marks dist/cli.js executable once written. */
function executableCli(): Plugin {
  return {
    name: 'sigmoid-core:executable-cli',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir ?? resolve(root, 'dist');
      for (const file of Object.values(bundle)) {
        if (file.type === 'chunk' && file.isEntry && file.name === 'cli') await chmod(join(dir, file.fileName), 0o755);
      }
    },
  };
}

/**
 * Empties dist/, then emits dist/types/*.d.ts with TypeScript's native tsc, started when the
 * build starts (so it runs beside the bundler) and awaited at the end. A type error fails
 * the build.
 */
function declarations(): Plugin {
  let job: Promise<void> | null = null;
  return {
    name: 'sigmoid-core:declarations',
    apply: 'build',
    async buildStart() {
      await rm(resolve(root, 'dist'), { recursive: true, force: true });
      // Found as Node finds packages: node_modules may sit in a parent folder, not in root.
      const tsc = join(dirname(createRequire(resolve(root, 'package.json')).resolve('typescript/package.json')), 'bin/tsc');
      job = new Promise((done, fail) => {
        execFile(process.execPath, [tsc, '-p', resolve(root, 'tsconfig.build.json')], { cwd: root }, (err, stdout, stderr) => {
          if (!err) return done();
          const e = new Error(`tsc -p tsconfig.build.json failed:\n${stdout}${stderr}`.trimEnd());
          e.stack = e.message; // the compiler's messages are the whole story
          fail(e);
        });
      });
      job.catch(() => {}); // reported in closeBundle
    },
    async closeBundle(error) {
      if (job === null || error) return;
      await job;
      this.info('type declarations written to dist/types/');
    },
  };
}
