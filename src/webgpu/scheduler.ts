// Records every op into ONE command encoder (one compute pass kept open across dispatches)
// and submits in batches: on flush(), sync(), read(), or when the params arena is full.
// Nothing is read back unless asked.
//
// Per-dispatch parameters go into a params arena: a host ArrayBuffer mirror plus one GPU
// uniform buffer, in 256-byte slots. Before a submit the used range is written once with
// queue.writeBuffer (queue order puts it after the previous submit and before this one),
// so no GPU buffer is created per dispatch.
//
// GPU errors: each op's recording runs inside out-of-memory + validation error scopes,
// and so do finish()/submit(). The scope promises are kept with the op's name; sync() and
// read() await them and throw a GPUOpError for the earliest error. After device loss
// every op throws at once and pending waits reject instead of hanging.

import { DisposedError, GPUOpError, LimitError } from '../errors.js';
import type { EngineLimits } from '../types.js';
import type { BatchState } from './buffers.js';
import type { Pipeline } from './pipelines.js';

const UNIFORM = 0x40;
const COPY_DST = 0x08;
const MAP_READ_MODE = 0x01;

const SLOT_BYTES = 256;
const SLOT_WORDS = SLOT_BYTES / 4;
const SLOTS = 1024;

/** One dispatch: a pipeline, storage buffers by binding number (binding 0 is the params
 *  slot), the Params struct as its u32 fields then its f32 fields, and a workgroup count. */
export interface Dispatch {
  pipeline: Pipeline;
  buffers: ReadonlyArray<readonly [binding: number, buffer: GPUBuffer]>;
  u32: readonly number[];
  f32: readonly number[];
  workgroups: number;
}

type ErrorKind = 'validation' | 'out-of-memory' | 'internal';

export class Scheduler implements BatchState {
  readonly #device: GPUDevice;
  readonly #maxPerDim: number;
  readonly #arena: GPUBuffer;
  readonly #mirror = new ArrayBuffer(SLOT_BYTES * SLOTS);
  readonly #u32 = new Uint32Array(this.#mirror);
  readonly #f32 = new Float32Array(this.#mirror);
  #slots = 0;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  /** Op names recorded into the open encoder, to name errors raised at finish()/submit. */
  #ops: string[] = [];
  #batchId = 0;

