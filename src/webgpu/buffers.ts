// Pooled GPU buffers. Storage buffers (STORAGE | COPY_SRC | COPY_DST) are rounded up to
// size classes 2^k·{1, 1.25, 1.5, 1.75} (at least 256 bytes; near the limit, to 16 bytes)
// and kept on a free list per class; MAP_READ staging buffers for readback are pooled the
// same way, separately. The free buffers of both kinds are trimmed to MAX_POOLED_GPU_BYTES
// whenever one is released: the least recently released are destroyed, except those the
// open encoder may still use (trimmed at a later release), so a peak of work, or a thousand
// reads at once, does not stay allocated for the engine's lifetime.
// Sizes over the device's binding or buffer limit throw a LimitError naming the limit.

import type { BackendBuffer } from '../backend.js';
import { DisposedError, LimitError } from '../errors.js';
import type { EngineLimits } from '../types.js';

// GPUBufferUsage values, spelled out so nothing depends on the globals being installed.
const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

const MIN_BYTES = 256;

/** Free (pooled) buffers are kept up to this many bytes in all; beyond it, the oldest are destroyed. */
export const MAX_POOLED_GPU_BYTES = 256 * 1024 * 1024;

/** What the pool needs to know about the command encoder that has not been submitted yet. */
export interface BatchState {
  /** Incremented by every submit. */
  readonly batchId: number;
  /** true when the open encoder holds commands. */
  readonly pending: boolean;
  /** Submit the open encoder. */
  flush(): void;
  /**
   * Run `fn` (which creates a buffer) as op `name` with its out-of-memory error captured;
   * `onOom` runs when the GPU reports one (asynchronously, before sync()/read() throw it).
   */
  create<T>(name: string, fn: () => T, onOom: () => void): T;
  /** Record an error for op `name` (reported by the next sync()/read()). */
  reportError(name: string, kind: 'out-of-memory', message: string): void;
}

/**
 * Test-only: makes the next `failAllocations` buffer creations behave as if the GPU ran
 * out of memory (the buffer is made, but the allocation is reported exactly as a real
 * out-of-memory error scope would report it). A real out-of-memory cannot be provoked
 * reliably on a software driver, so the tests of that path use this.
 */
export const poolTestHooks = { failAllocations: 0, maxPooledBytes: MAX_POOLED_GPU_BYTES };

interface PoolEntry {
  gpu: GPUBuffer;
  readonly bytes: number;
  readonly staging: boolean;
  /**
   * The batch in which the buffer was released while that batch had unsubmitted commands
   * (which may still read or write it), or -1. Such a buffer must not receive a
   * queue.writeBuffer before that batch is submitted: the write would run first.
   */
  dirtyBatch: number;
  /** Its creation ran out of memory: never pooled, destroyed on release. */
  bad?: boolean;
}

/** A backend buffer: a view of `length` floats on a pooled GPU buffer. */
export class GpuBuffer implements BackendBuffer {
  #entry: PoolEntry | null;

  constructor(
    readonly length: number,
    entry: PoolEntry,
  ) {
    this.#entry = entry;
  }

  get gpu(): GPUBuffer {
    if (this.#entry === null) throw new DisposedError('a GPU buffer was used after it was released');
    return this.#entry.gpu;
  }

  get released(): boolean {
    return this.#entry === null;
  }

  /** @internal Detach from the pool entry (release/destroy). */
  take(): PoolEntry | null {
    const e = this.#entry;
    this.#entry = null;
    return e;
  }
}

/** A MAP_READ buffer lent for one readback. */
export interface StagingBuffer {
  readonly gpu: GPUBuffer;
  readonly bytes: number;
}

/** The size class of a request: 2^k·{1, 1.25, 1.5, 1.75}, at least 256 bytes. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  let p = 2 ** Math.floor(Math.log2(bytes));
  if (p > bytes) p /= 2; // guard against log2 rounding up
  for (const f of [1, 1.25, 1.5, 1.75]) if (p * f >= bytes) return p * f;
  return 2 * p;
}

export class BufferPool {
  readonly #device: GPUDevice;
  readonly #limits: EngineLimits;
  readonly #batch: BatchState;
  readonly #free = new Map<number, PoolEntry[]>();
  readonly #freeStaging = new Map<number, PoolEntry[]>();
  readonly #live = new Set<GpuBuffer>();
  readonly #lentStaging = new Set<PoolEntry>();
  /** Every free entry (both kinds), least recently released first. */
  readonly #freeOrder = new Set<PoolEntry>();
  #pooledBytes = 0;
  #pooledBuffers = 0;

