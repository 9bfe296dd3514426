// Gram-matrix options: validation and scikit-learn's defaults (γ = 1/d, c₀ = 1, degree 3).

import { ValueError } from './errors.js';
import type { GramKernel, GramOptions } from './types.js';
import { checkFinite } from './validate.js';

export const GRAM_KERNELS: readonly GramKernel[] = ['sigmoid', 'logistic', 'linear', 'polynomial', 'rbf'];

export interface ResolvedGramOptions {
  kernel: GramKernel;
  gamma: number;
  coef0: number;
  degree: number;
}

export function resolveGramOptions(opts: GramOptions, features: number): ResolvedGramOptions {
  const kernel = opts.kernel ?? 'sigmoid';
  if (!GRAM_KERNELS.includes(kernel)) {
    throw new ValueError(`unknown kernel ${JSON.stringify(kernel)}; expected one of ${GRAM_KERNELS.join(', ')}`);
  }
  const gamma = opts.gamma ?? 1 / features;
  checkFinite('gamma', gamma);
  if (kernel === 'rbf' && gamma <= 0) throw new ValueError(`gamma must be > 0 for the rbf kernel, got ${gamma}`);
  const coef0 = opts.coef0 ?? 1;
  checkFinite('coef0', coef0);
  const degree = opts.degree ?? 3;
  if (!Number.isInteger(degree) || degree < 1) throw new ValueError(`degree must be an integer ≥ 1, got ${degree}`);
  return { kernel, gamma, coef0, degree };
}