  readonly #checks = new Set<Promise<void>>();
  #seq = 0;
  /** GPU errors not reported yet, in op order: each sync()/read() reports the first one. */
  readonly #errors: { seq: number; error: GPUOpError }[] = [];
  #lost: GPUDeviceLostInfo | null = null;
  readonly #lostWaiters = new Set<() => void>();
  readonly #lostListeners: ((message: string) => void)[] = [];
  #destroyed = false;
  readonly #onUncaptured = (ev: Event): void => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    const kind: ErrorKind = err.constructor.name.includes('OutOfMemory')
      ? 'out-of-memory'
      : err.constructor.name.includes('Validation') ? 'validation' : 'internal';
    this.#record(this.#seq++, 'unknown', kind, err.message);
  };

  /** `owned`: the device is ours, so any uncaptured error on it is ours too (on a passed-in
   *  device it may come from the caller's own work). */
  constructor(device: GPUDevice, limits: EngineLimits, owned: boolean) {
    this.#device = device;
    this.#maxPerDim = limits.maxComputeWorkgroupsPerDimension;
    this.#arena = device.createBuffer({ label: 'sigmoid-core params', size: SLOT_BYTES * SLOTS, usage: UNIFORM | COPY_DST });
    device.lost.then((info) => {
      this.#lost = info;
      for (const w of this.#lostWaiters) w();
      this.#lostWaiters.clear();
      if (this.#destroyed) return; // our own destroy(): not a loss anyone needs to hear about
      const message = lostReason(info);
      for (const cb of this.#lostListeners) {
        try {
          cb(message);
        } catch {
          // a listener's failure must not break the others
        }
      }
    }, () => {});
    if (owned) device.addEventListener('uncapturederror', this.#onUncaptured);
  }

  /** true once the device is lost (GPUDevice.lost resolved). */
  get lost(): boolean {
    return this.#lost !== null;
  }

  /** `cb` runs once if the device is lost while this scheduler is alive. */
  onLost(cb: (message: string) => void): void {
    this.#lostListeners.push(cb);
  }

  /**
   * Record a GPU error as if an error scope of op `name` had reported it (reported by the
   * next sync()/read()). Used by the buffer pool's test-only out-of-memory injection.
   */
  reportError(name: string, kind: ErrorKind, message: string): void {
    this.#record(this.#seq++, name, kind, message);
  }

  get batchId(): number {
    return this.#batchId;
  }

  get pending(): boolean {
    return this.#encoder !== null;
  }

  /** Run `fn` (which records commands or creates resources) as op `name`, with its GPU errors captured. */
  op<T>(name: string, fn: () => T): T {
    this.#throwIfLost(name);
    const d = this.#device;
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('validation');
    try {
      return fn();
    } finally {
      this.#watch(name, 'validation', d.popErrorScope());
      this.#watch(name, 'out-of-memory', d.popErrorScope());
    }
  }

  /** BatchState.create: `fn` inside its own out-of-memory scope; `onOom` when it reports one. */
  create<T>(name: string, fn: () => T, onOom: () => void): T {
    const d = this.#device;
    d.pushErrorScope('out-of-memory');
    try {
      return fn();
    } finally {
      const seq = this.#seq++;
      const check: Promise<void> = d.popErrorScope().then(
        (err) => {
          if (err) {
            onOom();
            this.#record(seq, name, 'out-of-memory', err.message);
          }
        },
        () => {},
      ).then(() => {
        this.#checks.delete(check);
      });
      this.#checks.add(check);
    }
  }

  /** Record one dispatch of op `name` (call inside op()). */
  dispatch(name: string, d: Dispatch): void {
    const [x, y] = this.#grid(name, d.workgroups);
    if (this.#slots === SLOTS) this.flush();
    const slot = this.#slots++;
    const base = slot * SLOT_WORDS;
    this.#u32.set(d.u32, base);
    this.#f32.set(d.f32, base + d.u32.length);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.#arena, offset: slot * SLOT_BYTES, size: SLOT_BYTES } },
    ];
    for (const [binding, buffer] of d.buffers) entries.push({ binding, resource: { buffer } });
    const bindGroup = this.#device.createBindGroup({ layout: d.pipeline.layout, entries });
    const pass = this.#computePass();
    pass.setPipeline(d.pipeline.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
    this.#ops.push(name);
  }

  /** Record a buffer-to-buffer copy (call inside op()). */
  copy(name: string, src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    const enc = this.#openEncoder();
    if (this.#pass !== null) {
      this.#pass.end();
      this.#pass = null;
    }
    enc.copyBufferToBuffer(src, 0, dst, 0, bytes);
    this.#ops.push(name);
  }

  /** Submit the open encoder (if any); does not wait. */
  flush(): void {
    const enc = this.#encoder;
    if (enc === null) return;
    const ops = this.#ops;
    this.#encoder = null;
    this.#ops = [];
    this.#batchId++;
    const used = this.#slots;
    this.#slots = 0;
    if (this.#lost !== null) {
      this.#pass = null;
      return; // nothing can run any more; sync()/read() report the loss
    }
    const d = this.#device;
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('validation');
    try {
      if (this.#pass !== null) {
        this.#pass.end();
        this.#pass = null;
      }
      if (used > 0) d.queue.writeBuffer(this.#arena, 0, this.#mirror, 0, used * SLOT_BYTES);
      d.queue.submit([enc.finish()]);
    } finally {
      const name = `submit of [${summariseOps(ops)}]`;
      this.#watch(name, 'validation', d.popErrorScope());
      this.#watch(name, 'out-of-memory', d.popErrorScope());
    }
  }

  /** Submit, wait for the GPU to finish, then report the first GPU error of an op recorded before. */
  async sync(): Promise<void> {
    this.#throwIfLost('sync');
    this.flush();
    const upTo = this.#seq;
    await this.#unlessLost('sync', this.#device.queue.onSubmittedWorkDone());
    await this.checkErrors(upTo);
  }

  /** Copy `bytes` of `src` into `staging` (MAP_READ), submit, map, and return a copy. */
  async readback(name: string, src: GPUBuffer, staging: GPUBuffer, bytes: number): Promise<Float32Array> {
    this.op(name, () => this.copy(name, src, staging, bytes));
    this.flush();
    const upTo = this.#seq; // ops recorded after this read report their errors later
    await this.#unlessLost(name, staging.mapAsync(MAP_READ_MODE, 0, bytes));
    let out: Float32Array;
    try {
      out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    } finally {
      staging.unmap();
    }
    await this.checkErrors(upTo);
    return out;
  }

  /**
   * Await every outstanding error-scope promise; throw the earliest unreported error of an
   * op recorded before `upTo` (the others wait for a later check), or the loss.
   */
  async checkErrors(upTo = Infinity): Promise<void> {
    while (this.#checks.size > 0) await Promise.all([...this.#checks]);
    const first = this.#errors[0];
    if (first !== undefined && first.seq < upTo) {
      this.#errors.shift();
      throw first.error;
    }
    this.#throwIfLost('sync');
  }

  destroy(): void {
    this.#destroyed = true;
    this.#lostListeners.length = 0;
    // Pending sync()/read() reject with DisposedError now: on a device passed in by the
    // caller (not destroyed with us) they would otherwise resolve as if nothing happened.
    for (const w of this.#lostWaiters) w();
    this.#lostWaiters.clear();
    this.#encoder = null;
    this.#pass = null;
    this.#ops = [];
    this.#device.removeEventListener('uncapturederror', this.#onUncaptured);
    this.#arena.destroy();
  }

  #openEncoder(): GPUCommandEncoder {
    this.#encoder ??= this.#device.createCommandEncoder({ label: 'sigmoid-core batch' });
    return this.#encoder;
  }

  #computePass(): GPUComputePassEncoder {
    this.#pass ??= this.#openEncoder().beginComputePass();
    return this.#pass;
  }

  /** Fold a workgroup count over maxComputeWorkgroupsPerDimension into a 2-D grid. */
  #grid(name: string, total: number): [number, number] {
    const max = this.#maxPerDim;
    if (total <= max) return [Math.max(1, total), 1];
    const y = Math.ceil(total / max);
    if (y > max) {
      throw new LimitError(
        `${name} needs ${total} workgroups, over this device's ${max}×${max} (maxComputeWorkgroupsPerDimension²)`,
      );
    }
    return [Math.ceil(total / y), y];
  }

  #watch(op: string, kind: ErrorKind, p: Promise<GPUError | null>): void {
    const seq = this.#seq++;
    const check: Promise<void> = p.then(
      (err) => {
        if (err) this.#record(seq, op, kind, err.message);
      },
      () => {},
    ).then(() => {
      this.#checks.delete(check);
    });
    this.#checks.add(check);
  }

  #record(seq: number, op: string, kind: ErrorKind, message: string): void {
    let i = this.#errors.length;
    while (i > 0 && this.#errors[i - 1]!.seq > seq) i--;
    this.#errors.splice(i, 0, { seq, error: new GPUOpError(op, kind, message) });
  }

  #throwIfLost(op: string): void {
    if (this.#lost !== null) throw this.#destroyed ? destroyedError(op) : lostError(op, this.#lost);
  }

  /** `p`, or a device-lost GPUOpError if the device is lost first (never hangs). */
  #unlessLost<T>(op: string, p: Promise<T>): Promise<T> {
    if (this.#lost !== null) return Promise.reject(this.#destroyed ? destroyedError(op) : lostError(op, this.#lost));
    return new Promise<T>((resolve, reject) => {
      // Our own destroy() also resolves device.lost: that is not a loss.
      const onLost = (): void => reject(this.#destroyed ? destroyedError(op) : lostError(op, this.#lost));
      this.#lostWaiters.add(onLost);
      p.then(
        (v) => {
          this.#lostWaiters.delete(onLost);
          resolve(v);
        },
        (err: unknown) => {
          this.#lostWaiters.delete(onLost);
          // destroy() unmaps the staging buffers: the browser's AbortError names nothing.
          if (this.#destroyed) reject(destroyedError(op));
          else if (this.#lost !== null) reject(lostError(op, this.#lost));
          else reject(err);
        },
      );
    });
  }
}

function lostReason(info: GPUDeviceLostInfo | null): string {
  const why = info ? `${info.reason}${info.message ? `: ${info.message}` : ''}` : 'unknown reason';
  return `the GPU device was lost (${why})`;
}

function lostError(op: string, info: GPUDeviceLostInfo | null): GPUOpError {
  return new GPUOpError(op, 'device-lost', lostReason(info));
}

function summariseOps(ops: readonly string[]): string {
  const unique = [...new Set(ops)];
  return unique.length <= 8 ? unique.join(', ') : `${unique.slice(0, 8).join(', ')}, …`;
}

function destroyedError(op: string): DisposedError {
  return new DisposedError(`${op}: the engine was destroyed (or its backend replaced by recover()) while this was pending`);
}
