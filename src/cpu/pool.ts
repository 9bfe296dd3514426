// CPU buffers and their pool. A CpuBuffer wraps a Float32Array; release() detaches the
// array (so a released buffer cannot be used by mistake) and keeps it in a pool keyed by
// length, up to MAX_POOLED_BYTES in all, for the next alloc of that length. The pool
// counts exactly what it holds, so poolStats() is truthful.

import type { BackendBuffer } from '../backend.js';

/** At most this many bytes of free arrays are kept; beyond it, released arrays go to the GC. */
export const MAX_POOLED_BYTES = 64 * 1024 * 1024;

export class CpuBuffer implements BackendBuffer {
  readonly length: number;
  #data: Float32Array | null;

  constructor(data: Float32Array) {
    this.length = data.length;
    this.#data = data;
  }

  get data(): Float32Array {
    if (this.#data === null) throw new Error(`CPU buffer of ${this.length} floats used after release()`);
    return this.#data;
  }

  get released(): boolean {
    return this.#data === null;
  }

  /** @internal Detaches and returns the array (null if already released). */
  detach(): Float32Array | null {
    const d = this.#data;
    this.#data = null;
    return d;
  }
}

export class CpuPool {
  #free = new Map<number, Float32Array[]>();
  #bytes = 0;
  #count = 0;

  /** A free array of exactly `length` floats (contents unspecified), or a new zeroed one. */
  take(length: number): Float32Array {
    const list = this.#free.get(length);
    const arr = list?.pop();
    if (arr === undefined) return new Float32Array(length);
    this.#bytes -= arr.byteLength;
    this.#count--;
    return arr;
  }

  /** Keeps `arr` for reuse if the pool has room. */
  give(arr: Float32Array): void {
    if (arr.length === 0 || this.#bytes + arr.byteLength > MAX_POOLED_BYTES) return;
    let list = this.#free.get(arr.length);
    if (list === undefined) {
      list = [];
      this.#free.set(arr.length, list);
    }
    list.push(arr);
    this.#bytes += arr.byteLength;
    this.#count++;
  }

  stats(): { pooledBytes: number; pooledBuffers: number } {
    return { pooledBytes: this.#bytes, pooledBuffers: this.#count };
  }

  clear(): void {
    this.#free.clear();
    this.#bytes = 0;
    this.#count = 0;
  }
}
