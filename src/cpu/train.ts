// Training primitives of the CPU backend: row gather, losses with their gradients,
// accuracy counts, row softmax, axpy and the SGD / Adam updates. Arithmetic is float64
// (JS numbers) and every result is rounded to float32 once, when stored. Row-wise sums
// (a row's loss, a softmax denominator) run over `cols` elements, which is small in
// practice; they are pairwise sums all the same (reduce.ts), so wide rows stay accurate.
// Every exp() sees an argument ≤ 0, so finite logits of any size give finite losses.

import type { LossKind } from '../types.js';
import { EXP_CLAMP, sigmoid } from './activations.js';

/**
 * out[r, :] = src[idx[start + r], :] for r < count. A row number that is not an integer in
 * [0, srcRows) (srcRows = src.length / cols) gives a row of NaN, never a read outside src.
 */
export function gatherRows(
  src: Float32Array, idx: Float32Array, out: Float32Array, start: number, count: number, cols: number,
): void {
  const srcRows = Math.floor(src.length / cols);
  for (let r = 0; r < count; r++) {
    const row = idx[start + r]!;
    const o = r * cols;
    if (Number.isInteger(row) && row >= 0 && row < srcRows) {
      out.set(src.subarray(row * cols, row * cols + cols), o);
    } else {
      out.fill(Number.NaN, o, o + cols);
    }
  }
}

/** log(1 + e^{−|x|}) without overflow or cancellation. */
function softplusNegAbs(x: number): number {
  return Math.log1p(Math.exp(-Math.min(Math.abs(x), 2 * EXP_CLAMP)));
}

/** Pairwise sum of terms[0 .. n) (float64 scratch). */
function rowSum(terms: Float64Array, start: number, n: number): number {
  if (n <= 16) {
    let s = 0;
    for (let i = start; i < start + n; i++) s += terms[i]!;
    return s;
  }
  const half = n >>> 1;
  return rowSum(terms, start, half) + rowSum(terms, start + half, n - half);
}

/**
 * rowLoss[r] = gradScale · Σ_c ℓ(pred[r,c], target[r,c]); grad = gradScale · ∂ℓ/∂pred (see Backend.lossGrad).
 */
export function lossGrad(
  kind: LossKind, pred: Float32Array, target: Float32Array, grad: Float32Array, rowLoss: Float32Array,
  rows: number, cols: number, gradScale: number,
): void {
  const terms = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    switch (kind) {
      case 'mse':
        for (let c = 0; c < cols; c++) {
          const d = pred[base + c]! - target[base + c]!;
          terms[c] = d * d;
          grad[base + c] = gradScale * 2 * d;
        }
        break;
      case 'binaryCrossEntropy':
        for (let c = 0; c < cols; c++) {
          const p = pred[base + c]!;
          const t = target[base + c]!;
          // max(p,0) − p·t as |p|·w, w = 1 − t for p ≥ 0, t below; a zero w gives 0, the
          // limit, also for p = ±∞ (where |p|·w would be ∞·0 = NaN). A NaN p stays NaN.
          const w = p >= 0 ? 1 - t : t;
          terms[c] = (w === 0 && !Number.isNaN(p) ? 0 : Math.abs(p) * w) + softplusNegAbs(p);
          // σ(p) − t as (1 − t)·σ(p) − t·σ(−p), exact for t ∈ {0, 1} (as on WebGPU): σ(p) − 1
          // is 0 in float64 beyond p ≈ 37, −σ(−p) is not.
          grad[base + c] = gradScale * ((1 - t) * sigmoid(p) - t * sigmoid(-p));
        }
        break;
      case 'softmaxCrossEntropy': {
        let m = -Infinity;
        for (let c = 0; c < cols; c++) m = Math.max(m, pred[base + c]!);
        // e_c = exp(p_c − m) ∈ (0, 1], one of them exactly 1, so s ∈ [1, cols].
        for (let c = 0; c < cols; c++) terms[c] = Math.exp(Math.max(pred[base + c]! - m, -2 * EXP_CLAMP));
        const s = rowSum(terms, 0, cols);
        const logS = Math.log(s);
        let tSum = 0;
        for (let c = 0; c < cols; c++) tSum += target[base + c]!;
        for (let c = 0; c < cols; c++) {
          const t = target[base + c]!;
          grad[base + c] = gradScale * ((terms[c]! / s) * tSum - t);
          // −t·log softmax_c = t·(m − p_c + log s); t = 0 contributes exactly 0.
          terms[c] = t === 0 ? 0 : t * ((m - pred[base + c]!) + logS);
        }
        break;
      }
      default:
        throw new Error(`lossGrad: unknown loss ${JSON.stringify(kind)}`);
    }
    rowLoss[r] = gradScale * rowSum(terms, 0, cols); // in float64, before rounding to float32
  }
}

