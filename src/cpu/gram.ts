// CPU Gram matrix K[i, j] = k(x_i, y_j) for X [n, d], Y [m, d], fused: each inner
// product (or squared distance) is accumulated in float64 and turned into the kernel
// value at once; no n×m matrix of inner products is ever stored.
//   sigmoid     tanh(γ·s + c₀)          (scikit-learn's sigmoid_kernel)
//   logistic    σ(γ·s + c₀)
//   linear      s
//   polynomial  (γ·s + c₀)^degree        (integer degree ≥ 1)
//   rbf         exp(−min(γ·‖x − y‖², 120)), accumulating (a − b)² directly
// with s = ⟨x_i, y_j⟩. tanh and σ are the overflow-safe forms from activations.ts.

import type { GramParams } from '../backend.js';
import { EXP_CLAMP, sigmoid, tanh } from './activations.js';

export function gram(
  x: Float32Array, y: Float32Array, out: Float32Array,
  p: Pick<GramParams, 'n' | 'm' | 'd' | 'kernel' | 'gamma' | 'coef0' | 'degree'>,
): void {
  const { n, m, d, kernel, gamma, coef0, degree } = p;
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
        out[orow + j] = Math.exp(-Math.min(gamma * s, EXP_CLAMP));
        continue;
      }
      for (let t = 0; t < d; t++) s += x[xi + t]! * y[yj + t]!;
      switch (kernel) {
        case 'sigmoid':
          out[orow + j] = tanh(gamma * s + coef0);
          break;
        case 'logistic':
          out[orow + j] = sigmoid(gamma * s + coef0);
          break;
        case 'linear':
          out[orow + j] = s;
          break;
        case 'polynomial':
          out[orow + j] = intPow(gamma * s + coef0, degree);
          break;
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
