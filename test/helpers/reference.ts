// Float64 reference implementations for the tests, written independently of src/cpu:
// plain loops over number arrays, Math.tanh / Math.exp in float64. They take the float32
// test inputs as exact values and return Float64Array results. Robust at huge |x|
// (Math.tanh saturates; the sigmoid uses the branch whose exp() cannot overflow).

import type { ActivationKind, GramKernel, LossKind } from '../../src/types.js';
import type { Rng } from './rng.js';

export interface ActParams {
  /** Sigmoid scale α (default 1). */
  alpha?: number;
  /** leakyRelu negative slope (default 0.01, the library's default). */
  slope?: number;
}

export const REF_DEFAULT_SLOPE = 0.01;

/** C[m, n] = op(A)·op(B); A is [m, k] ([k, m] if transposeA), B is [k, n] ([n, k] if transposeB). */
export function refMatmul(
  a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number,
  transposeA = false, transposeB = false,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transposeA ? a[p * m + i]! : a[i * k + p]!;
        const bv = transposeB ? b[j * k + p]! : b[p * n + j]!;
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

/** The logistic function in float64 without overflow. */
export function refSigmoidScalar(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

export function refActivationScalar(kind: ActivationKind, x: number, p: ActParams = {}): number {
  const alpha = p.alpha ?? 1;
  const slope = p.slope ?? REF_DEFAULT_SLOPE;
  switch (kind) {
    case 'sigmoid':
      return refSigmoidScalar(alpha * x);
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return Number.isNaN(x) ? NaN : x > 0 ? x : 0;
    case 'leakyRelu':
      return x > 0 ? x : slope * x;
    case 'identity':
      return x;
  }
}

/** act(x) elementwise in float64. */
export function refActivation(kind: ActivationKind, x: ArrayLike<number>, p: ActParams = {}): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = refActivationScalar(kind, x[i]!, p);
  return out;
}

/** d act(x)/dx evaluated at x (not from the output), in float64; at the kink x = 0, relu and leakyRelu take the left-hand derivative (0, slope). */
export function refActivationGrad(kind: ActivationKind, x: ArrayLike<number>, p: ActParams = {}): Float64Array {
  const alpha = p.alpha ?? 1;
  const slope = p.slope ?? REF_DEFAULT_SLOPE;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    switch (kind) {
      case 'sigmoid': {
        const s = refSigmoidScalar(alpha * v);
        out[i] = alpha * s * (1 - s);
        break;
      }
      case 'tanh': {
        const t = Math.tanh(v);
        out[i] = 1 - t * t;
        break;
      }
      case 'relu':
        out[i] = v > 0 ? 1 : 0;
        break;
      case 'leakyRelu':
        out[i] = v > 0 ? 1 : slope;
        break;
      case 'identity':
        out[i] = 1;
        break;
    }
  }
  return out;
}

/**
 * The documented backward-from-saved-output rule: dx = dy · g(y) with g = α·y(1−y) for
 * sigmoid, 1 − y² for tanh, [y > 0] for relu, y > 0 ? 1 : slope for leakyRelu, 1 for
 * identity. Evaluated in float64 on the given (float32) y.
 */
export function refActivationBackward(
  kind: ActivationKind, dy: ArrayLike<number>, y: ArrayLike<number>, p: ActParams = {},
): Float64Array {
  const alpha = p.alpha ?? 1;
  const slope = p.slope ?? REF_DEFAULT_SLOPE;
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    let g: number;
    if (kind === 'sigmoid') g = alpha * v * (1 - v);
    else if (kind === 'tanh') g = 1 - v * v;
    else if (kind === 'relu') g = v > 0 ? 1 : 0;
    else if (kind === 'leakyRelu') g = v > 0 ? 1 : slope;
    else g = 1;
    out[i] = dy[i]! * g;
  }
  return out;
}

export interface RefGramOptions {
  kernel: GramKernel;
  gamma: number;
  coef0: number;
  degree: number;
  /** projected-sigmoid: K[i, j] = σ(⟨x_i, α⟩ + ⟨y_j, β⟩ + γ), σ the logistic function. */
  alpha?: ArrayLike<number>;
  beta?: ArrayLike<number>;
}

