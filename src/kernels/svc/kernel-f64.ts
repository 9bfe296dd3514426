// Kernel functions in float64 on the host (scikit-learn's definitions, s = ⟨x, y⟩):
//   rbf         exp(−γ‖x − y‖²)
//   sigmoid     tanh(γ·s + c₀)
//   linear      s
//   polynomial  (γ·s + c₀)^degree
// Used by the float64 row provider, for the Gram diagonal K(xᵢ, xᵢ) of every provider, and
// for decision values in float64.

import type { Matrix } from '../../data/matrix.js';
import type { KernelParams } from './params.js';

/** k(a[ai..ai+d), b[bi..bi+d)) in float64. */
export function kernelAt(p: KernelParams, a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, d: number): number {
  if (p.kernel === 'rbf') {
    let s = 0;
    for (let t = 0; t < d; t++) {
      const diff = a[ai + t]! - b[bi + t]!;
      s += diff * diff;
    }
    return Math.exp(-p.gamma * s);
  }
  let s = 0;
  for (let t = 0; t < d; t++) s += a[ai + t]! * b[bi + t]!;
  switch (p.kernel) {
    case 'linear':
      return s;
    case 'sigmoid':
      return Math.tanh(p.gamma * s + p.coef0);
    case 'polynomial':
      return (p.gamma * s + p.coef0) ** p.degree;
  }
}

/** K(xᵢ, xᵢ) for every row of x. */
export function kernelDiagonal(p: KernelParams, x: Matrix): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) out[i] = kernelAt(p, x.data, i * x.cols, x.data, i * x.cols, x.cols);
  return out;
}

/** K(a, b) [a.rows, b.rows] in float64. */
export function kernelMatrixF64(p: KernelParams, a: Matrix, b: Matrix): Float64Array {
  const d = a.cols;
  const out = new Float64Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) out[i * b.rows + j] = kernelAt(p, a.data, i * d, b.data, j * d, d);
  }
  return out;
}
