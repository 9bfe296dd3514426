// The Nyström map (src/kernels/nystroem.ts) on both backends: the relative Frobenius error
// ‖K − Z·Zᵀ‖/‖K‖ against the float64 kernel shrinks as m grows and is float32-exact at
// m = N for the PSD rbf kernel; for the indefinite sigmoid kernel Z·Zᵀ matches the
// documented K_nm |K_mm|⁻¹ K_mn; shapes, determinism by seed, row blocking, bad options;
// the host normalization against a matrix built from known eigenvalues and eigenvectors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, DisposedError, type Engine, type Matrix, nystroem, ShapeError, ValueError } from '../src/index.js';
import { mapRowBlocks } from '../src/kernels/landmarks.js';
import { nystroemFloor, nystroemNormalization } from '../src/kernels/nystroem.js';
import { refGram, zztRelErr } from './helpers/reference.js';
import { Rng } from './helpers/rng.js';
import { expectYields } from './helpers/yields.js';
import { blobs } from './nn/data-helpers.js';

const N = 400;
const D = 5;
const b = blobs(7, N, D, 4);
const X: Matrix = { rows: N, cols: D, data: Float32Array.from(b.x.flat()) };
// A small X for the overflow cases; scaled(s) is small × s.
const small: Matrix = { rows: 6, cols: 2, data: Float32Array.from([1, 2, -3, 1, 0.5, -1, 2, 2, -1, -2, 3, 0.25]) };
const scaled = (s: number): Matrix => ({ ...small, data: small.data.map((v) => v * s) });

const engines: Record<string, Engine> = {};
const report: string[] = [];
beforeAll(async () => {
  engines.cpu = await createEngine({ backend: 'cpu', log: null });
  engines.webgpu = await createEngine({ backend: 'webgpu', log: null });
});
afterAll(() => {
  for (const e of Object.values(engines)) e.destroy();
  console.log(report.join('\n'));
});

const GAMMA_RBF = 0.2;
const kRbf = refGram(X.data, X.data, N, N, D, { kernel: 'rbf', gamma: GAMMA_RBF, coef0: 1, degree: 3 });