  constructor(device: GPUDevice, limits: EngineLimits, batch: BatchState) {
    this.#device = device;
    this.#limits = limits;
    this.#batch = batch;
  }

  /**
   * A buffer of `length` floats. `forWrite`: its contents will be set by queue.writeBuffer,
   * so it must not be one released while the open encoder may still use it.
   */
  acquire(length: number, forWrite: boolean): GpuBuffer {
    const bytes = length * 4;
    this.#checkLimit(length, bytes, 'maxStorageBufferBindingSize');
    this.#checkLimit(length, bytes, 'maxBufferSize');
    const cap = Math.min(this.#limits.maxStorageBufferBindingSize, this.#limits.maxBufferSize);
    const size = bufferBytes(bytes, cap);
    const list = this.#free.get(size);
    let entry: PoolEntry | undefined;
    if (list !== undefined && list.length > 0) {
      if (!forWrite) {
        entry = list.pop();
      } else {
        const open = this.#batch.batchId;
        let i = list.length - 1;
        while (i >= 0 && list[i]!.dirtyBatch === open) i--;
        if (i < 0) {
          // Every free buffer of this class may still be used by unsubmitted commands:
          // submit them, after which a write is ordered behind them.
          this.#batch.flush();
          i = list.length - 1;
        }
        entry = list.splice(i, 1)[0];
      }
    }
    if (entry !== undefined) {
      this.#unpool(entry);
    } else {
      entry = this.#create(`allocate ${size} bytes for a tensor of ${length} floats`, `sigmoid-core ${size} B`, size, STORAGE | COPY_SRC | COPY_DST, false);
    }
    const buf = new GpuBuffer(length, entry);
    this.#live.add(buf);
    return buf;
  }

  /** Return a buffer to its free list. Releasing twice is a no-op. */
  release(buf: GpuBuffer): void {
    const entry = buf.take();
    if (entry === null) return;
    this.#live.delete(buf);
    if (entry.bad === true) {
      // An allocation that failed: never handed out again. Commands not yet submitted may
      // still use it, and destroying it first would fail their whole submit: submit them.
      if (this.#batch.pending) this.#batch.flush();
      entry.gpu.destroy();
      return;
    }
    entry.dirtyBatch = this.#batch.pending ? this.#batch.batchId : -1;
    this.#pool(entry);
  }

  acquireStaging(bytes: number): StagingBuffer {
    const size = bufferBytes(bytes, this.#limits.maxBufferSize);
    let entry = this.#freeStaging.get(size)?.pop();
    if (entry !== undefined) {
      this.#unpool(entry);
    } else {
      entry = this.#create(`allocate ${size} bytes of readback staging`, `sigmoid-core staging ${size} B`, size, MAP_READ | COPY_DST, true);
    }
    this.#lentStaging.add(entry);
    return entry;
  }

  releaseStaging(s: StagingBuffer): void {
    const entry = s as PoolEntry;
    if (!this.#lentStaging.delete(entry)) return;
    if (entry.bad === true) {
      entry.gpu.destroy();
      return;
    }
    this.#pool(entry);
  }

  stats(): { pooledBytes: number; pooledBuffers: number } {
    return { pooledBytes: this.#pooledBytes, pooledBuffers: this.#pooledBuffers };
  }

  /** Destroy every buffer, free or still in use. */
  destroy(): void {
    for (const buf of this.#live) buf.take()?.gpu.destroy();
    for (const s of this.#lentStaging) s.gpu.destroy();
    for (const map of [this.#free, this.#freeStaging]) {
      for (const list of map.values()) for (const e of list) e.gpu.destroy();
      map.clear();
    }
    this.#live.clear();
    this.#lentStaging.clear();
    this.#freeOrder.clear();
    this.#pooledBytes = 0;
    this.#pooledBuffers = 0;
  }

  /**
   * A new GPU buffer. Its out-of-memory error (if any) is reported by the scheduler as a
   * GPUOpError 'out-of-memory' whose op names the bytes asked for, and the entry is marked
   * bad so that releasing it destroys it instead of pooling it: the engine stays usable. The
   * error arrives asynchronously, after an op's temporaries (or a tensor disposed at once)
   * were released: a bad entry found on a free list is taken off it and destroyed.
   */
  #create(what: string, label: string, size: number, usage: number, staging: boolean): PoolEntry {
    const entry: PoolEntry = { gpu: null as unknown as GPUBuffer, bytes: size, staging, dirtyBatch: -1 };
    const markBad = (): void => {
      entry.bad = true;
      if (!this.#freeOrder.has(entry)) return;
      // Commands not yet submitted may use it: submitted first, as release() does.
      if (this.#batch.pending) this.#batch.flush();
      this.#discard(entry);
    };
    entry.gpu = this.#batch.create(what, () => this.#device.createBuffer({ label, size, usage }), markBad);
    if (poolTestHooks.failAllocations > 0) {
      poolTestHooks.failAllocations--;
      markBad();
      this.#batch.reportError(what, 'out-of-memory', `simulated out-of-memory (test hook) creating a buffer of ${size} bytes`);
    }
    return entry;
  }

  /** Put a released entry on its free list, then trim the pool to its cap. */
  #pool(entry: PoolEntry): void {
    push(entry.staging ? this.#freeStaging : this.#free, entry);
    this.#freeOrder.add(entry);
    this.#pooledBytes += entry.bytes;
    this.#pooledBuffers++;
    this.#trim();
  }

  /** Account for an entry taken off its free list. */
  #unpool(entry: PoolEntry): void {
    this.#freeOrder.delete(entry);
    this.#pooledBytes -= entry.bytes;
    this.#pooledBuffers--;
  }

  /**
   * Destroy the least recently released free buffers until the pool is within its cap.
   * One released while the open encoder may still use it is skipped: destroying it would
   * fail that encoder's submit (a submitted one is fine: WebGPU frees it after the GPU is done).
   */
  #trim(): void {
    const cap = poolTestHooks.maxPooledBytes;
    if (this.#pooledBytes <= cap) return;
    const open = this.#batch.pending ? this.#batch.batchId : -1;
    for (const entry of this.#freeOrder) {
      if (this.#pooledBytes <= cap) break;
      if (entry.dirtyBatch === open && open !== -1) continue;
      this.#discard(entry);
    }
  }

  /** Take a free entry off its list and destroy its buffer. */
  #discard(entry: PoolEntry): void {
    const list = (entry.staging ? this.#freeStaging : this.#free).get(entry.bytes)!;
    list.splice(list.indexOf(entry), 1);
    this.#unpool(entry);
    entry.gpu.destroy();
  }

  #checkLimit(length: number, bytes: number, name: 'maxStorageBufferBindingSize' | 'maxBufferSize'): void {
    const limit = this.#limits[name];
    if (bytes > limit) {
      throw new LimitError(
        `tensor of ${length} floats needs ${bytes} bytes, over this device's ${name} of ${limit} bytes`,
      );
    }
  }
}

/**
 * The size class, or `cap` itself where the class would pass it: the sizes between the
 * largest class inside the cap and the cap share one class, instead of a free list each.
 * Every buffer is a whole number of vec4s (elementwise.wgsl reads and writes four floats at
 * a time): the classes are, and `cap` is a multiple of 16 (device.ts rounds the limits down).
 */
export function bufferBytes(bytes: number, cap: number): number {
  const c = sizeClass(bytes);
  return c <= cap ? c : Math.max(16, cap);
}

function push(map: Map<number, PoolEntry[]>, entry: PoolEntry): void {
  const list = map.get(entry.bytes);
  if (list === undefined) map.set(entry.bytes, [entry]);
  else list.push(entry);
}