/** K[n, m] with K[i, j] = k(x_i, y_j) for X [n, d], Y [m, d], in float64. */
export function refGram(
  x: ArrayLike<number>, y: ArrayLike<number>, n: number, m: number, d: number, o: RefGramOptions,
): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let dot = 0;
      let dist2 = 0;
      let pa = 0;
      let pb = 0;
      for (let t = 0; t < d; t++) {
        const a = x[i * d + t]!;
        const b = y[j * d + t]!;
        dot += a * b;
        dist2 += (a - b) * (a - b);
        if (o.alpha && o.beta) {
          pa += a * o.alpha[t]!;
          pb += b * o.beta[t]!;
        }
      }
      let v: number;
      switch (o.kernel) {
        case 'sigmoid':
          v = Math.tanh(o.gamma * dot + o.coef0);
          break;
        case 'logistic':
          v = refSigmoidScalar(o.gamma * dot + o.coef0);
          break;
        case 'linear':
          v = dot;
          break;
        case 'polynomial':
          v = Math.pow(o.gamma * dot + o.coef0, o.degree);
          break;
        case 'rbf':
          v = Math.exp(-o.gamma * dist2);
          break;
        case 'projected-sigmoid':
          if (!o.alpha || !o.beta) throw new Error('refGram: projected-sigmoid needs alpha and beta');
          v = refSigmoidScalar(pa + pb + o.gamma);
          break;
      }
      out[i * m + j] = v;
    }
  }
  return out;
}

/** ‖K − Z·Zᵀ‖_F / ‖K‖_F for K [n, n] (float64) and a feature map Z [n, m] (a Nyström check). */
export function zztRelErr(k: ArrayLike<number>, z: { rows: number; cols: number; data: ArrayLike<number> }): number {
  let num = 0;
  let den = 0;
  const m = z.cols;
  for (let i = 0; i < z.rows; i++) {
    for (let j = 0; j < z.rows; j++) {
      let s = 0;
      for (let t = 0; t < m; t++) s += z.data[i * m + t]! * z.data[j * m + t]!;
      const kij = k[i * z.rows + j]!;
      num += (kij - s) ** 2;
      den += kij ** 2;
    }
  }
  return Math.sqrt(num / den);
}

/**
 * The SVM dual's gradient G = Qα − e in float64 (Q_tj = y_t y_j K_tj): G_t = y_t Σ_j α_j y_j K_tj − 1,
 * summed in j order. K is n×n row-major and the problem's point t is row index[t] of it; without
 * index, K is l×l (n = l) and point t is row t.
 */
export function refSvmGradient(
  K: ArrayLike<number>, n: number, y: ArrayLike<number>, alpha: ArrayLike<number>, index?: ArrayLike<number>,
): Float64Array {
  const l = y.length;
  const at = (t: number): number => (index === undefined ? t : index[t]!);
  return Float64Array.from({ length: l }, (_, t) => {
    let sum = 0;
    for (let j = 0; j < l; j++) sum += alpha[j]! * y[j]! * K[at(t) * n + at(j)]!;
    return y[t]! * sum - 1;
  });
}

/** Whether a point of label y (±1) and multiplier α in [0, C] is in I_up: α can move so that y·α grows. */
export function inUp(y: number, alpha: number, C: number): boolean {
  return y === 1 ? alpha < C : alpha > 0;
}

/** Whether a point of label y (±1) and multiplier α in [0, C] is in I_low: α can move so that y·α shrinks. */
export function inLow(y: number, alpha: number, C: number): boolean {
  return y === 1 ? alpha > 0 : alpha < C;
}

/**
 * n points of two overlapping unit-variance 2-D blobs one unit apart, drawn from r (the n·2
 * normals, then one uniform per label, +1 below ½): x [n, 2] and labels ±1, class +1 shifted by 1
 * in the first coordinate.
 */