describe.each(['cpu', 'webgpu'])('nystroem on %s', (backend) => {
  it('rbf: the error shrinks as m grows and is float32-exact at m = N', async () => {
    const e = engines[backend]!;
    const errs: number[] = [];
    for (const m of [10, 50, 200, N]) {
      const ny = await nystroem(e, X, { kernel: 'rbf', gamma: GAMMA_RBF, components: m, seed: 3 });
      const z = await ny.transform(e, X);
      expect([z.rows, z.cols]).toEqual([N, m]);
      errs.push(zztRelErr(kRbf, z));
      expect(ny.negativeEigenvalues).toBe(0);
    }
    report.push(`nystroem ${backend} rbf γ=${GAMMA_RBF}, N=${N}: relative error by m 10/50/200/${N}: ${errs.map((v) => v.toExponential(2)).join(' / ')}`);
    expect(errs[1]!).toBeLessThan(errs[0]!);
    expect(errs[2]!).toBeLessThan(errs[1]!);
    expect(errs[3]!).toBeLessThanOrEqual(1e-4);
    expect(e.memory().liveTensors).toBe(0);
  });

  it('rbf with duplicate rows (K_mm singular): Z·Zᵀ still equals K at m = N', async () => {
    // 1/√1e-12 in the normalization, rounded to float32, wiped out Z's O(1) part (0.07–0.1 off);
    // float32's own resolution here is about √(2⁻²³) ≈ 3.5e-4.
    const e = engines[backend]!;
    const n = 40;
    const data = X.data.slice(0, n * D);
    for (const [to, from] of [[39, 0], [38, 5], [37, 5], [20, 21]] as const) data.set(data.subarray(from * D, (from + 1) * D), to * D);
    const ny = await nystroem(e, { rows: n, cols: D, data }, { kernel: 'rbf', gamma: GAMMA_RBF, components: n, seed: 1 });
    const z = await ny.transform(e, { rows: n, cols: D, data });
    const k = refGram(data, data, n, n, D, { kernel: 'rbf', gamma: GAMMA_RBF, coef0: 1, degree: 3 });
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += z.data[i * n + t]! * z.data[j * n + t]!;
        worst = Math.max(worst, Math.abs(s - k[i * n + j]!));
      }
    }
    report.push(`nystroem ${backend} rbf with 4 duplicate rows, m = N = ${n}: max |Z·Zᵀ − K| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-3);
  });

  it('sigmoid: Z·Zᵀ is K_nm |K_mm|⁻¹ K_mn; the error shrinks with m to ‖K − |K|‖, not to 0', async () => {
    const e = engines[backend]!;
    const o = { kernel: 'sigmoid', gamma: 0.05, coef0: 1, degree: 3 } as const;
    const k = refGram(X.data, X.data, N, N, D, o);
    const errs: number[] = [];
    let negatives = 0;
    let plateau = 0;
    for (const m of [10, 50, 200, N]) {
      const ny = await nystroem(e, X, { ...o, components: m, seed: 3 });
      const z = await ny.transform(e, X);
      errs.push(zztRelErr(k, z));
      if (m === 50) {
        // The documented form, in float64 from the same components.
        const c = ny.components;
        const knm = refGram(X.data, c.data, N, m, D, o);
        const absInv = absInverse(refGram(c.data, c.data, m, m, D, o), m);
        let num = 0;
        let den = 0;
        for (let i = 0; i < N; i += 7) {
          for (let j = 0; j < N; j += 5) {
            let want = 0;
            for (let s = 0; s < m; s++) for (let t = 0; t < m; t++) want += knm[i * m + s]! * absInv[s * m + t]! * knm[j * m + t]!;
            let got = 0;
            for (let t = 0; t < m; t++) got += z.data[i * m + t]! * z.data[j * m + t]!;
            num += (want - got) ** 2;
            den += want ** 2;
          }
        }
        expect(Math.sqrt(num / den)).toBeLessThan(1e-2);
        expect(ny.negativeEigenvalues).toBeGreaterThan(0);
      }
      if (m === N) {
        // Z·Zᵀ = |K|: ‖K − |K|‖_F / ‖K‖_F = 2·√(Σ_{λ<0} λ² / Σ λ²).
        negatives = ny.negativeEigenvalues;
        let neg = 0;
        let all = 0;
        for (const l of ny.eigenvalues) {
          all += l * l;
          if (l < 0) neg += l * l;
        }
        plateau = 2 * Math.sqrt(neg / all);
      }
    }
    report.push(
      `nystroem ${backend} sigmoid γ=0.05 c₀=1: relative error by m 10/50/200/${N}: ${errs.map((v) => v.toExponential(2)).join(' / ')}` +
        ` (K has ${negatives} negative eigenvalues; ‖K − |K|‖/‖K‖ = ${plateau.toExponential(2)})`,
    );
    expect(errs[1]!).toBeLessThan(errs[0]!);
    expect(errs[2]!).toBeLessThan(errs[1]!);
    expect(negatives).toBeGreaterThan(10);
    expect(plateau).toBeGreaterThan(1e-2);
    expect(Math.abs(errs[3]! - plateau) / plateau).toBeLessThan(0.02);
  });

  it('shape, determinism by seed, row blocks, components', async () => {
    const e = engines[backend]!;
    const a = await nystroem(e, X, { kernel: 'rbf', gamma: 0.3, components: 30, seed: 5 });
    const a2 = await nystroem(e, X, { kernel: 'rbf', gamma: 0.3, components: 30, seed: 5 });
    const c = await nystroem(e, X, { kernel: 'rbf', gamma: 0.3, components: 30, seed: 6 });
    expect(a2.componentIndices).toEqual(a.componentIndices);
    expect(c.componentIndices).not.toEqual(a.componentIndices);
    expect(new Set(a.componentIndices).size).toBe(30);
    const za = await a.transform(e, X);
    const za2 = await a2.transform(e, X);
    expect(za2.data).toEqual(za.data);
    const blocked = await a.transform(e, X, { blockRows: 37 });
    for (let i = 0; i < za.data.length; i++) expect(Math.abs(blocked.data[i]! - za.data[i]!)).toBeLessThan(1e-5);
    expect(a.size).toBe(30);
    expect(a.features).toBe(D);
    // The fitted arrays come out as copies: editing them leaves the map alone.
    a.components.data.fill(0);
    a.normalization.fill(0);
    a.eigenvalues.fill(-1);
    expect((await a.transform(e, X)).data).toEqual(za.data);
    expect(a.negativeEigenvalues).toBe(0);
    // Default kernel: sigmoid with γ = 1/d, c₀ = 1.
    const s = await nystroem(e, X, { components: 5 });
    expect(s.gramOptions).toEqual({ kernel: 'sigmoid', gamma: 1 / D, coef0: 1, degree: 3 });
    expect(e.memory().liveTensors).toBe(0);
  });

  it('rejects bad options with clear errors', async () => {
    const e = engines[backend]!;
    await expect(nystroem(e, X, { components: 0 })).rejects.toThrow(ValueError);
    await expect(nystroem(e, X, { components: N + 1 })).rejects.toThrow(/components \(401\) must be ≤ the number of rows \(400\)/);
    await expect(nystroem(e, X, { components: 2.5 })).rejects.toThrow(/components must be an integer/);
    await expect(nystroem(e, X, { kernel: 'rbf', gamma: -1 })).rejects.toThrow(/gamma must be > 0/);
    await expect(nystroem(e, X, { gamma: Number.NaN })).rejects.toThrow(/gamma must be a finite number/);
    // The kernels it takes: not projected-sigmoid, which it refuses.
    await expect(nystroem(e, X, { kernel: 'cosine' as never })).rejects.toThrow(/^nystroem: unknown kernel "cosine"; expected one of sigmoid, logistic, linear, polynomial, rbf$/);
    await expect(nystroem(e, X, { seed: 0.5 })).rejects.toThrow(/seed must be an integer/);
    await expect(nystroem(e, X, { seed: 2 ** 52 + 1 })).rejects.toThrow(/seed must be an integer in −2\^52\.\.2\^52, got 4503599627370497/);
    // @ts-expect-error the type refuses projected-sigmoid too (SymmetricGramKernel)
    await expect(nystroem(e, X, { kernel: 'projected-sigmoid' })).rejects.toThrow(/does not support the projected-sigmoid kernel/);
    const bad = { rows: 2, cols: 2, data: new Float32Array([1, Number.NaN, 0, 0]) };
    await expect(nystroem(e, bad, { components: 1 })).rejects.toThrow(/row 0, column 1 \(0-based\) is NaN/);
    await expect(nystroem(e, { rows: 3, cols: 2, data: new Float32Array(4) })).rejects.toThrow(/3×2 does not match 4 values/);
    await expect(nystroem(e, { rows: 0, cols: 5, data: new Float32Array(0) })).rejects.toThrow(/^nystroem: X is 0×5: it needs at least 1 row and 1 column$/);
    const ny = await nystroem(e, X, { components: 4 });
    await expect(ny.transform(e, { rows: 2, cols: 3, data: new Float32Array(6) })).rejects.toThrow(ShapeError);
    await expect(ny.transform(e, { rows: 2, cols: 3, data: new Float32Array(6) })).rejects.toThrow(/3 columns .* fitted on 5/);
    await expect(ny.transform(e, X, { blockRows: 0 })).rejects.toThrow(/blockRows must be a positive integer/);
    expect(e.memory().liveTensors).toBe(0);
  });

  it("rbf with a tiny γ on data whose squared distances overflow float32: refused on WebGPU (its float32 sums gave K = 0), fitted on the CPU", async () => {
    const e = engines[backend]!;
    const big = scaled(1e21);
    const opts = { kernel: 'rbf' as const, gamma: 1e-37, components: 3 };
    if (backend === 'webgpu') {
      await expect(nystroem(e, big, opts)).rejects.toThrow(/^nystroem: the squared distances ‖xᵢ − xⱼ‖² of X can reach .* the rbf kernel values come out wrong; standardize X/);
      const ny = await nystroem(e, small, opts);
      await expect(ny.transform(e, big)).rejects.toThrow(/^Nystroem\.transform: the squared distances/);
    } else {
      // γ·‖xᵢ − xⱼ‖² is moderate (about 1e-37 × 1e43): the features are not all zero.
      const z = await (await nystroem(e, big, opts)).transform(e, big);
      expect(z.data.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    }
    // A γ that saturates the kernel anyway (exp(−0.5·1e43) is 0 either way) is not refused.
    await (await nystroem(e, big, { ...opts, gamma: 0.5 })).transform(e, big);
    expect(e.memory().liveTensors).toBe(0);
  });

  it('a kernel that overflows float32 on a finite X is a ValueError, not NaN eigenvalues and an all-NaN Z', async () => {
    const e = engines[backend]!;
    // Linear kernel on X × 1e20: K_mm ≈ 1e40 (was: every eigenvalue and every Z NaN).
    const overflow = nystroem(e, scaled(1e20), { kernel: 'linear', components: 3 });
    await expect(overflow).rejects.toThrow(ValueError);
    await expect(overflow).rejects
      .toThrow(/^nystroem: K_mm\[0, 0\] \(0-based\) is Infinity although X is finite: the linear kernel overflows float32 here; scale the data down$/);
    // Fitted on X, transforming X × 1e38: K(X, C) up to ≈ 1e39.
    const ny = await nystroem(e, small, { kernel: 'linear', components: 3 });
    await expect(ny.transform(e, scaled(1e38))).rejects
      .toThrow(/^Nystroem\.transform: Z\[\d+, \d+\] \(0-based\) is (-?Infinity|NaN) although X is finite: the linear kernel overflows float32 here/);
    expect(e.memory().liveTensors).toBe(0);
  });
});

/** Q |Λ|⁻¹ Qᵀ of a symmetric matrix, by Jacobi eigen-decomposition in float64. */
function absInverse(a: Float64Array, n: number): Float64Array {
  const A = Float64Array.from(a);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const qkp = Q[k * n + p]!;
          const qkq = Q[k * n + q]!;
          Q[k * n + p] = c * qkp - s * qkq;
          Q[k * n + q] = s * qkp + c * qkq;
        }
      }
    }
  }
  // The library's floor: scikit-learn's 1e-12, or float32's resolution 2⁻²³·max |λ|.
  let top = 0;
  for (let t = 0; t < n; t++) top = Math.max(top, Math.abs(A[t * n + t]!));
  const floor = Math.max(1e-12, 2 ** -23 * top);
  return spectralProduct(Q, Array.from({ length: n }, (_, t) => 1 / Math.max(Math.abs(A[t * n + t]!), floor)), n);
}

/** Q · diag(d) · Qᵀ for Q n×n row-major (column t at q[i * n + t]), in float64. */
function spectralProduct(q: Float64Array, d: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let t = 0; t < n; t++) v += q[i * n + t]! * d[t]! * q[j * n + t]!;
      out[i * n + j] = v;
    }
  }
  return out;
}

describe('row blocks (mapRowBlocks, under Nyström and KernelClassifier transforms)', () => {
  it('a run that fails part-way rejects once, with no unhandled rejection from the other block in flight', async () => {
    const e = await createEngine({ backend: 'webgpu', log: null });
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown): void => void unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      let block = 0;
      const run = mapRowBlocks(e, X, D, 50, (xb) => {
        // Destroyed while blocks 1 and 2 are both being read: both reads reject, and
        // mapRowBlocks awaits only the first before it rejects.
        if (++block === 2) queueMicrotask(() => e.destroy());
        return e.sigmoid(xb);
      });
      await expect(run).rejects.toThrow(DisposedError);
      await new Promise((done) => setTimeout(done, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      e.destroy();
    }
  });

  it('a CPU transform with the default blocks yields between blocks (it never left the microtask queue: a page froze)', async () => {
    const ny = await nystroem(engines.cpu!, X, { kernel: 'rbf', gamma: GAMMA_RBF, components: 150, seed: 0 });
    const big: Matrix = { rows: 5 * N, cols: D, data: new Float32Array(5 * N * D).map((_, i) => X.data[i % X.data.length]!) };
    // A GPU-sized block (4 M outputs) held all 2000 rows; the CPU default blocks are sized by work.
    let z: Matrix | null = null;
    await expectYields(async () => (z = await ny.transform(engines.cpu!, big)), 2);
    expect(z!.data).toEqual((await ny.transform(engines.cpu!, big, { blockRows: big.rows })).data);
  });
});

describe('nystroemNormalization (float64, on the host)', () => {
  /** A random orthogonal m×m matrix (Gram–Schmidt of random columns), column t at q[i * m + t]. */
  function randomOrthogonal(r: Rng, m: number): Float64Array {
    const q = Float64Array.from(r.randn(m * m));
    for (let t = 0; t < m; t++) {
      for (let s = 0; s < t; s++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i * m + t]! * q[i * m + s]!;
        for (let i = 0; i < m; i++) q[i * m + t]! -= dot * q[i * m + s]!;
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += q[i * m + t]! ** 2;
      for (let i = 0; i < m; i++) q[i * m + t]! /= Math.sqrt(norm);
    }
    return q;
  }

  it('of K = Q·diag(λ)·Qᵀ built from known λ (both signs, one under the floor): λ by decreasing |λ| and Q·diag(sign(λ)/√max(|λ|, floor))·Qᵀ', async () => {
    const seed = Date.now() % 1_000_000;
    const r = new Rng(seed);
    const m = 37;
    const q = randomOrthogonal(r, m);
    // Distinct magnitudes in [0.05, 20] with random signs, and one tiny eigenvalue that the
    // float32-aware floor (2⁻²³·max|λ|) replaces.
    const lambda = Array.from({ length: m }, (_, t) => (r.next() < 0.4 ? -1 : 1) * (0.05 + (20 * t) / m + 0.1 * r.next()));
    lambda[5] = 1e-9;
    const { normalization, eigenvalues } = await nystroemNormalization(spectralProduct(q, lambda, m), m);
    const label = `seed ${seed}`;
    const want = lambda.slice().sort((a, b) => Math.abs(b) - Math.abs(a));
    expect(eigenvalues).toHaveLength(m);
    for (let t = 0; t < m; t++) expect(Math.abs(eigenvalues[t]! - want[t]!), `${label}: eigenvalue ${t}`).toBeLessThan(1e-10 * Math.abs(want[0]!));
    const floor = nystroemFloor(want.map(Math.abs));
    expect(floor, label).toBeGreaterThan(1e-9); // the tiny eigenvalue is floored
    const wantNorm = spectralProduct(q, lambda.map((l) => Math.sign(l) / Math.sqrt(Math.max(Math.abs(l), floor))), m);
    let worst = 0;
    for (let i = 0; i < m * m; i++) worst = Math.max(worst, Math.abs(normalization[i]! - wantNorm[i]!));
    // The floored direction has entries of 1/√floor ≈ 1e3: a relative 1e-10 of that.
    expect(worst, `${label}: max |normalization − Q·diag(sign(λ)/√max(|λ|, floor))·Qᵀ|`).toBeLessThan(1e-7);
  });
});
