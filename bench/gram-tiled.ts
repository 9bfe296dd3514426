// Tiled Gram throughput: K = tanh(γ·X·Yᵀ) (sigmoid kernel, γ = 1/d, c₀ = 0) for N = M up to
// 32768 and d = 64, 256, 784, streamed through gramTiles with every tile discarded once
// handed over (32768² float32 = 4 GiB is never stored), counted in M entries of K per
// second (tiles read back to the host included). Each run checks every tile as it passes
// (inside the timed stream, like a consumer's work): all its values finite, and 64 sampled
// entries of K (first, last, random) within 1e-5 of float64 on the host; once the run ends,
// the tiles must have covered the tile grid gramTiles reports exactly once each. A run's
// time counts only when all of that holds. A case whose time, estimated from the rate
// measured on the smaller sizes (scaled by d), would exceed the cap is skipped with a note.
// An untimed 2100² run first compiles the pipelines and fills the pools with tile-sized buffers.

import { type Engine, type GramTile, type GramTiling, gramTiles } from '../src/index.js';
import { mulberry32, uniform, wholeOutputProblem } from './cases.js';
import type { CaseResult } from './report.js';
import { summarise } from './timing.js';

export interface TiledGramOptions {
  sizes: readonly number[];
  dims: readonly number[];
  /** Skip a case whose estimated time per run exceeds this (seconds). */
  capSeconds: number;
  /** Timed runs per case (1 when a run is estimated over 10 s). */
  repeats: number;
  log: (line: string) => void;
}

const SAMPLES = 64;
const TOL = 1e-5;

export async function tiledGramCases(engine: Engine, o: TiledGramOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  /** Entries/s × d measured on the largest size run so far, per d (cost per entry ∝ d, roughly). */
  const rates = new Map<number, number>();
  const estimate = (n: number, d: number): number | null => {
    // This d's own rate, else the nearest smaller d's (scaled by d), else the smallest d's.
    const known = [...rates.keys()].sort((a, b) => a - b);
    if (known.length === 0) return null;
    const from = rates.has(d) ? d : (known.filter((k) => k < d).at(-1) ?? known[0]!);
    return (n * n) / (rates.get(from)! / d);
  };
  // Warm-up (untimed): pipelines compiled, tile-sized buffers and staging buffers pooled.
  await runOnce(engine, 2100, 16);
  for (const d of [...o.dims].sort((a, b) => a - b)) {
    for (const n of [...o.sizes].sort((a, b) => a - b)) {
      const base = { backend: engine.backend, workload: 'gram-tiled', size: `${n}×${n}, d=${d}`, unit: 'M entries/s' };
      const tag = `[${engine.backend}] gram-tiled ${base.size}`;
      const est = estimate(n, d);
      if (est !== null && est > o.capSeconds) {
        const detail = `estimated ${est.toPrecision(2)} s per run from the smaller sizes, over the ${o.capSeconds} s cap (--gram-cap)`;
        o.log(`${tag}: ${detail}`);
        results.push({ ...base, timing: null, throughput: null, check: 'SKIPPED', detail });
        continue;
      }
      const repeats = est === null || est > 10 ? 1 : o.repeats;
      o.log(`${tag}: ${repeats} run(s)${est === null ? '' : `, about ${est.toFixed(1)} s each`}...`);
      try {
        const samples: number[] = [];
        let failure: string | null = null;
        let detail = '';
        for (let r = 0; r < repeats; r++) {
          const run = await runOnce(engine, n, d);
          detail = run.detail;
          if (!run.ok) {
            failure = `run ${r + 1}: ${run.detail}`;
            break;
          }
          samples.push(run.seconds * 1000);
        }
        if (failure !== null) {
          o.log(`${tag}: FAILED ${failure}`);
          results.push({ ...base, timing: null, throughput: null, check: 'FAILED', detail: failure });
          continue;
        }
        const timing = summarise(samples);
        const throughput = (n * n) / (timing.medianMs / 1000) / 1e6;
        rates.set(d, throughput * 1e6 * d);
        o.log(`${tag}: median ${(timing.medianMs / 1000).toFixed(2)} s, ${throughput.toPrecision(3)} M entries/s (${detail})`);
        results.push({ ...base, timing, throughput, check: 'ok', detail });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        o.log(`${tag}: ERROR ${msg}`);
        results.push({ ...base, timing: null, throughput: null, check: 'ERROR', detail: msg });
      }
    }
  }
  return results;
}

