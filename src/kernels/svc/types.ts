// Public option and result types of the support-vector classifier (SVC).

import type { Matrix } from '../../data/matrix.js';
import type { BackendKind } from '../../types.js';

/** Kernels of SVC (scikit-learn's names; 'poly' is an alias of 'polynomial'). */
export type SVCKernel = 'rbf' | 'sigmoid' | 'linear' | 'polynomial' | 'poly';

/**
 * Where kernel rows come from while solving:
 * - 'engine' (default): engine.gram on the engine passed to fit — the GPU on WebGPU, the
 *   float32 CPU backend otherwise — computed in batches of rows, kept in an LRU cache;
 * - 'float64': plain JavaScript float64 kernel rows (no engine needed); the reference run
 *   of the same solver that the GPU run is checked against.
 */
export type SVCProviderKind = 'engine' | 'float64';

export interface SVCOptions {
  /** Regularisation C > 0 (default 1). */
  C?: number;
  /** Kernel (default 'rbf', like scikit-learn). */
  kernel?: SVCKernel;
  /**
   * γ of rbf, sigmoid and polynomial: 'scale' (default) = 1 / (d · Var(X)) with the
   * variance over all elements of the training X (1 when that variance is 0, as scikit-learn), 'auto' =
   * 1 / d, or a number > 0 within float32 range (≤ 3.4e38).
   */
  gamma?: 'scale' | 'auto' | number;
  /** c₀ of sigmoid and polynomial (default 0, like scikit-learn's SVC), within float32 range. */
  coef0?: number;
  /** Polynomial degree, an integer in 1..2³²−1 (default 3). */
  degree?: number;
  /** Stopping tolerance ε on the maximal KKT violation (default 1e-3, libsvm's and scikit-learn's). */
  tol?: number;
  /**
   * Maximum SMO iterations per binary problem (default max(10⁷, 100·l), libsvm's). When it
   * is reached the fit warns (through `log`) or throws ConvergenceError (`onMaxIter: 'throw'`).
   */
  maxIter?: number;
  /** What reaching maxIter does: 'warn' (default, like libsvm/scikit-learn) or 'throw'. */
  onMaxIter?: 'warn' | 'throw';
  /** Kernel row cache budget in MB (default 200, scikit-learn's cache_size). */
  cacheSize?: number;
  /** Rows computed per engine.gram dispatch when a row is missing (default 64). */
  batchRows?: number;
  /**
   * libsvm's shrinking heuristic (default true, as scikit-learn's `shrinking`): bound variables
   * that look settled leave the working-set scan and the gradient update until the end, where
   * the whole problem is checked; false scans every point every iteration (libsvm's -h 0,
   * usually slower on large problems). Both stop by the same rule (the maximal KKT violation
   * over all points below tol), so each model is a tol-accurate solution, but not
   * necessarily the same one: the runs can take different paths and stop at different α
   * (decision values on new points differed by up to 4.3e-3 at tol 1e-3 in the tests).
   */
  shrinking?: boolean;
  /** Kernel row source (default 'engine'). */
  provider?: SVCProviderKind;
  /** Called after each binary (one-vs-one) problem is solved. */
  onProgress?: (p: SVCProgress) => void;
  /** Warnings (max iterations reached); default console.warn, null for silence. */
  log?: ((line: string) => void) | null;
}

export interface SVCProgress {
  /** 1-based index of the binary problem just solved, of `pairs`. */
  pair: number;
  pairs: number;
  /** The two class values of this problem (the first is the +1 side in libsvm's convention). */
  classes: [number, number];
  /** Points in this binary problem. */
  size: number;
  iterations: number;
  /** Points with α > 0 in this problem. */
  supportVectors: number;
  converged: boolean;
  /** Seconds since fit started. */
  elapsed: number;
}

/** What fit measured (`svc.fitInfo`). */
export interface SVCFitInfo {
  /** Seconds of the whole fit. */
  seconds: number;
  /** Total SMO iterations over all binary problems. */
  iterations: number;
  /** Iterations of each binary problem, in pair order. */
  pairIterations: number[];
  /** False if any binary problem stopped at maxIter. */
  converged: boolean;
  provider: SVCProviderKind;
  /** The engine's backend for the engine provider, 'float64' otherwise. */
  backend: BackendKind | 'float64';
  /** Kernel rows computed (each a row of K(xᵢ, X) over all training points). */
  rowsComputed: number;
  /** engine.gram dispatches (engine provider) or row computations (float64). */
  batches: number;
  /** Row requests answered from the cache. */
  cacheHits: number;
  /** γ actually used. */
  gamma: number;
}

/** Decision values [rows, cols] in float64, row-major. */
export interface DecisionValues {
  rows: number;
  cols: number;
  data: Float64Array;
}

export type { Matrix };
