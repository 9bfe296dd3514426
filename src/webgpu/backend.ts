// The WebGPU backend: every op of src/backend.ts as one or a few compute dispatches
// recorded by the scheduler (nothing runs until a flush, sync or read), on buffers from
// the pool, with pipelines compiled once per (shader, entry point, constants).

import type { ActivationSpec, Backend, BackendBuffer, GramParams, MatmulParams, SgdUpdate } from '../backend.js';
import { ValueError } from '../errors.js';
import type { AdapterInfoSummary, EngineLimits, GramKernel, LossKind, Tiling, TilingChoice } from '../types.js';
import { BufferPool, GpuBuffer } from './buffers.js';
import { acquireDevice } from './device.js';
import { type Constants, PipelineCache } from './pipelines.js';
import { Scheduler } from './scheduler.js';
import { colSumsEntry, matmulEntry, resolveTiling, sumPass } from './tiling.js';

// Codes of the ACT and KERNEL override constants (see shaders/common.wgsl, matmul.wgsl).
const ACT_CODE: Record<ActivationSpec['kind'], number> = {
  identity: 0, sigmoid: 1, relu: 2, leakyRelu: 3, tanh: 4,
};
// (projected-sigmoid is not one: it has its own passes in gram.wgsl.)
const KERNEL_CODE: Record<Exclude<GramKernel, 'projected-sigmoid'>, number> = {
  sigmoid: 0, logistic: 1, linear: 2, polynomial: 3, rbf: 4,
};
const BINARY_CODE = { add: 0, sub: 1, mul: 2 } as const;
// EPILOGUE override constant of matmul.wgsl.
const EPILOGUE = { biasAct: 0, actGrad: 1, gram: 2, sgd: 3 } as const;
// LOSS and KIND override constants of train.wgsl.
const LOSS_CODE: Record<LossKind, number> = { mse: 0, binaryCrossEntropy: 1, softmaxCrossEntropy: 2 };
const CORRECT_CODE = { binary: 0, multiclass: 1 } as const;

const TILE = 64; // matmul.wgsl output tile (matmul and Gram)
const ELEMENTWISE_WG = 256; // threads per elementwise workgroup
const COL_BLOCK_COLS = 32; // col_sums_partial workgroup: 32 columns × 128 rows
const COL_BLOCK_ROWS = 128;
const ROW_WG = 64; // train.wgsl row ops: threads per workgroup
/** Rows up to this length run one thread per row; longer ones a workgroup per row (WIDE). */
const NARROW_MAX_COLS = 32;
const QUIET_NAN_BITS = 0x7fc00000;

const STORAGE = 0x80;

/**
 * How much work one dispatch may carry. A GPU watchdog kills work that holds the GPU too
 * long (Windows TDR: 2 s; macOS and Linux drivers have similar timeouts), which loses the
 * device. matmul and gram are split into dispatches of at most `maxMacsPerDispatch`
 * multiply-adds (64×64-output tiles × K each) and every split part is submitted on its
 * own, so the GPU regains control between them. 2³¹ ≈ 2.1e9 multiply-adds is ~40 ms on a
 * 50 GFLOP/s integrated GPU and ~2 s only at ~1 GMAC/s (a software rasteriser); a
 * 4096×4096×4096 matmul becomes 32 dispatches. Training-sized matmuls stay one dispatch
 * (and one submission per step). Exported so that tests can force tiny parts; the split
 * result is bit-identical to one dispatch (each tile is computed the same way).
 */
export const dispatchLimits = { maxMacsPerDispatch: 2 ** 31 };

/** Tiles of TILE×TILE outputs with inner dimension k that one dispatch may carry (≥ 1). */
function tilesPerDispatch(k: number): number {
  return Math.max(1, Math.floor(dispatchLimits.maxMacsPerDispatch / (TILE * TILE * Math.max(1, k))));
}

