// CPU buffers and their pool. A CpuBuffer wraps a Float32Array; release() detaches the
// array (so a released buffer cannot be used by mistake) and keeps it in a pool keyed by
// length, up to MAX_POOLED_BYTES in all (past that the least recently released go to the
// GC), for the next alloc of that length. The pool counts exactly what it holds, so
// poolStats() is truthful.

import type { BackendBuffer } from '../backend.js';

/** At most this many bytes of free arrays are kept; beyond it, the least recently released go to the GC. */
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
  /** Every pooled array, least recently released first. */
  #order = new Set<Float32Array>();
  #bytes = 0;

  /** A free array of exactly `length` floats (contents unspecified), or a new zeroed one. */
  take(length: number): Float32Array {
    const arr = this.#free.get(length)?.pop();
    if (arr === undefined) return new Float32Array(length);
    this.#order.delete(arr);
    this.#bytes -= arr.byteLength;
    return arr;
  }

  /** Keeps `arr` for reuse, letting the least recently released arrays go to make room. */
  give(arr: Float32Array): void {
    if (arr.length === 0 || arr.byteLength > MAX_POOLED_BYTES) return;
    while (this.#bytes + arr.byteLength > MAX_POOLED_BYTES) this.#evictOldest();
    let list = this.#free.get(arr.length);
    if (list === undefined) {
      list = [];
      this.#free.set(arr.length, list);
    }
    list.push(arr);
    this.#order.add(arr);
    this.#bytes += arr.byteLength;
  }

  #evictOldest(): void {
    const oldest = this.#order.values().next().value!;
    this.#order.delete(oldest);
    // Each length's list is in release order too, so the oldest of all is at its front.
    this.#free.get(oldest.length)!.shift();
    this.#bytes -= oldest.byteLength;
  }

  stats(): { pooledBytes: number; pooledBuffers: number } {
    return { pooledBytes: this.#bytes, pooledBuffers: this.#order.size };
  }

  clear(): void {
    this.#free.clear();
    this.#order.clear();
    this.#bytes = 0;
  }
}
