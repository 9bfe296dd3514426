// Where the SMO solver gets kernel rows: K(xᵢ, X) over all l training points. The solver is
// written against this interface only, so the same solver runs on GPU rows (engine.gram,
// float32) and on float64 rows computed in plain JavaScript.

import { ValueError } from '../../errors.js';
import { kernelOverflow } from '../../gram-options.js';
import { MAX_FLOAT32 } from '../../validate.js';
import { type KernelParams, USE_FLOAT64 } from './params.js';
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
  /**
   * The most rows a fetch of one needed row computes (a positive integer): the solver passes at
   * most batchRows − 1 hints, the best ones, and none at 1. Without it the solver passes every
   * candidate, best first. It also sizes the fetches of a gradient rebuild after shrinking
   * (64 rows each without it). Without `has` the solver cannot tell cached rows, so they are
   * among the hints and use up their slots.
   */
  readonly batchRows?: number;
  /** Whether row i is cached, without marking it used: the solver leaves cached rows out of its hints. */
  has?(i: number): boolean;
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

/**
 * Refuses kernel values that are not finite in the rows' precision: past 3.4e38 a float32
 * row holds ±Inf (a linear kernel on X ≈ 1e20), the solver's gradient turns NaN, every
 * comparison in the working-set selection is false and the solver stopped at once,
 * "converged", with an all-NaN model. `precision` is the rows' (float32 for the engine's,
 * float64 for the host's) and sets the largest magnitude allowed; `at(k)` names value k as K[i, j].
 */
export function checkKernelValues(
  values: ArrayLike<number>, at: (k: number) => [i: number, j: number], p: KernelParams, precision: 'float32' | 'float64',
): void {
  const limit = precision === 'float32' ? MAX_FLOAT32 : Number.MAX_VALUE;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (Math.abs(v) <= limit) continue; // false for NaN too
    const [i, j] = at(k);
    throw new ValueError(
      `SVC: K[${i}, ${j}] (0-based) is ${Number.isFinite(v) ? v.toPrecision(3) : v}: ${kernelOverflow(p.kernel, undefined, precision)}` +
        (precision === 'float32' ? `, or ${USE_FLOAT64} (kernel rows in float64 on the host)` : ''),
    );
  }
}
