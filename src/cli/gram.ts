// `sigmoid-core gram`: K = k(X, Y) from CSV files to a CSV file, streamed: K is computed in
// tiles (gramTiles, src/kernels/gram-tiled.ts) and written one band of rows at a time, so
// memory stays bounded (one band of tileRows × M values, never the whole N×M text). The
// CSV goes to a temp file beside --out, renamed into place at the end; on any error
// (including a non-finite entry found in a late band) the temp file is deleted and nothing
// is left behind. K(X, X) is streamed as full row bands (every tile computed, not mirrored:
// mirroring would need earlier bands kept); writing the text costs more than the GPU anyway.

import { performance } from 'node:perf_hooks';
import { createEngine } from '../create-engine.js';
import { LimitError, ShapeError, ValueError } from '../errors.js';
import { GRAM_KERNELS, kernelOverflow, MAX_DEGREE, resolveGramOptions, type ResolvedGramOptions } from '../gram-options.js';
import { csvChunks, readCsv } from '../io/csv.js';
import { AtomicFile, readText } from '../io/files.js';
import { checkGramSums } from '../kernels/float32-sums.js';
import { checkedGramTiles, planGramTiles } from '../kernels/gram-tiled.js';
import type { GramKernel, GramOptions } from '../types.js';
import { checkFinite } from '../validate.js';
import { choiceFlag, type Command, degreeFlag, type Flags, float32Flag, intFlag, outputFlag, quietIo, UsageError, usageCheck } from './args.js';
import { loadCsv } from './dataset.js';
import { BACKEND_FLAG, backendFlag } from './info.js';
import { plural } from './progress.js';

const flags = {
  x: { type: 'string', value: 'X.csv', required: true, help: 'n rows of d features (a header row is optional)' },
  y: { type: 'string', value: 'Y.csv', help: 'm rows of the same d features (default: X itself)' },
  kernel: { type: 'string', value: 'K', help: `${GRAM_KERNELS.join(', ')} (default sigmoid: tanh(γ⟨x,y⟩ + c₀))` },
  gamma: { type: 'string', value: 'G', help: 'γ (default 1/d; > 0 for rbf; a fraction like 1/64 is fine); the bias of projected-sigmoid (default 0)' },
  coef0: { type: 'string', value: 'C', help: 'c₀ of sigmoid, logistic and polynomial (default 1)' },
  degree: { type: 'string', value: 'D', help: `degree of polynomial, an integer in 1..${MAX_DEGREE} (default 3)` },
  'alpha-file': { type: 'string', value: 'A.csv', help: 'projected-sigmoid: α, d numbers (one row or one column)' },
  'beta-file': { type: 'string', value: 'B.csv', help: 'projected-sigmoid: β, d numbers (one row or one column)' },
  out: { type: 'string', value: 'K.csv', required: true, help: 'where to write K (n rows × m columns, no header)' },
  tile: { type: 'string', value: 'T', help: 'tile side: K is computed in T×T blocks (default up to 2048, within the device limits)' },
  backend: BACKEND_FLAG,
  quiet: { type: 'boolean', help: 'nothing on stderr but errors (no notices, progress or summary)' },
} as const;

/** Which parameters each kernel reads (shown in the summary; others draw a notice). */
const USES: Record<GramKernel, readonly ('gamma' | 'coef0' | 'degree')[]> = {
  sigmoid: ['gamma', 'coef0'],
  logistic: ['gamma', 'coef0'],
  linear: [],
  polynomial: ['gamma', 'coef0', 'degree'],
  rbf: ['gamma'],
  'projected-sigmoid': ['gamma'],
};

