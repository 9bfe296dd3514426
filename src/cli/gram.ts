// `sigmoid-core gram`: K = k(X, Y) from CSV files to a CSV file. Everything is read,
// checked and computed first; K is written last, to a temp file renamed into place, so a
// failed run leaves no output behind.

import { performance } from 'node:perf_hooks';
import { createEngine } from '../create-engine.js';
import { ShapeError, ValueError } from '../errors.js';
import { GRAM_KERNELS, resolveGramOptions, type ResolvedGramOptions } from '../gram-options.js';
import { csvChunks, readCsv, type CsvMatrix } from '../io/csv.js';
import { checkWritable, readText, writeTextAtomic } from '../io/files.js';
import type { GramKernel, GramOptions } from '../types.js';
import { choiceFlag, type Command, type Flags, intFlag, numberFlag, UsageError } from './args.js';
import { BACKEND_CHOICES } from './info.js';

const flags = {
  x: { type: 'string', value: 'X.csv', required: true, help: 'n rows of d features (a header row is optional)' },
  y: { type: 'string', value: 'Y.csv', help: 'm rows of the same d features (default: X itself)' },
  kernel: { type: 'string', value: 'K', help: `${GRAM_KERNELS.join(', ')} (default sigmoid: tanh(γ⟨x,y⟩ + c₀))` },
  gamma: { type: 'string', value: 'G', help: 'γ (default 1/d; > 0 for rbf; a fraction like 1/64 is fine)' },
  coef0: { type: 'string', value: 'C', help: 'c₀ of sigmoid, logistic and polynomial (default 1)' },
  degree: { type: 'string', value: 'D', help: 'degree of polynomial, an integer ≥ 1 (default 3)' },
  out: { type: 'string', value: 'K.csv', required: true, help: 'where to write K (n rows × m columns, no header)' },
  backend: { type: 'string', value: 'auto|webgpu|cpu', help: 'default auto: WebGPU if an adapter exists, else the CPU' },
} as const;

/** Which parameters each kernel reads (shown in the summary; others draw a notice). */
const USES: Record<GramKernel, readonly ('gamma' | 'coef0' | 'degree')[]> = {
  sigmoid: ['gamma', 'coef0'],
  logistic: ['gamma', 'coef0'],
  linear: [],
  polynomial: ['gamma', 'coef0', 'degree'],
  rbf: ['gamma'],
};

export const gramCommand: Command<typeof flags> = {
  summary: 'compute the Gram matrix K[i, j] = k(x_i, y_j) of CSV files',
  usage: 'gram --x X.csv [--y Y.csv] [--kernel K] [--gamma G] [--coef0 C] [--degree D] --out K.csv [--backend B]',
  flags,
  async run(f, io) {
    const opts = gramOptions(f);
    const backend = choiceFlag('backend', f.backend ?? 'auto', BACKEND_CHOICES);
    const kernel = opts.kernel ?? 'sigmoid';
    for (const p of ['gamma', 'coef0', 'degree'] as const) {
      if (opts[p] !== undefined && !USES[kernel].includes(p)) io.err(`note: --${p} is not used by the ${kernel} kernel`);
    }
    const outPath = f.out!;
    await checkWritable(outPath);

    const x = await load(f.x!, io);
    const y = f.y === undefined ? null : await load(f.y, io);
    if (y && y.cols !== x.cols) {
      throw new ShapeError(
        `${f.y} has ${y.cols} columns but ${f.x} has ${x.cols}: X and Y need the same number of features`,
      );
    }
    const resolved = resolveGramOptions(opts, x.cols);
    const n = x.rows;
    const m = y ? y.rows : x.rows;

    const engine = await createEngine({ backend, log: io.err });
    const ran = engine.backend;
    let k: Float32Array;
    const t0 = performance.now();
    try {
      io.err(`computing K (${n}×${m}) on ${ran}...`);
      const tx = engine.tensor(x.data, [x.rows, x.cols]);
      const ty = y ? engine.tensor(y.data, [y.rows, y.cols]) : null;
      const tk = engine.gram(tx, ty, resolved);
      k = await tk.read();
      for (const t of [tx, ty, tk]) t?.dispose();
    } finally {
      engine.destroy();
    }
    const seconds = (performance.now() - t0) / 1000;
    const bad = k.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new ValueError(
        `K[${Math.floor(bad / m) + 1}, ${(bad % m) + 1}] is ${k[bad]}: the ${kernel} kernel overflows float32 here; ` +
          `choose a smaller --gamma${kernel === 'polynomial' ? ' or --degree' : ''}. Nothing was written.`,
      );
    }
    await writeTextAtomic(outPath, csvChunks(k, n, m));
    io.err(`K ${n}×${m}, ${describeKernel(resolved)}, backend ${ran}, ${seconds.toFixed(3)} s → ${outPath}`);
  },
};

function gramOptions(f: Flags<typeof flags>): GramOptions {
  const opts: GramOptions = {};
  if (f.kernel !== undefined) opts.kernel = choiceFlag('kernel', f.kernel, GRAM_KERNELS);
  if (f.gamma !== undefined) opts.gamma = numberFlag('gamma', f.gamma);
  if (f.coef0 !== undefined) opts.coef0 = numberFlag('coef0', f.coef0);
  if (f.degree !== undefined) opts.degree = intFlag('degree', f.degree, 1);
  if (opts.kernel === 'rbf' && opts.gamma !== undefined && opts.gamma <= 0) {
    throw new UsageError(`--gamma must be > 0 for the rbf kernel, got ${f.gamma}`);
  }
  try {
    resolveGramOptions(opts, 1); // anything else the engine would reject, before reading files
  } catch (err) {
    if (err instanceof ValueError) throw new UsageError(err.message);
    throw err;
  }
  return opts;
}

async function load(path: string, io: { err(line: string): void }): Promise<CsvMatrix> {
  const csv = readCsv(await readText(path), { source: path });
  io.err(`read ${path}: ${csv.rows} rows × ${csv.cols} columns${csv.header ? ' (with a header row)' : ''}`);
  return csv;
}

function describeKernel(o: ResolvedGramOptions): string {
  const parts = [`kernel ${o.kernel}`];
  if (USES[o.kernel].includes('gamma')) parts.push(`γ = ${fmt(o.gamma)}`);
  if (USES[o.kernel].includes('coef0')) parts.push(`c₀ = ${fmt(o.coef0)}`);
  if (USES[o.kernel].includes('degree')) parts.push(`degree ${o.degree}`);
  return parts.join(', ');
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(6)));
}