/**
 * A WebGPU backend on `device` (used as it is, never destroyed by us), or on a device
 * acquired here, running the kernel family `tiling` picks. Throws BackendUnavailableError
 * when there is no WebGPU.
 */
export async function createWebGPUBackend(opts: { device?: GPUDevice; tiling?: TilingChoice } = {}): Promise<Backend> {
  resolveTiling(opts.tiling, null); // a bad choice fails before a device is made
  const acq = await acquireDevice(opts.device);
  return new WebGPUBackend(acq, resolveTiling(opts.tiling, acq.adapterInfo));
}

class WebGPUBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly adapterInfo: AdapterInfoSummary | null;
  readonly limits: EngineLimits;
  readonly tiling: Tiling;
  readonly #device: GPUDevice;
  readonly #owned: boolean;
  readonly #sched: Scheduler;
  readonly #pool: BufferPool;
  readonly #pipes: PipelineCache;
  /** 1.0: bound as alpha_buf when the sigmoid scale is a plain number, and as an unused bias. */
  readonly #one: GPUBuffer;
  #destroyed = false;

  constructor(acq: { device: GPUDevice; owned: boolean; adapterInfo: AdapterInfoSummary | null; limits: EngineLimits }, tiling: Tiling) {
    this.tiling = tiling;
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
    try {
      return await this.#sched.readback('read', src, staging.gpu, bytes);
    } finally {
      this.#pool.releaseStaging(staging); // also when the read reports an error
    }
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
    const ep = p.epilogue;
    // The epilogue's override constants, `side` buffer (binding 3) and f32 parameters.
    const act = ep.kind === 'sgd' ? null : ep.act;
    const side = ep.kind === 'biasAct' ? ep.bias : ep.kind === 'actGrad' ? ep.y : null;
    this.#tiledMatmul('matmul', {
      constants: {
        TRANS_A: p.transposeA, TRANS_B: p.transposeB, EPILOGUE: EPILOGUE[ep.kind],
        HAS_BIAS: ep.kind === 'biasAct' && ep.bias !== null, ACT: act === null ? 0 : ACT_CODE[act.kind],
      },
      a: gpuOf(p.a), b: gpuOf(p.b), out: gpuOf(p.out),
      side: side === null ? this.#one : gpuOf(side), alpha: act === null ? this.#one : this.#alphaBuf(act),
      m: p.m, n: p.n, k: p.k, degree: 0,
      f32: [act?.alpha ?? 1, act?.slope ?? 0, ...(ep.kind === 'sgd' ? [ep.lr, ep.weightDecay] : [0, 0])],
    });
  }

  /**
   * Records matmul.wgsl over the 64×64 output tiles of C [m, n] (inner dimension k), split
   * into dispatches of at most tilesPerDispatch(k) tiles, each its own submission
   * (dispatchLimits). f32: the Params fields alpha, slope, e0, e1.
   */
  #tiledMatmul(op: string, t: {
    constants: Constants; a: GPUBuffer; b: GPUBuffer; side: GPUBuffer; alpha: GPUBuffer; out: GPUBuffer;
    m: number; n: number; k: number; degree: number; f32: number[];
  }): void {
    const tilesN = Math.ceil(t.n / TILE);
    const total = tilesN * Math.ceil(t.m / TILE);
    const per = tilesPerDispatch(t.k);
    this.#sched.op(op, () => {
      const pipeline = this.#pipes.get('matmul', matmulEntry(this.tiling), t.constants);
      for (let offset = 0; offset < total; offset += per) {
        if (offset > 0) this.#sched.flush(); // each part its own submission (watchdog)
        const count = Math.min(per, total - offset);
        this.#sched.dispatch(op, {
          pipeline,
          buffers: [[1, t.a], [2, t.b], [3, t.side], [4, t.alpha], [5, t.out]],
          // end_tile bounds this part: a grid folded into 2-D has spare workgroups, which
          // would otherwise compute (and, with the SGD epilogue, update) the next part's tiles.
          u32: [t.m, t.n, t.k, tilesN, offset + count, offset, t.degree],
          f32: t.f32,
          workgroups: count,
        });
      }
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

  colSums(x: BackendBuffer, out: BackendBuffer, rows: number, cols: number, sgd?: SgdUpdate): void {
    this.#sched.op('colSums', () => {
      const entry = colSumsEntry(this.tiling);
      const colBlocks = Math.ceil(cols / COL_BLOCK_COLS);
      let src = gpuOf(x);
      let srcTemp: GpuBuffer | null = null;
      let r = rows;
      for (;;) {
        const rowBlocks = Math.ceil(r / COL_BLOCK_ROWS);
        const dstTemp = rowBlocks === 1 ? null : this.#pool.acquire(rowBlocks * cols, false);
        const total = rowBlocks * colBlocks;
        const final = dstTemp === null;
        this.#sched.dispatch('colSums', {
          pipeline: this.#pipes.get('reduce', entry, { SGD: final && sgd !== undefined }),
          buffers: [[1, src], [2, final ? gpuOf(out) : dstTemp.gpu]],
          u32: [r, cols, colBlocks, total],
          f32: [1, sgd?.lr ?? 0, sgd?.weightDecay ?? 0],
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

  sum(x: BackendBuffer, out: BackendBuffer, n: number, scale: number, square = false): void {
    const name = square ? 'sumSquares' : 'sum';
    const pass = sumPass(this.tiling);
    this.#sched.op(name, () => {
      let first = true;
      let src = gpuOf(x);
      let srcTemp: GpuBuffer | null = null;
      let len = n;
      for (;;) {
        const blocks = Math.ceil(len / pass.block);
        const dstTemp = blocks === 1 ? null : this.#pool.acquire(blocks, false);
        this.#sched.dispatch(name, {
          pipeline: this.#pipes.get('reduce', pass.entry, { SQUARE: square && first }),
          buffers: [[1, src], [2, dstTemp === null ? gpuOf(out) : dstTemp.gpu]],
          u32: [len, 0, 0, blocks],
          f32: [dstTemp === null ? scale : 1],
          workgroups: Math.ceil(blocks / pass.blocksPerWorkgroup),
        });
        if (srcTemp !== null) this.#pool.release(srcTemp);
        if (dstTemp === null) break;
        first = false;
        srcTemp = dstTemp;
        src = dstTemp.gpu;
        len = blocks;
      }
    });
  }

  gram(p: GramParams): void {
    if (p.kernel === 'projected-sigmoid') {
      this.#gramProjected(p);
      return;
    }
    // matmul.wgsl with the Gram epilogue: X [n, d] times Yᵀ (Y [m, d] bound as B with
    // TRANS_B), the kernel applied to each entry; side and alpha_buf are bound but unused.
    this.#tiledMatmul('gram', {
      constants: { TRANS_B: true, EPILOGUE: EPILOGUE.gram, KERNEL: KERNEL_CODE[p.kernel] },
      a: gpuOf(p.x), b: gpuOf(p.y), out: gpuOf(p.out), side: this.#one, alpha: this.#one,
      m: p.n, n: p.m, k: p.d, degree: p.degree, f32: [1, 0, p.gamma, p.coef0],
    });
  }

  /** σ(⟨x_i, α⟩ + ⟨y_j, β⟩ + γ): two projection passes into temporaries, then one pass over K. */
  #gramProjected(p: GramParams): void {
    if (p.alpha === null || p.beta === null) throw new ValueError('gram: projected-sigmoid needs alpha and beta');
    const alpha = gpuOf(p.alpha);
    const beta = gpuOf(p.beta);
    this.#sched.op('gram', () => {
      const a = this.#pool.acquire(p.n, false);
      const b = this.#pool.acquire(p.m, false);
      try {
        const project = this.#pipes.get('gram', 'gram_project');
        for (const [src, w, dst, rows] of [[gpuOf(p.x), alpha, a, p.n], [gpuOf(p.y), beta, b, p.m]] as const) {
          this.#sched.dispatch('gram', {
            pipeline: project,
            buffers: [[1, src], [2, w], [3, dst.gpu]],
            u32: [rows, 0, p.d],
            f32: [0],
            workgroups: elementwiseGroups(rows, 1),
          });
        }
        this.#sched.dispatch('gram', {
          pipeline: this.#pipes.get('gram', 'gram_projected'),
          buffers: [[1, a.gpu], [2, b.gpu], [3, gpuOf(p.out)]],
          u32: [p.n, p.m, p.d],
          f32: [p.gamma],
          workgroups: elementwiseGroups(p.n * p.m, 4),
        });
      } finally {
        this.#pool.release(a);
        this.#pool.release(b);
      }
    });
  }

  // ---- training primitives (shaders/train.wgsl) -------------------------------------------

  gatherRows(src: BackendBuffer, idx: BackendBuffer, out: BackendBuffer, start: number, count: number, cols: number): void {
    const n = count * cols;
    const srcRows = Math.floor(src.length / cols);
    this.#sched.op('gatherRows', () => {
      this.#sched.dispatch('gatherRows', {
        pipeline: this.#pipes.get('train', 'gather_rows'),
        buffers: [[1, gpuOf(src)], [2, gpuOf(idx)], [3, gpuOf(out)]],
        u32: [n, cols, start, srcRows, QUIET_NAN_BITS],
        f32: [],
        workgroups: elementwiseGroups(n, 1),
      });
    });
  }

  lossGrad(
    kind: LossKind, pred: BackendBuffer, target: BackendBuffer,
    grad: BackendBuffer, rowLoss: BackendBuffer, rows: number, cols: number, gradScale: number,
  ): void {
    const code = LOSS_CODE[kind];
    if (code === undefined) throw new ValueError(`lossGrad: unknown loss ${JSON.stringify(kind)}`);
    this.#rowOp('lossGrad', 'loss_grad', { LOSS: code },
      [[1, gpuOf(pred)], [2, gpuOf(target)], [3, gpuOf(grad)], [4, gpuOf(rowLoss)]], rows, cols, [gradScale]);
  }

  countCorrect(
    kind: 'binary' | 'multiclass', pred: BackendBuffer, target: BackendBuffer, rowCorrect: BackendBuffer,
    rows: number, cols: number,
  ): void {
    const code = CORRECT_CODE[kind];
    if (code === undefined) throw new ValueError(`countCorrect: unknown kind ${JSON.stringify(kind)}`);
    this.#rowOp('countCorrect', 'count_correct', { KIND: code },
      [[1, gpuOf(pred)], [2, gpuOf(target)], [3, gpuOf(rowCorrect)]], rows, cols, []);
  }

  softmaxRows(x: BackendBuffer, out: BackendBuffer, rows: number, cols: number): void {
    this.#rowOp('softmax', 'softmax_rows', {}, [[1, gpuOf(x)], [3, gpuOf(out)]], rows, cols, []);
  }

  axpyInto(acc: BackendBuffer, x: BackendBuffer, n: number, a: number, offset: number): void {
    this.#inPlace('axpyInto', 'axpy_into', gpuOf(x), [gpuOf(acc)], n, [a], 1, offset);
  }

  sgdUpdate(p: BackendBuffer, g: BackendBuffer, vel: BackendBuffer | null, n: number, lr: number, momentum: number, weightDecay: number): void {
    // f32 fields: a = lr, b1 = momentum, b2, omb1, omb2, eps (unused), wd
    const f32 = [lr, momentum, 0, 0, 0, 0, weightDecay];
    const [entry, outs] = vel === null ? ['sgd_update', [gpuOf(p)]] : ['sgd_momentum_update', [gpuOf(p), gpuOf(vel)]];
    this.#inPlace('sgdStep', entry, gpuOf(g), outs, n, f32, 4);
  }

  adamUpdate(
    p: BackendBuffer, g: BackendBuffer, m: BackendBuffer, v: BackendBuffer, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, c1: number, c2: number,
  ): void {
    this.#inPlace('adamStep', 'adam_update', gpuOf(g), [gpuOf(p), gpuOf(m), gpuOf(v)], n,
      [lr, beta1, beta2, 1 - beta1, 1 - beta2, eps, weightDecay, c1, c2], 4);
  }

  // ---- scheduling --------------------------------------------------------------------------

  flush(): void {
    this.#sched.flush();
  }

  // ---- device loss ---------------------------------------------------------------------------

  get lost(): boolean {
    return this.#sched.lost;
  }

  get gpuDevice(): GPUDevice {
    return this.#device;
  }

  get ownsDevice(): boolean {
    return this.#owned;
  }

  onDeviceLost(cb: (message: string) => void): void {
    this.#sched.onLost(cb);
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

  /** One train.wgsl row op over [rows, cols]: a thread per row, or a workgroup per wide row. */
  #rowOp(
    name: string, entry: string, constants: Record<string, number>,
    buffers: ReadonlyArray<readonly [number, GPUBuffer]>, rows: number, cols: number, f32: readonly number[],
  ): void {
    const wide = cols > NARROW_MAX_COLS;
    this.#sched.op(name, () => {
      this.#sched.dispatch(name, {
        pipeline: this.#pipes.get('train', entry, { ...constants, WIDE: wide }),
        buffers,
        u32: [rows, cols, 0, 0, QUIET_NAN_BITS],
        f32,
        workgroups: wide ? rows : Math.ceil(rows / ROW_WG),
      });
    });
  }

  /**
   * One train.wgsl in-place update over n elements: `input` bound read-only at 1, `outs`
   * read-write from 3 on. An input that is also one of the outputs (axpyInto(t, t)) is
   * first copied to a temporary buffer: one dispatch cannot bind a buffer both read-only
   * and writable, and reading the copy gives the same result as the elementwise in-place
   * update reading before writing. `perThread`: elements per thread (4 for the optimizer
   * updates, which work on vec4s).
   */
  #inPlace(
    name: string, entry: string, input: GPUBuffer, outs: readonly GPUBuffer[], n: number, f32: readonly number[],
    perThread: 1 | 4, start = 0,
  ): void {
    this.#sched.op(name, () => {
      let temp: GpuBuffer | null = null;
      let src = input;
      if (outs.includes(input)) {
        temp = this.#pool.acquire(n, false);
        this.#sched.copy(name, input, temp.gpu, n * 4);
        src = temp.gpu;
      }
      this.#sched.dispatch(name, {
        pipeline: this.#pipes.get('train', entry),
        buffers: [[1, src], ...outs.map((b, i) => [3 + i, b] as const)],
        u32: [n, 0, start, 0, 0],
        f32,
        workgroups: elementwiseGroups(n, perThread),
      });
      if (temp !== null) this.#pool.release(temp);
    });
  }

  #alphaBuf(act: ActivationSpec): GPUBuffer {
    return act.alphaBuf === null ? this.#one : gpuOf(act.alphaBuf);
  }

  /**
   * One elementwise.wgsl dispatch over n elements, four per thread; `u32` are
   * Params.cols/bits/_pad, `f32` alpha/slope/s. Every element buffer holds n floats (the
   * pool's buffers are whole vec4s, so the last thread's padding floats are its own).
   */
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
        workgroups: elementwiseGroups(n, 4),
      });
    });
  }
}

/** Workgroups of ELEMENTWISE_WG threads over n elements, `perThread` (1, or 4: a vec4) each. */
function elementwiseGroups(n: number, perThread: 1 | 4): number {
  return Math.ceil(Math.ceil(n / perThread) / ELEMENTWISE_WG);
}

function gpuOf(buf: BackendBuffer): GPUBuffer {
  if (!(buf instanceof GpuBuffer)) throw new ValueError('not a buffer of this WebGPU backend');
  return buf.gpu;
}
