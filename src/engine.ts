// Engine: the public op API. Validates shapes and options, allocates outputs, and hands
// the work to a backend (WebGPU or CPU) through one interface, so models never know
// which backend runs them.

import { type Activation, resolveActivation } from './activation.js';
import type { ActivationSpec, Backend, BackendBuffer, SgdUpdate } from './backend.js';
import { CpuBackend } from './cpu/backend.js';
import { BackendUnavailableError, DisposedError, GPUOpError, ShapeError, ValueError } from './errors.js';
import { GRAM_KEYS, resolveGramOptions } from './gram-options.js';
import { flatValues, isRow, type Row, rowValues } from './nested-arrays.js';
import { newTensor, Tensor } from './tensor.js';
import type {
  AdapterInfoSummary, BackendKind, EngineLimits, GramOptions, LossKind, MatmulOptions, MemoryStats, Shape, Tiling,
  TilingChoice, WebGPUDevice,
} from './types.js';
import {
  checkFinite, checkGPUDevice, checkInRange, checkPositive, checkShape, checkTensorBytes, describeValue, fmtShape, optionalBoolean,
  optionKeys, type OptionKeys, optionsObject, sameShape,
} from './validate.js';

export type TensorData = Float32Array | readonly number[] | readonly Row[];

/** Options of engine.recover(). */
export interface RecoverOptions {
  /** When no new GPU device can be had (or the lost one was the caller's), run on the CPU (default true). */
  fallbackToCpu?: boolean;
  /** Force the new backend: 'cpu' skips trying the GPU (default: WebGPU when possible). */
  backend?: 'webgpu' | 'cpu';
  /** A new GPUDevice to run on (e.g. to replace a lost device the caller had passed in). */
  device?: WebGPUDevice;
}

/**
 * Checks engine.recover()'s options; `what` and `prefix` name them in messages when they
 * come from elsewhere (fit's `recovery`, checked when fit starts rather than at a loss).
 */
export function checkRecoverOptions(
  options: RecoverOptions | undefined, what = 'recover', prefix = '', example?: string, keys: OptionKeys = RECOVER_KEYS,
): RecoverOptions {
  const o = optionsObject(what, options, keys, example);
  optionalBoolean(`${prefix}fallbackToCpu`, o.fallbackToCpu, true);
  if (o.backend !== undefined && o.backend !== 'webgpu' && o.backend !== 'cpu') {
    throw new ValueError(`${prefix}backend must be 'webgpu' or 'cpu', got ${describeValue(o.backend)}`);
  }
  if (o.device !== undefined) checkGPUDevice(`${prefix}device`, o.device);
  return o;
}

