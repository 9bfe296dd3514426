// CPU Gram matrix K[i, j] = k(x_i, y_j) for X [n, d], Y [m, d], fused: each inner
// product (or squared distance) is accumulated in float64 and turned into the kernel
// value at once; no n×m matrix of inner products is ever stored.
//   sigmoid     tanh(γ·s + c₀)          (scikit-learn's sigmoid_kernel)
//   logistic    σ(γ·s + c₀)
//   linear      s
//   polynomial  (γ·s + c₀)^degree        (integer degree ≥ 1)
//   rbf         exp(−min(γ·‖x − y‖², 120)), accumulating (a − b)² directly
//   projected-sigmoid  σ(a_i + b_j + γ), a_i = ⟨x_i, α⟩, b_j = ⟨y_j, β⟩ (float64, once per row)
// with s = ⟨x_i, y_j⟩. tanh and σ are the overflow-safe forms from activations.ts. Every
// entry depends only on its own x_i and y_j, so any block of rows/columns gives the same bits.
// A sum (or projection) that is ±Inf — an infinite input — gives NaN for sigmoid, logistic,
// projected-sigmoid and rbf (unless γ saturates it, rbfSaturates), as on WebGPU, which cannot
// tell it from a float32 sum that overflowed and refuses to hide either behind tanh(±Inf) = ±1.

import type { GramParams } from '../backend.js';
import { rbfSaturates } from '../gram-options.js';
import { EXP_CLAMP, sigmoid, tanh } from './activations.js';

export function gram(
  x: Float32Array, y: Float32Array, out: Float32Array,
  p: Pick<GramParams, 'n' | 'm' | 'd' | 'kernel' | 'gamma' | 'coef0' | 'degree'>,
  alpha: Float32Array | null = null, beta: Float32Array | null = null,
): void {
  const { n, m, d, kernel, gamma, coef0, degree } = p;
  if (kernel === 'projected-sigmoid') {
    if (alpha === null || beta === null) throw new Error('gram: projected-sigmoid needs alpha and beta');
    const a = project(x, alpha, n, d);
    const b = project(y, beta, m, d);
    for (let i = 0; i < n; i++) {
      const orow = i * m;
      const ai = a[i]! + gamma;
      for (let j = 0; j < m; j++) out[orow + j] = sigmoid(ai + b[j]!);
    }
    return;
  }
  const saturates = rbfSaturates(gamma);
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    const orow = i * m;
    for (let j = 0; j < m; j++) {
      const yj = j * d;
      let s = 0;
      if (kernel === 'rbf') {
        for (let t = 0; t < d; t++) {
          const diff = x[xi + t]! - y[yj + t]!;
          s += diff * diff;
        }
        out[orow + j] = s === Infinity && !saturates ? NaN : Math.exp(-Math.min(gamma * s, EXP_CLAMP));
        continue;
      }
      for (let t = 0; t < d; t++) s += x[xi + t]! * y[yj + t]!;
      switch (kernel) {
        case 'sigmoid':
          out[orow + j] = Number.isFinite(s) ? tanh(gamma * s + coef0) : NaN;
          break;
        case 'logistic':
          out[orow + j] = Number.isFinite(s) ? sigmoid(gamma * s + coef0) : NaN;
          break;
        case 'linear':
          out[orow + j] = s;
          break;
        case 'polynomial':
          out[orow + j] = intPow(gamma * s + coef0, degree);
          break;
        default:
          throw new Error(`gram: unknown kernel ${kernel}`);
      }
    }
  }
}

/** v^e for an integer e ≥ 1 by repeated squaring (exact sign for negative v). */
function intPow(v: number, e: number): number {
  let result = 1;
  let base = v;
  let k = e;
  while (k > 0) {
    if (k & 1) result *= base;
    base *= base;
    k >>>= 1;
  }
  return result;
}

/** out[i] = ⟨rows[i], w⟩ in float64, for `count` rows of length d; NaN where it is ±Inf (σ of it is NaN). */
function project(rows: Float32Array, w: Float32Array, count: number, d: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    const base = i * d;
    for (let t = 0; t < d; t++) s += rows[base + t]! * w[t]!;
    out[i] = Number.isFinite(s) ? s : NaN;
  }
  return out;
}
