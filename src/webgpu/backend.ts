// The WebGPU backend: every op of src/backend.ts as one or a few compute dispatches
// recorded by the scheduler (nothing runs until a flush, sync or read), on buffers from
// the pool, with pipelines compiled once per (shader, entry point, constants).

import type { ActivationSpec, Backend, BackendBuffer, GramParams, MatmulParams } from '../backend.js';
import { ValueError } from '../errors.js';
import type { AdapterInfoSummary, EngineLimits, GramKernel } from '../types.js';
import { BufferPool, GpuBuffer } from './buffers.js';
import { acquireDevice } from './device.js';
import { PipelineCache } from './pipelines.js';
import { Scheduler } from './scheduler.js';

// Codes of the ACT and KERNEL override constants (see shaders/common.wgsl, gram.wgsl).
const ACT_CODE: Record<ActivationSpec['kind'], number> = {
  identity: 0, sigmoid: 1, relu: 2, leakyRelu: 3, tanh: 4,
};
const KERNEL_CODE: Record<GramKernel, number> = {
  sigmoid: 0, logistic: 1, linear: 2, polynomial: 3, rbf: 4,
};
const BINARY_CODE = { add: 0, sub: 1, mul: 2 } as const;

const TILE = 64; // matmul.wgsl / gram.wgsl output tile
const ELEMENTWISE_WG = 256; // elements per elementwise workgroup
const SUM_BLOCK = 1024; // elements per sum_partial workgroup
const COL_BLOCK_COLS = 32; // col_sums_partial workgroup: 32 columns × 128 rows
const COL_BLOCK_ROWS = 128;

const STORAGE = 0x80;

/**
 * A WebGPU backend on `device` (used as it is, never destroyed by us), or on a device
 * acquired here. Throws BackendUnavailableError when there is no WebGPU.
 */
export async function createWebGPUBackend(opts: { device?: GPUDevice } = {}): Promise<Backend> {
  return new WebGPUBackend(await acquireDevice(opts.device));
}

class WebGPUBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly adapterInfo: AdapterInfoSummary | null;
  readonly limits: EngineLimits;
  readonly #device: GPUDevice;
  readonly #owned: boolean;
  readonly #sched: Scheduler;
  readonly #pool: BufferPool;
  readonly #pipes: PipelineCache;
  /** 1.0: bound as alpha_buf when the sigmoid scale is a plain number, and as an unused bias. */
  readonly #one: GPUBuffer;
  #destroyed = false;

  constructor(acq: { device: GPUDevice; owned: boolean; adapterInfo: AdapterInfoSummary | null; limits: EngineLimits }) {
    this.#device = acq.device;
    this.#owned = acq.owned;
    this.adapterInfo = acq.adapterInfo;
    this.limits = acq.limits;
    this.#sched = new Scheduler(this.#device, this.limits, this.#owned);
    this.#pool = new BufferPool(this.#device, this.limits, this.#sched);
    this.#pipes = new PipelineCache(this.#device);
    this.#one = this.#device.createBuffer({ label: 'sigmoid-core one', size: 16, usage: STORAGE, mappedAtCreation: true });
    new Float32Array(this.#one.getMappedRange()).set([1, 1, 1, 1]);
    this.#one.unmap();
  }

  // ---- buffers ---------------------------------------------------------------------------

  upload(data: Float32Array): BackendBuffer {
    return this.#sched.op('upload', () => {
      const buf = this.#pool.acquire(data.length, true);
      if (data.length > 0) this.#device.queue.writeBuffer(buf.gpu, 0, data.buffer, data.byteOffset, data.byteLength);
      return buf;
    });
  }

  alloc(length: number): BackendBuffer {
    return this.#sched.op('alloc', () => this.#pool.acquire(length, false));
  }

  async read(buf: BackendBuffer, length: number): Promise<Float32Array> {
    const src = gpuOf(buf);
    if (length === 0) {
      await this.#sched.checkErrors();
      return new Float32Array(0);
    }
    const bytes = length * 4;
    const staging = this.#sched.op('read', () => this.#pool.acquireStaging(bytes));
    const out = await this.#sched.readback('read', src, staging.gpu, bytes);
    this.#pool.releaseStaging(staging);
    return out;
  }

  fill(buf: BackendBuffer, length: number, value: number): void {
    const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
    this.#elementwise('fill', 'fill', {}, [[5, gpuOf(buf)]], length, [0, bits, 0], []);
  }

  release(buf: BackendBuffer): void {
    if (!(buf instanceof GpuBuffer)) throw new ValueError('release: not a buffer of this WebGPU backend');
    this.#pool.release(buf);
  }

  // ---- ops -------------------------------------------------------------------------------

  matmul(p: MatmulParams): void {
    const tilesN = Math.ceil(p.n / TILE);
    const total = tilesN * Math.ceil(p.m / TILE);
    this.#sched.op('matmul', () => {
      const pipeline = this.#pipes.get('matmul', 'matmul', {
        TRANS_A: p.transposeA, TRANS_B: p.transposeB, HAS_BIAS: p.bias !== null, ACT: ACT_CODE[p.act.kind],
      });
      this.#sched.dispatch('matmul', {
        pipeline,
        buffers: [
          [1, gpuOf(p.a)], [2, gpuOf(p.b)], [3, p.bias === null ? this.#one : gpuOf(p.bias)],
          [4, this.#alphaBuf(p.act)], [5, gpuOf(p.out)],
        ],
        u32: [p.m, p.n, p.k, tilesN, total],
        f32: [p.act.alpha, p.act.slope],
        workgroups: total,
      });
    });
  }

  activation(x: BackendBuffer, out: BackendBuffer, n: number, act: ActivationSpec): void {
    this.#elementwise('activation', 'act_forward', { ACT: ACT_CODE[act.kind] },
      [[1, gpuOf(x)], [4, this.#alphaBuf(act)], [5, gpuOf(out)]], n, [0, 0, 0], [act.alpha, act.slope, 0]);
  }

  activationBackward(dy: BackendBuffer, y: BackendBuffer, dx: BackendBuffer, n: number, act: ActivationSpec): void {
    this.#elementwise('activationBackward', 'act_backward', { ACT: ACT_CODE[act.kind] },
      [[1, gpuOf(dy)], [2, gpuOf(y)], [4, this.#alphaBuf(act)], [5, gpuOf(dx)]], n, [0, 0, 0], [act.alpha, act.slope, 0]);
  }

  sigmoidBackward(
    dy: BackendBuffer, x: BackendBuffer, y: BackendBuffer,
    dx: BackendBuffer, terms: BackendBuffer, n: number, act: ActivationSpec,
  ): void {
    this.#elementwise('sigmoidBackward', 'sigmoid_backward', {},
      [[1, gpuOf(dy)], [2, gpuOf(x)], [3, gpuOf(y)], [4, this.#alphaBuf(act)], [5, gpuOf(dx)], [6, gpuOf(terms)]],
      n, [0, 0, 0], [act.alpha, act.slope, 0]);
  }

  binary(op: 'add' | 'sub' | 'mul', a: BackendBuffer, b: BackendBuffer, out: BackendBuffer, n: number): void {
    const code = BINARY_CODE[op];
    if (code === undefined) throw new ValueError(`binary: unknown op ${JSON.stringify(op)}`);
    this.#elementwise(op, 'binary', { OP: code }, [[1, gpuOf(a)], [2, gpuOf(b)], [5, gpuOf(out)]], n, [0, 0, 0], []);
  }

  scale(x: BackendBuffer, out: BackendBuffer, n: number, s: number): void {
    this.#elementwise('scale', 'scale', {}, [[1, gpuOf(x)], [5, gpuOf(out)]], n, [0, 0, 0], [0, 0, s]);
  }

  biasAdd(x: BackendBuffer, bias: BackendBuffer, out: BackendBuffer, rows: number, cols: number): void {
    this.#elementwise('biasAdd', 'bias_add', {}, [[1, gpuOf(x)], [2, gpuOf(bias)], [5, gpuOf(out)]],
      rows * cols, [cols, 0, 0], []);
  }

  colSums(x: BackendBuffer, out: BackendBuffer, rows: number, cols: number): void {
    this.#sched.op('colSums', () => {
      const pipeline = this.#pipes.get('reduce', 'col_sums_partial');
      const colBlocks = Math.ceil(cols / COL_BLOCK_COLS);
      let src = gpuOf(x);
      let srcTemp: GpuBuffer | null = null;
      let r = rows;
      for (;;) {
        const rowBlocks = Math.ceil(r / COL_BLOCK_ROWS);
        const dstTemp = rowBlocks === 1 ? null : this.#pool.acquire(rowBlocks * cols, false);
        const total = rowBlocks * colBlocks;
        this.#sched.dispatch('colSums', {
          pipeline,
          buffers: [[1, src], [2, dstTemp === null ? gpuOf(out) : dstTemp.gpu]],
          u32: [r, cols, colBlocks, total],
          f32: [1],
          workgroups: total,
        });
        if (srcTemp !== null) this.#pool.release(srcTemp);
        if (dstTemp === null) break;
        srcTemp = dstTemp;
        src = dstTemp.gpu;
        r = rowBlocks;
      }
    });
  }

  sum(x: BackendBuffer, out: BackendBuffer, n: number, scale: number): void {
    this.#sched.op('sum', () => {
      const pipeline = this.#pipes.get('reduce', 'sum_partial');
      let src = gpuOf(x);
      let srcTemp: GpuBuffer | null = null;
      let len = n;
      for (;;) {
        const blocks = Math.ceil(len / SUM_BLOCK);
        const dstTemp = blocks === 1 ? null : this.#pool.acquire(blocks, false);
        this.#sched.dispatch('sum', {
          pipeline,
          buffers: [[1, src], [2, dstTemp === null ? gpuOf(out) : dstTemp.gpu]],
          u32: [len, 0, 0, blocks],
          f32: [dstTemp === null ? scale : 1],
          workgroups: blocks,
        });
        if (srcTemp !== null) this.#pool.release(srcTemp);
        if (dstTemp === null) break;
        srcTemp = dstTemp;
        src = dstTemp.gpu;
        len = blocks;
      }
    });
  }

  gram(p: GramParams): void {
    const tilesM = Math.ceil(p.m / TILE);
    const total = tilesM * Math.ceil(p.n / TILE);
    this.#sched.op('gram', () => {
      this.#sched.dispatch('gram', {
        pipeline: this.#pipes.get('gram', 'gram', { KERNEL: KERNEL_CODE[p.kernel] }),
        buffers: [[1, gpuOf(p.x)], [2, gpuOf(p.y)], [3, gpuOf(p.out)]],
        u32: [p.n, p.m, p.d, tilesM, total, p.degree],
        f32: [p.gamma, p.coef0],
        workgroups: total,
      });
    });
  }

  // ---- scheduling --------------------------------------------------------------------------

  flush(): void {
    this.#sched.flush();
  }

  sync(): Promise<void> {
    return this.#sched.sync();
  }

  poolStats(): { pooledBytes: number; pooledBuffers: number } {
    return this.#pool.stats();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#sched.destroy();
    this.#pool.destroy();
    this.#one.destroy();
    if (this.#owned) this.#device.destroy();
  }

  // ---- helpers ------------------------------------------------------------------------------

  #alphaBuf(act: ActivationSpec): GPUBuffer {
    return act.alphaBuf === null ? this.#one : gpuOf(act.alphaBuf);
  }

  /** One elementwise.wgsl dispatch over n elements; `u32` are Params.cols/bits/_pad, `f32` alpha/slope/s. */
  #elementwise(
    name: string, entry: string, constants: Record<string, number>,
    buffers: ReadonlyArray<readonly [number, GPUBuffer]>, n: number, u32: readonly number[], f32: readonly number[],
  ): void {
    this.#sched.op(name, () => {
      this.#sched.dispatch(name, {
        pipeline: this.#pipes.get('elementwise', entry, constants),
        buffers,
        u32: [n, ...u32],
        f32,
        workgroups: Math.ceil(n / ELEMENTWISE_WG),
      });
    });
  }
}

function gpuOf(buf: BackendBuffer): GPUBuffer {
  if (!(buf instanceof GpuBuffer)) throw new ValueError('not a buffer of this WebGPU backend');
  return buf.gpu;
}