export function twoBlobs(r: Rng, n: number): { x: Float32Array; y: Int8Array } {
  const x = r.randn(2 * n);
  const y = Int8Array.from({ length: n }, () => (r.next() < 0.5 ? 1 : -1));
  for (let i = 0; i < n; i++) x[2 * i]! += y[i] === 1 ? 1 : 0;
  return { x, y };
}

/** Column sums of x [rows, cols] in float64. */
export function refColSums(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] = out[c]! + x[r * cols + c]!;
  return out;
}

/** Σ x in float64 (a serial float64 sum is exact to ~n·1e-16 relative: plenty for a reference). */
export function refSum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

/** ‖x‖₂ in float64. */
export function refNorm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

/**
 * Central finite-difference gradient of a scalar function f at x, in float64:
 * g[i] = (f(x + h·e_i) − f(x − h·e_i)) / 2h, with h scaled to max(1, |x_i|).
 */
export function finiteDiffGrad(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-6): Float64Array {
  const xs = Float64Array.from(x);
  const g = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    const step = h * Math.max(1, Math.abs(v));
    xs[i] = v + step;
    const fp = f(xs);
    xs[i] = v - step;
    const fm = f(xs);
    xs[i] = v;
    g[i] = (fp - fm) / (2 * step);
  }
  return g;
}

/** Σ w[i]·v[i] in float64: the scalar loss L = ⟨dY, Y⟩ whose gradient w.r.t. Y is dY. */
export function dot(w: ArrayLike<number>, v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += w[i]! * v[i]!;
  return s;
}

// ---- training primitives --------------------------------------------------------------------

/** Rows src[idx[start + r]] for r < count of src [*, cols], in float64. */
export function refGatherRows(
  src: ArrayLike<number>, idx: ArrayLike<number>, start: number, count: number, cols: number,
): Float64Array {
  const out = new Float64Array(count * cols);
  for (let r = 0; r < count; r++) {
    const row = idx[start + r]!;
    for (let c = 0; c < cols; c++) out[r * cols + c] = src[row * cols + c]!;
  }
  return out;
}

/** log σ(z) in float64 without overflow: −log(1 + e^{−z}). */
function refLogSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

export interface RefLoss {
  /** Σ_c ℓ per row. */
  rowLoss: Float64Array;
  /** The engine's mean loss: Σ rowLoss / size (mse, bce) or / rows (softmax CE). */
  mean: number;
  /** ∂ mean / ∂ pred (the gradient the engine returns). */
  grad: Float64Array;
}

/**
 * The losses in float64, in textbook forms (not the library's):
 * - mse: (p − t)², mean over elements;
 * - binaryCrossEntropy on logits: −t·log σ(p) − (1 − t)·log σ(−p), mean over elements,
 *   ∂ = (σ(p) − t) / size;
 * - softmaxCrossEntropy on logits: −Σ_c t_c·log_softmax(p)_c per row (log-sum-exp with the
 *   row max taken out), mean over rows, ∂ = (softmax(p)·Σt − t) / rows.
 */
export function refLoss(kind: LossKind, pred: ArrayLike<number>, target: ArrayLike<number>, rows: number, cols: number): RefLoss {
  const n = rows * cols;
  const rowLoss = new Float64Array(rows);
  const grad = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    if (kind === 'softmaxCrossEntropy') {
      let m = -Infinity;
      for (let c = 0; c < cols; c++) m = Math.max(m, pred[b + c]!);
      let z = 0;
      for (let c = 0; c < cols; c++) z += Math.exp(pred[b + c]! - m);
      const lse = m + Math.log(z);
      let tSum = 0;
      for (let c = 0; c < cols; c++) tSum += target[b + c]!;
      let l = 0;
      for (let c = 0; c < cols; c++) {
        const t = target[b + c]!;
        const logSoftmax = pred[b + c]! - lse;
        if (t !== 0) l -= t * logSoftmax;
        grad[b + c] = (Math.exp(logSoftmax) * tSum - t) / rows;
      }
      rowLoss[r] = l;
    } else {
      let l = 0;
      for (let c = 0; c < cols; c++) {
        const p = pred[b + c]!;
        const t = target[b + c]!;
        if (kind === 'mse') {
          l += (p - t) * (p - t);
          grad[b + c] = (2 * (p - t)) / n;
        } else {
          // A zero weight drops its term (0·log 0 = 0): the limit at p = ±∞.
          l += (t === 0 ? 0 : -t * refLogSigmoid(p)) + (t === 1 ? 0 : -(1 - t) * refLogSigmoid(-p));
          grad[b + c] = (refSigmoidScalar(p) - t) / n;
        }
      }
      rowLoss[r] = l;
    }
  }
  let total = 0;
  for (let r = 0; r < rows; r++) total += rowLoss[r]!;
  return { rowLoss, mean: total / (kind === 'softmaxCrossEntropy' ? rows : n), grad };
}

