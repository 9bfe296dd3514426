// Benchmark workloads: what each runs, how its output is checked against float64 computed
// on the host (independently of both backends), and how its throughput is counted.

import type { Engine, Tensor } from '../src/index.js';

export interface CheckResult {
  ok: boolean;
  /** What was compared and the error seen, e.g. "64 samples, rel. error 3.1e-7 ≤ 1e-5". */
  detail: string;
}

/** One case, set up on one engine: inputs uploaded, reference data kept on the host. */
export interface Prepared {
  /** Records the op; returns its output (not yet synchronised). */
  run(): Tensor;
  /** Compares sampled output entries with float64 references. */
  check(out: Float32Array): CheckResult;
  dispose(): void;
}

export interface Workload {
  name: 'matmul' | 'sigmoid' | 'gram';
  /** Size as shown in the table, e.g. "1024", "2^22", "4096×4096, d=64". */
  size: string;
  /** Throughput for a run of `seconds`, and its unit. */
  throughput(seconds: number): number;
  unit: 'GFLOP/s' | 'GB/s' | 'M entries/s';
  prepare(engine: Engine): Prepared;
}

const SAMPLES = 64;

export function workloads(quick: boolean): Workload[] {
  const matmuls = quick ? [256, 512] : [256, 512, 1024, 2048];
  const sigmoidN = quick ? 2 ** 20 : 2 ** 22;
  const gram = quick ? { n: 1024, m: 1024, d: 64 } : { n: 4096, m: 4096, d: 64 };
  return [
    ...matmuls.map(matmul),
    sigmoid(sigmoidN),
    sigmoidGram(gram.n, gram.m, gram.d),
  ];
}

/** C = A·B, N×N, inputs uniform in [−1, 1]; 2N³ flops; checked ‖out − ref‖/‖ref‖ ≤ 1e-5 on samples. */
function matmul(n: number): Workload {
  return {
    name: 'matmul',
    size: String(n),
    unit: 'GFLOP/s',
    throughput: (s) => (2 * n ** 3) / s / 1e9,
    prepare(engine) {
      const rng = mulberry32(n);
      const a = uniform(rng, n * n, -1, 1);
      const b = uniform(rng, n * n, -1, 1);
      const ta = engine.tensor(a, [n, n]);
      const tb = engine.tensor(b, [n, n]);
      return {
        run: () => engine.matmul(ta, tb),
        check(out) {
          const idx = sampleIndices(rng, n * n);
          const ref = idx.map((i) => {
            const r = Math.floor(i / n);
            const c = i % n;
            let s = 0;
            for (let k = 0; k < n; k++) s += a[r * n + k]! * b[k * n + c]!;
            return s;
          });
          return relNormCheck(idx.map((i) => out[i]!), ref, 1e-5);
        },
        dispose: () => {
          ta.dispose();
          tb.dispose();
        },
      };
    },
  };
}

/** y = σ(x) on n floats in [−8, 8]; counts 8 bytes per element (read + write); |out − ref| ≤ 1e-6. */
function sigmoid(n: number): Workload {
  const log2 = Math.log2(n);
  return {
    name: 'sigmoid',
    size: Number.isInteger(log2) ? `2^${log2}` : String(n),
    unit: 'GB/s',
    throughput: (s) => (8 * n) / s / 1e9,
    prepare(engine) {
      const rng = mulberry32(n);
      const x = uniform(rng, n, -8, 8);
      const tx = engine.tensor(x, [n]);
      return {
        run: () => engine.sigmoid(tx),
        check(out) {
          const idx = sampleIndices(rng, n);
          return absCheck(idx.map((i) => out[i]!), idx.map((i) => 1 / (1 + Math.exp(-x[i]!))), 1e-6);
        },
        dispose: () => tx.dispose(),
      };
    },
  };
}

/**
 * K = tanh(γ·X·Yᵀ + c₀), X [n, d], Y [m, d] uniform in [0, 1] (like scaled pixels),
 * γ = 1/d, c₀ = 0; counted in entries of K per second; |out − ref| ≤ 1e-5.
 */
function sigmoidGram(n: number, m: number, d: number): Workload {
  const gamma = 1 / d;
  const coef0 = 0;
  return {
    name: 'gram',
    size: `${n}×${m}, d=${d}`,
    unit: 'M entries/s',
    throughput: (s) => (n * m) / s / 1e6,
    prepare(engine) {
      const rng = mulberry32(n * m + d);
      const x = uniform(rng, n * d, 0, 1);
      const y = uniform(rng, m * d, 0, 1);
      const tx = engine.tensor(x, [n, d]);
      const ty = engine.tensor(y, [m, d]);
      return {
        run: () => engine.gram(tx, ty, { kernel: 'sigmoid', gamma, coef0 }),
        check(out) {
          const idx = sampleIndices(rng, n * m);
          const ref = idx.map((e) => {
            const i = Math.floor(e / m);
            const j = e % m;
            let s = 0;
            for (let k = 0; k < d; k++) s += x[i * d + k]! * y[j * d + k]!;
            return Math.tanh(gamma * s + coef0);
          });
          return absCheck(idx.map((e) => out[e]!), ref, 1e-5);
        },
        dispose: () => {
          tx.dispose();
          ty.dispose();
        },
      };
    },
  };
}

// ---- checks ----------------------------------------------------------------------------------

function relNormCheck(out: number[], ref: number[], tol: number): CheckResult {
  if (out.some((v) => !Number.isFinite(v))) return { ok: false, detail: `${out.length} samples: non-finite output` };
  let d2 = 0;
  let r2 = 0;
  out.forEach((v, i) => {
    d2 += (v - ref[i]!) ** 2;
    r2 += ref[i]! ** 2;
  });
  const rel = Math.sqrt(d2 / r2);
  return { ok: rel <= tol, detail: `${out.length} samples, ‖err‖/‖ref‖ = ${rel.toExponential(1)} (≤ ${tol.toExponential(0)})` };
}

function absCheck(out: number[], ref: number[], tol: number): CheckResult {
  if (out.some((v) => !Number.isFinite(v))) return { ok: false, detail: `${out.length} samples: non-finite output` };
  const worst = Math.max(...out.map((v, i) => Math.abs(v - ref[i]!)));
  return { ok: worst <= tol, detail: `${out.length} samples, max |err| = ${worst.toExponential(1)} (≤ ${tol.toExponential(0)})` };
}

// ---- seeded inputs ---------------------------------------------------------------------------

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(rng: () => number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** SAMPLES distinct-ish random indices in [0, size), always including the first and last. */
function sampleIndices(rng: () => number, size: number): number[] {
  const idx = [0, size - 1];
  while (idx.length < SAMPLES) idx.push(Math.floor(rng() * size));
  return idx;
}
