// Where the SMO solver gets kernel rows: K(xᵢ, X) over all l training points. The solver is
// written against this interface only, so the same solver runs on GPU rows (engine.gram,
// float32) and on float64 rows computed in plain JavaScript.

import type { KernelRow } from './row-cache.js';

export type { KernelRow };

export interface ProviderStats {
  /** Rows computed (a row is K(xᵢ, X) over every training point). */
  rowsComputed: number;
  /** Computations launched (engine.gram dispatches with one readback each, or float64 rows). */
  batches: number;
  /** Row requests answered by the cache. */
  cacheHits: number;
}

export interface KernelRowProvider {
  /** Number of training points l (the length of every row). */
  readonly size: number;
  /** K(xᵢ, xᵢ) for every i, in float64. */
  readonly diagonal: Float64Array;
  /** Row i if it is cached (marking it recently used), else undefined. Synchronous. */
  cached(i: number): KernelRow | undefined;
  /**
   * Makes rows `need` available and returns them (in order). A provider that computes in
   * batches also computes rows from `hints` (likely next requests, best first) that are not
   * cached, up to its batch size, in the same computation.
   */
  fetch(need: readonly number[], hints?: readonly number[]): Promise<KernelRow[]>;
  readonly stats: ProviderStats;
  /** Frees device memory and the cache. */
  dispose(): void;
}
