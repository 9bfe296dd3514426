// The op interface both backends implement. The engine validates shapes and options and
// allocates outputs; a backend only runs ops on flat float32 buffers it owns. All sizes
// are element counts (float32), all matrices row-major.

import type { AdapterInfoSummary, BackendKind, EngineLimits, GramKernel, LossKind, Tiling, WebGPUDevice } from './types.js';

/** A backend-owned flat float32 buffer of `length` elements. Opaque to the engine. */
export interface BackendBuffer {
  readonly length: number;
}

/**
 * An activation with its parameters resolved. The effective sigmoid scale is
 * `alpha * (alphaBuf ? alphaBuf[0] : 1)`: a plain number goes in `alpha`, a trainable
 * scalar tensor in `alphaBuf` (with alpha = 1), so GPU-resident α needs no readback.
 */
export interface ActivationSpec {
  kind: 'sigmoid' | 'relu' | 'leakyRelu' | 'tanh' | 'identity';
  alpha: number;
  alphaBuf: BackendBuffer | null;
  /** Negative-side slope of leakyRelu (ignored by the others). */
  slope: number;
}

/**
 * Plain SGD applied where a gradient g is produced, so g is never stored: a parameter p
 * updated in place exactly as sgdUpdate without momentum, p −= lr·(g + weightDecay·p).
 */
export interface SgdUpdate {
  lr: number;
  weightDecay: number;
}

/** What the matmul does with each inner product v = (op(A)·op(B))[i, j] before storing it. */
export type MatmulEpilogue =
  /** out = act(v + bias[j]); bias of length n, or null. */
  | { kind: 'biasAct'; bias: BackendBuffer | null; act: ActivationSpec }
  /** out = v · act'(from y[i, j]), y [m, n] the saved output of `act` (as activationBackward). */
  | { kind: 'actGrad'; y: BackendBuffer; act: ActivationSpec }
  /** out is a parameter p [m, n] updated in place by SGD (SgdUpdate) with gradient v. */
  | ({ kind: 'sgd' } & SgdUpdate);

export interface MatmulParams {
  /** A: [m, k], or [k, m] stored when transposeA. */
  a: BackendBuffer;
  /** B: [k, n], or [n, k] stored when transposeB. */
  b: BackendBuffer;
  /** out: [m, n], written (read too by the sgd epilogue) as `epilogue` says. */
  out: BackendBuffer;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  epilogue: MatmulEpilogue;
}

export interface GramParams {
  x: BackendBuffer; // [n, d]
  y: BackendBuffer; // [m, d] (may be the same buffer as x)
  out: BackendBuffer; // [n, m]
  n: number;
  m: number;
  d: number;
  kernel: GramKernel;
  gamma: number;
  coef0: number;
  degree: number;
  /**
   * 'projected-sigmoid' only (null otherwise): α [d] and β [d]; then
   * out[i, j] = σ(⟨x_i, α⟩ + ⟨y_j, β⟩ + gamma), σ the logistic function. Each projection
   * depends only on its own row, so a block of rows gives the same values as the whole.
   */
  alpha: BackendBuffer | null;
  beta: BackendBuffer | null;
}

export interface Backend {
  readonly kind: BackendKind;
  readonly adapterInfo: AdapterInfoSummary | null;
  readonly limits: EngineLimits;
  /** The matmul/Gram kernel family (WebGPU); null on the CPU. */
  readonly tiling: Tiling | null;

  /** A new buffer holding a copy of `data`. */
  upload(data: Float32Array): BackendBuffer;
  /** A new buffer of `length` elements; contents unspecified (ops overwrite every element). */
  alloc(length: number): BackendBuffer;
  /** Copy the first `length` elements back to the host (flushes pending work first). */
  read(buf: BackendBuffer, length: number): Promise<Float32Array>;
  /** Set the first `length` elements to `value` (NaN allowed: used to poison outputs in tests). */
  fill(buf: BackendBuffer, length: number, value: number): void;
  /** Return a buffer to the pool. It must not be used afterwards. */
  release(buf: BackendBuffer): void;

  matmul(p: MatmulParams): void;
  /** out[i] = act(x[i]). */
  activation(x: BackendBuffer, out: BackendBuffer, n: number, act: ActivationSpec): void;
  /**
   * dx[i] = dy[i] · act'(from saved output y[i]): sigmoid α·y(1−y), relu [y>0],
   * leakyRelu y>0 ? 1 : slope, tanh (1−y)(1+y), identity 1.
   */
  activationBackward(dy: BackendBuffer, y: BackendBuffer, dx: BackendBuffer, n: number, act: ActivationSpec): void;
  /**
   * Scaled-sigmoid backward: dx[i] = dy·α·y(1−y) and terms[i] = dy·x·y(1−y)
   * (the engine sums `terms` to get dα).
   */
  sigmoidBackward(
    dy: BackendBuffer, x: BackendBuffer, y: BackendBuffer,
    dx: BackendBuffer, terms: BackendBuffer, n: number, act: ActivationSpec,
  ): void;
  /** out[i] = a[i] (+|−|·) b[i]. */
  binary(op: 'add' | 'sub' | 'mul', a: BackendBuffer, b: BackendBuffer, out: BackendBuffer, n: number): void;
  /** out[i] = s · x[i]. */
  scale(x: BackendBuffer, out: BackendBuffer, n: number, s: number): void;
  /** out[r, c] = x[r, c] + bias[c]. */
  biasAdd(x: BackendBuffer, bias: BackendBuffer, out: BackendBuffer, rows: number, cols: number): void;
  /**
   * out[c] = Σ_r x[r, c], by tree reduction; with `sgd`, out is a parameter [cols] updated
   * in place by SGD (SgdUpdate) with the sums as its gradient.
   */
  colSums(x: BackendBuffer, out: BackendBuffer, rows: number, cols: number, sgd?: SgdUpdate): void;
  /** out[0] = scale · Σ_i x[i] (or Σ_i x[i]² when `square`), by tree reduction. */
  sum(x: BackendBuffer, out: BackendBuffer, n: number, scale: number, square?: boolean): void;
  /** out[i, j] = k(x_i, y_j), fused: inner products never stored. */
  gram(p: GramParams): void;

