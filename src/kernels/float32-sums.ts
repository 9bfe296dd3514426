// WebGPU's Gram pass sums ⟨x, y⟩ — for rbf ‖x − y‖² — in float32 (the CPU backend adds in
// float64). Past 3.4e38 a sum (or one of its terms) is ±Inf or NaN; rbf, sigmoid and logistic
// came out finite but wrong: rbf 0, tanh ±1 (SVC on X ≈ 1e21 got K = I, every point a support
// vector; Nyström and the kernel classifier got all-zero features). The kernels now give NaN
// there (shaders/matmul.wgsl, kernel_epilogue), and the kernel methods refuse such data first,
// saying what to do. rbf's sums only
// grow, so an overflowed one means the true γ·‖x − y‖² is past where exp(−z) is float32's 0
// when γ·3.4e38 is: right then. Inner products are signed: terms can overflow while the true
// sum is small, so there is no such exemption. Linear and polynomial values overflow with
// the sum, to ±Inf or NaN, which the callers' finiteness checks name. projected-sigmoid's
// projections ⟨x, α⟩ and ⟨y, β⟩ are signed sums too: one past float32 gave σ(+Inf) = 1 or
// σ(Inf − Inf) = NaN where the CPU's a + b + γ is small (X = (2e19, …) with α = (1e19, 1e19,
// −1e19, −1e19): K = 1 against 0.5); a + b + γ of two finite projections overflows only when
// they share a sign, where σ is 0 or 1 either way. So for rbf (unless γ saturates it),
// sigmoid, logistic and projected-sigmoid, data is refused before any work when a bound on
// the sums and their partial sums over the rows of the matrices involved, with room for the
// d + 1 float32 roundings, reaches float32's limit: ‖x − y‖² ≤ Σₜ (maxₜ − minₜ)² for rbf,
// |Σₜ≤ₖ xₜwₜ| ≤ Σₜ |xₜwₜ| with w = α for X and β for Y (X when there is no Y) for
// projected-sigmoid, |Σₜ≤ₖ xₜyₜ| ≤ ‖x‖‖y‖ ≤ max ‖x‖² otherwise (float64, O(rows·d) once).
// NaN and ±Inf entries are data, as to engine.gram (NaN entries of K where they reach, on
// both backends): they are left out of the bound, which is about the sums of finite rows.

import type { Matrix } from '../data/matrix.js';
import type { Engine } from '../engine.js';
import { ValueError } from '../errors.js';
import { CPU_ENGINE, rbfSaturates, STANDARDIZE_X } from '../gram-options.js';
import { MAX_FLOAT32 } from '../validate.js';

const CHECKED = ['rbf', 'sigmoid', 'logistic', 'projected-sigmoid'];

/**
 * On WebGPU (the CPU backend adds in float64), throws a ValueError from `what` when the Gram
 * sums of the kernel over the rows of `mats` (same width: X, or X and Y) could overflow float32
 * where it matters; `remedy` follows "standardize X (or scale it down)". projected-sigmoid
 * needs `p.alpha` and `p.beta` (resolveGramOptions gives them).
 */
export function checkGramSums(
  engine: Engine, what: string, p: { kernel: string; gamma: number; alpha?: ArrayLike<number>; beta?: ArrayLike<number> },
  mats: readonly Matrix[],
  remedy = `, or use ${CPU_ENGINE} (it sums in float64)`,
): void {
  if (engine.backend !== 'webgpu') return;
  const kernel = p.kernel;
  if (!CHECKED.includes(kernel)) return; // linear, polynomial: an overflow shows as ±Inf or NaN
  if (kernel === 'rbf' && rbfSaturates(p.gamma)) return; // exp(−γ·s) is 0 either way
  const cols = mats[0]!.cols;
  let bound = 0;
  if (kernel === 'projected-sigmoid') {
    const weighted = (m: Matrix, w: ArrayLike<number>): void => {
      for (let i = 0; i < m.rows; i++) {
        let s = 0;
        for (let t = 0; t < cols; t++) s += finiteOr0(Math.abs(m.data[i * cols + t]! * w[t]!));
        bound = Math.max(bound, s);
      }
    };
    weighted(mats[0]!, p.alpha!);
    weighted(mats[mats.length - 1]!, p.beta!);
  } else if (kernel === 'rbf') {
    for (let t = 0; t < cols; t++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const { data } of mats) {
        for (let i = t; i < data.length; i += cols) {
          if (!Number.isFinite(data[i]!)) continue;
          lo = Math.min(lo, data[i]!);
          hi = Math.max(hi, data[i]!);
        }
      }
      if (lo <= hi) bound += (hi - lo) ** 2;
    }
  } else {
    for (const { rows, data } of mats) {
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let t = i * cols; t < (i + 1) * cols; t++) s += finiteOr0(data[t]! * data[t]!);
        bound = Math.max(bound, s);
      }
    }
  }
  if (bound * (1 + (cols + 1) * 2 ** -24) <= MAX_FLOAT32) return;
  const projected = kernel === 'projected-sigmoid';
  const sums = kernel === 'rbf' ? 'squared distances ‖xᵢ − xⱼ‖²' : projected ? 'projections ⟨xᵢ, α⟩ and ⟨yⱼ, β⟩' : 'inner products ⟨xᵢ, xⱼ⟩';
  const down = `${STANDARDIZE_X} (or scale it${projected ? ', or α and β,' : ''} down)`;
  throw new ValueError(
    `${what}: the ${sums} of X can reach ${bound.toPrecision(3)}, beyond float32's range (3.4e38): WebGPU sums them in float32, ` +
      `where they overflow and the ${kernel} kernel values come out wrong; ${down}${remedy}`,
  );
}

function finiteOr0(v: number): number {
  return Number.isFinite(v) ? v : 0;
}
