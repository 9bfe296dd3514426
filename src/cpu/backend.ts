// The CPU backend: every op of the Backend interface on Float32Arrays, run eagerly on the
// calling thread. It is the fallback where WebGPU is missing and the reference the GPU
// backend is tested against, so it favours accuracy: sums, dot products and activations
// are computed in float64 and rounded to float32 once, when stored. Op families live in
// their own files: matmul.ts, activations.ts, reduce.ts, gram.ts, train.ts (losses, metrics,
// optimizer updates); buffers in pool.ts.
//
// Limits reported (there is no device; these say what this backend accepts):
//   maxBufferSize = maxStorageBufferBindingSize = 2^31 − 4 bytes (2^29 − 1 floats; one
//     Float32Array, comfortably under V8's typed-array maximum on every platform),
//   and, for the shader-only limits that mean nothing here, WebGPU's guaranteed
//   defaults (8 storage buffers per stage, 65535 workgroups per dimension, 256
//   invocations per workgroup, 16 KiB workgroup storage), so code that sizes its work
//   from `engine.limits` picks the same tiling on both backends.

import type { ActivationSpec, Backend, BackendBuffer, GramParams, MatmulParams, SgdUpdate } from '../backend.js';
import { DisposedError, ValueError } from '../errors.js';
import type { EngineLimits, LossKind } from '../types.js';
import { activateInto, activationGradInto, resolveAct, type ResolvedAct } from './activations.js';
import { gram } from './gram.js';
import { matmul } from './matmul.js';
import { CpuBuffer, CpuPool } from './pool.js';
import { colSums, pairwiseSum, pairwiseSumSquares } from './reduce.js';
import * as train from './train.js';

const IDENTITY: ResolvedAct = { kind: 'identity', alpha: 1, slope: 0 };