  // ---- training primitives ----------------------------------------------------------

  /**
   * out[r, :] = src[idx[start + r], :] for r < count; src has `cols` columns; idx holds row
   * numbers stored as float32 (exact below 2²⁴). A row number that is not an integer inside
   * src (unchecked by the engine: that would need a readback) yields a NaN row, never a
   * read outside src.
   */
  gatherRows(src: BackendBuffer, idx: BackendBuffer, out: BackendBuffer, start: number, count: number, cols: number): void;
  /**
   * Loss of pred [rows, cols] against target [rows, cols], per row, and its gradient:
   * rowLoss[r] = gradScale · Σ_c ℓ(pred[r,c], target[r,c]) (scaled before it is stored, so a
   * mean that float32 holds is not lost to an Inf sum) and grad = gradScale · ∂ℓ/∂pred, with
   * - mse: ℓ = (p − t)², ∂ = 2(p − t);
   * - binaryCrossEntropy (p are logits): ℓ = max(p,0) − p·t + log1p(exp(−|p|)) (at p = ±∞ its
   *   limit: 0 for (+∞, 1) and (−∞, 0), else +∞), ∂ = σ(p) − t;
   * - softmaxCrossEntropy (p are logits, t a probability row, e.g. one-hot):
   *   ℓ_row = −Σ_c t_c·log softmax(p)_c (max subtracted first), ∂ = softmax(p)·Σ_c t_c − t.
   */
  lossGrad(
    kind: LossKind, pred: BackendBuffer, target: BackendBuffer,
    grad: BackendBuffer, rowLoss: BackendBuffer, rows: number, cols: number, gradScale: number,
  ): void;
  /**
   * rowCorrect[r] = number of correct predictions in row r:
   * - 'binary': Σ_c [(pred[r,c] > 0) == (target[r,c] > 0.5)] (pred are logits), a NaN pred
   *   or target never correct;
   * - 'multiclass': 1 if argmax_c pred[r,c] == argmax_c target[r,c] (first max wins), else 0;
   *   0 for a row with a NaN in pred or target.
   */
  countCorrect(kind: 'binary' | 'multiclass', pred: BackendBuffer, target: BackendBuffer, rowCorrect: BackendBuffer, rows: number, cols: number): void;
  /** Row-wise softmax (max subtracted first). */
  softmaxRows(x: BackendBuffer, out: BackendBuffer, rows: number, cols: number): void;
  /** In place: acc[offset + i] += a · x[i] for i < n (x may be acc itself: x is read before any write). */
  axpyInto(acc: BackendBuffer, x: BackendBuffer, n: number, a: number, offset: number): void;
  /**
   * In place SGD: g' = g + weightDecay·p; with momentum: vel = momentum·vel + g', p −= lr·vel;
   * without (vel null): p −= lr·g'.
   */
  sgdUpdate(p: BackendBuffer, g: BackendBuffer, vel: BackendBuffer | null, n: number, lr: number, momentum: number, weightDecay: number): void;
  /**
   * In place Adam (PyTorch's form): g' = g + weightDecay·p; m = β₁m + (1−β₁)g';
   * v = β₂v + (1−β₂)g'²; p −= lr · (m·c1) / (sqrt(v·c2) + eps), where the host passes the
   * bias corrections c1 = 1/(1−β₁ᵗ), c2 = 1/(1−β₂ᵗ).
   */
  adamUpdate(
    p: BackendBuffer, g: BackendBuffer, m: BackendBuffer, v: BackendBuffer, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, c1: number, c2: number,
  ): void;

  /** Submit recorded work now (no-op on the CPU); does not wait. */
  flush(): void;
  /**
   * Submit and wait until all submitted work has finished; rejects with a GPUOpError
   * naming the op if any recorded op raised a GPU error since the last sync.
   */
  sync(): Promise<void>;
  /** Bytes and count of free pooled buffers. */
  poolStats(): { pooledBytes: number; pooledBuffers: number };
  destroy(): void;

  // ---- device loss (WebGPU only; absent on the CPU, which cannot be lost) --------------

  /** true once the GPU device is lost (every op then throws GPUOpError 'device-lost'). */
  readonly lost?: boolean;
  /** The GPUDevice the backend runs on (for tests and interop). */
  readonly gpuDevice?: WebGPUDevice;
  /** true when the backend created its device (so a new one can be requested after a loss). */
  readonly ownsDevice?: boolean;
  /** Calls `cb` once when the device is lost unexpectedly (not after destroy()). */
  onDeviceLost?(cb: (message: string) => void): void;
}
