// WebGPU's Gram pass sums ⟨x, y⟩ — for rbf ‖x − y‖² — in float32 (the CPU backend adds in
// float64). Past 3.4e38 a sum is ±Inf, and the kernel value comes out saturated: rbf 0,
// tanh ±1, σ 0 or 1. That is right when γ is large enough that the true value saturates
// too (γ·3.4e38 beyond where exp, tanh or σ reach float32's 0 or 1), and wrong otherwise
// (a tiny γ on huge data: SVC got K = I, every point a support vector; Nyström and the kernel
// classifier got all-zero features). Linear and polynomial values overflow with the sum, to
// ±Inf, which the callers' finiteness checks name. So for rbf, sigmoid and logistic, data is
// refused before any work when a bound on those sums over the rows of the matrices involved,
// with room for the d + 1 float32 roundings, reaches float32's limit and γ does not saturate
// the kernel there: ‖x − y‖² ≤ Σₜ (maxₜ − minₜ)² for rbf, |⟨x, y⟩| ≤ max ‖x‖² otherwise
// (float64, O(rows·d) once).

import type { Matrix } from '../data/matrix.js';
import { ValueError } from '../errors.js';
import { MAX_FLOAT32 } from '../validate.js';

/** |argument| past which exp(−z), tanh(z) and σ(z) are float32's 0 or ±1 (with margin). */
const SATURATES: Readonly<Record<string, number>> = { rbf: 110, sigmoid: 10, logistic: 18 };

/**
 * Throws a ValueError from `what` when the Gram sums of the kernel over the rows of `mats`
 * (same width) could overflow float32 where it matters; `remedy` follows "standardize X (or
 * scale it down)".
 */
export function checkFloat32Sums(
  what: string, p: { kernel: string; gamma: number; coef0: number }, mats: readonly Matrix[], remedy: string,
): void {
  const kernel = p.kernel;
  const saturates = SATURATES[kernel];
  if (saturates === undefined) return; // linear, polynomial: an overflow shows as ±Inf
  // An overflowed sum s > 3.4e38 gives γ·s + c₀ past the saturation point: the value is right.
  if (p.gamma * MAX_FLOAT32 - (kernel === 'rbf' ? 0 : Math.abs(p.coef0)) >= saturates) return;
  const cols = mats[0]!.cols;
  let bound = 0;
  if (kernel === 'rbf') {
    for (let t = 0; t < cols; t++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const { data } of mats) {
        for (let i = t; i < data.length; i += cols) {
          lo = Math.min(lo, data[i]!);
          hi = Math.max(hi, data[i]!);
        }
      }
      bound += (hi - lo) ** 2;
    }
  } else {
    for (const { rows, data } of mats) {
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let t = i * cols; t < (i + 1) * cols; t++) s += data[t]! * data[t]!;
        bound = Math.max(bound, s);
      }
    }
  }
  if (bound * (1 + (cols + 1) * 2 ** -24) <= MAX_FLOAT32) return;
  const sums = kernel === 'rbf' ? 'squared distances ‖xᵢ − xⱼ‖²' : 'inner products ⟨xᵢ, xⱼ⟩';
  throw new ValueError(
    `${what}: the ${sums} of X can reach ${bound.toPrecision(3)}, beyond float32's range (3.4e38): WebGPU sums them in float32, ` +
      `where they overflow and the ${kernel} kernel values come out wrong; standardize X (or scale it down)${remedy}`,
  );
}