export const gramCommand: Command<typeof flags> = {
  summary: 'compute the Gram matrix K[i, j] = k(x_i, y_j) of CSV files',
  usage:
    'gram --x X.csv [--y Y.csv] [--kernel K] [--gamma G] [--coef0 C] [--degree D] ' +
    '[--alpha-file A.csv --beta-file B.csv] --out K.csv [--tile T] [--backend B] [--quiet]',
  flags,
  async run(f, io) {
    const opts = gramOptions(f);
    const { notice: note, log } = quietIo(f.quiet, io);
    const backend = backendFlag(f.backend);
    const kernel = opts.kernel ?? 'sigmoid';
    noteUnusedParams(kernel, opts, note);
    const tile = f.tile === undefined ? undefined : intFlag('tile', f.tile, 1);
    const outPath = await outputFlag('out', f.out!, { x: f.x, y: f.y, 'alpha-file': f['alpha-file'], 'beta-file': f['beta-file'] });

    const x = await loadCsv(f.x!, note);
    const y = f.y === undefined ? null : await loadCsv(f.y, note);
    if (y && y.cols !== x.cols) {
      throw new ShapeError(
        `${f.y} has ${plural(y.cols, 'column')} but ${f.x} has ${x.cols}: X and Y need the same number of features`,
      );
    }
    if (kernel === 'projected-sigmoid') {
      opts.alpha = await loadVector(f['alpha-file'], 'alpha-file', x.cols, note);
      opts.beta = await loadVector(f['beta-file'], 'beta-file', x.cols, note);
    }
    const resolved = resolveGramOptions(opts, x.cols);
    const n = x.rows;
    const m = y ? y.rows : x.rows;

    const engine = await createEngine({ backend, log });
    const ran = engine.backend;
    const t0 = performance.now();
    const out = await AtomicFile.create(outPath);
    try {
      // As gramTiles would, but with the command line's remedy (so checkedGramTiles, not gramTiles).
      checkGramSums(engine, 'gram', resolved, y ? [x, y] : [x], ', or use --backend cpu (it sums in float64)');
      const plan = tiling(() => planGramTiles(engine.limits, n, m, x.cols, false, { tileRows: tile, tileCols: tile }), tile);
      const bands = Math.ceil(n / plan.tileRows);
      note(
        `computing K (${n}×${m}) on ${ran}` +
          (plan.tiles > 1 ? ` in ${plan.tiles} tiles of up to ${plan.tileRows}×${plan.tileCols}, ${plural(bands, 'band')} of rows` : '') + '...',
      );
      // One band of rows (tileRows × m) at a time: filled by its tiles, checked, written.
      let band: Float32Array = new Float32Array(0);
      let lastReport = performance.now();
      await checkedGramTiles(engine, x, y ?? x, { tileRows: plan.tileRows, tileCols: plan.tileCols }, resolved, async (t) => {
        if (t.colStart === 0) band = t.cols === m ? t.data : new Float32Array(t.rows * m);
        if (t.cols !== m) {
          for (let r = 0; r < t.rows; r++) band.set(t.data.subarray(r * t.cols, (r + 1) * t.cols), r * m + t.colStart);
        }
        if (t.colStart + t.cols < m) return;
        const bad = band.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) {
          throw new ValueError(
            `K[${t.rowStart + Math.floor(bad / m)}, ${bad % m}] (0-based: a row of X, a row of Y) is ${band[bad]}: ${kernelOverflow(kernel, (name) => `--${name}`)}. Nothing was written.`,
          );
        }
        for (const chunk of csvChunks(band, t.rows, m)) await out.write(chunk);
        const now = performance.now();
        const done = t.rowStart + t.rows;
        if (bands > 1 && (now - lastReport > 1000 || done === n)) {
          lastReport = now;
          const sec = (now - t0) / 1000;
          note(`  rows ${done}/${n} (${((100 * done) / n).toFixed(0)} %), ${sec.toFixed(1)} s, ${((done * m) / sec / 1e6).toPrecision(3)} M entries/s`);
        }
      });
      await out.commit();
    } catch (err) {
      await out.abort();
      throw err;
    } finally {
      engine.destroy();
    }
    const seconds = (performance.now() - t0) / 1000;
    note(`K ${n}×${m}, ${describeKernel(resolved)}, backend ${ran}, ${seconds.toFixed(3)} s → ${outPath}`);
  },
};


/** A note for each of --gamma, --coef0 and --degree that is given but not used by `kernel` (gram and svm). */
export function noteUnusedParams(kernel: GramKernel, given: Partial<Record<'gamma' | 'coef0' | 'degree', unknown>>, note: (line: string) => void): void {
  for (const p of ['gamma', 'coef0', 'degree'] as const) {
    if (given[p] !== undefined && !USES[kernel].includes(p)) note(`note: --${p} is not used by the ${kernel} kernel`);
  }
}

/** α or β of projected-sigmoid from a CSV of d numbers (one row or one column, header optional). */
async function loadVector(path: string | undefined, flag: string, d: number, note: (line: string) => void): Promise<Float32Array> {
  if (path === undefined) throw new UsageError(`the projected-sigmoid kernel needs --${flag} (a CSV of ${plural(d, 'number')}, one per feature)`);
  const csv = readCsv(await readText(path), { source: path });
  if (csv.rows !== 1 && csv.cols !== 1) {
    throw new ShapeError(`${path} (--${flag}) is ${csv.rows}×${csv.cols}: expected ${plural(d, 'number')} in one row or one column`);
  }
  if (csv.data.length !== d) {
    throw new ShapeError(`${path} (--${flag}) has ${plural(csv.data.length, 'number')} but X has ${plural(d, 'feature')}: they must match`);
  }
  // As resolveGramOptions checks α and β (a subnormal weight is refused), but naming the file, not alpha[i].
  csv.data.forEach((v, i) => checkFinite(`${path} (--${flag}), number ${i + 1}`, v));
  note(`read ${path}: ${plural(d, 'weight')}`);
  return csv.data;
}

function gramOptions(f: Flags<typeof flags>): GramOptions {
  const opts: GramOptions = {};
  if (f.kernel !== undefined) opts.kernel = choiceFlag('kernel', f.kernel, GRAM_KERNELS);
  if (f.gamma !== undefined) opts.gamma = float32Flag('gamma', f.gamma, opts.kernel === 'rbf');
  if (f.coef0 !== undefined) opts.coef0 = float32Flag('coef0', f.coef0);
  if (f.degree !== undefined) opts.degree = degreeFlag(f.degree);
  if (opts.kernel === 'rbf' && opts.gamma !== undefined && opts.gamma <= 0) {
    throw new UsageError(`--gamma must be > 0 for the rbf kernel, got ${f.gamma}`);
  }
  if (opts.kernel !== 'projected-sigmoid') {
    for (const name of ['alpha-file', 'beta-file'] as const) {
      if (f[name] !== undefined) throw new UsageError(`--${name} applies only to --kernel projected-sigmoid`);
    }
  } else {
    for (const name of ['alpha-file', 'beta-file'] as const) {
      if (f[name] === undefined) throw new UsageError(`--kernel projected-sigmoid needs --${name} (a CSV of d numbers, one per feature)`);
    }
  }
  // anything else the engine would reject, before reading files (α, β checked once read)
  usageCheck(() => resolveGramOptions(opts.kernel === 'projected-sigmoid' ? { ...opts, alpha: [0], beta: [0] } : opts, 1));
  return opts;
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

/** The tile plan; a --tile this device cannot hold is a usage error naming --tile. */
function tiling<T>(plan: () => T, tile: number | undefined): T {
  try {
    return plan();
  } catch (err) {
    if (tile !== undefined && err instanceof LimitError) throw new UsageError(`--tile ${tile} is too large: ${err.message}`);
    throw err;
  }
}
