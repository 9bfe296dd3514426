// SVC option checks and defaults. Every bad value is refused with a ValueError naming the
// option, the value and what is allowed, before any work starts.

import { ValueError } from '../../errors.js';
import { checkDegree, STANDARDIZE_X } from '../../gram-options.js';
import type { Matrix } from '../../data/matrix.js';
import type { GramOptions } from '../../types.js';
import { checkFinite, checkOptionalFunction, checkPositiveInt, describeValue, MAX_FLOAT32, MIN_NORMAL_FLOAT32, optionalBoolean, optionKeys, optionsObject } from '../../validate.js';
import type { SVCKernel, SVCOptions, SVCProviderKind } from './types.js';

/** Kernels after alias resolution. */
export type KernelName = 'rbf' | 'sigmoid' | 'linear' | 'polynomial';

export const SVC_KERNELS: readonly SVCKernel[] = ['rbf', 'sigmoid', 'linear', 'polynomial', 'poly'];

/** The kernel function with γ resolved to a number. */
export interface KernelParams {
  kernel: KernelName;
  gamma: number;
  coef0: number;
  degree: number;
}

export interface ResolvedSVCOptions {
  C: number;
  kernel: KernelName;
  gamma: 'scale' | 'auto' | number;
  coef0: number;
  degree: number;
  tol: number;
  maxIter: number | null;
  onMaxIter: 'warn' | 'throw';
  cacheSize: number;
  batchRows: number;
  shrinking: boolean;
  provider: SVCProviderKind;
}

const SVC_KEYS = optionKeys<SVCOptions>()(
  'C', 'kernel', 'gamma', 'coef0', 'degree', 'tol', 'maxIter', 'onMaxIter', 'cacheSize', 'batchRows', 'shrinking', 'provider', 'onProgress', 'log',
);

/** Kernel rows per engine.gram dispatch unless SVC's batchRows says otherwise. */
export const DEFAULT_BATCH_ROWS = 64;

export function resolveSVCOptions(o: SVCOptions): ResolvedSVCOptions {
  o = optionsObject('SVC', o, SVC_KEYS, undefined, ['log', 'maxIter']); // a saved file's maxIter is null when unset
  const C = o.C ?? 1;
  if (typeof C !== 'number' || !Number.isFinite(C) || C <= 0) throw new ValueError(`C must be a finite number > 0, got ${describeValue(C)}`);
  const k = o.kernel ?? 'rbf';
  if (!SVC_KERNELS.includes(k)) throw new ValueError(`unknown kernel ${JSON.stringify(k)}; expected one of ${SVC_KERNELS.join(', ')}`);
  const kernel: KernelName = k === 'poly' ? 'polynomial' : k;
  const gamma = o.gamma ?? 'scale';
  if (gamma !== 'scale' && gamma !== 'auto' && !(typeof gamma === 'number' && Number.isFinite(gamma) && gamma > 0)) {
    throw new ValueError(`gamma must be 'scale', 'auto' or a finite number > 0, got ${describeValue(gamma)}`);
  }
  // γ and c₀ go to engine.gram as float32: past 3.4e38 they are refused here, not mid-fit.
  if (typeof gamma === 'number') checkFinite('gamma', gamma, true);
  const coef0 = o.coef0 ?? 0;
  checkFinite('coef0', coef0);
  const degree = checkDegree(o.degree ?? 3);
  const tol = o.tol ?? 1e-3;
  if (typeof tol !== 'number' || !Number.isFinite(tol) || tol <= 0) throw new ValueError(`tol must be a finite number > 0, got ${describeValue(tol)}`);
  const maxIter = o.maxIter ?? null;
  if (maxIter !== null && (!Number.isSafeInteger(maxIter) || maxIter < 1)) {
    throw new ValueError(`maxIter must be a positive integer, got ${describeValue(maxIter)}`);
  }
  const onMaxIter = o.onMaxIter ?? 'warn';
  if (onMaxIter !== 'warn' && onMaxIter !== 'throw') throw new ValueError(`onMaxIter must be 'warn' or 'throw', got ${JSON.stringify(onMaxIter)}`);
  const cacheSize = o.cacheSize ?? 200;
  if (typeof cacheSize !== 'number' || !Number.isFinite(cacheSize) || cacheSize <= 0) {
    throw new ValueError(`cacheSize must be a number of MB > 0, got ${describeValue(cacheSize)}`);
  }
  const batchRows = o.batchRows ?? DEFAULT_BATCH_ROWS;
  checkPositiveInt('batchRows', batchRows);
  const shrinking = optionalBoolean('shrinking', o.shrinking, true);
  const provider = o.provider ?? 'engine';
  if (provider !== 'engine' && provider !== 'float64') {
    throw new ValueError(`provider must be 'engine' or 'float64', got ${JSON.stringify(provider)}`);
  }
  checkOptionalFunction('onProgress', o.onProgress);
  checkOptionalFunction('log', o.log, true);
  return { C, kernel, gamma, coef0, degree, tol, maxIter, onMaxIter, cacheSize, batchRows, shrinking, provider };
}

