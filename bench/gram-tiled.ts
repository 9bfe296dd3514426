// Tiled Gram throughput: K = tanh(γ·X·Yᵀ) (sigmoid kernel, γ = 1/d, c₀ = 0) for N = M up to
// 32768 and d = 64, 256, 784, streamed through gramTiles with every tile discarded once
// handed over (32768² float32 = 4 GiB is never stored), counted in M entries of K per
// second (tiles read back to the host included). Each run checks 64 sampled entries
// (first, last, random) against float64 on the host as the tiles pass; a run's time counts
// only when all of them are within 1e-5. A case whose time, estimated from the rate measured
// on the smaller sizes (scaled by d), would exceed the cap is skipped with a note. An untimed 2100² run first
// compiles the pipelines and fills the pools with tile-sized buffers.

import { type Engine, gramTiles } from '../src/index.js';
import { mulberry32, uniform } from './cases.js';
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

/** One streamed K(X, Y), N×N, checked on SAMPLES entries as the tiles pass, and on their count. */
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
  let entries = 0;
  const t0 = performance.now();
  await gramTiles(engine, x, y, { kernel: 'sigmoid', gamma, coef0: 0 }, (t) => {
    entries += t.rows * t.cols;
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
  // The throughput counts N² entries: tiles that do not add up to them are a wrong answer, sampled or not.
  if (entries !== n * n) return { ok: false, seconds, detail: `the tiles handed over ${entries} of the ${n * n} entries` };
  return { ok: worst <= TOL, seconds, detail: `${SAMPLES} samples, max |err| = ${worst.toExponential(1)} (≤ ${TOL.toExponential(0)})` };
}
