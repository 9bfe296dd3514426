// The "done when" check, shared by bench/gram-20k.ts and test/gram-tiled.test.ts: an
// N×N sigmoid Gram matrix K(X, X) streamed through gramTiles on one engine (tiles discarded
// as they come, except the entries of a few sampled rows), then those rows recomputed on a
// reference engine (the CPU backend) with engine.gram and compared, plus a few entries
// against float64 on the host.

import { type Engine, gramTiles, type GramTiling, type Matrix } from '../src/index.js';
import { mulberry32, uniform } from './cases.js';

export interface LargeGramCheck {
  n: number;
  d: number;
  tiling: GramTiling;
  /** Seconds of the streamed computation on the engine under test (tiles read back included). */
  seconds: number;
  /** Entries of K handed over (must be N²). */
  entries: number;
  sampledRows: number[];
  /** max |K_engine − K_reference| over the sampled rows, and max |K_engine − float64| over 64 entries of them. */
  maxDiffReference: number;
  maxDiffFloat64: number;
}

/** Seeded uniform X [n, d] in [−1, 1] (the benchmarks' mulberry32). */
export function seededMatrix(n: number, d: number, seed: number): Matrix {
  return { rows: n, cols: d, data: uniform(mulberry32(seed), n * d, -1, 1) };
}

export async function checkLargeGram(
  engine: Engine, reference: Engine,
  opts: { n: number; d: number; samples?: number; seed?: number; tile?: number; log?: (line: string) => void },
): Promise<LargeGramCheck> {
  const { n, d } = opts;
  const x = seededMatrix(n, d, opts.seed ?? 20000);
  const samples = Math.min(opts.samples ?? 20, n);
  // The first and last rows, then spread over K; a row already taken moves to the next free
  // one (for small N the spread repeats rows, whose first slot then stayed NaN: a false failure).
  const sampledRows: number[] = [];
  const take = (row: number) => {
    let r = row;
    while (sampledRows.includes(r)) r = (r + 1) % n;
    sampledRows.push(r);
  };
  take(0);
  if (samples > 1) take(n - 1);
  for (let k = 2; k < samples; k++) take(Math.floor(((k - 1) * n) / (samples - 1) + k * 7) % n);
  const rowSlot = new Map(sampledRows.map((r, i) => [r, i]));
  const got = new Float32Array(samples * n).fill(Number.NaN);
  const gamma = 1 / d;
  let entries = 0;
  let lastLog = performance.now();
  const t0 = performance.now();
  const tile = opts.tile === undefined ? {} : { tileRows: opts.tile, tileCols: opts.tile };
  const tiling = await gramTiles(engine, x, null, { kernel: 'sigmoid', gamma, coef0: 1, ...tile }, (t) => {
    entries += t.rows * t.cols;
    for (const [row, slot] of rowSlot) {
      if (row < t.rowStart || row >= t.rowStart + t.rows) continue;
      const src = (row - t.rowStart) * t.cols;
      got.set(t.data.subarray(src, src + t.cols), slot * n + t.colStart);
    }
    const now = performance.now();
    if (opts.log && now - lastLog > 5000) {
      lastLog = now;
      opts.log(`  ${((100 * entries) / (n * n)).toFixed(0)} % of K after ${((now - t0) / 1000).toFixed(1)} s`);
    }
  });
  const seconds = (performance.now() - t0) / 1000;

  // The sampled rows on the reference engine: K(X_s, X) in one engine.gram.
  const xs = new Float32Array(samples * d);
  sampledRows.forEach((r, i) => xs.set(x.data.subarray(r * d, (r + 1) * d), i * d));
  const ta = reference.tensor(xs, [samples, d]);
  const tb = reference.tensor(x.data, [n, d]);
  const tk = reference.gram(ta, tb, { kernel: 'sigmoid', gamma, coef0: 1 });
  let ref: Float32Array;
  try {
    ref = await tk.read();
  } finally {
    for (const t of [ta, tb, tk]) t.dispose();
  }
  let maxDiffReference = 0;
  for (let e = 0; e < got.length; e++) {
    const diff = Math.abs(got[e]! - ref[e]!);
    if (!(diff <= maxDiffReference)) maxDiffReference = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
  }
  let maxDiffFloat64 = 0;
  for (let k = 0; k < 64; k++) {
    const slot = k % samples;
    const j = Math.floor((k * 7919 + 13) % n);
    const i = sampledRows[slot]!;
    let s = 0;
    for (let t = 0; t < d; t++) s += x.data[i * d + t]! * x.data[j * d + t]!;
    const diff = Math.abs(got[slot * n + j]! - Math.tanh(gamma * s + 1));
    if (!(diff <= maxDiffFloat64)) maxDiffFloat64 = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
  }
  return { n, d, tiling, seconds, entries, sampledRows, maxDiffReference, maxDiffFloat64 };
}