/**
 * γ as a number: 'scale' = 1 / (d · Var(X)) (population variance over all elements, in
 * float64; 1 when that variance is 0, as scikit-learn), 'auto' = 1 / d.
 */
export function resolveGamma(gamma: 'scale' | 'auto' | number, x: Matrix): number {
  if (typeof gamma === 'number') return gamma;
  const d = x.cols;
  if (gamma === 'auto') return 1 / d;
  let mean = 0;
  for (let i = 0; i < x.data.length; i++) mean += x.data[i]!;
  mean /= x.data.length;
  let m2 = 0;
  for (let i = 0; i < x.data.length; i++) {
    const t = x.data[i]! - mean;
    m2 += t * t;
  }
  const variance = m2 / x.data.length;
  return variance > 0 ? 1 / (d * variance) : 1;
}

/**
 * What engine.gram gets for kernel p. The linear kernel ignores γ, so γ is not passed on:
 * 'scale' resolved on data of tiny or huge variance (X ≈ 1e-20: γ ≈ 1e40; X ≈ ±1.5e19:
 * γ ≈ 4e-39) made engine.gram refuse a γ out of float32's range that nothing used.
 */
export function engineGramOptions(p: KernelParams): GramOptions {
  return p.kernel === 'linear' ? { kernel: 'linear' } : { kernel: p.kernel, gamma: p.gamma, coef0: p.coef0, degree: p.degree };
}

/**
 * SVC's advice where float32 kernel rows cannot hold the data: host rows in float64 (or, for
 * WebGPU's float32 sums, gram-options.ts's CPU_ENGINE). The svm command says it as its flag (cli/svm.ts).
 */
export const USE_FLOAT64 = "use provider 'float64'";
/** How checkEngineGamma names the γ it refuses (the svm command: --gamma scale). */
export const GAMMA_SCALE = "gamma 'scale'";
/** The advice of SVC.fit's maxIter warning (the svm command says it as its flags). */
export const MAX_ITER_ADVICE = 'standardize the features, lower C, or raise maxIter';

/**
 * Provider 'engine' computes kernel rows with engine.gram, whose γ is a float32. A numeric γ
 * is checked by the constructor and 'auto' is 1/d, but 'scale' on data of tiny variance
 * (X ≈ 1e-21: γ ≈ 2e41) resolves beyond float32, and on data of huge variance (X ≈ 1e21:
 * γ ≈ 1e-43) below its smallest normal (a GPU flushes it to 0): refused before any work,
 * saying why. The float64 provider takes any γ.
 */
export function checkEngineGamma(p: KernelParams, x: Matrix): void {
  if (p.kernel === 'linear') return; // it ignores γ
  const gamma = p.gamma;
  const tooBig = gamma > MAX_FLOAT32;
  if (!tooBig && !(gamma > 0 && gamma < MIN_NORMAL_FLOAT32)) return;
  const variance = 1 / (x.cols * gamma);
  throw new ValueError(
    `SVC.fit: ${GAMMA_SCALE} resolved to ${gamma.toPrecision(3)} = 1 / (d · Var(X)) = 1 / (${x.cols} · ${variance.toPrecision(3)}): ` +
      (tooBig
        ? `the variance of X is so tiny that γ is beyond the float32 range (3.4e38) the kernel rows are computed in; ${STANDARDIZE_X} (or scale it up)`
        : `the variance of X is so huge that γ is below float32's smallest normal number (1.2e-38) the kernel rows are computed with; ${STANDARDIZE_X} (or scale it down)`) +
      `, or ${USE_FLOAT64}`,
  );
}