/** First index of the largest value of the row at `base` (a strict > scan, as on the GPU). */
function argmaxRow(x: Float32Array, base: number, cols: number): number {
  let best = 0;
  for (let c = 1; c < cols; c++) if (x[base + c]! > x[base + best]!) best = c;
  return best;
}

/** rowCorrect[r] = number of correct predictions in row r (see Backend.countCorrect). */
export function countCorrect(
  kind: 'binary' | 'multiclass', pred: Float32Array, target: Float32Array, rowCorrect: Float32Array,
  rows: number, cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (kind === 'binary') {
      let n = 0;
      for (let c = 0; c < cols; c++) {
        const p = pred[base + c]!;
        const t = target[base + c]!;
        // A NaN prediction or target is never correct ((NaN > 0) === (t > 0.5) for t ≤ 0.5).
        if (!Number.isNaN(p) && !Number.isNaN(t) && (p > 0) === (t > 0.5)) n++;
      }
      rowCorrect[r] = n;
    } else {
      // A NaN anywhere in the row's prediction or target makes the row wrong (as on WebGPU).
      let nan = false;
      for (let c = 0; c < cols; c++) nan ||= Number.isNaN(pred[base + c]!) || Number.isNaN(target[base + c]!);
      rowCorrect[r] = !nan && argmaxRow(pred, base, cols) === argmaxRow(target, base, cols) ? 1 : 0;
    }
  }
}

/** out[r, :] = softmax(x[r, :]), the row max subtracted first. */
export function softmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const e = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[base + c]!);
    for (let c = 0; c < cols; c++) e[c] = Math.exp(Math.max(x[base + c]! - m, -2 * EXP_CLAMP));
    const s = rowSum(e, 0, cols);
    for (let c = 0; c < cols; c++) out[base + c] = e[c]! / s;
  }
}

/** acc[offset + i] += a · x[i]; x is read before any write when it is acc itself. */
export function axpyInto(acc: Float32Array, x: Float32Array, n: number, a: number, offset: number): void {
  const src = x === acc && offset !== 0 ? x.slice(0, n) : x;
  for (let i = 0; i < n; i++) acc[offset + i] = acc[offset + i]! + a * src[i]!;
}

/** In place SGD (see Backend.sgdUpdate). */
export function sgdUpdate(
  p: Float32Array, g: Float32Array, vel: Float32Array | null, n: number, lr: number, momentum: number, weightDecay: number,
): void {
  if (vel === null) {
    for (let i = 0; i < n; i++) {
      const gi = g[i]! + weightDecay * p[i]!;
      p[i] = p[i]! - lr * gi;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const gi = g[i]! + weightDecay * p[i]!;
    const v = momentum * vel[i]! + gi;
    vel[i] = v;
    p[i] = p[i]! - lr * v;
  }
}

/** In place Adam, PyTorch's form (see Backend.adamUpdate). */
export function adamUpdate(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number,
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, c1: number, c2: number,
): void {
  for (let i = 0; i < n; i++) {
    const gi = g[i]! + weightDecay * p[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * gi;
    const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! - (lr * (mi * c1)) / (Math.sqrt(vi * c2) + eps);
  }
}