/** Index of the first largest value of row r. */
function refArgmax(x: ArrayLike<number>, r: number, cols: number): number {
  let best = 0;
  for (let c = 1; c < cols; c++) if (x[r * cols + c]! > x[r * cols + best]!) best = c;
  return best;
}

/**
 * Correct predictions: per element (logit > 0 vs target > 0.5) or per row (first argmax).
 * A NaN prediction or target is never correct.
 */
export function refCountCorrect(
  kind: 'binary' | 'multiclass', pred: ArrayLike<number>, target: ArrayLike<number>, rows: number, cols: number,
): number {
  let n = 0;
  if (kind === 'binary') {
    for (let i = 0; i < rows * cols; i++) {
      const p = pred[i]!;
      const t = target[i]!;
      if (!Number.isNaN(p) && !Number.isNaN(t) && (p > 0) === (t > 0.5)) n++;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      let nan = false;
      for (let c = 0; c < cols; c++) nan ||= Number.isNaN(pred[r * cols + c]!) || Number.isNaN(target[r * cols + c]!);
      if (!nan && refArgmax(pred, r, cols) === refArgmax(target, r, cols)) n++;
    }
  }
  return n;
}

/** Row-wise softmax in float64 (row max subtracted). */
export function refSoftmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]!);
    let z = 0;
    for (let c = 0; c < cols; c++) z += Math.exp(x[r * cols + c]! - m);
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.exp(x[r * cols + c]! - m) / z;
  }
  return out;
}

/** Σ x² in float64. */
export function refSumSquares(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}

export interface RefSgdState {
  p: Float64Array;
  /** null: plain SGD. */
  vel: Float64Array | null;
}

/** One SGD step in float64, in place on `st` (PyTorch's SGD with dampening 0, no Nesterov). */
export function refSgdStep(st: RefSgdState, g: ArrayLike<number>, lr: number, momentum: number, weightDecay: number): void {
  for (let i = 0; i < st.p.length; i++) {
    let d = g[i]! + weightDecay * st.p[i]!;
    if (st.vel !== null) {
      st.vel[i] = momentum * st.vel[i]! + d;
      d = st.vel[i]!;
    }
    st.p[i] = st.p[i]! - lr * d;
  }
}

export interface RefAdamState {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
  /** Steps taken so far. */
  t: number;
}

/**
 * One Adam step in float64, in place on `st`, as torch.optim.Adam (amsgrad off) writes it:
 * m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), p −= lr·m̂/(√v̂ + ε).
 */
export function refAdamStep(
  st: RefAdamState, g: ArrayLike<number>, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number,
): void {
  st.t++;
  const bc1 = 1 - Math.pow(beta1, st.t);
  const bc2 = 1 - Math.pow(beta2, st.t);
  for (let i = 0; i < st.p.length; i++) {
    const d = g[i]! + weightDecay * st.p[i]!;
    st.m[i] = beta1 * st.m[i]! + (1 - beta1) * d;
    st.v[i] = beta2 * st.v[i]! + (1 - beta2) * d * d;
    const mHat = st.m[i]! / bc1;
    const vHat = st.v[i]! / bc2;
    st.p[i] = st.p[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
  }
}