export const CPU_LIMITS: EngineLimits = Object.freeze({
  maxStorageBufferBindingSize: 2 ** 31 - 4,
  maxBufferSize: 2 ** 31 - 4,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 16384,
});

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly adapterInfo = null;
  readonly tiling = null;
  readonly limits: EngineLimits = CPU_LIMITS;
  #pool = new CpuPool();
  #destroyed = false;

  // ---- buffers -------------------------------------------------------------------------

  upload(data: Float32Array): BackendBuffer {
    const buf = this.alloc(data.length);
    (buf as CpuBuffer).data.set(data);
    return buf;
  }

  alloc(length: number): BackendBuffer {
    this.#alive();
    if (!Number.isInteger(length) || length < 0) throw new ValueError(`buffer length must be an integer ≥ 0, got ${length}`);
    return new CpuBuffer(this.#pool.take(length));
  }

  read(buf: BackendBuffer, length: number): Promise<Float32Array> {
    this.#alive();
    return Promise.resolve(arr(buf).slice(0, length));
  }

  fill(buf: BackendBuffer, length: number, value: number): void {
    arr(buf).fill(value, 0, length);
  }

  release(buf: BackendBuffer): void {
    if (this.#destroyed) return; // destroy() already dropped everything
    if (!(buf instanceof CpuBuffer)) throw new ValueError('release(): not a CPU backend buffer');
    const data = buf.detach();
    if (data !== null) this.#pool.give(data);
  }

  poolStats(): { pooledBytes: number; pooledBuffers: number } {
    return this.#pool.stats();
  }

  destroy(): void {
    this.#pool.clear();
    this.#destroyed = true;
  }

  flush(): void {}

  sync(): Promise<void> {
    return Promise.resolve();
  }

  // ---- ops -----------------------------------------------------------------------------

  matmul(p: MatmulParams): void {
    const ep = p.epilogue;
    const a = arr(p.a);
    const b = arr(p.b);
    if (ep.kind === 'biasAct') {
      matmul({ a, b, out: arr(p.out), bias: ep.bias === null ? null : arr(ep.bias) }, p, this.#act(ep.act));
      return;
    }
    // The product rounded to float32, then the same arithmetic as the unfused op
    // (activationBackward, sgdUpdate): the same numbers as the two ops one after the other.
    if (ep.kind === 'actGrad') {
      const out = arr(p.out);
      matmul({ a, b, out, bias: null }, p, IDENTITY);
      activationGradInto(out, arr(ep.y), out, p.m * p.n, this.#act(ep.act));
      return;
    }
    this.#sgdFrom(arr(p.out), p.m * p.n, ep, (grad) => matmul({ a, b, out: grad, bias: null }, p, IDENTITY));
  }

  /** SGD of param [n] (SgdUpdate) with the gradient `fill` writes into a pooled scratch array. */
  #sgdFrom(param: Float32Array, n: number, sgd: SgdUpdate, fill: (grad: Float32Array) => void): void {
    const grad = this.#pool.take(n); // not a new array per step
    try {
      fill(grad);
      train.sgdUpdate(param, grad, null, n, sgd.lr, 0, sgd.weightDecay);
    } finally {
      this.#pool.give(grad);
    }
  }

  activation(x: BackendBuffer, out: BackendBuffer, n: number, act: ActivationSpec): void {
    activateInto(arr(x), 0, arr(out), 0, n, this.#act(act));
  }

  activationBackward(dy: BackendBuffer, y: BackendBuffer, dx: BackendBuffer, n: number, act: ActivationSpec): void {
    activationGradInto(arr(dy), arr(y), arr(dx), n, this.#act(act));
  }

  sigmoidBackward(
    dy: BackendBuffer, x: BackendBuffer, y: BackendBuffer,
    dx: BackendBuffer, terms: BackendBuffer, n: number, act: ActivationSpec,
  ): void {
    const a = this.#act(act).alpha;
    const dyA = arr(dy), xA = arr(x), yA = arr(y), dxA = arr(dx), tA = arr(terms);
    for (let i = 0; i < n; i++) {
      const yi = yA[i]!;
      const g = dyA[i]! * (yi * (1 - yi)); // dy·σ'(z)/α, never dy·x first (that could overflow)
      dxA[i] = g * a;
      tA[i] = g * xA[i]!;
    }
  }

  binary(op: 'add' | 'sub' | 'mul', a: BackendBuffer, b: BackendBuffer, out: BackendBuffer, n: number): void {
    const aA = arr(a), bA = arr(b), o = arr(out);
    if (op === 'add') for (let i = 0; i < n; i++) o[i] = aA[i]! + bA[i]!;
    else if (op === 'sub') for (let i = 0; i < n; i++) o[i] = aA[i]! - bA[i]!;
    else for (let i = 0; i < n; i++) o[i] = aA[i]! * bA[i]!;
  }

  scale(x: BackendBuffer, out: BackendBuffer, n: number, s: number): void {
    const xA = arr(x), o = arr(out);
    for (let i = 0; i < n; i++) o[i] = s * xA[i]!;
  }

  biasAdd(x: BackendBuffer, bias: BackendBuffer, out: BackendBuffer, rows: number, cols: number): void {
    const xA = arr(x), bA = arr(bias), o = arr(out);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) o[base + c] = xA[base + c]! + bA[c]!;
    }
  }

  colSums(x: BackendBuffer, out: BackendBuffer, rows: number, cols: number, sgd?: SgdUpdate): void {
    if (sgd === undefined) colSums(arr(x), arr(out), rows, cols);
    else this.#sgdFrom(arr(out), cols, sgd, (grad) => colSums(arr(x), grad, rows, cols));
  }

  sum(x: BackendBuffer, out: BackendBuffer, n: number, scale: number, square = false): void {
    arr(out)[0] = scale * (square ? pairwiseSumSquares(arr(x), 0, n) : pairwiseSum(arr(x), 0, n));
  }

  gram(p: GramParams): void {
    gram(arr(p.x), arr(p.y), arr(p.out), p, p.alpha && arr(p.alpha), p.beta && arr(p.beta));
  }

  // ---- training primitives -------------------------------------------------------------

  gatherRows(src: BackendBuffer, idx: BackendBuffer, out: BackendBuffer, start: number, count: number, cols: number): void {
    train.gatherRows(arr(src), arr(idx), arr(out), start, count, cols);
  }

  lossGrad(
    kind: LossKind, pred: BackendBuffer, target: BackendBuffer,
    grad: BackendBuffer, rowLoss: BackendBuffer, rows: number, cols: number, gradScale: number,
  ): void {
    train.lossGrad(kind, arr(pred), arr(target), arr(grad), arr(rowLoss), rows, cols, gradScale);
  }

  countCorrect(
    kind: 'binary' | 'multiclass', pred: BackendBuffer, target: BackendBuffer, rowCorrect: BackendBuffer,
    rows: number, cols: number,
  ): void {
    train.countCorrect(kind, arr(pred), arr(target), arr(rowCorrect), rows, cols);
  }

  softmaxRows(x: BackendBuffer, out: BackendBuffer, rows: number, cols: number): void {
    train.softmaxRows(arr(x), arr(out), rows, cols);
  }

  axpyInto(acc: BackendBuffer, x: BackendBuffer, n: number, a: number, offset: number): void {
    train.axpyInto(arr(acc), arr(x), n, a, offset);
  }

  sgdUpdate(p: BackendBuffer, g: BackendBuffer, vel: BackendBuffer | null, n: number, lr: number, momentum: number, weightDecay: number): void {
    train.sgdUpdate(arr(p), arr(g), vel === null ? null : arr(vel), n, lr, momentum, weightDecay);
  }

  adamUpdate(
    p: BackendBuffer, g: BackendBuffer, m: BackendBuffer, v: BackendBuffer, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, c1: number, c2: number,
  ): void {
    train.adamUpdate(arr(p), arr(g), arr(m), arr(v), n, lr, beta1, beta2, eps, weightDecay, c1, c2);
  }

  // ---- internals -----------------------------------------------------------------------

  #alive(): void {
    if (this.#destroyed) throw new DisposedError('CPU backend was used after destroy()');
  }

  #act(spec: ActivationSpec): ResolvedAct {
    return resolveAct(spec, spec.alphaBuf === null ? null : arr(spec.alphaBuf)[0]!);
  }
}

function arr(buf: BackendBuffer): Float32Array {
  if (!(buf instanceof CpuBuffer)) throw new ValueError('not a CPU backend buffer (tensors cannot move between engines)');
  return buf.data;
}
