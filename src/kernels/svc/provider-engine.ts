// Kernel rows from engine.gram. The training matrix X [l, d] is uploaded once. When the
// solver asks for rows that are not cached, the missing ones plus the solver's hints (the
// points most likely to be selected next) are gathered into one batch B and K(X[B], X) is
// computed in ONE dispatch (gatherRows + the fused Gram pass, one submission) with ONE
// readback (on the CPU backend the hints only fill free cache room); the rows go into an
// LRU cache with a byte budget. On WebGPU the rows are the GPU's float32 values; on the
// CPU backend the CPU's float32 values. Kernel values beyond
// float32 are refused (checkKernelValues): the diagonal (float64) before any work, every
// row as it is read back; on WebGPU so is data whose float32 sums would overflow
// (checkGramSums).

import type { Matrix } from '../../data/matrix.js';
import { checkEngine, type Engine } from '../../engine.js';
import { DisposedError } from '../../errors.js';
import { CPU_ENGINE } from '../../gram-options.js';
import type { Tensor } from '../../tensor.js';
import type { GramOptions } from '../../types.js';
import { checkGramSums } from '../float32-sums.js';
import { kernelDiagonal } from './kernel-f64.js';
import { checkEngineGamma, engineGramOptions, type KernelParams, USE_FLOAT64 } from './params.js';
import { checkKernelValues, type KernelRow, type KernelRowProvider, type ProviderStats } from './provider.js';
import { RowCache } from './row-cache.js';

/** What to do about data whose float32 Gram sums overflow (after "standardize X (or scale it down)"). */
export const SVC_SUMS_REMEDY = `, or ${USE_FLOAT64} (or ${CPU_ENGINE}, which sums in float64)`;

/** SVC's kernel rows computed on an engine (float32, batched, cached): provider 'engine'. */
export class EngineRowProvider implements KernelRowProvider {
  readonly size: number;
  readonly diagonal: Float64Array;
  readonly #engine: Engine;
  readonly #p: KernelParams;
  readonly #gram: GramOptions;
  readonly #cache: RowCache;
  /** Rows per dispatch: SVC's batchRows, cut to fit a storage binding and half the cache. */
  readonly batchRows: number;
  #x: Tensor | null;
  #computed = 0;
  #batches = 0;

  constructor(engine: Engine, x: Matrix, p: KernelParams, o: { cacheBytes: number; batchRows: number }) {
    checkEngine('EngineRowProvider', engine);
    this.#engine = engine;
    this.#p = p;
    this.#gram = engineGramOptions(p);
    this.size = x.rows;
    checkEngineGamma(p, x);
    this.diagonal = kernelDiagonal(p, x);
    checkKernelValues(this.diagonal, (i) => [i, i], p, 'float32');
    checkGramSums(engine, 'SVC', p, [x], SVC_SUMS_REMEDY);
    const rowBytes = 4 * x.rows;
    // One batch's output [b, l] must fit in a storage binding.
    const byBinding = Math.max(1, Math.floor(engine.limits.maxStorageBufferBindingSize / rowBytes));
    this.#cache = new RowCache(o.cacheBytes, rowBytes, 2);
    // Keep a batch well inside the cache, so a batch never evicts most of itself.
    this.batchRows = Math.max(1, Math.min(o.batchRows, byBinding, Math.floor(this.#cache.capacity / 2)));
    this.#x = engine.tensor(x.data, [x.rows, x.cols]);
  }

  cached(i: number): KernelRow | undefined {
    return this.#cache.get(i);
  }

  has(i: number): boolean {
    return this.#cache.has(i);
  }

  async fetch(need: readonly number[], hints: readonly number[] = []): Promise<KernelRow[]> {
    const out: (KernelRow | undefined)[] = need.map((i) => this.#cache.get(i));
    const batch: number[] = [];
    const inBatch = new Set<number>();
    for (let k = 0; k < need.length; k++) {
      const i = need[k]!;
      if (out[k] === undefined && !inBatch.has(i)) {
        batch.push(i);
        inBatch.add(i);
      }
    }
    if (batch.length === 0) return out as KernelRow[];
    // Hints beyond the free cache room evict rows the solver may still need. On WebGPU that
    // pays (a dispatch and its readback cost far more than the rows in it); on the CPU backend
    // every row costs its full computation, and a working set larger than the cache thrashed
    // (64 rows per miss, 10-20× slower), so there hints only fill free room.
    const room = this.#engine.backend === 'cpu' ? this.#cache.capacity - this.#cache.size : Infinity;
    const limit = Math.min(this.batchRows, room);
    for (const h of hints) {
      if (batch.length >= limit) break;
      if (!inBatch.has(h) && !this.#cache.has(h)) {
        batch.push(h);
        inBatch.add(h);
      }
    }
    const fresh = new Map<number, KernelRow>();
    // Chunks of at most batchRows (only `need` alone can exceed it).
    for (let s = 0; s < batch.length; s += this.batchRows) {
      const ids = batch.slice(s, s + this.batchRows);
      const rows = await this.#compute(ids);
      ids.forEach((i, r) => fresh.set(i, rows[r]!));
    }
    return need.map((i, k) => out[k] ?? fresh.get(i)!);
  }

  async #compute(ids: readonly number[]): Promise<Float32Array[]> {
    if (this.#x === null) throw new DisposedError('EngineRowProvider used after dispose()');
    const e = this.#engine;
    const l = this.size;
    const idx = e.tensor(Float32Array.from(ids), [ids.length]);
    let xb: Tensor | null = null;
    let k: Tensor | null = null;
    try {
      xb = e.gatherRows(this.#x, idx);
      k = e.gram(xb, this.#x, this.#gram);
      const data = await k.read();
      checkKernelValues(data, (t) => [ids[Math.floor(t / l)]!, t % l], this.#p, 'float32');
      this.#batches++;
      this.#computed += ids.length;
      return ids.map((i, r) => {
        const row = data.slice(r * l, (r + 1) * l);
        this.#cache.set(i, row);
        return row;
      });
    } finally {
      k?.dispose();
      xb?.dispose();
      idx.dispose();
    }
  }

  get stats(): ProviderStats {
    return { rowsComputed: this.#computed, batches: this.#batches, cacheHits: this.#cache.hits };
  }

  dispose(): void {
    this.#x?.dispose();
    this.#x = null;
    this.#cache.clear();
  }
}