/** One streamed K(X, Y), N×N, checked as the tiles pass (finite, SAMPLES entries) and on the tile grid they cover. */
async function runOnce(engine: Engine, n: number, d: number): Promise<{ ok: boolean; seconds: number; detail: string }> {
  const rng = mulberry32(n * 1000 + d);
  const x = { rows: n, cols: d, data: uniform(rng, n * d, 0, 1) };
  const y = { rows: n, cols: d, data: uniform(rng, n * d, 0, 1) };
  const gamma = 1 / d;
  const idx: [number, number][] = [[0, 0], [n - 1, n - 1]];
  while (idx.length < SAMPLES) idx.push([Math.floor(rng() * n), Math.floor(rng() * n)]);
  const ref = idx.map(([i, j]) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += x.data[i * d + k]! * y.data[j * d + k]!;
    return Math.tanh(gamma * s);
  });
  const got = new Float64Array(SAMPLES).fill(Number.NaN);
  const handed: TileBounds[] = [];
  let bad: string | null = null;
  const t0 = performance.now();
  const plan = await gramTiles(engine, x, y, { kernel: 'sigmoid', gamma, coef0: 0 }, (t) => {
    handed.push({ rowStart: t.rowStart, colStart: t.colStart, rows: t.rows, cols: t.cols });
    if (bad === null) {
      const problem = wholeOutputProblem(t.data, t.rows * t.cols);
      if (problem !== null) bad = `the tile at ${rowsCols(t.rowStart, t.colStart, t.rows, t.cols)}: ${problem}`;
    }
    idx.forEach(([i, j], s) => {
      if (i >= t.rowStart && i < t.rowStart + t.rows && j >= t.colStart && j < t.colStart + t.cols) {
        got[s] = t.data[(i - t.rowStart) * t.cols + (j - t.colStart)]!;
      }
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  let worst = 0;
  for (let s = 0; s < SAMPLES; s++) {
    const e = Math.abs(got[s]! - ref[s]!);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
  }
  // The throughput counts N² entries: tiles that do not cover K exactly once are a wrong answer, sampled or not.
  bad ??= tileGridProblem(plan, handed);
  if (bad !== null) return { ok: false, seconds, detail: bad };
  return { ok: worst <= TOL, seconds, detail: `every tile finite, each once; ${SAMPLES} samples, max |err| = ${worst.toExponential(1)} (≤ ${TOL.toExponential(0)})` };
}

type TileBounds = Pick<GramTile, 'rowStart' | 'colStart' | 'rows' | 'cols'>;

const rowsCols = (rowStart: number, colStart: number, rows: number, cols: number): string =>
  `rows ${rowStart}–${rowStart + rows - 1}, columns ${colStart}–${colStart + cols - 1}`;

/** Why `tiles` are not the cells of the plan's tile grid, each exactly once, or null. */
function tileGridProblem(plan: GramTiling, tiles: readonly TileBounds[]): string | null {
  const { n, m, tileRows: tr, tileCols: tc } = plan;
  const colBlocks = Math.ceil(m / tc);
  const seen = new Uint8Array(Math.ceil(n / tr) * colBlocks);
  for (const t of tiles) {
    const { rowStart: r, colStart: c } = t;
    const onGrid = r >= 0 && r < n && r % tr === 0 && c >= 0 && c < m && c % tc === 0 &&
      t.rows === Math.min(tr, n - r) && t.cols === Math.min(tc, m - c);
    if (!onGrid) return `the tile at ${rowsCols(r, c, t.rows, t.cols)} is not a cell of the ${tr}×${tc} tile grid`;
    const cell = (r / tr) * colBlocks + c / tc;
    if (seen[cell] !== 0) return `the tile at ${rowsCols(r, c, t.rows, t.cols)} was handed over twice`;
    seen[cell] = 1;
  }
  const first = seen.indexOf(0);
  if (first < 0) return null;
  const r = Math.floor(first / colBlocks) * tr;
  const c = (first % colBlocks) * tc;
  const missing = seen.reduce((k, v) => k + (v === 0 ? 1 : 0), 0);
  return `${missing} of the ${seen.length} tiles never handed over, the first at ${rowsCols(r, c, Math.min(tr, n - r), Math.min(tc, m - c))}`;
}