const RECOVER_KEYS = optionKeys<RecoverOptions>()('fallbackToCpu', 'backend', 'device');
const MATMUL_KEYS = optionKeys<MatmulOptions>()('transposeA', 'transposeB');
const SGD_UPDATE_KEYS = optionKeys<SgdUpdateOptions>()('lr', 'weightDecay');
const SGD_MATMUL_KEYS = optionKeys<MatmulOptions & SgdUpdateOptions>()('transposeA', 'transposeB', 'lr', 'weightDecay');
const ALPHA_KEYS = optionKeys<AlphaOptions>()('alpha');
const SGD_STEP_KEYS = optionKeys<SgdStepOptions>()('lr', 'momentum', 'weightDecay');
const ADAM_STEP_KEYS = optionKeys<AdamStepOptions>()('lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'step');

/** The plain-SGD settings of a fused update (sgdMatmulStep, sgdColSumsStep). */
export interface SgdUpdateOptions { lr: number; weightDecay?: number }
/** α of the scaled sigmoid σ(α·x): a number or a [1] tensor (default 1). */
export interface AlphaOptions { alpha?: number | Tensor }
export interface SgdStepOptions { lr: number; momentum?: number; weightDecay?: number }
export interface AdamStepOptions { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; step: number }

/** Makes a fresh WebGPU backend (set by create-engine.ts, keeping engine.ts free of the WebGPU import). */
type WebGPUBackendFactory = (device?: WebGPUDevice, tiling?: TilingChoice) => Promise<Backend>;
let makeWebGPUBackend: WebGPUBackendFactory | null = null;

/** @internal */
export function setWebGPUBackendFactory(f: WebGPUBackendFactory): void {
  makeWebGPUBackend = f;
}

interface EngineInit { poisonOutputs?: boolean; tiling?: TilingChoice }

/** @internal How createEngine() makes engines (the constructor is private, so the typings show none). */
export let newEngine: (backend: Backend, opts?: EngineInit) => Engine;

/**
 * The compute engine: made by createEngine(), it owns one backend (WebGPU or the CPU), makes
 * tensors (engine.tensor, zeros) and runs every op on them; memory() counts what is alive,
 * recover() replaces a lost device, destroy() frees it all.
 */
export class Engine {
  #backend: Backend | null;
  #liveTensors = 0;
  #liveBytes = 0;
  readonly #poisonOutputs: boolean;
  /** The tiling asked of createEngine, used again for the backend recover() makes. */
  readonly #tiling: TilingChoice | undefined;
  /** The backend each live tensor was made on: tensors of a lost backend are dead. */
  readonly #madeOn = new WeakMap<Tensor, Backend>();
  #lostMessage: string | null = null;
  /** The recovery under way, which later recover() calls join. */
  #recovering: Promise<BackendKind> | null = null;
  /**
   * Called once when the GPU device is lost unexpectedly (GPUDevice.lost), with the
   * reason. After a loss every op throws GPUOpError 'device-lost' until recover().
   */
  onLost: ((message: string) => void) | null = null;

  static {
    newEngine = (...args) => new Engine(...args);
  }

  /** Use createEngine(). */
  private constructor(backend: Backend, opts: EngineInit = {}) {
    this.#backend = backend;
    this.#poisonOutputs = opts.poisonOutputs === true;
    this.#tiling = opts.tiling;
    this.#watch(backend);
  }

  #watch(backend: Backend): void {
    backend.onDeviceLost?.((message) => {
      if (this.#backend !== backend) return;
      this.#lostMessage = message;
      this.onLost?.(message);
    });
  }

  /** true when the GPU device under this engine was lost (recover() gives it a new backend). */
  get lost(): boolean {
    const be = this.#backend;
    return be !== null && be.lost === true;
  }

  /** The GPUDevice the engine runs on (null on the CPU). For tests and interop: do not destroy it. */
  get gpuDevice(): WebGPUDevice | null {
    return this.#backend?.gpuDevice ?? null;
  }

  /**
   * Replaces a lost (or any) backend with a fresh one: a new WebGPU device when the engine
   * had made its own (a device passed to createEngine cannot be recreated: pass a new one
   * as `device`, or the CPU takes over), else the CPU when `fallbackToCpu` (default true).
   * Every tensor made before is dead afterwards (using one throws GPUOpError 'device-lost';
   * dispose() still works): re-upload what you need from host copies. Rejects with a
   * GPUOpError 'device-lost' when no backend can be had; the engine is then unchanged. An
   * engine destroy()ed while it recovers stays destroyed (the recovery rejects with DisposedError,
   * also when no backend could be had, and frees a new one).
   * Returns the new backend's kind. A call made while a recovery is under way joins it, with
   * that recovery's options and outcome (two fits on one engine, or an onLost handler and a
   * fit, recover once).
   */
  async recover(options?: RecoverOptions): Promise<BackendKind> {
    const opts = checkRecoverOptions(options);
    this.#recovering ??= this.#recover(opts).finally(() => (this.#recovering = null));
    return this.#recovering;
  }

  async #recover(opts: RecoverOptions): Promise<BackendKind> {
    const old = this.#be;
    const fallback = opts.fallbackToCpu !== false;
    let next: Backend | null = null;
    let why = '';
    // A new device: when given one, when asked for WebGPU, or when the lost one was ours.
    // A CPU engine stays on the CPU unless asked; a caller's device cannot be recreated.
    const tryGpu = opts.backend !== 'cpu' &&
      (opts.device !== undefined || opts.backend === 'webgpu' || (old.kind === 'webgpu' && old.ownsDevice === true));
    if (tryGpu) {
      try {
        if (makeWebGPUBackend === null) throw new BackendUnavailableError('the WebGPU backend is not available in this build');
        next = await makeWebGPUBackend(opts.device, this.#tiling);
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
      }
    } else if (opts.backend !== 'cpu' && old.kind === 'webgpu') {
      why = 'the lost device was passed in by the caller and cannot be recreated (pass a new one as `device`)';
    }
    // destroy() while the new device was being made (the only await): it stays destroyed, and
    // a new backend goes too. Checked before the fallback decision, so that a recovery that
    // found no device rejects with DisposedError too, not with the GPUOpError below.
    if (this.#backend === null) {
      next?.destroy();
      throw new DisposedError('recover: the engine was destroyed while it was recovering');
    }
    if (next === null) {
      if (!fallback && opts.backend !== 'cpu' && old.kind === 'webgpu') {
        throw new GPUOpError('recover', 'device-lost', `no new GPU device (${why || 'not tried'}) and fallbackToCpu is false`);
      }
      next = new CpuBackend();
    }
    try {
      old.destroy();
    } catch {
      // a lost device may refuse; its buffers are gone anyway
    }
    this.#backend = next;
    this.#lostMessage = null;
    this.#liveTensors = 0; // the old tensors are dead; dispose() of one no longer counts
    this.#liveBytes = 0;
    this.#watch(next);
    return next.kind;
  }

  /** Which backend runs the ops. */
  get backend(): BackendKind {
    return this.#be.kind;
  }

  /** The WebGPU adapter (vendor, architecture, fallback or not); null on the CPU. */
  get adapterInfo(): AdapterInfoSummary | null {
    return this.#be.adapterInfo;
  }

  get limits(): EngineLimits {
    return this.#be.limits;
  }

  /** The WebGPU matmul/Gram kernel family ('workgroup' or 'register'); null on the CPU. */
  get tiling(): Tiling | null {
    return this.#be.tiling;
  }

  get #be(): Backend {
    if (this.#backend === null) throw new DisposedError('engine was used after destroy()');
    return this.#backend;
  }

  /** The live backend for running an op: throws GPUOpError 'device-lost' once the device is lost. */
  #live(op: string): Backend {
    const be = this.#be;
    if (be.lost === true) {
      throw new GPUOpError(op, 'device-lost', `${this.#lostMessage ?? 'the GPU device was lost'}; call engine.recover() to continue`);
    }
    return be;
  }

  // ---- tensors -------------------------------------------------------------------------

  /**
   * A tensor from values. `data` is a flat array/Float32Array (then `shape` is required
   * unless it is a vector) or nested rows (number[][], shape inferred).
   */
  tensor(data: TensorData, shape?: readonly number[]): Tensor {
    const { values, inferred } = flatten(data);
    const s = checkShape(shape ?? inferred);
    const size = s.length === 1 ? s[0] : s[0] * s[1];
    if (size !== values.length) {
      throw new ShapeError(`data has ${values.length} values but shape ${fmtShape(s)} needs ${size}`);
    }
    checkTensorBytes('tensor', s, this.#be.limits.maxBufferSize);
    return this.#wrap(this.#live('tensor').upload(values), s);
  }

  /** A tensor filled with zeros. */
  zeros(shape: readonly number[]): Tensor {
    const s = checkShape(shape);
    checkTensorBytes('zeros', s, this.#be.limits.maxBufferSize);
    return this.tensor(new Float32Array(s.length === 1 ? s[0] : s[0] * s[1]), s);
  }

  /** @internal */
  async readTensor(t: Tensor): Promise<Float32Array> {
    this.#own(t);
    return this.#live('read').read(t.buffer, t.size);
  }

  /**
   * @internal Tensor.dispose()'s half (call that instead). Frees the buffer once: the tensor
   * leaves #madeOn, so a second call (the method is public at run time) cannot count it twice.
   */
  disposeTensor(t: Tensor): void {
    if (this.#backend === null) return; // destroy() already freed everything
    if (this.#madeOn.get(t) !== this.#backend) return; // made before recover(): its backend is gone; or freed already
    this.#madeOn.delete(t);
    this.#backend.release(t.buffer);
    this.#liveTensors--;
    this.#liveBytes -= t.size * 4;
  }

  memory(): MemoryStats {
    return { liveTensors: this.#liveTensors, liveBytes: this.#liveBytes, ...this.#be.poolStats() };
  }

  /** Submit recorded GPU work now without waiting. */
  flush(): void {
    this.#be.flush();
  }

  /** Wait for all submitted work; throws a GPUOpError naming the op if one failed. */
  sync(): Promise<void> {
    try {
      return this.#live('sync').sync();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Free every buffer and the device (if the engine created it). Idempotent. */
  destroy(): void {
    this.#backend?.destroy();
    this.#backend = null;
  }

  // ---- linear algebra ------------------------------------------------------------------

  /** op(A)·op(B) where op transposes when asked: A [m,k] (or [k,m]), B [k,n] (or [n,k]). */
  matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
    return this.#matmul('matmul', a, b, null, 'identity', opts);
  }

  /** Fused act(X·W + b) in one dispatch: X [m,k], W [k,n], b [n] or null. */
  linear(x: Tensor, w: Tensor, b: Tensor | null, activation: Activation = 'identity', opts: MatmulOptions = {}): Tensor {
    return this.#matmul('linear', x, w, b, activation, opts);
  }

  /**
   * (op(A)·op(B)) ⊙ act'(y) in one dispatch, act' taken from the saved activation output
   * y [m, n] as activationBackward does: the gradient through a dense layer and the
   * activation below it, dZ = (dY·Wᵀ) ⊙ act'(Y), without the intermediate dY·Wᵀ.
   */
  matmulActivationBackward(a: Tensor, b: Tensor, y: Tensor, activation: Activation, opts: MatmulOptions = {}): Tensor {
    // A missing y would pick the forward epilogue: act(A·B), silently.
    if (!(y instanceof Tensor)) throw new ValueError(`matmulActivationBackward: y (the saved activation output) must be a Tensor, got ${describeValue(y)}`);
    return this.#matmul('matmulActivationBackward', a, b, null, activation, opts, y);
  }

  #matmul(
    op: string, a: Tensor, b: Tensor, bias: Tensor | null, activation: Activation, opts: MatmulOptions,
    gradOutput: Tensor | null = null,
  ): Tensor {
    const d = this.#matmulDims(op, a, b, optionsObject(op, opts, MATMUL_KEYS));
    if (bias !== null) {
      this.#own(bias);
      if (bias.size !== d.n || (bias.shape.length === 2 && bias.shape[0] !== 1)) {
        throw new ShapeError(`${op}: bias ${fmtShape(bias.shape)} must be [${d.n}] or [1, ${d.n}] for output [${d.m}, ${d.n}]`);
      }
    }
    if (gradOutput !== null) this.#outputShaped(op, 'y', gradOutput, d);
    const act = this.#resolveAct(activation);
    const out = this.#alloc([d.m, d.n]);
    return this.#fill(out, () => {
      this.#be.matmul({
        a: a.buffer, b: b.buffer, out: out.buffer, ...d,
        epilogue: gradOutput === null
          ? { kind: 'biasAct', bias: bias === null ? null : bias.buffer, act }
          : { kind: 'actGrad', y: gradOutput.buffer, act },
      });
    });
  }

  /**
   * In place SGD step of `param` [m, n] whose gradient is op(A)·op(B):
   * param −= lr·(op(A)·op(B) + weightDecay·param), the same arithmetic as sgdStep without
   * momentum, in one dispatch that never stores the gradient (e.g. W −= lr·Xᵀ·dZ).
   */
  sgdMatmulStep(param: Tensor, a: Tensor, b: Tensor, opts: MatmulOptions & SgdUpdateOptions): void {
    const o = optionsObject('sgdMatmulStep', opts, SGD_MATMUL_KEYS);
    const d = this.#matmulDims('sgdMatmulStep', a, b, o);
    this.#outputShaped('sgdMatmulStep', 'param', param, d);
    const sgd = sgdUpdateOf('sgdMatmulStep', o);
    distinct('sgdMatmulStep', { param, a }); // a and b may be one tensor (XᵀX)
    distinct('sgdMatmulStep', { param, b });
    this.#be.matmul({ a: a.buffer, b: b.buffer, out: param.buffer, ...d, epilogue: { kind: 'sgd', ...sgd } });
  }

  /** Checks op(A)·op(B) (both this engine's, inner dimensions equal) and returns its sizes; `o` is checked by the caller. */
  #matmulDims(op: string, a: Tensor, b: Tensor, o: MatmulOptions) {
    const transposeA = optionalBoolean('transposeA', o.transposeA, false);
    const transposeB = optionalBoolean('transposeB', o.transposeB, false);
    const [m, k] = matrixDims(op, 'A', a, transposeA);
    const [bk, n] = matrixDims(op, 'B', b, transposeB);
    if (k !== bk) {
      throw new ShapeError(
        `${op}: inner dimensions differ: A ${fmtShape(a.shape)}${transposeA ? 'ᵀ' : ''} has ${k} columns, ` +
          `B ${fmtShape(b.shape)}${transposeB ? 'ᵀ' : ''} has ${bk} rows`,
      );
    }
    this.#own(a);
    this.#own(b);
    return { m, n, k, transposeA, transposeB };
  }

  /** Checks that `t` is this engine's and has the product's shape [m, n]. */
  #outputShaped(op: string, role: string, t: Tensor, d: { m: number; n: number }): void {
    this.#own(t);
    if (t.shape.length !== 2 || t.shape[0] !== d.m || t.shape[1] !== d.n) {
      throw new ShapeError(`${op}: ${role} ${fmtShape(t.shape)} must be the product's shape [${d.m}, ${d.n}]`);
    }
  }

  // ---- activations ---------------------------------------------------------------------

  /** act(x) elementwise. */
  activation(x: Tensor, activation: Activation): Tensor {
    this.#own(x);
    const act = this.#resolveAct(activation);
    const out = this.#alloc(x.shape);
    return this.#fill(out, () => {
      this.#be.activation(x.buffer, out.buffer, x.size, act);
    });
  }

  /** σ(α·x), α a number or a [1] tensor (default 1). */
  sigmoid(x: Tensor, opts: AlphaOptions = {}): Tensor {
    return this.activation(x, { kind: 'sigmoid', alpha: optionsObject('sigmoid', opts, ALPHA_KEYS).alpha });
  }

  relu(x: Tensor): Tensor {
    return this.activation(x, 'relu');
  }

  leakyRelu(x: Tensor, slope?: number): Tensor {
    return this.activation(x, { kind: 'leakyRelu', slope });
  }

  tanh(x: Tensor): Tensor {
    return this.activation(x, 'tanh');
  }

  identity(x: Tensor): Tensor {
    return this.activation(x, 'identity');
  }

  /** dx = dy · act'(x), computed from the saved forward output y. */
  activationBackward(dy: Tensor, y: Tensor, activation: Activation): Tensor {
    this.#sameShapes('activationBackward', dy, y);
    const act = this.#resolveAct(activation);
    const dx = this.#alloc(dy.shape);
    return this.#fill(dx, () => {
      this.#be.activationBackward(dy.buffer, y.buffer, dx.buffer, dy.size, act);
    });
  }

  /**
   * Backward of y = σ(α·x): dx = dy·α·y·(1−y) and dα = Σ dy·x·y·(1−y) (a [1] tensor).
   */
  sigmoidBackward(dy: Tensor, x: Tensor, y: Tensor, opts: AlphaOptions = {}): { dx: Tensor; dAlpha: Tensor } {
    this.#sameShapes('sigmoidBackward', dy, x);
    this.#sameShapes('sigmoidBackward', dy, y);
    const act = this.#resolveAct({ kind: 'sigmoid', alpha: optionsObject('sigmoidBackward', opts, ALPHA_KEYS).alpha });
    const terms = this.#alloc(dy.shape);
    const dx = this.#alloc(dy.shape);
    const dAlpha = this.#alloc([1]);
    try {
      this.#be.sigmoidBackward(dy.buffer, x.buffer, y.buffer, dx.buffer, terms.buffer, dy.size, act);
      this.#be.sum(terms.buffer, dAlpha.buffer, dy.size, 1);
      return { dx, dAlpha };
    } catch (err) {
      dx.dispose();
      dAlpha.dispose();
      throw err;
    } finally {
      terms.dispose();
    }
  }

  // ---- elementwise and reductions ------------------------------------------------------

  add(a: Tensor, b: Tensor): Tensor {
    return this.#binary('add', a, b);
  }

  sub(a: Tensor, b: Tensor): Tensor {
    return this.#binary('sub', a, b);
  }

  /** Elementwise (Hadamard) product. */
  mul(a: Tensor, b: Tensor): Tensor {
    return this.#binary('mul', a, b);
  }

  #binary(op: 'add' | 'sub' | 'mul', a: Tensor, b: Tensor): Tensor {
    this.#sameShapes(op, a, b);
    const out = this.#alloc(a.shape);
    return this.#fill(out, () => {
      this.#be.binary(op, a.buffer, b.buffer, out.buffer, a.size);
    });
  }

  /** s · x. */
  scale(x: Tensor, s: number): Tensor {
    this.#own(x);
    checkFinite('scale factor', s);
    const out = this.#alloc(x.shape);
    return this.#fill(out, () => {
      this.#be.scale(x.buffer, out.buffer, x.size, s);
    });
  }

  /** x + b broadcast over rows: x [rows, cols], b [cols] or [1, cols]. */
  biasAdd(x: Tensor, b: Tensor): Tensor {
    this.#own(x);
    this.#own(b);
    if (b.size !== x.cols || (b.shape.length === 2 && b.shape[0] !== 1)) {
      throw new ShapeError(`biasAdd: bias ${fmtShape(b.shape)} must be [${x.cols}] or [1, ${x.cols}] for x ${fmtShape(x.shape)}`);
    }
    const out = this.#alloc(x.shape);
    return this.#fill(out, () => {
      this.#be.biasAdd(x.buffer, b.buffer, out.buffer, x.rows, x.cols);
    });
  }

  /** Column sums of x [rows, cols] → [cols] (the bias gradient). */
  colSums(x: Tensor): Tensor {
    this.#own(x);
    const out = this.#alloc([x.cols]);
    return this.#fill(out, () => {
      this.#be.colSums(x.buffer, out.buffer, x.rows, x.cols);
    });
  }

  /**
   * In place SGD step of the bias `param` [cols] whose gradient is colSums(x), x [rows, cols]
   * (a vector is one row, as in colSums):
   * param −= lr·(colSums(x) + weightDecay·param), the same arithmetic as sgdStep without
   * momentum, with the column sums never stored (e.g. b −= lr·Σ_rows dZ).
   */
  sgdColSumsStep(param: Tensor, x: Tensor, opts: SgdUpdateOptions): void {
    const op = 'sgdColSumsStep';
    const o = optionsObject(op, opts, SGD_UPDATE_KEYS);
    this.#own(param);
    this.#own(x);
    if (param.shape.length !== 1 || param.shape[0] !== x.cols) {
      throw new ShapeError(`${op}: param must be a vector [${x.cols}] (one per column of x ${fmtShape(x.shape)}), got ${fmtShape(param.shape)}`);
    }
    const sgd = sgdUpdateOf(op, o);
    distinct(op, { param, x });
    this.#be.colSums(x.buffer, param.buffer, x.rows, x.cols, sgd);
  }

  /** Σ of all elements → [1]. */
  sum(x: Tensor): Tensor {
    this.#own(x);
    const out = this.#alloc([1]);
    return this.#fill(out, () => {
      this.#be.sum(x.buffer, out.buffer, x.size, 1);
    });
  }

  /** Mean of all elements → [1]. */
  mean(x: Tensor): Tensor {
    this.#own(x);
    const out = this.#alloc([1]);
    return this.#fill(out, () => {
      this.#be.sum(x.buffer, out.buffer, x.size, 1 / x.size);
    });
  }

  // ---- kernels -------------------------------------------------------------------------

  /**
   * Gram matrix K[i, j] = k(x_i, y_j), X [n, d], Y [m, d] (Y omitted: K(X, X)), in one
   * fused pass. Kernels and defaults follow scikit-learn (γ = 1/d, c₀ = 1, degree 3);
   * 'projected-sigmoid' is σ(αᵀx_i + βᵀy_j + γ) (γ default 0). For N×M larger than one
   * buffer, stream it with gramTiles / gramMatrix (src/kernels/gram-tiled.ts). WebGPU sums in
   * float32: an entry whose sum overflowed is NaN (±Inf or NaN for linear and polynomial; rbf
   * gives 0 where γ saturates it anyway); the CPU backend sums in float64.
   */
  gram(x: Tensor, y?: Tensor | null, opts: GramOptions = {}): Tensor {
    const yy = y ?? x;
    this.#own(x);
    this.#own(yy);
    const [n, d] = matrixDims('gram', 'X', x, false);
    const [m, dy] = matrixDims('gram', 'Y', yy, false);
    if (d !== dy) {
      throw new ShapeError(`gram: X ${fmtShape(x.shape)} and Y ${fmtShape(yy.shape)} must have the same number of columns (features)`);
    }
    const o = resolveGramOptions(optionsObject('gram', opts, GRAM_KEYS), d);
    const out = this.#alloc([n, m]);
    return this.#fill(out, () => {
      const be = this.#be;
      // α and β (projected-sigmoid) live only for this op: released once it is recorded
      // (the WebGPU pool orders later reuse after it).
      const alpha = o.alpha ? be.upload(o.alpha) : null;
      const beta = o.beta ? be.upload(o.beta) : null;
      try {
        be.gram({
          x: x.buffer, y: yy.buffer, out: out.buffer, n, m, d,
          kernel: o.kernel, gamma: o.gamma, coef0: o.coef0, degree: o.degree, alpha, beta,
        });
      } finally {
        if (alpha) be.release(alpha);
        if (beta) be.release(beta);
      }
    });
  }

  // ---- training primitives -------------------------------------------------------------

  /** Rows src[indices[start + r]] for r < count → [count, cols]; indices hold row numbers. */
  gatherRows(src: Tensor, indices: Tensor, start = 0, count?: number): Tensor {
    this.#own(src);
    this.#own(indices);
    count ??= indices.size - start;
    if (src.shape.length !== 2) throw new ShapeError(`gatherRows: src must be a matrix, got ${fmtShape(src.shape)}`);
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > indices.size) {
      throw new ValueError(`gatherRows: rows ${start}..${start + count} are outside the ${indices.size} indices`);
    }
    const out = this.#alloc([count, src.cols]);
    return this.#fill(out, () => this.#be.gatherRows(src.buffer, indices.buffer, out.buffer, start, count, src.cols));
  }

  /**
   * Mean loss ([1] tensor) of pred against target (same shape) and its gradient with
   * respect to pred. mse and binaryCrossEntropy average over all elements,
   * softmaxCrossEntropy over rows; both cross-entropies take logits.
   */
  lossGrad(kind: LossKind, pred: Tensor, target: Tensor): { loss: Tensor; grad: Tensor } {
    if (!LOSS_KINDS.includes(kind)) throw new ValueError(`unknown loss ${JSON.stringify(kind)}; expected one of ${LOSS_KINDS.join(', ')}`);
    this.#sameShapes(kind, pred, target);
    const scale = kind === 'softmaxCrossEntropy' ? 1 / pred.rows : 1 / pred.size;
    const rowLoss = this.#alloc([pred.rows]);
    const grad = this.#alloc(pred.shape);
    const loss = this.#alloc([1]);
    try {
      this.#be.lossGrad(kind, pred.buffer, target.buffer, grad.buffer, rowLoss.buffer, pred.rows, pred.cols, scale);
      this.#be.sum(rowLoss.buffer, loss.buffer, pred.rows, 1); // the rows' losses come scaled
      return { loss, grad };
    } catch (err) {
      loss.dispose();
      grad.dispose();
      throw err;
    } finally {
      rowLoss.dispose();
    }
  }

  /**
   * Number of correct predictions ([1] tensor). 'binary': pred logits > 0 against
   * target > 0.5, per element; 'multiclass': row argmax of pred against row argmax of
   * target. A NaN pred or target is never correct ('multiclass': its row is wrong).
   */
  countCorrect(kind: 'binary' | 'multiclass', pred: Tensor, target: Tensor): Tensor {
    if (kind !== 'binary' && kind !== 'multiclass') throw new ValueError(`countCorrect: kind must be 'binary' or 'multiclass', got ${JSON.stringify(kind)}`);
    this.#sameShapes('countCorrect', pred, target);
    const rowCorrect = this.#alloc([pred.rows]);
    try {
      const out = this.#alloc([1]);
      return this.#fill(out, () => {
        this.#be.countCorrect(kind, pred.buffer, target.buffer, rowCorrect.buffer, pred.rows, pred.cols);
        this.#be.sum(rowCorrect.buffer, out.buffer, pred.rows, 1);
      });
    } finally {
      rowCorrect.dispose();
    }
  }

  /** Row-wise softmax of x [rows, cols]. */
  softmax(x: Tensor): Tensor {
    this.#own(x);
    const out = this.#alloc(x.shape);
    return this.#fill(out, () => this.#be.softmaxRows(x.buffer, out.buffer, x.rows, x.cols));
  }

  /** Σ x² → [1] (a squared L2 norm), by tree reduction. */
  sumSquares(x: Tensor): Tensor {
    this.#own(x);
    const out = this.#alloc([1]);
    return this.#fill(out, () => this.#be.sum(x.buffer, out.buffer, x.size, 1, true));
  }

  /**
   * In place: acc += a · x (same shapes), or, with `offset`, acc's flat elements
   * [offset, offset + x.size) += a · x — e.g. to gather GPU-resident scalars into one
   * tensor that is read back once.
   */
  axpyInto(acc: Tensor, x: Tensor, a = 1, offset?: number): void {
    checkFinite('axpyInto factor', a);
    if (offset === undefined) {
      this.#sameShapes('axpyInto', acc, x);
    } else {
      this.#own(acc);
      this.#own(x);
      if (!Number.isInteger(offset) || offset < 0 || offset + x.size > acc.size) {
        throw new ValueError(`axpyInto: ${x.size} values at offset ${describeValue(offset)} do not fit in ${acc} (${acc.size} values)`);
      }
    }
    this.#be.axpyInto(acc.buffer, x.buffer, x.size, a, offset ?? 0);
  }

  /** In place SGD update of `param` from `grad` (velocity null: no momentum). */
  sgdStep(param: Tensor, grad: Tensor, velocity: Tensor | null, opts: SgdStepOptions): void {
    const o = optionsObject('sgdStep', opts, SGD_STEP_KEYS);
    this.#sameShapes('sgdStep', param, grad);
    if (velocity !== null) this.#sameShapes('sgdStep', param, velocity);
    const momentum = o.momentum ?? 0;
    const weightDecay = o.weightDecay ?? 0;
    checkInRange('lr', o.lr, 0, Infinity);
    checkInRange('momentum', momentum, 0, 1);
    checkInRange('weightDecay', weightDecay, 0, Infinity);
    if (momentum > 0 && velocity === null) throw new ValueError('sgdStep: momentum > 0 needs a velocity tensor');
    distinct('sgdStep', { param, grad, ...(velocity ? { velocity } : {}) });
    this.#be.sgdUpdate(param.buffer, grad.buffer, momentum > 0 ? velocity!.buffer : null, param.size, o.lr, momentum, weightDecay);
  }

  /** In place Adam update (PyTorch's form); `step` is the 1-based update count for bias correction. */
  adamStep(
    param: Tensor, grad: Tensor, m: Tensor, v: Tensor,
    opts: AdamStepOptions,
  ): void {
    const o = optionsObject('adamStep', opts, ADAM_STEP_KEYS);
    this.#sameShapes('adamStep', param, grad);
    this.#sameShapes('adamStep', param, m);
    this.#sameShapes('adamStep', param, v);
    distinct('adamStep', { param, grad, m, v });
    const beta1 = o.beta1 ?? 0.9;
    const beta2 = o.beta2 ?? 0.999;
    const eps = o.eps ?? 1e-8;
    const weightDecay = o.weightDecay ?? 0;
    checkInRange('lr', o.lr, 0, Infinity);
    checkInRange('beta1', beta1, 0, 1);
    checkInRange('beta2', beta2, 0, 1);
    checkPositive('eps', eps);
    checkInRange('weightDecay', weightDecay, 0, Infinity);
    if (!Number.isInteger(o.step) || o.step < 1) throw new ValueError(`adam step must be an integer ≥ 1, got ${describeValue(o.step)}`);
    const c1 = 1 / (1 - beta1 ** o.step);
    const c2 = 1 / (1 - beta2 ** o.step);
    this.#be.adamUpdate(param.buffer, grad.buffer, m.buffer, v.buffer, param.size, o.lr, beta1, beta2, eps, weightDecay, c1, c2);
  }

  // ---- internals -----------------------------------------------------------------------

  /** An op's output tensor; NaN-filled first when poisonOutputs is on, so an unwritten element shows. */
  #alloc(shape: Shape): Tensor {
    checkTensorBytes('output tensor', shape, this.#be.limits.maxBufferSize);
    const size = shape.length === 1 ? shape[0] : shape[0] * shape[1];
    const buf = this.#be.alloc(size);
    if (this.#poisonOutputs) this.#be.fill(buf, size, Number.NaN);
    return this.#wrap(buf, shape);
  }

  #wrap(buf: BackendBuffer, shape: Shape): Tensor {
    this.#liveTensors++;
    this.#liveBytes += buf.length * 4;
    const t = newTensor(this, buf, shape);
    this.#madeOn.set(t, this.#backend!);
    return t;
  }

  /** Runs the backend op that writes `out`; if it throws, `out` is freed so nothing leaks. */
  #fill(out: Tensor, op: () => void): Tensor {
    try {
      op();
      return out;
    } catch (err) {
      out.dispose();
      throw err;
    }
  }

  /** resolveActivation, and a sigmoid's [1] α tensor must be this engine's, alive. */
  #resolveAct(activation: Activation | undefined): ActivationSpec {
    const spec = resolveActivation(activation);
    if (typeof activation === 'object' && activation !== null && activation.kind === 'sigmoid' && activation.alpha instanceof Tensor) {
      this.#own(activation.alpha);
    }
    return spec;
  }

  /** @internal The tensor is usable: alive, on the current backend, which is not lost. */
  isCurrent(t: Tensor): boolean {
    return !t.disposed && !this.lost && this.#backend !== null && this.#madeOn.get(t) === this.#backend;
  }

  /** Checks the tensor belongs to this engine and is alive (and not from a lost backend). */
  #own(t: Tensor): Tensor {
    if (!(t instanceof Tensor)) throw new ValueError(`expected a Tensor, got ${describeValue(t)}`);
    if (t.owner !== this) throw new ValueError(`${t} belongs to another engine`);
    void t.buffer; // throws DisposedError when disposed
    if (this.#backend === null) return t;
    const made = this.#madeOn.get(t);
    if (made === undefined) throw new DisposedError(`${t} was freed (engine.disposeTensor) or not made by this engine`);
    if (made !== this.#backend) {
      throw new GPUOpError('tensor', 'device-lost', `${t} was made on a GPU device that was lost (before engine.recover()); upload it again (a model: await model.recover())`);
    }
    return t;
  }

  #sameShapes(op: string, a: Tensor, b: Tensor): void {
    this.#own(a);
    this.#own(b);
    if (!sameShape(a.shape, b.shape)) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} must be equal`);
    }
  }
}

export const LOSS_KINDS: readonly LossKind[] = ['mse', 'binaryCrossEntropy', 'softmaxCrossEntropy'];

/**
 * Throws a ValueError unless `engine` is an Engine. An engine left out (Keras and scikit-learn
 * take none) or a createEngine() not awaited otherwise failed later as a bare TypeError, or as
 * a complaint about the argument after it.
 */
export function checkEngine(what: string, engine: unknown): asserts engine is Engine {
  if (engine instanceof Engine) return;
  const got = typeof (engine as { then?: unknown } | null | undefined)?.then === 'function' ? 'a Promise' : describeValue(engine);
  throw new ValueError(`${what}: the engine must be an Engine (const engine = await createEngine()), got ${got}`);
}

/** In-place updates write several tensors: passing one tensor in two roles would give backend-dependent results. */
function distinct(op: string, roles: Record<string, Tensor>): void {
  const seen = new Map<BackendBuffer, string>();
  for (const [role, t] of Object.entries(roles)) {
    const other = seen.get(t.buffer);
    if (other !== undefined) throw new ValueError(`${op}: the same tensor was passed as ${other} and ${role}; they must be distinct`);
    seen.set(t.buffer, role);
  }
}

/** The checked plain-SGD settings of a fused update (sgdMatmulStep, sgdColSumsStep). */
function sgdUpdateOf(op: string, o: SgdUpdateOptions): SgdUpdate {
  const weightDecay = o.weightDecay ?? 0;
  checkInRange('lr', o.lr, 0, Infinity);
  checkInRange('weightDecay', weightDecay, 0, Infinity);
  return { lr: o.lr, weightDecay };
}

/** [rows, cols] of op(t) for a matrix operand; vectors are rejected. */
function matrixDims(op: string, name: string, t: Tensor, transpose: boolean): [number, number] {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}: ${name} must be a Tensor, got ${describeValue(t)}`);
  if (t.shape.length !== 2) throw new ShapeError(`${op}: ${name} must be a matrix [rows, cols], got ${fmtShape(t.shape)}`);
  const [r, c] = t.shape;
  return transpose ? [c, r] : [r, c];
}

function flatten(data: TensorData): { values: Float32Array; inferred: number[] } {
  if (data instanceof Float32Array) return { values: new Float32Array(data), inferred: [data.length] };
  if (!Array.isArray(data)) throw new ValueError(`tensor data must be a Float32Array or an array, got ${describeValue(data)}`);
  if (data.length > 0 && isRow(data[0])) {
    const cols = data[0].length;
    return { values: rowValues('tensor data', data, cols), inferred: [data.length, cols] };
  }
  return { values: flatValues('tensor data', data), inferred: [data.length] };
}
