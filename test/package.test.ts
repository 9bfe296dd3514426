// The built package as a consumer gets it (dist/, made by `npm test`'s build step):
// its type declarations compile in a strict project that has neither the DOM lib nor the
// WebGPU types, and in one that has them (GPUDevice then typed, not any); the README's
// TypeScript examples typecheck against them; the error classes keep their names in a
// minified bundle; dist/ runs without a bundler (ml-matrix in a lazily loaded chunk); and
// webpack 5 bundles it for a page with no warning and no Node-only module.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';
import webpack from 'webpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

// Found as Node finds packages: node_modules may sit in a parent folder, not in ROOT.
const requireHere = createRequire(join(ROOT, 'package.json'));
const TSC = join(dirname(requireHere.resolve('typescript/package.json')), 'bin/tsc');
const TYPE_ROOTS = dirname(dirname(requireHere.resolve('@types/node/package.json')));

let dir: string;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/types/index.d.ts'))) throw new Error(`${ROOT}/dist is missing: run 'npm run build' first (npm test does)`);
  dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-package-'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(ROOT, join(dir, 'node_modules/sigmoid-core'), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The ```ts blocks of the README, in order. */
async function readmeExamples(): Promise<string[]> {
  const text = await readFile(join(ROOT, 'README.md'), 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Runs tsc on `files` (written into the consumer folder) under a strict config with `lib`; returns its output. */
async function typecheck(name: string, lib: string[], types: string[], files: Record<string, string>): Promise<{ ok: boolean; output: string }> {
  const sub = join(dir, name);
  await mkdir(sub, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(sub, file), text);
  const config = {
    compilerOptions: {
      strict: true, target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', noEmit: true,
      skipLibCheck: false, lib, types, typeRoots: [TYPE_ROOTS],
    },
    files: Object.keys(files),
  };
  await writeFile(join(sub, 'tsconfig.json'), JSON.stringify(config));
  // The consumer folder's own node_modules holds only sigmoid-core; its package.json says ESM.
  await writeFile(join(sub, 'package.json'), JSON.stringify({ type: 'module' }));
  await rm(join(sub, 'node_modules'), { force: true });
  await symlink(join(dir, 'node_modules'), join(sub, 'node_modules'), 'dir');
  return new Promise((done) => {
    execFile(process.execPath, [TSC, '-p', sub], { cwd: sub }, (err, stdout, stderr) => done({ ok: !err, output: `${stdout}${stderr}` }));
  });
}

// Not `any`: a number is not a device, under either setup.
const NOT_ANY = `import { createEngine } from 'sigmoid-core';
const engine = await createEngine({ backend: 'cpu' });
// @ts-expect-error gpuDevice is a device (or object) | null, never any
const n: number = engine.gpuDevice;
console.log(n);
`;

// With the WebGPU types present, the device the engine exposes is their GPUDevice.
const TYPED_DEVICE = `import { createEngine } from 'sigmoid-core';
const engine = await createEngine();
const d = engine.gpuDevice;
if (d) {
  const b: GPUBuffer = d.createBuffer({ size: 16, usage: 0x80 }); // GPUBufferUsage.STORAGE
  b.destroy();
  const again = await createEngine({ device: d });
  again.destroy();
}
engine.destroy();
`;

// What the library marks @internal is not in its typings: each use below must be an error
// (an unused @ts-expect-error is one). The constructors are private there, not dropped: a
// class whose constructor is left out gets an implicit public one taking no arguments.
const INTERNALS = `import { createEngine, Engine, Nystroem, Sequential, Tensor } from 'sigmoid-core';
const engine = await createEngine({ backend: 'cpu' });
const t = engine.tensor([1, 2]);
// @ts-expect-error the backend buffer is internal
console.log(t.buffer);
// @ts-expect-error internal: t.read() is the way
await engine.readTensor(t);
// @ts-expect-error internal: t.dispose() is the way
engine.disposeTensor(t);
// @ts-expect-error internal
engine.isCurrent(t);
// @ts-expect-error the owner is the engine, whose internals stay hidden through it too
await t.owner.readTensor(t);
// @ts-expect-error tensors come from an engine
new Tensor();
// @ts-expect-error engines come from createEngine()
new Engine();
// @ts-expect-error models come from sequential() or Sequential.fromSafetensors()
new Sequential();
// @ts-expect-error feature maps come from nystroem()
new Nystroem();
// @ts-expect-error nor can a subclass reach the private constructor
class MyTensor extends Tensor {}
console.log(MyTensor);
engine.destroy();
`;

describe('the published type declarations', () => {
  it('compile in a strict Node project without the DOM lib or the WebGPU types (skipLibCheck off)', async () => {
    const examples = await readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(2);
    const files: Record<string, string> = { 'not-any.ts': NOT_ANY };
    examples.forEach((code, i) => (files[`readme-${i + 1}.ts`] = code));
    const r = await typecheck('node-only', ['ES2022'], ['node'], files);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  }, 60_000);

  it('compile with the DOM lib (which has WebGPU), where gpuDevice is a GPUDevice', async () => {
    const files: Record<string, string> = { 'not-any.ts': NOT_ANY, 'typed-device.ts': TYPED_DEVICE };
    (await readmeExamples()).forEach((code, i) => (files[`readme-${i + 1}.ts`] = code));
    const r = await typecheck('dom', ['ES2022', 'DOM'], [], files);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  }, 60_000);

  it('hide what the library marks @internal', async () => {
    const r = await typecheck('internals', ['ES2022'], ['node'], { 'internals.ts': INTERNALS });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
    const types = join(ROOT, 'dist/types');
    const files = (await readdir(types, { recursive: true })).filter((f) => f.endsWith('.d.ts'));
    const texts = await Promise.all(files.map((f) => readFile(join(types, f), 'utf8')));
    expect(files.filter((_, i) => texts[i]!.includes('@internal'))).toEqual([]);
  }, 60_000);

  it('a wrong call is still an error (the checks above can fail)', async () => {
    const r = await typecheck('wrong', ['ES2022'], ['node'], {
      'wrong.ts': `import { createEngine } from 'sigmoid-core';\nawait createEngine({ backend: 'tpu' });\n`,
    });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/wrong\.ts.*"tpu"/);
  }, 60_000);
});

describe('the bundle', () => {
  it('keeps every error class name in a minified consumer bundle', async () => {
    const entry = join(dir, 'errors-entry.js');
    await writeFile(entry, `export * from 'sigmoid-core';\n`);
    const outDir = join(dir, 'min');
    await build({
      configFile: false, logLevel: 'silent', root: dir,
      build: {
        outDir, minify: true, emptyOutDir: true,
        lib: { entry, formats: ['es'], fileName: () => 'bundle.js' },
        rolldownOptions: { external: ['webgpu', /^node:/] },
      },
    });
    const lib = (await import(pathToFileURL(join(outDir, 'bundle.js')).href)) as Record<string, unknown>;
    const base = lib.SigmoidCoreError as new () => Error;
    const classes = Object.entries(lib).filter(
      ([, v]) => typeof v === 'function' && (v === base || (v as { prototype?: unknown }).prototype instanceof base),
    ) as [string, new () => Error][];
    expect(classes.map(([k]) => k)).toEqual(expect.arrayContaining(['SigmoidCoreError', 'ShapeError', 'ValueError', 'GPUOpError', 'RecoveryFailedError']));
    for (const [exported, C] of classes) expect(new C().name, exported).toBe(exported);
  }, 60_000);

  it('runs without a bundler: no bare imports but webgpu and node: built-ins; ml-matrix only in a lazily imported chunk', async () => {
    const files = ['dist/index.js', 'dist/cli.js', ...(await readdir(join(ROOT, 'dist/chunks'))).map((f) => `dist/chunks/${f}`)];
    const texts = await Promise.all(files.map((f) => readFile(join(ROOT, f), 'utf8')));
    const bare = new Set<string>();
    for (const text of texts) {
      for (const m of text.matchAll(/(?:^import .* from |^import |\bimport\()"([^"]+)"/gm)) if (!m[1]!.startsWith('.')) bare.add(m[1]!);
    }
    expect([...bare].filter((s) => s !== 'webgpu' && !s.startsWith('node:'))).toEqual([]);
    const withMatrix = files.filter((_, i) => texts[i]!.includes('EigenvalueDecomposition = class'));
    expect(withMatrix).toHaveLength(1);
    expect(withMatrix[0]).toMatch(/^dist\/chunks\//);
    expect(texts[files.indexOf(withMatrix[0]!)]).toMatch(/^\/\*! ml-matrix \| The MIT License/);
    const index = texts[0]!;
    expect(index).toMatch(new RegExp(`await import\\("\\./${withMatrix[0]!.slice(5).replace(/[.]/g, '\\.')}"\\)`));
    expect(index).not.toMatch(/^import .*matrix-/m);
  });

  it("a browser bundler meets no Node-only module: 'webgpu' and node:fs/promises are imported by a specifier it cannot read", async () => {
    // Every file a page loads (not cli.js). A literal import("webgpu") or import("node:…")
    // — the build had folded the source's `const spec = 'webgpu'` into one — made esbuild
    // (platform browser) bundle Dawn's Node package and fail on node:path, node:url, module
    // and node:fs/promises (src/node-only.ts). Only the library's own chunks (relative
    // paths) are imported by a literal.
    const files = ['dist/index.js', ...(await readdir(join(ROOT, 'dist/chunks'))).map((f) => `dist/chunks/${f}`)];
    const literal: string[] = [];
    for (const f of files) {
      const text = await readFile(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/\bimport\(\s*(?:\/\*[\s\S]*?\*\/\s*)*(["'`])([^"'`]+)\1/g)) {
        if (!m[2]!.startsWith('.')) literal.push(`${f}: import(${m[1]}${m[2]}${m[1]})`);
      }
      expect(text, `${f}: a static import of a Node-only module`).not.toMatch(/^import .*["'](?:webgpu|node:[^"']*)["']/m);
    }
    expect(literal).toEqual([]);
  });

  it('webpack 5 bundles the whole library for a page (production) with no warning, no error, no Node-only module and no Node global', async () => {
    // webpack (and Rspack) warn about an import() whose specifier they cannot read, where
    // Vite and esbuild stay silent: "Critical dependency: the request of a dependency is an
    // expression", for src/node-only.ts's import(specifier), until it carried
    // `webpackIgnore: true` — a comment the build must keep in dist/. A bare `process` or
    // `Buffer` is a Node global that Parcel (like webpack 4 and Browserify) polyfills — after
    // installing `process` into the user's package.json, or failing the build where it may
    // not — so the ProvidePlugin stands for that: every bare use gets the module it names.
    const sub = join(dir, 'webpack');
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, 'entry.js'), `export * from 'sigmoid-core';\n`);
    const nodeGlobal = join(sub, 'node-global.js');
    await writeFile(nodeGlobal, 'export default {};\n');
    const stats = await new Promise<webpack.Stats>((done, fail) => {
      webpack(
        {
          mode: 'production', target: 'web', context: sub, entry: './entry.js',
          output: { path: join(sub, 'out'), filename: 'main.js' },
          optimization: { minimize: false }, // terser adds seconds and nothing to what is checked
          performance: { hints: false },
          plugins: [new webpack.ProvidePlugin({ process: nodeGlobal, Buffer: nodeGlobal })],
        },
        (err, s) => (err || !s ? fail(err ?? new Error('webpack gave no stats')) : done(s)),
      );
    });
    const info = stats.toJson({ all: false, errors: true, warnings: true });
    expect((info.errors ?? []).map((e) => `${e.moduleName ?? ''}: ${e.message}`)).toEqual([]);
    expect((info.warnings ?? []).map((w) => `${w.moduleName ?? ''}: ${w.message}`)).toEqual([]);
    const read = [...stats.compilation.fileDependencies];
    expect(read.some((f) => f.startsWith(join(ROOT, 'dist/')))).toBe(true);
    expect(read.filter((f) => f.includes('/node_modules/webgpu/'))).toEqual([]);
    const globals = stats.toJson({ all: false, modules: true, reasons: true }).modules?.filter((m) => m.nameForCondition === nodeGlobal) ?? [];
    expect(globals.flatMap((m) => (m.reasons ?? []).map((r) => `${r.moduleName ?? ''} ${r.loc ?? ''}`))).toEqual([]);
  }, 60_000);
});
