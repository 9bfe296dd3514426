// Gram-matrix options: validation and scikit-learn's defaults (γ = 1/d, c₀ = 1, degree 3).
// 'projected-sigmoid' (σ(αᵀx + βᵀy + γ), the article's projected form) takes α and β of
// length d and uses γ as its bias, default 0.

import { ShapeError, ValueError } from './errors.js';
import type { GramKernel, GramOptions } from './types.js';
import { checkFinite, describeValue, MAX_FLOAT32, optionKeys } from './validate.js';

/** The option names of SymmetricGramOptions and GramOptions, spread into the lists of the options that extend them. */
export const SYMMETRIC_GRAM_KEY_NAMES = ['kernel', 'gamma', 'coef0', 'degree'] as const;
export const GRAM_KEY_NAMES = [...SYMMETRIC_GRAM_KEY_NAMES, 'alpha', 'beta'] as const;
export const GRAM_KEYS = optionKeys<GramOptions>()(...GRAM_KEY_NAMES);

export const GRAM_KERNELS: readonly GramKernel[] = ['sigmoid', 'logistic', 'linear', 'polynomial', 'rbf', 'projected-sigmoid'];

/** Gram options with the defaults filled in; K narrows the kernel (SymmetricGramKernel for nystroem and KernelClassifier). */
export interface ResolvedGramOptions<K extends GramKernel = GramKernel> {
  kernel: K;
  gamma: number;
  coef0: number;
  degree: number;
  /** α and β as float32 copies: present exactly when kernel is 'projected-sigmoid'. */
  alpha?: Float32Array;
  beta?: Float32Array;
}

/** Largest polynomial degree: the shaders take it as a u32 (a larger one would wrap). */
export const MAX_DEGREE = 2 ** 32 - 1;

/**
 * γ·s past which the rbf kernel exp(−γ·s) is float32's 0 (with margin): when γ times the
 * largest float32 reaches it, an infinite squared distance s gives 0 on both backends, and
 * otherwise NaN (an overflowed sum cannot be told from a true one; shaders/matmul.wgsl).
 */
const RBF_SATURATES = 110;

/** Whether an rbf kernel of this γ is 0 for any sum past float32's range (RBF_SATURATES). */
export function rbfSaturates(gamma: number): boolean {
  return gamma * MAX_FLOAT32 >= RBF_SATURATES;
}

/** The polynomial degree, checked: an integer in 1..MAX_DEGREE (`name` as the caller's user spells it, e.g. '--degree'). */
export function checkDegree(degree: unknown, name = 'degree'): number {
  if (typeof degree !== 'number' || !Number.isInteger(degree) || degree < 1 || degree > MAX_DEGREE) {
    throw new ValueError(`${name} must be an integer in 1..${MAX_DEGREE}, got ${describeValue(degree)}`);
  }
  return degree;
}

/**
 * Why kernel values came out non-finite and what to change, as one clause: "the linear kernel
 * overflows float32 here; scale the data down" (a smaller γ, and degree for polynomial, for
 * the other kernels). `option` spells an option as the caller's user writes it ('--gamma' on
 * the command line); `precision` is what the values were computed in.
 */
export function kernelOverflow(
  kernel: string, option: (name: 'gamma' | 'degree') => string = (name) => name, precision: 'float32' | 'float64' = 'float32',
): string {
  // Only linear and polynomial values grow without bound; a non-finite sigmoid, logistic or
  // rbf value comes from ⟨x, y⟩ or ‖x − y‖² overflowing, which γ cannot help.
  const fix = kernel === 'polynomial' ? `${smallerOptions(option)}, or ${SCALE_DOWN}` : SCALE_DOWN;
  return `the ${kernel} kernel overflows ${precision} here; ${fix}`;
}

/** kernelOverflow's advice for the polynomial kernel, its options spelt by `option`: "choose a smaller gamma or degree". */
export function smallerOptions(option: (name: 'gamma' | 'degree') => string = (name) => name): string {
  return `choose a smaller ${option('gamma')} or ${option('degree')}`;
}

/**
 * The library's advice in one place (kernelOverflow, checkGramSums, SVC), which the svm command
 * says as its flags (cli/svm.ts): rescale the data (--standardize), or sum on the CPU (--backend cpu).
 */
export const SCALE_DOWN = 'scale the data down';
export const STANDARDIZE_X = 'standardize X';
export const CPU_ENGINE = 'a CPU engine';

export function resolveGramOptions<K extends GramKernel = GramKernel>(
  opts: GramOptions & { kernel?: K }, features: number,
): ResolvedGramOptions<K> {
  const kernel = (opts.kernel ?? 'sigmoid') as K; // the default, 'sigmoid', is in every K used
  if (!GRAM_KERNELS.includes(kernel)) {
    throw new ValueError(`unknown kernel ${JSON.stringify(kernel)}; expected one of ${GRAM_KERNELS.join(', ')}`);
  }
  const projected = kernel === 'projected-sigmoid';
  const gamma = opts.gamma ?? (projected ? 0 : 1 / features);
  checkFinite('gamma', gamma, kernel === 'rbf');
  if (kernel === 'rbf' && gamma <= 0) throw new ValueError(`gamma must be > 0 for the rbf kernel, got ${gamma}`);
  const coef0 = opts.coef0 ?? 1;
  checkFinite('coef0', coef0);
  const degree = checkDegree(opts.degree ?? 3);
  if (!projected) {
    for (const name of ['alpha', 'beta'] as const) {
      if (opts[name] !== undefined && opts[name] !== null) {
        throw new ValueError(`${name} applies only to the projected-sigmoid kernel, not to ${kernel}`);
      }
    }
    return { kernel, gamma, coef0, degree };
  }
  return { kernel, gamma, coef0, degree, alpha: projection('alpha', opts.alpha, features), beta: projection('beta', opts.beta, features) };
}

/** α or β of the projected-sigmoid kernel, checked as γ is (finite, float32, 0 or normal), copied to float32. */
function projection(name: 'alpha' | 'beta', v: GramOptions['alpha'], features: number): Float32Array {
  if (v === undefined || v === null) {
    throw new ValueError(`the projected-sigmoid kernel needs ${name} (${features} weights, one per feature)`);
  }
  if (!(v instanceof Float32Array) && !Array.isArray(v)) {
    throw new ValueError(`${name} must be an array or Float32Array of numbers`);
  }
  if (v.length !== features) {
    throw new ShapeError(`${name} has ${v.length} values but X has ${features} features (columns): they must match`);
  }
  const out = new Float32Array(features);
  for (let i = 0; i < features; i++) {
    // As γ and c₀: a subnormal weight is 0 on a GPU that flushes it, not on the CPU.
    checkFinite(`${name}[${i}]`, v[i] as number);
    out[i] = v[i]!;
  }
  return out;
}
