// Float64 kernel rows computed in plain JavaScript, one row per request, with the same LRU
// cache as the engine provider: the "float64 CPU run" of the solver, the reference that the
// GPU's float32 rows are checked against. Needs no engine. Kernel values beyond float64
// (a polynomial of high degree) are refused, the diagonal before any work.

import type { Matrix } from '../../data/matrix.js';
import { kernelAt, kernelDiagonal } from './kernel-f64.js';
import type { KernelParams } from './params.js';
import { checkKernelValues, type KernelRow, type KernelRowProvider, type ProviderStats } from './provider.js';
import { RowCache } from './row-cache.js';

/** SVC's kernel rows in float64 on the host, no engine: provider 'float64', the reference. */
export class Float64RowProvider implements KernelRowProvider {
  readonly size: number;
  readonly diagonal: Float64Array;
  /** One row per computation: the solver computes no hints for it. */
  readonly batchRows = 1;
  readonly #x: Matrix;
  readonly #p: KernelParams;
  readonly #cache: RowCache;
  #computed = 0;

  constructor(x: Matrix, p: KernelParams, cacheBytes: number) {
    this.#x = x;
    this.#p = p;
    this.size = x.rows;
    this.diagonal = kernelDiagonal(p, x);
    checkKernelValues(this.diagonal, (t) => [t, t], p, 'float64');
    this.#cache = new RowCache(cacheBytes, 8 * x.rows);
  }

  cached(i: number): KernelRow | undefined {
    return this.#cache.get(i);
  }

  async fetch(need: readonly number[]): Promise<KernelRow[]> {
    return need.map((i) => this.#cache.get(i) ?? this.#compute(i));
  }

  #compute(i: number): Float64Array {
    const { rows, cols, data } = this.#x;
    const row = new Float64Array(rows);
    for (let j = 0; j < rows; j++) row[j] = kernelAt(this.#p, data, i * cols, data, j * cols, cols);
    checkKernelValues(row, (j) => [i, j], this.#p, 'float64');
    this.#computed++;
    this.#cache.set(i, row);
    return row;
  }

  get stats(): ProviderStats {
    return { rowsComputed: this.#computed, batches: this.#computed, cacheHits: this.#cache.hits };
  }

  dispose(): void {
    this.#cache.clear();
  }
}
